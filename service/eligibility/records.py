"""Stored records (flags, rounds, candidates, decisions) and canonical bytes."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from typing import Any, Literal, NamedTuple

import orjson
from pydantic import BaseModel, ConfigDict

from .domain import CandidateFacts, EvalInput, FlagFacts, Result
from .errors import RecordError


def canonical(obj: Any) -> bytes:
    """Canonical JSON: sorted keys, no insignificant whitespace, UTF-8 (no floats in our records)."""
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)


def utc_now() -> str:
    """The wall-clock time as RFC 3339 UTC with microseconds (only ever *recorded*, never evaluated)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class _Rec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FlagDraft(_Rec):
    """A validated flag as submitted (before it gets a version)."""

    agency: str
    reference: str
    id_number: str
    name: str
    kind: str
    level: str = ""
    decided_on: date
    end_date: date | None = None
    term_months: int | None = None
    note: str = ""

    def content(self, person_key: str) -> tuple[Any, ...]:
        """What a resubmission must repeat to count as unchanged (the person by keyed hash)."""
        return (person_key, self.name, self.kind, self.level, self.decided_on, self.end_date, self.term_months,
                self.note)


class StoredFlag(_Rec):
    """One version of a flag on record; the raw ID number only sealed."""

    agency: str
    reference: str
    version: int
    status: Literal["active", "retracted"]
    person_key: str
    id_masked: str
    id_sealed: bytes
    name: str
    kind: str
    level: str = ""
    decided_on: date
    end_date: date | None = None
    term_months: int | None = None
    note: str = ""
    reason: str = ""
    recorded_at: str
    versions: int = 1

    def content(self) -> tuple[Any, ...]:
        """Comparable with FlagDraft.content()."""
        return (self.person_key, self.name, self.kind, self.level, self.decided_on, self.end_date, self.term_months,
                self.note)

    def facts(self) -> FlagFacts:
        """The flag as the evaluator reads it."""
        return FlagFacts(
            agency=self.agency, reference=self.reference, version=self.version, status=self.status,
            name=self.name, kind=self.kind, level=self.level, decided_on=self.decided_on,
            end_date=self.end_date, term_months=self.term_months, recorded_at=self.recorded_at,
        )


def candidate_facts(c: StoredCandidate | ScreenRow) -> CandidateFacts:
    """A stored candidate, whichever way it was read, as the evaluator reads it."""
    return CandidateFacts(
        person_key=c.person_key, id_masked=c.id_masked, birth_date=c.birth_date, name=c.name,
        positions=c.positions, party_member=c.party_member, village=c.village, township=c.township,
    )


class StoredCandidate(_Rec):
    """A candidate of a round."""

    round_id: str
    seq: int
    person_key: str
    id_masked: str
    id_sealed: bytes
    name: str
    village: str = ""
    township: str = ""
    positions: tuple[str, ...]
    party_member: bool
    birth_date: date

    def facts(self) -> CandidateFacts:
        """The candidate as the evaluator reads it."""
        return candidate_facts(self)


class ScreenRow(NamedTuple):
    """A candidate as screening reads it: the columns a decision needs, no sealed ID (the hot path)."""

    seq: int
    person_key: str
    id_masked: str
    name: str
    village: str
    township: str
    positions: tuple[str, ...]
    party_member: bool
    birth_date: date

    def facts(self) -> CandidateFacts:
        """The candidate as the evaluator reads it."""
        return candidate_facts(self)


class PreparedDecision(NamedTuple):
    """A decision ready to be logged: its body (the record's canonical bytes) and the columns indexed.

    A record that names its result by hash (result_sha256) comes with that result's canonical
    bytes, logged as a "result" entry before it unless the log already has it.
    """

    decision_id: str
    round_id: str
    person_key: str
    recorded_at: str
    ruleset_hash: str
    body: orjson.Fragment
    result_sha256: str = ""
    result: bytes = b""


class StoredDecision(NamedTuple):
    """A recorded decision as the store returns it."""

    seq: int
    leaf_index: int
    data: bytes
    """Its log entry, exactly as appended."""
    result_index: int = -1
    """The log entry of the shared result its record names by hash (-1: the record holds its result)."""
    result: bytes = b""
    """That entry's bytes."""


class RoundInfo(_Rec):
    """A screening round."""

    round_id: str
    name: str
    as_of: date
    ruleset: str
    created_at: str
    created_by: str
    candidates: int = 0
    attested: dict[str, str] = {}


class DecisionRecord(_Rec):
    """A decision as recorded: what was read, under which ruleset version, and the result."""

    decision_id: str
    round_id: str
    recorded_at: str
    as_of: date
    ruleset_name: str
    ruleset_hash: str
    engine_version: str
    inputs: EvalInput
    result: Result

    @classmethod
    def from_entry(cls, data: bytes, result_entry: bytes = b"") -> DecisionRecord:
        """Parse a decision from its logged entry bytes (and those of the result it names, if it names one)."""
        body = orjson.loads(data)["body"]
        if "result" not in body:
            body["result"] = named_result(body, result_entry)
            del body["result_sha256"]
        return cls.model_validate(body)


def result_sha256(result_canonical: bytes) -> str:
    """The name of a shared result: the SHA-256 of its canonical JSON, hex."""
    return hashlib.sha256(result_canonical).hexdigest()


def logged_result(result_entry: bytes) -> tuple[str, Any]:
    """(name, result) of a "result" log entry: the hash that records name it by, and the result itself."""
    result = orjson.loads(result_entry)["body"]
    return result_sha256(canonical(result)), result


def named_result(body: dict[str, Any], result_entry: bytes) -> Any:
    """The result a decision record names by hash, from that result's log entry (checked against the name)."""
    name = body.get("result_sha256", "")
    if not result_entry:
        raise RecordError(f"decision {body.get('decision_id')} names result {name[:16]}... but its entry is missing")
    logged_name, result = logged_result(result_entry)
    if logged_name != name:
        raise RecordError(f"decision {body.get('decision_id')} names result {name[:16]}..., "
                         "which is not the result logged for it")
    return result


class FieldProblem(_Rec):
    """One problem with one field of one row."""

    field: str
    message: str
    code: str = "INVALID_ARGUMENT"


class RowOutcome(_Rec):
    """What happened to one submitted row."""

    row: int
    key: str
    status: Literal["CREATED", "UNCHANGED", "CORRECTED", "REJECTED"]
    version: int = 0
    errors: tuple[FieldProblem, ...] = ()
