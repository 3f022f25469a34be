"""ID numbers: GB 11643 check digit, length, ASCII digits, impossible dates, masking."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eligibility.errors import InvalidInputError
from eligibility.intake import idnumbers

VALID = "11010519491231002X"  # the standard's own example


def test_standard_example_is_valid() -> None:
    assert idnumbers.normalize(VALID) == VALID
    assert idnumbers.normalize(VALID.lower()) == VALID
    assert idnumbers.birth_date_of(VALID) == date(1949, 12, 31)


def test_full_width_digits_and_x_are_folded_to_ascii() -> None:
    """A number typed with a Chinese input method's full-width digits is the same number (NFKC)."""
    assert idnumbers.normalize("１１０１０５１９４９１２３１００２Ｘ") == VALID
    assert idnumbers.normalize("　１１０１０５１９４９１２３１００２ｘ　") == VALID  # ideographic spaces around


@pytest.mark.parametrize("raw, fragment", [
    ("11010519491231002", "18 characters"),
    ("1101051949123100200", "18 characters"),
    ("110105194912310021", "check digit"),
    ("１１０１０５１９４９１２３１００２Ｘ\u200b", "ASCII"),  # folded to ASCII, but a zero-width space stays
    ("11010519491231\u200b002X", "ASCII"),
    ("110105200002300013", "not a calendar date"),   # Feb 30
    ("110105201902290013", "not a calendar date"),   # Feb 29 of a common year
    ("11010518000101001X", "implausible"),
    ("", "missing"),
    ("1101051949123100AX", "17 digits"),
])
def test_bad_id_numbers_are_rejected_with_reason(raw: str, fragment: str) -> None:
    with pytest.raises(InvalidInputError) as e:
        idnumbers.normalize(raw, row=7)
    assert fragment in e.value.message
    assert e.value.field == "id_number" and e.value.row == 7
    digits = "".join(ch for ch in raw if ch.isascii() and ch.isdigit())
    assert len(digits) < 14 or digits[:14] not in e.value.message  # never echo a raw ID number


def test_mask_keeps_first_six_and_last_four() -> None:
    assert idnumbers.mask(VALID) == "110105********002X"


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)), st.integers(0, 999))
def test_generated_ids_round_trip(born: date, seq: int) -> None:
    body = f"330102{born:%Y%m%d}{seq:03d}"
    full = body + idnumbers.check_digit(body)
    assert idnumbers.normalize(full) == full
    assert idnumbers.birth_date_of(full) == born
    wrong = body + ("0" if full[-1] != "0" else "1")
    with pytest.raises(InvalidInputError):
        idnumbers.normalize(wrong)


def test_the_invisible_class_is_exactly_unicode_cc_and_cf_but_the_tab() -> None:
    import sys
    import unicodedata

    from eligibility.intake.text import INVISIBLE, invisible_in
    for cp in range(sys.maxunicode + 1):
        ch = chr(cp)
        want = unicodedata.category(ch) in ("Cc", "Cf") and ch != "\t"
        assert bool(INVISIBLE.fullmatch(ch)) is want, hex(cp)
    assert invisible_in("张\u200e三") == "U+200E LEFT-TO-RIGHT MARK"
    assert invisible_in("a\x85") == "U+0085 control character" and invisible_in("张三\t") == ""
