"""The report as an XLSX workbook: the results sheet set up to print (A4 landscape, fit to width, the header rows
repeated, 第&P页 共&N页), with an autofilter and a numeric 序号; the agencies' opinions with the signature block; a
summary sheet with a chart. Written row by row in openpyxl's write-only mode: the cost is linear in the rows and the
memory one row's."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from eligibility.console import labels
from eligibility.console.reports.content import FILL, RESULTS, VERDICTS, Report, safe_text

PAPER_A4 = "9"
"""The paper size code of A4 (ECMA-376 ST_PaperSize)."""
HEADER_ROW = 3
"""The results sheet: title in row 1, the round's line in row 2, the column headers in row 3, candidates from row 4."""


def write(report: Report, path: Path, advance: Callable[[int], None]) -> None:
    """Write the workbook."""
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]
    from openpyxl.styles import Alignment, Font, PatternFill  # type: ignore[import-untyped]
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    W, V, OV = report.words, labels.VERDICT[report.lang], labels.OVERALL[report.lang]
    columns = report.columns
    wb = Workbook(write_only=True)
    wb.properties.title = f"{W['title']} {report.round['name']}"
    wb.properties.creator = "eligibility"
    ws = wb.create_sheet(W["results"])
    header = report.header()
    widths = [6, 12, 12, 10, 21, 18, *([9] * len(columns)), 10, 80]
    for i, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = w
    last = get_column_letter(len(header))
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.auto_filter.ref = f"A{HEADER_ROW}:{last}{HEADER_ROW + len(report.rows)}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = PAPER_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.oddFooter.center.text = W["page"].replace("{page}", "&P").replace("{pages}", "&N")
    ws.oddFooter.right.text = f"{report.round['round_id']} {W['generated']} {report.generated}"

    def cell(value: Any, **style: Any) -> Any:
        c = WriteOnlyCell(ws, value=value)
        for k, v in style.items():
            setattr(c, k, v)
        return c

    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    fills = {k: PatternFill("solid", start_color=v, end_color=v) for k, v in FILL.items()}
    to_verdict = {v: k for k, v in V.items()}
    to_result = {v: k for k, v in OV.items()}
    ws.append([cell(W["title"], font=Font(bold=True, size=14))])
    ws.append(["  ".join(f"{k}: {v}" for k, v in report.meta())])
    ws.append([cell(h, font=bold, alignment=Alignment(wrap_text=True, vertical="center")) for h in header])
    first_verdict, result_col = 6, 6 + len(columns)
    for n, row in enumerate(report.rows, 1):
        out: list[Any] = [n]
        for i, value in enumerate(row[1:], 1):
            if first_verdict <= i < result_col:
                out.append(cell(value, fill=fills[to_verdict[value]]) if value in to_verdict else value)
            elif i == result_col:
                key = to_result.get(value, "")
                out.append(cell(value, fill=fills[key]) if key in fills else value)
            elif i == result_col + 1:
                out.append(cell(safe_text(value), alignment=wrap))
            else:
                out.append(safe_text(value))  # text is text: never a formula, whatever it starts with
        ws.append(out)
        if n % 1000 == 0:
            advance(1000)
    advance(len(report.rows) % 1000)
    _summary(report, wb.create_sheet(W["summary"]))
    _opinions(report, wb.create_sheet(W["opinions"]))
    wb.save(path)


def _opinions(report: Report, ws: Any) -> None:
    """Each agency's verdicts, opinion, handler and time, then the signature and seal block, printable on one page."""
    W = report.words
    for letter, width in zip("ABCDEF", (14, 26, 40, 12, 20, 16), strict=True):
        ws.column_dimensions[letter].width = width
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = PAPER_A4
    ws.append([W["opinions"]])
    ws.append(report.opinion_heads())
    for o in report.opinions():
        ws.append([o.label, report.verdict_counts(o.counts), safe_text(o.note) if o.attested_at else W["not_attested"],
                   safe_text(o.handler), o.attested_at, ""])
    ws.append([])
    ws.append([*report.signatures(), W["seal"]])


def _summary(report: Report, sh: Any) -> None:
    from openpyxl.chart import BarChart, Reference  # type: ignore[import-untyped]
    W, V, OV, A = report.words, labels.VERDICT[report.lang], labels.OVERALL[report.lang], \
        report.vocab.agency_labels(report.lang)
    s = report.summary()
    columns = report.columns
    sh.column_dimensions["A"].width = 16
    sh.append([W["by_agency"], *(V[v] for v in VERDICTS)])
    for a in columns:
        sh.append([A[a], *(s["by_agency"][a][v] for v in VERDICTS)])
    chart = BarChart()
    chart.type, chart.grouping, chart.overlap, chart.title = "bar", "stacked", 100, W["by_agency"]
    chart.add_data(Reference(sh, min_col=2, max_col=5, min_row=1, max_row=1 + len(columns)), titles_from_data=True)
    chart.set_categories(Reference(sh, min_col=1, min_row=2, max_row=1 + len(columns)))
    chart.height, chart.width = 9, 18
    sh.add_chart(chart, "H2")
    sh.append([])
    sh.append([W["by_township"], *(OV[o] for o in RESULTS), W["total"]])
    for t, c in s["by_township"].items():
        sh.append([safe_text(t), *(c[o] for o in RESULTS), sum(c.values())])
    sh.append([])
    sh.append([W["by_overall"], W["count"]])
    for o in RESULTS:
        sh.append([OV[o], s["by_overall"][o]])
    sh.append([W["total"], len(report.decisions)])
