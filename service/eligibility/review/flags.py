"""Flags on record: store a checked submission (create, keep idempotently, correct) and retract versions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

from eligibility.errors import InvalidInputError, NotFoundError
from eligibility.intake.flags import FlagRow, Submission, flag_version
from eligibility.intake.outcomes import FieldProblem, RowOutcome, decode_outcomes, encode_outcomes
from eligibility.intake.text import NOTE_LIMIT, clean_text
from eligibility.ledger.codec import FirstVersion, flag_body
from eligibility.ledger.records import StoredFlag
from eligibility.review import clock
from eligibility.review.idempotency import run_once
from eligibility.store import Store


def store_submission(store: Store, sub: Submission) -> list[RowOutcome]:
    """Create, keep or correct the versions of a checked submission in one transaction; one outcome per row.

    The agency's reference is the idempotency key: the same content again is UNCHANGED; different
    content for an existing reference is a conflict unless submitted as a correction. Only what
    needs the records on file happens under the write lock; the outcomes are built after it.
    """
    with store.transaction():  # the latest versions read are the ones the new versions follow
        done, new, first, now = _plan(store, sub)
        store.append_first_versions([v.flag for v in first], [v.logged(now) for v in first], now)
        store.append_flag_versions(new, [flag_body(f) for f in new])
    return _outcomes(sub, done)


def check_submission(store: Store, sub: Submission) -> list[RowOutcome]:
    """What store_submission would do with a checked submission now, storing nothing (a dry run)."""
    return _outcomes(sub, _plan(store, sub)[0])


def _outcomes(sub: Submission, done: dict[int, tuple[str, int, tuple[str, str] | None]]) -> list[RowOutcome]:
    outcomes = dict(sub.outcomes)
    for i, (status, version, problem) in done.items():
        row, key = sub.rows[i].row, sub.drafts[i].reference
        outcomes[i] = (_reject(row, key, "reference", *problem) if problem else
                       RowOutcome(row=row, key=key, status=status, version=version))  # type: ignore[arg-type]
    return [outcomes[i] for i in range(len(sub.rows))]


Idempotency = tuple[str, str, str]
"""(role, key, request digest) of a request that carries an idempotency key."""

REMEMBERED_AS = "SubmitFlags/outcomes"
"""The method name a submission's remembered outcomes are kept under (encoded by intake.outcomes)."""


def store_submission_once(store: Store, sub: Submission,
                          idempotency: Idempotency | None) -> tuple[list[RowOutcome], bool]:
    """Store a checked submission once per idempotency key: (its outcomes, whether it was stored now).

    A request seen before gets the outcomes remembered for its key, in whichever process it ran.
    """
    if idempotency is None:
        return store_submission(store, sub), True
    role, key, digest = idempotency
    made: list[RowOutcome] = []

    def write() -> bytes:
        made.extend(store_submission(store, sub))
        return encode_outcomes(made)
    data = run_once(store, role, key, REMEMBERED_AS, digest, write)
    return (made, True) if made else (decode_outcomes(data), False)


Planned = tuple[dict[int, tuple[str, int, tuple[str, str] | None]], list[StoredFlag], list[FirstVersion], str]
"""(row position -> (status, version, or the (message, code) of a refusal), the new versions of existing flags, the
first versions of new ones, the time they are recorded at)."""


