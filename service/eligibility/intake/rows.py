"""Row validation shared by flag and candidate intake: turn text fields into typed values or problems."""

from __future__ import annotations

import re
from datetime import date

from eligibility.errors import InvalidInputError
from eligibility.intake import idnumbers
from eligibility.intake.dates import check_plausible, parse_iso
from eligibility.intake.outcomes import FieldProblem

MAX_TEXT = 200
_FORBIDDEN = re.compile("[\x00-\x08\x0a-\x1f\u200b\u200c\u200d\u2060\ufeff\u202e]")  # controls (not tab), zero-width, RTL


class RowChecker:
    """Collects every problem of one row instead of stopping at the first."""

    def __init__(self, row: int) -> None:
        """Start checking the row with this number."""
        self.row = row
        self.problems: list[FieldProblem] = []

    def fail(self, field: str, message: str, code: str = "INVALID_ARGUMENT") -> None:
        """Record a problem with a field."""
        self.problems.append(FieldProblem(field=field, message=f"row {self.row}: {message}", code=code))

    def id_number(self, raw: str, field: str = "id_number") -> str:
        """A valid ID number, or "" with a problem recorded."""
        try:
            return idnumbers.normalize(raw, field=field, row=self.row)
        except InvalidInputError as e:
            self.fail(field, e.message)
            return ""

    def date(self, raw: str, field: str, *, required: bool) -> date | None:
        """A YYYY-MM-DD date, None when blank and optional."""
        raw = raw.strip()
        if not raw:
            if required:
                self.fail(field, f"{field}: missing")
            return None
        try:
            return check_plausible(parse_iso(raw, field=field, row=self.row), field, self.row)
        except InvalidInputError as e:
            self.fail(field, e.message)
            return None

    def text(self, raw: str, field: str, *, required: bool, limit: int = MAX_TEXT) -> str:
        """Trimmed text without control characters, within a length limit."""
        value = raw.strip()
        if required and not value:
            self.fail(field, f"{field}: missing")
        elif len(value) > limit:
            self.fail(field, f"{field}: longer than {limit} characters ({len(value)})")
            value = ""
        elif _FORBIDDEN.search(value):
            self.fail(field, f"{field}: contains control or zero-width characters")
            value = ""
        return value
