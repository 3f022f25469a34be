"""Calendar arithmetic for rule windows: calendar months, whole months elapsed (no clock, no parsing)."""

from __future__ import annotations

from datetime import date

_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def days_in_month(year: int, month: int) -> int:
    """Number of days in a month of the proleptic Gregorian calendar."""
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _MONTH_DAYS[month - 1]


def add_months(d: date, months: int) -> date:
    """Return d plus a number of calendar months, clamping to the month's last day (Jan 31 + 1 = Feb 28/29)."""
    year, month = divmod(d.year * 12 + (d.month - 1) + months, 12)
    month += 1
    return date(year, month, min(d.day, days_in_month(year, month)))


def months_elapsed(start: date, on: date) -> int:
    """Largest m >= 0 with add_months(start, m) <= on (0 when on < start).

    "In force for N months from D" on day x  <=>  D <= x and months_elapsed(D, x) < N.
    add_months(start, m) falls in on's month for m = the months between them, on day
    min(start.day, days of that month): after on exactly when start.day > on.day and on is not
    the month's last day; then m - 1 months (a month earlier) is not after on.
    """
    if on < start:
        return 0
    m = (on.year - start.year) * 12 + (on.month - start.month)
    if m > 0 and start.day > on.day and on.day < days_in_month(on.year, on.month):
        return m - 1
    return m
