"""Resident ID numbers (GB 11643-1999): validation, birth date, masking."""

from __future__ import annotations

import unicodedata
from datetime import date

from eligibility.errors import InvalidInputError

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_WEIGHT_SUM = sum(_WEIGHTS)


def check_digit(first17: str) -> str:
    """Return the GB 11643 check character for 17 ASCII digits."""
    d = first17.encode()
    total = sum(map(int.__mul__, d, _WEIGHTS)) - 48 * _WEIGHT_SUM  # ASCII '0' is 48
    return _CHECK[total % 11]


def mask(id_number: str) -> str:
    """Mask an ID number: first 6 and last 4 characters kept (110101********123X)."""
    if len(id_number) < 10:
        return "*" * len(id_number)
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]


def normalize(raw: str, *, field: str = "id_number", row: int = 0) -> str:
    """Validate an 18-character ID number and return it normalised (upper-case X).

    Full-width digits and letters are folded to ASCII (NFKC, as a spreadsheet typed in a Chinese input method
    holds them) and surrounding spaces ignored; anything else that is not an ASCII digit (zero-width characters,
    letters other than a final X) is rejected.
    """
    value = unicodedata.normalize("NFKC", raw).strip(" \t") if not raw.isascii() else raw.strip(" \t")
    shown = mask(value) if value.isascii() else "(non-ASCII text)"
    if not value:
        raise InvalidInputError(f"{field}: missing", field=field, row=row)
    if not value.isascii():
        raise InvalidInputError(
            f"{field}: must be ASCII digits 0-9 (with a final X); found non-ASCII characters",
            field=field, row=row,
        )
    if len(value) != 18:
        raise InvalidInputError(f"{field}: must have 18 characters, has {len(value)} ({shown})", field=field, row=row)
    body, last = value[:17], value[17].upper()
    if not body.isdigit() or not (last.isdigit() or last == "X"):
        raise InvalidInputError(
            f"{field}: must be 17 digits followed by a digit or X ({shown})", field=field, row=row
        )
    birth_date_of(body + last, field=field, row=row)
    expected = check_digit(body)
    if last != expected:
        raise InvalidInputError(f"{field}: check digit is wrong ({shown})", field=field, row=row)
    return body + last


def birth_date_of(id_number: str, *, field: str = "id_number", row: int = 0) -> date:
    """Return the birth date encoded in positions 7-14, or raise if it is impossible."""
    digits = id_number[6:14]
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise InvalidInputError(
            f"{field}: birth date {digits} in the ID number is not a calendar date ({mask(id_number)})",
            field=field, row=row,
        ) from None
    if born.year < 1900:
        raise InvalidInputError(f"{field}: birth year {born.year} is implausible ({mask(id_number)})", field=field, row=row)
    return born
