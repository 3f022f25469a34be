"""Dates as people type them: ISO dates (strict, for the API's own fields) and the spellings of a spreadsheet
(2023-05-01, 2023/5/1, 2023.5.1, 2023年5月1日, 20230501, full-width digits), within a plausible range."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from eligibility.errors import InvalidInputError

_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def parse_iso(text: str, *, field: str = "date", row: int = 0) -> date:
    """Parse a strict YYYY-MM-DD date (ASCII digits only) or raise InvalidInputError."""
    m = _ISO.match(text) if text.isascii() else None
    if not m:
        raise InvalidInputError(f"{field}: expected a date as YYYY-MM-DD, got {text[:40]!r}", field=field, row=row)
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise InvalidInputError(f"{field}: {text} is not a calendar date", field=field, row=row) from None


_SPELLED = re.compile(r"^(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})\s*日?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
SPELLINGS = "YYYY-MM-DD, YYYY/M/D, YYYY.M.D, YYYY年M月D日 or YYYYMMDD"


def parse_date(text: str, *, field: str = "date", row: int = 0) -> date:
    """Parse a date in one of the SPELLINGS (after NFKC: full-width digits and punctuation fold), or raise
    InvalidInputError naming the field."""
    folded = unicodedata.normalize("NFKC", text).strip() if not text.isascii() else text.strip()
    m = _ISO.match(folded)  # (the common case first)
    if m is None:
        m = (_SPELLED.match(folded) or _COMPACT.match(folded)) if folded.isascii() or "年" in folded else None
    if not m or not all(g.isascii() for g in m.groups()):
        raise InvalidInputError(f"{field}: expected a date ({SPELLINGS}), got {text[:40]!r}", field=field, row=row)
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise InvalidInputError(f"{field}: {text} is not a calendar date", field=field, row=row) from None


EARLIEST = date(1900, 1, 1)
LATEST = date(2199, 12, 31)


def check_plausible(d: date, field: str, row: int = 0) -> date:
    """Refuse dates outside 1900-01-01 .. 2199-12-31 (typos such as 0202-01-01 or 9999-12-31)."""
    if not EARLIEST <= d <= LATEST:
        raise InvalidInputError(f"{field}: {d.isoformat()} is outside {EARLIEST} .. {LATEST}", field=field, row=row)
    return d
