"""The report as a PDF 联审表 to sign and file, made with ReportLab: A4 landscape, a CJK TrueType font embedded
(subset), the table header repeated on every page, 第N页 共M页 in the footer, the agencies' opinions with handler
and time, and the signature and seal block; optionally one page per candidate (--per-candidate) for the dossier.

ReportLab rather than an HTML renderer: it lays out a 30,000-row table in seconds where WeasyPrint measured about
15 ms a row here (7 minutes). The table goes in chunks of CHUNK rows so that the layout's cost stays linear (a
table's style commands are re-applied at every page it is split over), and the column header of the later pages is
drawn by the page template, not repeated by each chunk.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors  # type: ignore[import-untyped]
from reportlab.lib.pagesizes import A4, landscape  # type: ignore[import-untyped]
from reportlab.lib.styles import ParagraphStyle  # type: ignore[import-untyped]
from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]
from reportlab.pdfbase.ttfonts import TTFont  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]
from reportlab.platypus import (  # type: ignore[import-untyped]
    BaseDocTemplate,
    Frame,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from eligibility.console import labels
from eligibility.console.reports.content import FILL, Report
from eligibility.errors import EligibilityError

CHUNK = 40
FONT = "CJK"
FONT_FILES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)
"""TrueType CJK fonts a PDF can embed (ReportLab embeds TrueType outlines; the Noto CJK fonts are CFF)."""
MARGIN = 28.0
HEADER_HEIGHT = 22.0


def _register_font() -> None:
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    for path in FONT_FILES:
        if Path(path).is_file():
            pdfmetrics.registerFont(TTFont(FONT, path, subfontIndex=0) if path.endswith(".ttc") else TTFont(FONT, path))
            return
    raise EligibilityError("no TrueType CJK font to embed in a PDF: install one (Debian: apt-get install "
                           "fonts-wqy-microhei), or write the report as .xlsx or .html")


def write(report: Report, path: Path, advance: Callable[[int], None]) -> None:
    """Write the PDF."""
    _register_font()
    W, V, OV = report.words, labels.VERDICT[report.lang], labels.OVERALL[report.lang]
    page_w, page_h = landscape(A4)
    width = page_w - 2 * MARGIN
    cell = ParagraphStyle("cell", fontName=FONT, fontSize=7, leading=8.5)
    head_style = ParagraphStyle("head", fontName=FONT, fontSize=7.5, leading=9, alignment=1)
    title = ParagraphStyle("title", fontName=FONT, fontSize=15, leading=20, alignment=1, spaceAfter=4)
    small = ParagraphStyle("small", fontName=FONT, fontSize=8, leading=10, spaceAfter=4)
    h2 = ParagraphStyle("h2", fontName=FONT, fontSize=11, leading=15, spaceBefore=8, spaceAfter=4)
    columns = report.columns
    A = report.vocab.agency_labels(report.lang)
    n_v = len(columns)
    fixed = [24, 50, 54, 88, *([34] * n_v), 36]
    widths = [*fixed, width - sum(fixed)]
    heads = [W["seq"], W["township"], W["village"], W["name"], *(A[a] for a in columns), W["overall"], W["reason"]]
    base = [("FONT", (0, 0), (-1, -1), FONT, 7), ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#888888")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 2),
            ("RIGHTPADDING", (0, 0), (-1, -1), 2), ("TOPPADDING", (0, 0), (-1, -1), 1.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5)]
    fills = {k: colors.HexColor("#" + v) for k, v in FILL.items()}
    to_verdict = {v: k for k, v in V.items()}
    to_result = {v: k for k, v in OV.items()}

    def header_table() -> Any:
        t = Table([[Paragraph(escape(h), head_style) for h in heads]], colWidths=widths, rowHeights=[HEADER_HEIGHT])
        t.setStyle(TableStyle([*base, ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#EEEEEE")),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
        return t

    def para(text: str) -> Any:
        return Paragraph(escape(text).replace("\n", "<br/>"), cell)

    def fit(text: str, room: float) -> Any:
        """Plain text where each line fits the column (most cells: cheap to lay out), else a wrapping paragraph."""
        lines = text.split("\n")
        if all(pdfmetrics.stringWidth(line, FONT, 7) <= room - 4 for line in lines):
            return text
        return para(text)

    def chunk(rows: list[list[str]]) -> Any:
        data, style = [], list(base)
        for r, row in enumerate(rows):
            verdicts = row[6:6 + n_v]
            data.append([row[0], fit(row[1], widths[1]), fit(row[2], widths[2]), fit(f"{row[3]}\n{row[4]}\n{row[5]}",
                         widths[3]), *verdicts, row[6 + n_v], para(row[7 + n_v]) if row[7 + n_v] else ""])
            for i, v in enumerate(verdicts):
                if v in to_verdict:
                    style.append(("BACKGROUND", (4 + i, r), (4 + i, r), fills[to_verdict[v]]))
            key = to_result.get(row[6 + n_v], "")
            if key in fills:
                style.append(("BACKGROUND", (4 + n_v, r), (4 + n_v, r), fills[key]))
        t = Table(data, colWidths=widths, splitByRow=1)
        t.setStyle(TableStyle([*style, ("ALIGN", (4, 0), (4 + n_v, -1), "CENTER")]))
        return t

    def later_header(canvas: Any, doc: Any) -> None:
        t = header_table()
        t.wrapOn(canvas, width, HEADER_HEIGHT)
        t.drawOn(canvas, MARGIN, page_h - MARGIN - HEADER_HEIGHT)

    footer_right = f"{report.round['round_id']}  {W['generated']} {report.generated}"

    class Numbered(Canvas):  # type: ignore[misc]
        """Holds each page until the end, then writes "第 N 页 共 M 页" on every one."""

        def __init__(self, *a: Any, **k: Any) -> None:
            super().__init__(*a, **{**k, "initialFontName": FONT})  # (so that no unembedded base font is named)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 - ReportLab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont(FONT, 8)
                self.drawCentredString(page_w / 2, MARGIN / 2,
                                       W["page"].format(page=self._pageNumber, pages=total))
                self.drawRightString(page_w - MARGIN, MARGIN / 2, footer_right)
                super().showPage()
            super().save()

    frame_h = page_h - 2 * MARGIN
    doc = BaseDocTemplate(str(path), pagesize=(page_w, page_h), leftMargin=MARGIN, rightMargin=MARGIN,
                          topMargin=MARGIN, bottomMargin=MARGIN, title=f"{W['title']} {report.round['name']}",
                          author="eligibility", subject=report.round["round_id"])
    doc.addPageTemplates([
        PageTemplate("first", [Frame(MARGIN, MARGIN, width, frame_h, 0, 0, 0, 0)]),
        PageTemplate("later", [Frame(MARGIN, MARGIN, width, frame_h - HEADER_HEIGHT, 0, 0, 0, 0)], onPage=later_header),
        PageTemplate("plain", [Frame(MARGIN, MARGIN, width, frame_h, 0, 0, 0, 0)]),
    ])
    meta = "　".join(f"{k}：{v}" for k, v in report.meta())
    story: list[Any] = [NextPageTemplate("later"), Paragraph(escape(W["title"]), title), Paragraph(escape(meta), small),
                        header_table()]
    pairs = list(zip(report.decisions, report.rows, strict=True))
    for lo in range(0, len(report.rows), CHUNK):
        story.append(chunk(report.rows[lo:lo + CHUNK]))
        advance(len(report.rows[lo:lo + CHUNK]))
    story.append(NextPageTemplate("plain"))
    story += _signoff(report, width, base, cell, h2)
    if report.per_candidate:
        for d, row in pairs:
            story += [PageBreak(), *_dossier(report, d, row, width, base, cell, title, small)]
    doc.build(story, canvasmaker=Numbered)


def _signoff(report: Report, width: float, base: list[Any], cell: Any, h2: Any) -> list[Any]:
    """The agencies' opinions (verdicts, opinion, handler, time, a cell to sign) and the signature and seal block."""
    W = report.words
    rows = [[Paragraph(escape(h), cell) for h in report.opinion_heads()]]
    for o in report.opinions():
        note = o.note if o.attested_at else W["not_attested"]
        rows.append([Paragraph(escape(x), cell) for x in (o.label, report.verdict_counts(o.counts), note, o.handler,
                                                          o.attested_at, "")])
    fractions = (0.12, 0.2, 0.36, 0.1, 0.13, 0.09)
    t = Table(rows, colWidths=[width * f for f in fractions], repeatRows=1)
    t.setStyle(TableStyle([*base, ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")),
                           ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white])]))
    return [Paragraph(escape(W["opinions"]), h2), t, Spacer(1, 18), _signature_block(report, width, cell)]


