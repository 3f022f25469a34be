"""The report as CSV (UTF-8 with BOM, for Excel): every text cell formula-safe; the last column is the round's state
(a concluded round's with its conclusion time), the same on every row so that each row stands on its own."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

from eligibility.console.reports.content import Report, safe_text


def write(report: Report, path: Path, advance: Callable[[int], None]) -> None:
    """Write the CSV file."""
    state = report.state()
    with path.open("w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow([*report.header(), report.words["state"]])
        for row in report.rows:
            w.writerow([safe_text(c) for c in (*row, state)])
    advance(len(report.rows))
