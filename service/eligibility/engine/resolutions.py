"""Verdicts the responsible agency verified: a REVIEW (待核实) concluded PASS or FAIL by a person.

The engine cannot decide whether a record with another name is the same person, or whether a
complaint is substantiated; the agency whose record it is can, and says so with its opinion
(review.resolutions records it, bound to the flag versions it saw). Screening then applies the
agency's conclusion on top of the evaluation: the agency's verdict becomes PASS or FAIL with a
``RESOLVED`` trace entry, as long as the decision reads exactly those flag versions and the agency's
verdict is still REVIEW. Otherwise the conclusion is void: the verdict stays as evaluated, with a
``RESOLUTION-VOID`` entry saying why. Like holds (engine/holds.py), both entries are part of the
recorded result, so replay evaluates the inputs again and applies what the record names.

An engine disagreement or a store mismatch is a defect to fix, never a question for an agency: a
verdict held for one cannot be resolved.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from eligibility.engine.model import FlagRef, Result, TraceEntry, Verdict, overall_of

RESOLVED = "RESOLVED"
VOID = "RESOLUTION-VOID"
UNRESOLVABLE = frozenset({"ENGINE-DISAGREEMENT", "STORE-MISMATCH"})
"""REVIEW entries no agency may resolve: they are defects (of the engine, of the database) to fix."""



class Resolution(NamedTuple):
    """An agency's conclusion as a decision applies it: the verdict it gives, the words of the trace entry, whether
    it applies to what the decision read (False: void, and detail says why), the flag versions it concerns."""

    agency: str
    outcome: Verdict
    detail: str
    applies: bool
    flags: tuple[FlagRef, ...] = ()


def describe(agency: str, handler: str, resolved_at: str, decision_id: str, outcome: str, opinion: str) -> str:
    """The words of a resolution in a decision's trace (what `void:` may follow)."""
    return (f"verified by {agency}" + (f" (handler {handler})" if handler else "") + f" at {resolved_at} "
            f"on decision {decision_id}: {outcome.upper()}; opinion: {opinion}")


class Described(NamedTuple):
    """What the words of a RESOLVED entry say (describe), read back for reports."""

    agency: str
    handler: str
    resolved_at: str
    decision_id: str
    outcome: str
    opinion: str


_DESCRIBED = re.compile(r"verified by (?P<agency>\S+)(?: \(handler (?P<handler>.*?)\))? at (?P<at>\S+) on decision "
                        r"(?P<decision>\S+): (?P<outcome>PASS|FAIL); opinion: (?P<opinion>.*)", re.S)


def described(detail: str) -> Described | None:
    """The parts of a RESOLVED entry's words (None: not words describe made)."""
    m = _DESCRIBED.fullmatch(detail)
    if m is None:
        return None
    return Described(m["agency"], m["handler"] or "", m["at"], m["decision"], m["outcome"], m["opinion"])


def resolutions_in(trace: Iterable[TraceEntry] | Iterable[dict[str, Any]]) -> list[Resolution]:
    """The resolutions a recorded result names (from the model or its JSON), in trace order."""
    out = []
    for t in trace:
        if isinstance(t, dict):
            rule_id, agency, verdict, detail = t["rule_id"], t["agency"], t["verdict"], t["detail"]
            flags = tuple(FlagRef.model_validate(f) for f in t["flags"])
        else:
            rule_id, agency, verdict, detail, flags = t.rule_id, t.agency, t.verdict, t.detail, t.flags
        if rule_id in (RESOLVED, VOID):
            out.append(Resolution(agency, verdict, detail, rule_id == RESOLVED, flags))
    return out


def resolvable(result: Result, agency: str) -> str:
    """Why the agency's verdict in this result cannot be resolved ("" if it can)."""
    verdict = result.verdicts.get(agency)
    if verdict != "REVIEW":
        return f"its verdict is {verdict or 'not asked'}, not REVIEW (待核实): there is nothing to verify"
    defects = sorted({t.rule_id for t in result.trace if t.agency == agency and t.rule_id in UNRESOLVABLE})
    if defects:
        return (f"its REVIEW is a {' and a '.join(d.lower().replace('-', ' ') for d in defects)}: a defect to fix, "
                "not a question for the agency")
    return ""


def resolve(result: Result, resolutions: Sequence[Resolution], ruleset_hash: str) -> Result:
    """The result with each resolution applied (the agency's verdict PASS or FAIL, a RESOLVED entry) where it
    applies and the agency's verdict is resolvable, else noted as void (a RESOLUTION-VOID entry, the verdict as it
    was). Apply before holds: a store mismatch found later still holds the verdict."""
    if not resolutions:
        return result
    verdicts: dict[str, Verdict] = dict(result.verdicts)
    added: dict[str, list[TraceEntry]] = {}
    for r in resolutions:
        if r.agency not in verdicts:
            continue
        why_not = resolvable(result, r.agency) if r.applies else ""
        if r.applies and not why_not:
            verdicts[r.agency] = r.outcome
            entry = TraceEntry(agency=r.agency, verdict=r.outcome, rule_id=RESOLVED, effect="resolved",
                               detail=r.detail, flags=r.flags, ruleset_hash=ruleset_hash)
        else:
            detail = f"{r.detail}; void: {why_not}" if why_not else r.detail
            entry = TraceEntry(agency=r.agency, verdict=result.verdicts[r.agency], rule_id=VOID,
                               effect="resolution_void", detail=detail, flags=r.flags, ruleset_hash=ruleset_hash)
        added.setdefault(r.agency, []).append(entry)
    trace: list[TraceEntry] = []
    for agency in verdicts:  # grouped by agency, in the result's order; the conclusion after what it concluded on
        trace += [t for t in result.trace if t.agency == agency] + added.get(agency, [])
    return Result(overall=overall_of(verdicts), verdicts=verdicts, trace=tuple(trace))


__all__ = ["RESOLVED", "UNRESOLVABLE", "VOID", "Resolution", "describe", "resolutions_in", "resolvable", "resolve"]
