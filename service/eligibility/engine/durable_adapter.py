"""The durable-rules adapter: the only module that imports durable.

Rule data is compiled into durable's JSON ruleset format, one durable rule per (rule, level,
term) variant, registered as ``<name>@<hash>`` so that several versions coexist; durable's rete
core (its C extension, ``durable_rules_engine``) does all the matching. Each candidate is
evaluated in its own state context (sid) whose state is deleted afterwards.

We drive the core directly rather than through durable's Python ``Host``: the Host wraps every
firing in a Closure, serialises the whole state to JSON and back with the standard json module
and runs our callback, about 3.5x the cost of the matching itself (measured: ~370 us against
~100 us per candidate with 8 flags), and it starts timer threads that race with batch assertion
and lose firings. The loop here asserts a candidate's facts in one call, then drains the queued
firings with ``start_action_for_state`` / ``complete_and_start_action``, reading from each only
the rule name and the fact's index. No Python action runs, so no exception can be swallowed
into the state. Measured here: a batch assertion in which one fact matches nothing returns
"not handled" and, with the Host, lost the firings of the facts that did match (and
``delete_state`` on such a context crashed the process). So every fact type has a sentinel rule
that always matches (its firing is ignored): every assertion is handled, and any other result
code is an error. The C core has no locks: every call is serialised. There are no dates, so
facts carry integer day numbers and whole months elapsed.
"""

from __future__ import annotations

import itertools
import threading
from importlib.metadata import version
from typing import Any

import durable_rules_engine  # durable-rules' C core (the rete network)
import orjson

from eligibility.engine.calendar import months_elapsed
from eligibility.engine.model import EvalInput
from eligibility.engine.windows import Match, countable_flags
from eligibility.errors import EngineError
from eligibility.rules.schema import Rule, Ruleset, Window

ENGINE_VERSION = f"eligibility-engine/3 durable-rules/{version('durable-rules')}"
_NO_END = 10**9  # days_left for a flag with no end_date: "still open"
SENTINEL = "__seen_"  # rules that match every fact, so no assertion is ever "not handled"


def _window_conditions(w: Window, term: int | None) -> list[dict[str, Any]]:
    if w.type == "open":
        return [{"$gt": {"days_left": 0}}, {"$gt": {"term_left": 0}}]
    if w.type == "permanent":
        return []
    assert w.months is not None
    months = w.months + (term or 0)
    return [{"$lt": {"elapsed_months": months}}]


def _effective(rule_from: int, rule_to: int | None) -> list[dict[str, Any]]:
    cond: list[dict[str, Any]] = [{"$gte": {"as_of_day": rule_from}}]
    if rule_to is not None:
        cond.append({"$lt": {"as_of_day": rule_to}})
    return cond


def compile_ruleset(ruleset: Ruleset) -> dict[str, tuple[str, dict[str, Any]]]:
    """Compile rule data to durable rules: durable rule name -> (rule id, condition)."""
    out: dict[str, tuple[str, dict[str, Any]]] = {
        f"{SENTINEL}candidate": (SENTINEL, {"type": "candidate"}),
        f"{SENTINEL}flag": (SENTINEL, {"type": "flag"}),
    }
    for p in ruleset.profile:
        eff = _effective(p.effective_from.toordinal(), p.effective_to.toordinal() if p.effective_to else None)
        if p.check == "min_age":
            cond: list[dict[str, Any]] = [{"type": "candidate"}, {"$lt": {"age_years": p.min_age_years}}, *eff]
        else:
            held = [{f"pos_{pos}": 1} for pos in p.positions or ()]
            cond = [{"type": "candidate"}, {"party_member": 0}, held[0] if len(held) == 1 else {"$or": held}, *eff]
        out[f"{p.id}__0"] = (p.id, {"$and": cond})
    for r in ruleset.rules:
        for n, (base, window, term) in enumerate(_variants(r)):
            eff = _effective(r.effective_from.toordinal(), r.effective_to.toordinal() if r.effective_to else None)
            cond = [{"type": "flag"}, {"agency": r.agency}, {"kind": r.kind}, *base,
                    {"$gte": {"days_since": 0}}, *_window_conditions(window, term), *eff]
            out[f"{r.id}__{n}"] = (r.id, {"$and": cond})
    return out


