"""durable-rules used as its README shows: a ruleset declared with ``with ruleset(...)`` and ``when_all`` rules
(generated from the Ruleset: one rule per rule variant, as the README's ``@when_all(...)`` decorator does), facts
sent with ``assert_fact`` through durable's Python host, the actions recording what fired.

durable-rules has no dates: as in our adapter, each fact carries day numbers and whole months elapsed computed in
Python (calendar arithmetic); the rules select the variant (status, agency, kind, level, term) and compare
those numbers. Facts go into durable's default state and a candidate's are retracted once it is decided (a state
per candidate does not work through the host: a fact no rule matches is refused with MessageNotHandledException,
yet its state is made; the core holds 1,024 states, and deleting one whose facts were all refused crashes the
process, a double free). Verdicts per agency are aggregated in Python.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

from durable.engine import MessageNotHandledException
from durable.lang import assert_fact, m, retract_fact, ruleset, when_all

from eligibility.engine.calendar import months_elapsed
from eligibility.engine.model import EvalInput
from eligibility.engine.windows import Match
from eligibility.rules.schema import Ruleset, Window

from .common import Clock, Measured, answer_from_firings, timed, variants

_NO_END = 10**9
_names = itertools.count(1)


def _recorder(fired: list[tuple[int, str, int]], rule_id: str) -> Callable[[Any], None]:
    def action(c: Any) -> None:
        fired.append((c.m.cand, rule_id, c.m.idx))
    return action


def _window(w: Window, term: int | None) -> Any:
    if w.type == "permanent":
        return None
    if w.type == "open":
        return (m.days_left > 0) & (m.term_left > 0)
    assert w.months is not None
    return m.elapsed_months < w.months + (term or 0)


def _effective(cond: Any, start: int, end: int | None) -> Any:
    cond = cond & (m.as_of_day >= start)
    return cond & (m.as_of_day < end) if end is not None else cond


def declare(rs: Ruleset, fired: list[tuple[int, str, int]]) -> str:
    """Declare the ruleset with durable's DSL; its name."""
    name = f"peers_{rs.hash[:12]}_{next(_names)}"
    with ruleset(name):
        for p in rs.profile:
            if p.check == "min_age":
                assert p.min_age_years is not None
                cond = (m.type == "candidate") & (m.age_months < 12 * p.min_age_years)
            else:
                held = [getattr(m, f"pos_{pos}") == 1 for pos in p.positions or ()]
                either = held[0]
                for h in held[1:]:
                    either = either | h
                cond = (m.type == "candidate") & (m.party_member == 0) & either
            when_all(_effective(cond, p.effective_from.toordinal(),
                                p.effective_to.toordinal() if p.effective_to else None))(_recorder(fired, p.id))
        for r in rs.rules:
            for level, w, term in variants(r):
                cond = (m.type == "flag") & (m.status == "active") & (m.agency == r.agency) & (m.kind == r.kind)
                if level is not None:
                    cond = cond & (m.level == level)
                if term is not None:  # the flag's term_months, or the default term when it gives none (0)
                    cond = cond & ((m.term_months == term) | (m.term_months == 0)) if term == w.default_term \
                        else cond & (m.term_months == term)
                cond = cond & (m.days_since >= 0)
                window = _window(w, term)
                if window is not None:
                    cond = cond & window
                when_all(_effective(cond, r.effective_from.toordinal(),
                                    r.effective_to.toordinal() if r.effective_to else None))(_recorder(fired, r.id))
    return name


def facts(ci: int, inp: EvalInput) -> list[dict[str, Any]]:
    """A candidate's facts: the candidate and every flag, with day numbers and whole months elapsed."""
    day = inp.as_of.toordinal()
    c = inp.candidate
    out: list[dict[str, Any]] = [{
        "id": f"c{ci}", "type": "candidate", "cand": ci, "idx": -1, "as_of_day": day,
        "age_months": months_elapsed(c.birth_date, inp.as_of) if inp.as_of >= c.birth_date else -1,
        "party_member": 1 if c.party_member else 0, **{f"pos_{p}": 1 for p in c.positions}}]
    for i, f in enumerate(inp.flags):
        elapsed = months_elapsed(f.decided_on, inp.as_of)
        out.append({
            "id": f"f{ci}.{i}", "type": "flag", "cand": ci, "idx": i, "as_of_day": day, "status": f.status,
            "agency": f.agency, "kind": f.kind, "level": f.level, "term_months": f.term_months or 0,
            "days_since": day - f.decided_on.toordinal(), "elapsed_months": elapsed,
            "days_left": f.end_date.toordinal() - day if f.end_date else _NO_END,
            "term_left": f.term_months - elapsed if f.term_months and not f.end_date else _NO_END})
    return out


def measure(rs: Ruleset, inputs: list[EvalInput]) -> Measured:
    """Assert every candidate's facts, one assert_fact each, then retract those a rule took."""
    fired: list[tuple[int, str, int]] = []
    name = declare(rs, fired)
    all_facts, conv = timed(lambda: [facts(ci, inp) for ci, inp in enumerate(inputs)])
    refused = 0
    with Clock() as run:
        for fs in all_facts:
            kept = []
            for fact in fs:
                try:
                    assert_fact(name, fact)
                    kept.append(fact)
                except MessageNotHandledException:
                    refused += 1
            for fact in kept:  # the candidate is decided: its facts leave the state
                retract_fact(name, fact)
    by_cand: list[set[Match]] = [set() for _ in inputs]
    for ci, rule_id, idx in fired:
        by_cand[ci].add((rule_id, idx))
    return Measured(
        system=f"durable-rules {version('durable-rules')} as its README shows (`with ruleset`, `@when_all`, `assert_fact`)",
        does="eval only: rule selection and window comparisons in the rete (a candidate's facts then `retract_fact`ed); "
             "day numbers and months elapsed precomputed in Python (durable has no dates); per-agency verdicts in Python",
        n=len(inputs), eval_s=run.wall, eval_cpu_s=run.cpu, convert_s=conv.wall,
        answers=[answer_from_firings(rs, inp, frozenset(f)) for inp, f in zip(inputs, by_cand, strict=True)],
        notes=[f"{sum(map(len, all_facts)):,} facts asserted, {refused:,} matched no rule (MessageNotHandledException); "
               "precomputed in Python: day numbers, whole months elapsed (as our adapter does)"])
