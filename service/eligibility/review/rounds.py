"""Rounds: open a round, add its candidates (each person once), record attestations."""

from __future__ import annotations

from collections.abc import Sequence

from eligibility.intake import idnumbers
from eligibility.intake.candidates import CandidateFields, CandidateRow, check_candidates
from eligibility.intake.outcomes import FieldProblem, RowOutcome
from eligibility.intake.protect import IdProtector
from eligibility.ledger.codec import candidate_body
from eligibility.ledger.records import StoredCandidate
from eligibility.rules.schema import Ruleset
from eligibility.rules.vocabulary import Vocabulary
from eligibility.store import Store


def add_candidates(store: Store, ruleset: Ruleset, vocabulary: Vocabulary, ids: IdProtector, round_id: str,
                   rows: Sequence[CandidateRow]) -> list[RowOutcome]:
    """Validate and add candidates to a round; valid rows are kept, a person appears once per round."""
    outcomes, valid = check_candidates(ruleset, vocabulary, ids, rows)
    with store.transaction():  # sequence numbers and duplicates checked against what is committed
        return _add(store, ids, round_id, rows, outcomes, valid)


def _add(store: Store, ids: IdProtector, round_id: str, rows: Sequence[CandidateRow],
         outcomes: dict[int, RowOutcome], valid: dict[int, tuple[str, str, CandidateFields]]) -> list[RowOutcome]:
    existing = store.existing_candidates(round_id, [pk for _, pk, _ in valid.values()])
    seq = store.next_candidate_seq(round_id)
    new: list[StoredCandidate] = []
    for i, (id_number, pk, fields) in valid.items():
        masked = idnumbers.mask(id_number)
        if pk in existing:
            outcomes[i] = RowOutcome(row=rows[i].row, key=masked, status="REJECTED", errors=(FieldProblem(
                field="id_number", message=f"row {rows[i].row}: id_number: already a candidate of this round",
                code="ALREADY_EXISTS"),))
            continue
        new.append(StoredCandidate(round_id=round_id, seq=seq, person_key=pk, id_masked=masked,
                                   id_sealed=ids.seal(id_number), **fields.model_dump()))
        outcomes[i] = RowOutcome(row=rows[i].row, key=masked, status="CREATED", version=seq)
        seq += 1
    store.add_candidates(new, [candidate_body(c) for c in new])
    return [outcomes[i] for i in range(len(rows))]
