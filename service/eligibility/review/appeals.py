"""Appeals (复核): a candidate disputes a decision; the contested agencies answer; the candidate is screened again.

The district opens an appeal against the candidate's latest decision in a round, with the candidate's
reason; it contests the verdicts of every agency that did not PASS them. Each of those agencies answers
once: *uphold* (its record stands) or *revise* (it corrected or retracted the record first, through the
flag commands, so the new screening reads the corrected record). Once all have answered, the district
decides it: the candidate is screened again, the new decision names the appeal's log entry (Bound.appeal)
and so the decision it replaces, and a concluded round's conclusion is amended by a new logged entry
(review/conclusion.py). Every act is a log entry; nothing is rewritten.
"""

from __future__ import annotations

import secrets
from typing import Any

from eligibility.errors import ConflictError, InvalidInputError, PermissionDeniedError, RecordError
from eligibility.ledger.codec import answer_body, appeal_body, entry_holds, parse_decision, ref
from eligibility.ledger.merkle import leaf_hash
from eligibility.ledger.records import Ref, RowEntry, StoredAnswer, StoredAppeal, StoredDecision

ANSWERS = ("uphold", "revise")


def new_appeal(decision: StoredDecision, reason: str, by: str, now: str) -> StoredAppeal:
    """An appeal against this decision (a candidate's latest), contesting every verdict that is not PASS."""
    record = parse_decision(decision.data, decision.result)
    c = record.inputs.candidate
    contested = tuple(a for a, v in record.result.verdicts.items() if v != "PASS")
    if not contested:
        raise ConflictError(f"{c.name} ({c.id_masked}) is {record.result.overall} in decision {record.decision_id}: "
                            "no agency's verdict is against them, there is nothing to appeal")
    return StoredAppeal(appeal_id="A-" + secrets.token_hex(5), round_id=record.round_id, person_key=c.person_key,
                        id_masked=c.id_masked, name=c.name, reason=reason, opened_at=now, by=by,
                        decision_id=record.decision_id, decision=(decision.leaf_index, leaf_hash(decision.data).hex()),
                        agencies=contested)


def answer_for(appeal: StoredAppeal, decided_by: str, answers: list[StoredAnswer], agency: str, answer: str,
               opinion: str, handler: str, now: str) -> StoredAnswer:
    """The agency's answer to an appeal, or why it cannot give one."""
    if answer not in ANSWERS:
        raise InvalidInputError(f"answer: {answer!r} is not uphold or revise", field="answer")
    if agency not in appeal.agencies:
        raise PermissionDeniedError(f"appeal {appeal.appeal_id} contests the verdicts of {', '.join(appeal.agencies)}, "
                                    f"not {agency}'s")
    if decided_by:
        raise ConflictError(f"appeal {appeal.appeal_id} was decided (decision {decided_by}): it takes no more answers")
    if any(a.agency == agency for a in answers):
        raise ConflictError(f"{agency} has already answered appeal {appeal.appeal_id}")
    return StoredAnswer(appeal_id=appeal.appeal_id, agency=agency, answer=answer,  # type: ignore[arg-type]
                        opinion=opinion, handler=handler, answered_at=now)


def unanswered(appeal: StoredAppeal, answers: list[StoredAnswer]) -> list[str]:
    """The contested agencies that have not answered yet."""
    done = {a.agency for a in answers}
    return [a for a in appeal.agencies if a not in done]


def _check_logged(what: str, table: str, body: dict[str, Any], entry: RowEntry) -> None:
    """RecordError unless the row names its log entry and says what it says (an edited row is not acted on)."""
    if entry is None or not entry_holds(entry[2], body):
        raise RecordError(f"{what}: its row in the {table} table "
                          + ("names no log entry" if entry is None else f"differs from its log entry {entry[0]}")
                          + "; the database was edited outside the service: run `eligibility audit check-store`")


def as_logged(appeal: StoredAppeal, entry: RowEntry) -> Ref:
    """The ref of an appeal's log entry, once its row is found to say what the entry says (a decision made for an
    appeal names it)."""
    _check_logged(f"appeal {appeal.appeal_id}", "appeals", appeal_body(appeal), entry)
    assert entry is not None
    return ref(entry[0], entry[1])


def answers_as_logged(answers: list[tuple[StoredAnswer, RowEntry]]) -> list[StoredAnswer]:
    """The answers, once each row is found to say what its log entry says."""
    for a, entry in answers:
        _check_logged(f"the answer of {a.agency} to appeal {a.appeal_id}", "appeal_answers", answer_body(a), entry)
    return [a for a, _ in answers]
