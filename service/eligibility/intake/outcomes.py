"""What intake says about submitted rows: a validated flag draft, the problems of a field, the outcome of a row."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

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


def encode_outcomes(outcomes: list[RowOutcome]) -> bytes:
    """Row outcomes as compact JSON (what a worker sends back, and what is remembered for an idempotency key)."""
    return orjson.dumps([(o.row, o.key, o.status, o.version, [(e.field, e.message, e.code) for e in o.errors])
                         for o in outcomes])


def decode_outcomes(data: bytes) -> list[RowOutcome]:
    """The row outcomes of encode_outcomes (made by this service, so not validated again)."""
    return [RowOutcome.model_construct(row=row, key=key, status=status, version=version, errors=tuple(
        FieldProblem.model_construct(field=f, message=m, code=c) for f, m, c in errors))
        for row, key, status, version, errors in orjson.loads(data)]