def _signature_block(report: Report, width: float, cell: Any) -> Any:
    W = report.words
    parts = [*report.signatures(), W["signoff"]]
    t = Table([[Paragraph(escape(p), cell) for p in parts]], colWidths=[width / len(parts)] * len(parts),
              rowHeights=[46])
    t.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), FONT, 9), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                           ("LINEBELOW", (0, 0), (-1, -1), 0.6, "#333333")]))
    return t


def _dossier(report: Report, d: dict[str, Any], row: list[str], width: float, base: list[Any], cell: Any,
             title: Any, small: Any) -> list[Any]:
    """One candidate's page: who, each agency's verdict with its reasons, the result, the signature block."""
    W, V = report.words, labels.VERDICT[report.lang]
    info = [(W["name"], d["name"]), (W["id_number"], d["id_number"]), (W["township"], d["township"]),
            (W["village"], d["village"]), (W["position"], row[5]), (W["overall"], row[6 + len(report.columns)])]
    t = Table([[Paragraph(escape(k), cell), Paragraph(escape(v), cell)] for k, v in info],
              colWidths=[width * 0.15, width * 0.35])
    t.setStyle(TableStyle(base))
    by_agency = report.agency_reasons(d)
    rows = [[Paragraph(escape(h), cell) for h in (W["agency"], W["verdicts"], W["reason"])]]
    for a in report.columns:
        rows.append([Paragraph(escape(report.vocab.agency_label(a, report.lang)), cell),
                     Paragraph(escape(V.get(d["verdicts"].get(a, ""), "")), cell),
                     Paragraph(escape("\n".join(by_agency.get(a, [])) or W["no_reason"]).replace("\n", "<br/>"), cell)])
    verdicts = Table(rows, colWidths=[width * 0.15, width * 0.1, width * 0.75], repeatRows=1)
    verdicts.setStyle(TableStyle([*base, ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE"))]))
    return [Paragraph(escape(W["dossier"]), title), Paragraph(escape(f"{W['round']}：{report.round['round_id']} "
                                                                     f"{report.round['name']}　{W['as_of']}："
                                                                     f"{report.round['as_of']}"), small),
            t, Spacer(1, 8), verdicts, Spacer(1, 18), _signature_block(report, width, cell)]
