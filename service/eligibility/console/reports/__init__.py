"""The joint review report (联审结果 / 联审表) the district office files: XLSX, printable HTML, PDF (with the agencies'
opinions and the signature and seal block), CSV. content.py says what is in it; one module per format lays it out."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from eligibility.console.reports.content import Report

FORMATS = {".xlsx": "xlsx", ".html": "html", ".htm": "html", ".pdf": "pdf", ".csv": "csv"}


def write(report: Report, out: Path, advance: Callable[[int], None] | None = None) -> None:
    """Write the report in the format out's suffix names (FORMATS); advance(n) is called as rows are laid out."""
    from eligibility.console.reports import csvfile, htmlpage, pdf, xlsx
    writer = {"xlsx": xlsx.write, "html": htmlpage.write, "pdf": pdf.write, "csv": csvfile.write}[
        FORMATS[out.suffix.lower()]]
    writer(report, out, advance or (lambda n: None))


__all__ = ["FORMATS", "Report", "write"]
