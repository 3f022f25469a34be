"""Dates as people type them: strict ISO dates, clear refusals."""

from __future__ import annotations

import pytest

from eligibility.errors import InvalidInputError
from eligibility.intake.dates import parse_iso


@pytest.mark.parametrize("text", ["2026-02-30", "2025-02-29", "2026/01/01", "20260101", "2026-1-1", "２０２６-01-01", ""])
def test_bad_dates(text: str) -> None:
    with pytest.raises(InvalidInputError):
        parse_iso(text, field="decided_on")
