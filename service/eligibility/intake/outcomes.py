"""What intake says about submitted rows: a validated flag draft, the problems of a field, the outcome of a row."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal, NamedTuple

import orjson
from pydantic import BaseModel, ConfigDict


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


class FieldProblem(NamedTuple):
    """One problem with one field of one row."""

    field: str
    message: str
    code: str = "INVALID_ARGUMENT"


class RowOutcome(NamedTuple):
    """What happened to one submitted row (a plain tuple: one is made for every row of a million)."""

    row: int
    key: str
    status: Literal["CREATED", "UNCHANGED", "CORRECTED", "REJECTED"]
    version: int = 0
    errors: tuple[FieldProblem, ...] = ()


def encode_outcomes(outcomes: list[RowOutcome]) -> bytes:
    """Row outcomes as compact JSON (what a worker sends back, and what is remembered for an idempotency key)."""
    return orjson.dumps([(o.row, o.key, o.status, o.version, [(e.field, e.message, e.code) for e in o.errors])
                         for o in outcomes])


def decode_outcomes(data: bytes) -> list[RowOutcome]:
    """The row outcomes of encode_outcomes."""
    return [RowOutcome(row, key, status, version, tuple(FieldProblem(*e) for e in errors) if errors else ())
            for row, key, status, version, errors in orjson.loads(data)]
