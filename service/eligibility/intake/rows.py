"""Row validation shared by flag and candidate intake: turn text fields into typed values or problems."""

from __future__ import annotations

from datetime import date

from eligibility.errors import InvalidInputError
from eligibility.intake import idnumbers
from eligibility.intake.dates import check_plausible, parse_date
from eligibility.intake.outcomes import FieldProblem
from eligibility.intake.text import INVISIBLE, invisible_in, invisible_message

MAX_TEXT = 200


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
        """A date in one of the spellings of intake.dates, None when blank and optional."""
        raw = raw.strip()
        if not raw:
            if required:
                self.fail(field, f"{field}: missing")
            return None
        try:
            return check_plausible(parse_date(raw, field=field, row=self.row), field, self.row)
        except InvalidInputError as e:
            self.fail(field, e.message)
            return None

    def text(self, raw: str, field: str, *, required: bool, limit: int = MAX_TEXT) -> str:
        """Trimmed text without control or invisible formatting characters (intake/text.py), within a length limit."""
        value = raw.strip()
        if required and not value:
            self.fail(field, f"{field}: missing")
        elif len(value) > limit:
            self.fail(field, f"{field}: longer than {limit} characters ({len(value)})")
            value = ""
        elif INVISIBLE.search(value):
            self.fail(field, invisible_message(field, invisible_in(value)))
            value = ""
        return value
