"""Verdicts held for a store mismatch: an input whose table row differs from its log entry.

The server evaluates what the log says; where a row it read says otherwise (the database was edited
outside the service), it holds the verdicts that input feeds at REVIEW, with a ``STORE-MISMATCH``
trace entry naming the input, until someone finds out why. A hold never makes a verdict better than
the log's inputs make it (a FAIL stays a FAIL). The holds are part of the recorded result, so replay
evaluates the inputs again and applies the holds the record names.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from eligibility.engine.model import Result, TraceEntry, Verdict, overall_of

STORE_MISMATCH = "STORE-MISMATCH"
EVERY = "*"
"""A hold on every agency and the profile check (the candidate's own row differs)."""

_SEVERITY = {"FAIL": 0, "REVIEW": 1, "PENDING": 2, "PASS": 3}


class Hold(NamedTuple):
    """One input whose row differs from its entry, and whose verdict it holds (an agency, or EVERY)."""

    agency: str
    detail: str


def holds_in(trace: Iterable[TraceEntry] | Iterable[dict[str, Any]]) -> list[Hold]:
    """The holds a recorded result names (from the model or its JSON), in trace order."""
    out = []
    for t in trace:
        rule_id, agency, detail = ((t["rule_id"], t["agency"], t["detail"]) if isinstance(t, dict)
                                   else (t.rule_id, t.agency, t.detail))
        if rule_id == STORE_MISMATCH:
            out.append(Hold(agency, detail))
    return out


def hold(result: Result, holds: Sequence[Hold], ruleset_hash: str) -> Result:
    """The result with each held agency's verdict at REVIEW or worse and a STORE-MISMATCH entry in its trace.

    A hold on EVERY is recorded once per agency (each column says why it is held)."""
    if not holds:
        return result
    added: dict[str, list[TraceEntry]] = {}
    for h in holds:
        for agency in (result.verdicts if h.agency == EVERY else (h.agency,)):
            if agency in result.verdicts:  # (an agency this ruleset does not ask has no verdict to hold)
                added.setdefault(agency, []).append(TraceEntry(
                    agency=agency, verdict="REVIEW", rule_id=STORE_MISMATCH, effect="store_mismatch", detail=h.detail,
                    ruleset_hash=ruleset_hash))
    verdicts: dict[str, Verdict] = {
        agency: "REVIEW" if agency in added and _SEVERITY[verdict] > _SEVERITY["REVIEW"] else verdict
        for agency, verdict in result.verdicts.items()}
    trace: list[TraceEntry] = []
    for agency in verdicts:  # the trace stays grouped by agency, in the result's order
        entries = [t for t in result.trace if t.agency == agency] + added.get(agency, [])
        trace += sorted(entries, key=lambda e: (_SEVERITY[e.verdict], e.rule_id, [f.reference for f in e.flags]))
    return Result(overall=overall_of(verdicts), verdicts=verdicts, trace=tuple(trace))