def _plan(store: Store, sub: Submission) -> Planned:
    """What a submission does against the flags on record (read inside the transaction that writes it)."""
    drafts, keys, correction = sub.drafts, sub.keys, sub.correction
    heads = store.flag_heads(sub.agency, [d.reference for d in drafts.values()])
    now = clock.utc_now()
    new: list[StoredFlag] = []
    first: list[FirstVersion] = []
    done: dict[int, tuple[str, int, tuple[str, str] | None]] = {}
    for i, d in drafts.items():
        head = heads.get(d.reference)
        if head is None:
            if correction:
                done[i] = ("REJECTED", 0, (f"no flag {d.reference} on record to correct", "NOT_FOUND"))
            else:
                first.append(sub.first[i])
                done[i] = ("CREATED", 1, None)
            continue
        elif head.content() == d.content(keys[i]) and head.status == "active":
            done[i] = ("UNCHANGED", head.version, None)
            continue
        elif not correction:
            what = "was retracted" if head.status == "retracted" else "is on record with different content"
            done[i] = ("REJECTED", 0, (f"flag {d.reference} {what} (version {head.version}); submit it as a "
                                       f"correction with a reason to change it", "FAILED_PRECONDITION"))
            continue
        new.append(flag_version(sub, i, head.version + 1, now))
        done[i] = ("CORRECTED", head.version + 1, None)
    return done, new, first, now


class Tally(NamedTuple):
    """What a submission did, for metrics and the refusal log: rows by status, and the refused rows."""

    statuses: dict[str, int]
    refused: list[tuple[str, str]]  # (reference, message) of rows refused as another agency's kind


def tally(outcomes: Sequence[RowOutcome]) -> Tally:
    """Count a submission's outcomes."""
    statuses: dict[str, int] = {}
    refused: list[tuple[str, str]] = []
    for o in outcomes:
        statuses[o.status] = statuses.get(o.status, 0) + 1
        refused += [(o.key, e.message) for e in o.errors if e.code == "PERMISSION_DENIED"]
    return Tally(statuses, refused)


def _reject(row: int, key: str, field: str, message: str, code: str) -> RowOutcome:
    return RowOutcome(row=row, key=key, status="REJECTED",
                      errors=(FieldProblem(field=field, message=f"row {row}: {message}", code=code),))


def retract_flag(store: Store, agency: str, reference: str, reason: str) -> tuple[StoredFlag, bool]:
    """Retract one of the agency's flags (a new version); (latest version, whether anything changed)."""
    reason = clean_text(reason, "reason", limit=NOTE_LIMIT)
    if not reason:
        raise InvalidInputError("a retraction needs a reason", field="reason")
    with store.transaction():
        head = store.flag_heads(agency, [reference]).get(reference)
        if head is None:
            raise NotFoundError(f"{agency} has no flag with reference {reference!r}", field="reference")
        if head.status == "retracted":
            return head, False
        new = head.model_copy(update={"version": head.version + 1, "status": "retracted", "reason": reason,
                                      "recorded_at": clock.utc_now(), "versions": head.version + 1})
        store.append_flag_versions([new], [flag_body(new)])
        return new, True


__all__ = ["REMEMBERED_AS", "Idempotency", "Tally", "check_submission", "retract_flag", "store_submission",
           "store_submission_once", "tally"]


class Repeats:
    """The references stored by earlier chunks of one submission: a later row with one of them is refused as a row
    repeated within one chunk is ("duplicate of row N in this submission"), before it reaches the store."""

    def __init__(self) -> None:
        """Nothing seen yet."""
        self.first: dict[str, int] = {}

    def split(self, chunk: Sequence[FlagRow]) -> tuple[list[FlagRow], Callable[[list[RowOutcome]], list[RowOutcome]]]:
        """(the rows of chunk to submit, a function turning their outcomes into the whole chunk's, in row order)."""
        fresh: list[FlagRow] = []
        refused: dict[int, RowOutcome] = {}
        for i, r in enumerate(chunk):
            key = r.reference.strip()
            row = self.first.get(key)
            if row is None:
                fresh.append(r)
            else:
                refused[i] = RowOutcome(row=r.row, key=key, status="REJECTED", errors=(FieldProblem(
                    field="reference", message=f"row {r.row}: reference: duplicate of row {row} in this submission"),))

        def merge(outcomes: list[RowOutcome]) -> list[RowOutcome]:
            it = iter(outcomes)
            whole = [refused[i] if i in refused else next(it) for i in range(len(chunk))]
            for o in whole:
                if o.status != "REJECTED":
                    self.first.setdefault(o.key, o.row)
            return whole
        return fresh, merge
