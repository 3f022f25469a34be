"""Verification by the responsible agency (核实): its conclusion on a REVIEW verdict, and how a decision applies it.

An agency resolves its own REVIEW verdict of a candidate, on the candidate's latest decision and exactly
the flag versions of that agency the decision read (their log entries). The resolution is logged, bound
to that decision; every later decision of the candidate reads it and applies it while it reads those same
flag versions (engine/resolutions.py), else notes it void (a newer version arrived, a flag was retracted
or corrected): the agency verifies again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, NamedTuple

from eligibility.engine.model import FlagFacts, FlagRef, TraceEntry, Verdict
from eligibility.engine.resolutions import RESOLVED, Resolution, resolvable
from eligibility.engine.resolutions import describe as engine_describe
from eligibility.errors import ConflictError, InvalidInputError
from eligibility.ledger.codec import entry_body, parse_decision
from eligibility.ledger.merkle import leaf_hash
from eligibility.ledger.records import DecisionRecord, Ref, StoredDecision, StoredResolution
from eligibility.review.inputs import FlagInputs, ResolutionInputs

OUTCOMES = {"pass": "PASS", "fail": "FAIL"}


class ReviewItem(NamedTuple):
    """One REVIEW verdict of an agency (or one it resolved): the candidate's latest decision and the agency's
    trace entries in it (what is to be verified, any resolution applied or void)."""

    round_id: str
    decision_id: str
    name: str
    id_masked: str
    township: str
    village: str
    verdict: Verdict
    reasons: tuple[TraceEntry, ...]
    not_resolvable: str


def review_item(record: DecisionRecord, agency: str, resolved_too: bool) -> ReviewItem | None:
    """The agency's review item in this decision: its verdict is REVIEW, or (resolved_too) a resolution made it PASS
    or FAIL; None otherwise."""
    verdict = record.result.verdicts.get(agency)
    if verdict is None:
        return None
    reasons = tuple(t for t in record.result.trace if t.agency == agency)
    if verdict != "REVIEW" and not (resolved_too and any(t.rule_id == RESOLVED for t in reasons)):
        return None
    c = record.inputs.candidate
    return ReviewItem(record.round_id, record.decision_id, c.name, c.id_masked, c.township, c.village, verdict,
                      reasons, resolvable(record.result, agency) if verdict == "REVIEW" else "")


def _flag_ref(f: FlagFacts) -> FlagRef:
    return FlagRef(agency=f.agency, reference=f.reference, version=f.version, kind=f.kind, level=f.level,
                   decided_on=f.decided_on.isoformat(), end_date=f.end_date.isoformat() if f.end_date else "")


def agency_refs(agency: str, flags: Sequence[FlagFacts], refs: Sequence[Ref] | Sequence[list[object]]) -> list[Ref]:
    """The entries of the agency's flag versions among those a decision read (flags and refs aligned)."""
    return sorted((int(r[0]), str(r[1])) for f, r in zip(flags, refs, strict=True) if f.agency == agency)  # type: ignore[call-overload]


def describe(r: StoredResolution) -> str:
    """The words of a resolution in a decision's trace."""
    return engine_describe(r.agency, r.handler, r.resolved_at, r.decision_id, r.outcome, r.opinion)


def as_applied(resolved: ResolutionInputs, flags: FlagInputs) -> list[Resolution]:
    """The resolutions a decision reading these flags applies, or notes void (the flag versions changed since)."""
    out = []
    for r, _ in resolved.resolutions:
        now = agency_refs(r.agency, flags.flags, flags.refs)
        saw = sorted((int(p), str(h)) for p, h in r.flags)
        mine = tuple(_flag_ref(f) for f in flags.flags if f.agency == r.agency)
        detail = describe(r)
        if now != saw:
            detail += (f"; void: the {r.agency} records it was made on changed since (it saw entries "
                       f"{[p for p, _ in saw]}, the decision reads {[p for p, _ in now]}): to be verified again")
        out.append(Resolution(r.agency, OUTCOMES[r.outcome], detail, now == saw, mine))  # type: ignore[arg-type]
    return out


def resolution_for(decision: StoredDecision, agency: str, outcome: str, opinion: str, handler: str, now: str,
                   current: FlagInputs) -> StoredResolution:
    """The agency's resolution of its REVIEW verdict in this decision (the candidate's latest), or why it cannot be
    made: the decision reads no bound inputs, the verdict is not a REVIEW the agency may resolve, or the agency's
    records on the person changed since the decision (screen it again first)."""
    if outcome not in OUTCOMES:
        raise InvalidInputError(f"outcome: {outcome!r} is not pass or fail", field="outcome")
    if not opinion:
        raise InvalidInputError("opinion: the agency's written opinion is required (核实意见)", field="opinion")
    record = parse_decision(decision.data, decision.result)
    body = entry_body(decision.data)
    who = f"{record.inputs.candidate.name} ({record.inputs.candidate.id_masked})"
    why_not = resolvable(record.result, agency)
    if why_not:
        raise ConflictError(f"{agency}'s verdict for {who} in decision {record.decision_id} cannot be resolved: "
                            f"{why_not}")
    bound = body.get("bound")
    if not bound:
        raise ConflictError(f"decision {record.decision_id} was recorded before decisions named their inputs in "
                            "the log: screen the candidate again, then resolve")
    saw = agency_refs(agency, record.inputs.flags, bound["flags"])
    holds_now = agency_refs(agency, current.flags, current.refs)
    if saw != holds_now:
        raise ConflictError(f"{agency}'s records on {who} changed since decision {record.decision_id} (it read "
                            f"entries {[p for p, _ in saw]}, the log now holds {[p for p, _ in holds_now]}): screen the "
                            "candidate again (`round screen R --changed`), then resolve what it says")
    c = record.inputs.candidate
    result_outcome: Literal["pass", "fail"] = "pass" if outcome == "pass" else "fail"
    return StoredResolution(round_id=record.round_id, person_key=c.person_key, id_masked=c.id_masked, name=c.name,
                            agency=agency, outcome=result_outcome, opinion=opinion, handler=handler, resolved_at=now,
                            decision_id=record.decision_id, decision=(decision.leaf_index, leaf_hash(decision.data).hex()),
                            flags=tuple(saw))

