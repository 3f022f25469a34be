"""Rounds: open a round, add its candidates (each person once), record attestations."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Generator, Iterable, Sequence
from typing import NamedTuple

from eligibility.intake import idnumbers
from eligibility.intake.candidates import CandidateRow, Checked, check_candidates
from eligibility.intake.outcomes import FieldProblem, RowOutcome
from eligibility.intake.protect import IdProtector
from eligibility.ledger.codec import candidate_body
from eligibility.ledger.records import StoredCandidate
from eligibility.rules.schema import Ruleset
from eligibility.rules.vocabulary import Vocabulary
from eligibility.store import Store

CHUNK = 10_000
"""Rows of one request checked and stored at a time: what a request holds in memory beyond its own message is one
chunk's rows and outcomes, however many rows it carries."""

Emit = Callable[[list[RowOutcome]], None]
"""Where a request's row outcomes go, a chunk at a time, in row order (e.g. straight into the response)."""


class CheckedChunk(NamedTuple):
    """A chunk of candidate rows checked (nothing stored): its rejections by row position, its valid rows, and each
    valid row's sealed ID number (what the candidates table keeps)."""

    outcomes: dict[int, RowOutcome]
    valid: Checked
    sealed: dict[int, bytes]


Checking = Generator[tuple[Sequence[CandidateRow], CheckedChunk], None, None]
"""Chunks of rows, each with its checks, in order."""

CheckChunks = Callable[[Iterable[Sequence[CandidateRow]]], Checking]
"""Checks chunks of rows (in this process, or in worker processes in parallel): each chunk with its checks, in the
order given."""


def check_chunk(ruleset: Ruleset, vocabulary: Vocabulary, ids: IdProtector, rows: Sequence[CandidateRow]) -> CheckedChunk:
    """Check a chunk of candidate rows and seal the ID number of each valid one (the CPU-bound part of adding them:
    nothing here reads or writes the store, so chunks can be checked in parallel)."""
    outcomes, valid = check_candidates(ruleset, vocabulary, ids, rows)
    return CheckedChunk(outcomes, valid, {i: ids.seal(id_number) for i, (id_number, _, _) in valid.items()})


def add_candidates(store: Store, ruleset: Ruleset, vocabulary: Vocabulary, ids: IdProtector, round_id: str,
                   rows: Sequence[CandidateRow], emit: Emit, check: CheckChunks | None = None,
                   chunk: int = CHUNK) -> None:
    """Validate and add candidates to a round, a chunk at a time in one transaction (a request is stored whole or
    not at all); valid rows are kept, a person appears once per round, in the order of the rows.

    check: how chunks of `chunk` rows are checked (default: here, one after the other); they are added in row order
    whatever checks them.
    """
    def in_process(chunks: Iterable[Sequence[CandidateRow]]) -> Checking:
        return ((part, check_chunk(ruleset, vocabulary, ids, part)) for part in chunks)

    checked = (check or in_process)(rows[lo:lo + chunk] for lo in range(0, max(len(rows), 1), chunk))
    try:
        first = next(checked)  # (most requests: checked before the lock)
        with store.transaction():  # sequence numbers and duplicates checked against what is committed
            added = _Added(store.next_candidate_seq(round_id))
            emit(_add(store, round_id, *first, added))
            for part, done in checked:
                emit(_add(store, round_id, part, done, added))
    finally:
        checked.close()  # chunks still being checked elsewhere are not waited for


def check_candidate_rows(store: Store | None, ruleset: Ruleset, vocabulary: Vocabulary, ids: IdProtector,
                         round_id: str, rows: Sequence[CandidateRow], emit: Emit) -> None:
    """What add_candidates would do with the rows now (store None: a round not created yet), storing nothing."""
    seen: dict[str, int] = {}
    for lo in range(0, max(len(rows), 1), CHUNK):
        chunk = rows[lo:lo + CHUNK]
        outcomes, valid = check_candidates(ruleset, vocabulary, ids, chunk)
        existing = store.existing_candidates(round_id, [pk for _, pk, _ in valid.values()]) if store else {}
        for i, (id_number, pk, _) in valid.items():
            row, masked = chunk[i].row, idnumbers.mask(id_number)
            problem = (FieldProblem("id_number", f"row {row}: id_number: already a candidate of this round",
                                    "ALREADY_EXISTS") if pk in existing else
                       FieldProblem("id_number", f"row {row}: id_number: same person as row {seen[pk]}; list a person "
                                    "once with all positions joined by +") if pk in seen else None)
            seen.setdefault(pk, row)
            outcomes[i] = RowOutcome(row=row, key=masked, status="REJECTED", errors=(problem,)) if problem else \
                RowOutcome(row=row, key=masked, status="CREATED")
        emit([outcomes[i] for i in range(len(chunk))])


class _Added:
    """The candidates one request added so far: the source row of each, by sequence number (4 bytes a row), so a
    person listed twice in different chunks is told "same person as row N" as within one."""

    def __init__(self, start: int) -> None:
        self.start = start
        self.rows = array("i")

    @property
    def next_seq(self) -> int:
        return self.start + len(self.rows)

    def row_of(self, seq: int) -> int | None:
        """The request's row that added candidate seq (None: an earlier request did)."""
        return self.rows[seq - self.start] if seq >= self.start else None


def _add(store: Store, round_id: str, rows: Sequence[CandidateRow], checked: CheckedChunk,
         added: _Added) -> list[RowOutcome]:
    outcomes, valid, sealed = checked
    existing = store.existing_candidates(round_id, [pk for _, pk, _ in valid.values()])
    new: list[StoredCandidate] = []
    for i, (id_number, pk, fields) in valid.items():
        masked = idnumbers.mask(id_number)
        if pk in existing:
            earlier = added.row_of(existing[pk])
            message = (f"row {rows[i].row}: id_number: already a candidate of this round" if earlier is None else
                       f"row {rows[i].row}: id_number: same person as row {earlier}; list a person once with all "
                       "positions joined by +")
            outcomes[i] = RowOutcome(row=rows[i].row, key=masked, status="REJECTED", errors=(FieldProblem(
                field="id_number", message=message, code="ALREADY_EXISTS" if earlier is None else "INVALID_ARGUMENT"),))
            continue
        seq = added.next_seq
        new.append(StoredCandidate(round_id=round_id, seq=seq, person_key=pk, id_masked=masked,
                                   id_sealed=sealed[i], **fields._asdict()))
        outcomes[i] = RowOutcome(row=rows[i].row, key=masked, status="CREATED", version=seq)
        added.rows.append(rows[i].row)
    store.add_candidates(new, [candidate_body(c) for c in new])
    return [outcomes[i] for i in range(len(rows))]
