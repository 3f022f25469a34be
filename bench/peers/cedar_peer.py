"""Cedar (cedarpy): the rules as Cedar policies generated from the Ruleset, evaluated with is_authorized_batch.

A request per flag (action ``flag``) and one per candidate (action ``profile``); a ``permit`` policy per rule variant
and verdict of the firing, annotated ``@id("RULE-ID|FAIL")``: "Allow" means "a rule fires", and the determining
policies (the decision's reasons) say which, and with what verdict. Cedar does the rule selection, the window
(dates compared as Cedar datetimes; whole months elapsed computed in the policy from the dates' year, month and
day as integers, since Cedar has no calendar-month arithmetic) and the name check. Python splits the dates into
integers, says whether as_of is the last day of its month, normalises names, and combines the firings of a
candidate into verdicts per agency and overall (a request decides one flag; Cedar has no aggregation over them).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import cedarpy

from eligibility.engine.model import EvalInput
from eligibility.engine.windows import Match
from eligibility.rules.schema import Ruleset, Window

from .common import Answer, Clock, Measured, aggregate, name_key, timed, variants

BATCH = 1000  # candidates a call (their profile requests and a request per flag)
PROFILE_ACTION = {"type": "Action", "id": "profile"}  # entity ids as JSON (parsing Cedar syntax costs more per request)
FLAG_ACTION = {"type": "Action", "id": "flag"}


def _q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _elapsed(start: str) -> str:
    """Whole months from context.<start> to context.as_of (our months_elapsed), as a Cedar expression."""
    return (f"((context.a_y - context.{start}_y) * 12 + (context.a_m - context.{start}_m) - "
            f"(if context.{start}_d > context.a_d && !context.a_last then 1 else 0))")


def _effective(start: date, end: date | None) -> str:
    cond = f'context.as_of >= datetime("{start.isoformat()}")'
    return cond + (f' && context.as_of < datetime("{end.isoformat()}")' if end else "")


def _window(w: Window, term: int | None) -> str:
    if w.type == "permanent":
        return "true"
    if w.type == "open":
        return (f"(if context has end_date then context.as_of < context.end_date else "
                f"(if context.term_months > 0 then {_elapsed('dec')} < context.term_months else true))")
    assert w.months is not None
    return f"{_elapsed('dec')} < {w.months + (term or 0)}"


def policies(ruleset: Ruleset) -> str:
    """The Cedar policy text of a ruleset (every number, kind, level and date comes from the Ruleset): for each rule
    and verdict of its firing one policy, its variants (level, term) joined by ||."""
    out: list[str] = []
    for r in ruleset.rules:
        cases = []
        for level, w, term in variants(r):
            cond = [f"context.level == {_q(level)}"] if level is not None else []
            if term is not None:
                cond.append(f"(if context.term_months > 0 then context.term_months else {w.default_term}) == {term}")
            cond.append(_window(w, term))
            cases.append(" && ".join(cond))
        cond = [f"context.kind == {_q(r.kind)}", f"context.agency == {_q(r.agency)}", 'context.status == "active"',
                "context.decided_on <= context.as_of", _effective(r.effective_from, r.effective_to),
                cases[0] if len(cases) == 1 else "(\n    (" + ") ||\n    (".join(cases) + ")\n  )"]
        verdicts = [("FAIL", "context.same_name"), ("REVIEW", "!context.same_name")] \
            if r.effect == "disqualify" else [("REVIEW", "true")]
        for verdict, name_cond in verdicts:
            body = " &&\n  ".join([*cond, name_cond])
            out.append(f'@id("{r.id}|{verdict}")\npermit(principal, action == Action::"flag", resource)\nwhen {{\n  {body}\n}};')
    for p in ruleset.profile:
        if p.check == "min_age":
            assert p.min_age_years is not None
            check = f"{_elapsed('birth')} < {12 * p.min_age_years}"
        else:
            check = f"!context.party_member && context.positions.containsAny([{', '.join(_q(x) for x in p.positions or ())}])"
        body = " &&\n  ".join([check, _effective(p.effective_from, p.effective_to)])
        out.append(f'@id("{p.id}|FAIL")\npermit(principal, action == Action::"profile", resource)\nwhen {{\n  {body}\n}};')
    return "\n\n".join(out) + "\n"


def _dt(d: date) -> dict[str, Any]:
    return {"__extn": {"fn": "datetime", "arg": d.isoformat()}}


def requests(inputs: list[EvalInput]) -> list[tuple[list[dict[str, Any]], list[tuple[int, int]]]]:
    """Per batch of candidates: the Cedar requests, and (candidate index, flag index) of each (-1: profile)."""
    out = []
    for start in range(0, len(inputs), BATCH):
        reqs: list[dict[str, Any]] = []
        refs: list[tuple[int, int]] = []
        for ci in range(start, min(start + BATCH, len(inputs))):
            inp = inputs[ci]
            a = inp.as_of
            as_of = {"as_of": _dt(a), "a_y": a.year, "a_m": a.month, "a_d": a.day,
                     "a_last": (a + timedelta(days=1)).month != a.month}
            c = inp.candidate
            b = c.birth_date
            who = {"type": "Candidate", "id": str(ci)}
            reqs.append({"principal": who, "action": PROFILE_ACTION, "resource": who, "context": {
                **as_of, "birth_y": b.year, "birth_m": b.month, "birth_d": b.day, "party_member": c.party_member,
                "positions": list(c.positions)}})
            refs.append((ci, -1))
            cand_key = name_key(c.name)
            for i, f in enumerate(inp.flags):
                d = f.decided_on
                ctx: dict[str, Any] = {
                    **as_of, "agency": f.agency, "kind": f.kind, "level": f.level, "status": f.status,
                    "decided_on": _dt(d), "dec_y": d.year, "dec_m": d.month, "dec_d": d.day,
                    "term_months": f.term_months or 0, "same_name": name_key(f.name) == cand_key}
                if f.end_date is not None:
                    ctx["end_date"] = _dt(f.end_date)
                flag = {"type": "Flag", "id": f"{ci}/{i}"}
                reqs.append({"principal": who, "action": FLAG_ACTION, "resource": flag, "context": ctx})
                refs.append((ci, i))
        out.append((reqs, refs))
    return out


def measure(ruleset: Ruleset, inputs: list[EvalInput]) -> Measured:
    """Evaluate every candidate's requests with is_authorized_batch, BATCH candidates a call."""
    policy_set = cedarpy.PolicySet.from_str(policies(ruleset))
    entities = cedarpy.Entities.from_json_str("[]")
    work, conv = timed(lambda: requests(inputs))
    results: list[tuple[list[cedarpy.AuthzResult], list[tuple[int, int]]]] = []
    with Clock() as run:
        for reqs, refs in work:
            results.append((cedarpy.is_authorized_batch(reqs, policy_set, entities), refs))
    fired: list[list[tuple[Match, str]]] = [[] for _ in inputs]
    n_requests = 0
    for rs_, refs in results:
        n_requests += len(refs)
        for res, (ci, idx) in zip(rs_, refs, strict=True):
            if res.diagnostics.errors:
                raise RuntimeError(f"Cedar evaluation error for candidate {ci}: {res.diagnostics.errors}")
            for pid in res.diagnostics.reasons:
                rule_id, verdict = res.diagnostics.id_annotations_by_reason[pid].split("|")
                fired[ci].append(((rule_id, idx), verdict))
    answers: list[Answer] = []
    for inp, f in zip(inputs, fired, strict=True):
        verdicts, overall = aggregate(ruleset, inp.attestations, ((m[0], v) for m, v in f))
        answers.append((frozenset(m for m, _ in f), verdicts, overall))
    from importlib.metadata import version
    return Measured(
        system=f"Cedar (cedarpy {version('cedarpy')}) `is_authorized_batch` ({BATCH:,} candidates per call)",
        does="eval only: rule selection, windows (month arithmetic in the policies), name check per flag; "
             "per-agency verdicts in Python",
        n=len(inputs), eval_s=run.wall, eval_cpu_s=run.cpu, convert_s=conv.wall, answers=answers,
        notes=[f"{n_requests:,} requests ({len(inputs):,} profile + {n_requests - len(inputs):,} flag); precomputed in "
               "Python: name keys, dates also as year/month/day integers, whether as_of is its month's last day"])
