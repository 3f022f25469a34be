"""Calendar months: D + N months, and whole months elapsed, agree on every day."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from eligibility.engine.calendar import add_months, months_elapsed


def test_examples_from_the_mission() -> None:
    assert add_months(date(2025, 12, 1), 12) == date(2026, 12, 1)
    assert add_months(date(2025, 8, 1), 18) == date(2027, 2, 1)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2080, 1, 1)),
       st.dates(min_value=date(1950, 1, 1), max_value=date(2090, 1, 1)), st.integers(1, 120))
def test_elapsed_months_agrees_with_add_months(start: date, on: date, n: int) -> None:
    in_force_by_end = start <= on < add_months(start, n)
    in_force_by_elapsed = start <= on and months_elapsed(start, on) < n
    assert in_force_by_end == in_force_by_elapsed


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2080, 1, 1)), st.integers(1, 120))
def test_last_day_and_first_lapsed_day(start: date, n: int) -> None:
    end = add_months(start, n)
    assert months_elapsed(start, end - timedelta(days=1)) == n - 1
    assert months_elapsed(start, end) == n




def _add_months_by_calendar(d: date, months: int) -> date:
    """An independent definition: the standard library's calendar for the month length."""
    import calendar
    year, month = divmod(d.year * 12 + d.month - 1 + months, 12)
    return date(year, month + 1, min(d.day, calendar.monthrange(year, month + 1)[1]))


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2190, 1, 1)), st.integers(0, 120))
def test_add_months_agrees_with_the_calendar(start: date, n: int) -> None:
    assert add_months(start, n) == _add_months_by_calendar(start, n)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2190, 1, 1)),
       st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 1, 1)))
def test_months_elapsed_is_the_largest_whole_month(start: date, on: date) -> None:
    m = months_elapsed(start, on)
    if on < start:
        assert m == 0
    else:
        assert _add_months_by_calendar(start, m) <= on < _add_months_by_calendar(start, m + 1)