def _variants(r: Rule) -> list[tuple[list[dict[str, Any]], Window, int | None]]:
    if r.levels is None:
        assert r.window is not None
        return [([], r.window, None)]
    out: list[tuple[list[dict[str, Any]], Window, int | None]] = []
    for level, w in r.levels.items():
        if w.type == "term_plus_months":
            for term in w.terms or ():
                out.append(([{"level": level}, {"term": term}], w, term))
        else:
            out.append(([{"level": level}], w, None))
    return out


class Engine:
    """Evaluates candidates with durable-rules; one instance per process, calls serialised."""

    def __init__(self) -> None:
        """No rulesets yet; each is created in the core on first use."""
        self._lock = threading.Lock()
        self._handles: dict[str, tuple[Any, dict[str, str]]] = {}
        self._sids = itertools.count(1)

    def _ensure(self, ruleset: Ruleset) -> tuple[Any, dict[str, str]]:
        """The core's handle for this ruleset version, and durable rule name -> our rule id."""
        name = f"{ruleset.name}@{ruleset.hash}"
        found = self._handles.get(name)
        if found is None:
            compiled = compile_ruleset(ruleset)
            definition = {rule_name: {"all": [{"m": cond}]} for rule_name, (_, cond) in compiled.items()}
            handle = durable_rules_engine.create_ruleset(name, orjson.dumps(definition).decode())
            found = self._handles[name] = (handle, {rule_name: rid for rule_name, (rid, _) in compiled.items()})
        return found

    @staticmethod
    def facts(ruleset: Ruleset, inp: EvalInput, sid: str) -> list[dict[str, Any]]:
        """The facts asserted for one candidate: the candidate, and each countable flag."""
        day = inp.as_of.toordinal()
        cand = inp.candidate
        out: list[dict[str, Any]] = [{
            "sid": sid, "id": "c", "idx": -1, "type": "candidate", "as_of_day": day,
            "age_years": months_elapsed(cand.birth_date, inp.as_of) // 12 if inp.as_of >= cand.birth_date else -1,
            "party_member": 1 if cand.party_member else 0,
            **{f"pos_{p}": 1 if p in cand.positions else 0 for p in ruleset.positions},
        }]
        for i, flag, rule in countable_flags(ruleset, inp):
            window = rule.window_for(flag.level)
            elapsed = months_elapsed(flag.decided_on, inp.as_of)
            fact: dict[str, Any] = {
                "sid": sid, "id": f"f{i}", "idx": i, "type": "flag", "as_of_day": day,
                "agency": flag.agency, "kind": flag.kind, "level": flag.level,
                "days_since": day - flag.decided_on.toordinal(),
                "elapsed_months": elapsed,
                "days_left": (flag.end_date.toordinal() - day) if flag.end_date else _NO_END,
                # an open window with only a term: whole months of the term still to run
                "term_left": (flag.term_months - elapsed)
                if window.type == "open" and flag.term_months and not flag.end_date else _NO_END,
            }
            if window.type == "term_plus_months":
                fact["term"] = flag.term_months or window.default_term
            out.append(fact)
        return out

    def matches(self, ruleset: Ruleset, inp: EvalInput) -> frozenset[Match]:
        """Return the (rule id, flag index) firings for one candidate."""
        with self._lock:
            handle, rule_ids = self._ensure(ruleset)
            sid = f"s{next(self._sids)}"
            fired: set[Match] = set()
            try:
                # one call for all of the candidate's facts; with the sentinels every fact is handled
                code, state = durable_rules_engine.assert_facts(handle, orjson.dumps(self.facts(ruleset, inp, sid)).decode())
                if code != 0:
                    raise EngineError(f"rule engine returned {code} for {inp.candidate.id_masked}")
                started = durable_rules_engine.start_action_for_state(handle, state)
                message = started[1] if started else None
                while message:
                    for rule_name, firing in orjson.loads(message).items():
                        rule_id = rule_ids[rule_name]
                        if rule_id != SENTINEL:
                            fired.add((rule_id, int(firing["m"]["idx"])))
                    message = durable_rules_engine.complete_and_start_action(handle, state)
            except EngineError:
                raise
            except Exception as e:  # the core reports errors as exceptions (e.g. MemoryError, error codes)
                raise EngineError(f"rule engine failed: {e!r}") from e
            finally:
                durable_rules_engine.delete_state(handle, sid)
            return frozenset(fired)
