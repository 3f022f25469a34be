"""The joint review report (联审结果) the district office files: XLSX (with a summary sheet and chart),
printable HTML (A4), or CSV. One row per candidate grouped by township and village, one column per
agency, the result, and for every non-pass the reason with rule, citation and agency reference."""

from __future__ import annotations

import csv
import html
from collections import Counter
from pathlib import Path
from typing import Any

from eligibility.console import labels
from eligibility.rules.vocabulary import Vocabulary

FILL = {"PASS": "C6EFCE", "FAIL": "FFC7CE", "REVIEW": "FFEB9C", "PENDING": "DDEBF7",
        "ELIGIBLE": "C6EFCE", "INELIGIBLE": "FFC7CE", "NEEDS_REVIEW": "FFEB9C"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def safe_text(value: str) -> str:
    """Neutralise text a spreadsheet would run as a formula (=cmd|..., +, -, @): prefix an apostrophe."""
    return "'" + value if value.startswith(FORMULA_START) else value


def ordered(decisions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Grouped by township, then village, then the round's order."""
    return sorted(decisions, key=lambda d: (d["township"], d["village"], d.get("seq", 0)))


def _row(d: dict[str, Any], n: int, lang: str, vocab: Vocabulary) -> list[str]:
    V, OV, P = labels.VERDICT[lang], labels.OVERALL[lang], vocab.position_labels(lang)
    return [str(n), d["township"], d["village"], d["name"], d["id_number"],
            "+".join(P.get(p, p) for p in d["positions"]),
            *(V.get(d["verdicts"].get(a, ""), "") for a in vocab.columns), OV.get(d["overall"], d["overall"]),
            "\n".join(_reasons(d, lang, vocab))]


def _reasons(d: dict[str, Any], lang: str, vocab: Vocabulary) -> list[str]:
    """Why a candidate did not pass, then what the agencies verified (resolutions: agency, handler, opinion)."""
    return [*labels.reason_lines(d, lang, vocab), *labels.resolution_lines(d, lang, vocab)]


def _header(lang: str, vocab: Vocabulary) -> list[str]:
    W, A = labels.WORDS[lang], vocab.agency_labels(lang)
    return [W["seq"], W["township"], W["village"], W["name"], W["id_number"], W["position"],
            *(A[a] for a in vocab.columns), W["overall"], W["reason"]]


def summary(decisions: list[dict[str, Any]], vocab: Vocabulary) -> dict[str, Any]:
    """Counts per agency and verdict, per township and result, per result."""
    return {
        "by_agency": {a: Counter(d["verdicts"].get(a) for d in decisions) for a in vocab.columns},
        "by_township": {t: Counter(d["overall"] for d in decisions if d["township"] == t)
                        for t in sorted({d["township"] for d in decisions})},
        "by_overall": Counter(d["overall"] for d in decisions),
    }


def write_csv(decisions: list[dict[str, Any]], path: Path, lang: str, meta: dict[str, str], vocab: Vocabulary) -> None:
    """CSV (UTF-8 with BOM, for Excel), every text cell formula-safe; the last column is the round's state (a concluded
    round's with its conclusion time), the same on every row so that each row stands on its own."""
    with path.open("w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow([*_header(lang, vocab), labels.WORDS[lang]["state"]])
        for n, d in enumerate(ordered(decisions), 1):
            w.writerow([safe_text(c) for c in (*_row(d, n, lang, vocab), meta.get("state", ""))])


def write_xlsx(decisions: list[dict[str, Any]], path: Path, lang: str, meta: dict[str, str], vocab: Vocabulary) -> None:
    """XLSX: a results sheet and a summary sheet with a chart."""
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.chart import BarChart, Reference  # type: ignore[import-untyped]
    from openpyxl.styles import Alignment, Font, PatternFill  # type: ignore[import-untyped]

    W, V, OV, A = labels.WORDS[lang], labels.VERDICT[lang], labels.OVERALL[lang], vocab.agency_labels(lang)
    columns = vocab.columns
    wb = Workbook()
    ws = wb.active
    ws.title = W["results"]
    ws.append([W["title"]])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([f"{W['round']}: {meta.get('round', '')}  {W['as_of']}: {meta.get('as_of', '')}  "
               f"{W['ruleset']}: {meta.get('ruleset', '')}  {W['state']}: {meta.get('state', '')}  "
               f"{W['generated']}: {meta.get('generated', '')}"])
    ws.append(_header(lang, vocab))
    for c in ws[3]:
        c.font = Font(bold=True)
        c.alignment = Alignment(wrap_text=True, vertical="center")
    fills = {k: PatternFill("solid", start_color=v, end_color=v) for k, v in FILL.items()}
    reverse_v = {v: k for k, v in V.items()}
    reverse_o = {v: k for k, v in OV.items()}
    for n, d in enumerate(ordered(decisions), 1):
        ws.append(_row(d, n, lang, vocab))
        row = ws.max_row
        for cell in ws[row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text is text: never a formula, whatever it starts with
                cell.value = safe_text(cell.value)
        for i in range(len(columns)):
            cell = ws.cell(row=row, column=7 + i)
            if str(cell.value) in reverse_v:
                cell.fill = fills[reverse_v[str(cell.value)]]
        res = ws.cell(row=row, column=7 + len(columns))
        if str(res.value) in reverse_o and reverse_o[str(res.value)] in fills:
            res.fill = fills[reverse_o[str(res.value)]]
        ws.cell(row=row, column=8 + len(columns)).alignment = Alignment(wrap_text=True, vertical="top")
    widths = [6, 12, 12, 10, 21, 18, *([9] * len(columns)), 10, 80]
    for i, w in enumerate(widths, 1):
        ws.column_dimensions[ws.cell(row=3, column=i).column_letter].width = w
    ws.freeze_panes = "A4"

    s = summary(decisions, vocab)
    sh = wb.create_sheet(W["summary"])
    sh.append([W["by_agency"], *(V[v] for v in ("PASS", "FAIL", "REVIEW", "PENDING"))])
    for a in columns:
        sh.append([A[a], *(s["by_agency"][a][v] for v in ("PASS", "FAIL", "REVIEW", "PENDING"))])
    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.title = W["by_agency"]
    chart.add_data(Reference(sh, min_col=2, max_col=5, min_row=1, max_row=1 + len(columns)), titles_from_data=True)
    chart.set_categories(Reference(sh, min_col=1, min_row=2, max_row=1 + len(columns)))
    chart.height, chart.width = 9, 18
    sh.add_chart(chart, "H2")
    sh.append([])
    sh.append([W["by_township"], *(OV[o] for o in ("ELIGIBLE", "INELIGIBLE", "NEEDS_REVIEW", "PENDING")), W["total"]])
    for t, c in s["by_township"].items():
        sh.append([safe_text(t), *(c[o] for o in ("ELIGIBLE", "INELIGIBLE", "NEEDS_REVIEW", "PENDING")), sum(c.values())])
    sh.append([])
    sh.append([W["by_overall"], W["count"]])
    for o in ("ELIGIBLE", "INELIGIBLE", "NEEDS_REVIEW", "PENDING"):
        sh.append([OV[o], s["by_overall"][o]])
    sh.append([W["total"], len(decisions)])
    sh.column_dimensions["A"].width = 16
    wb.save(path)


CSS = """
@page { size: A4; margin: 10mm; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; font-size: 9pt; margin: 0;
       max-width: 190mm; }
h1 { font-size: 14pt; margin: 0 0 2mm; } .meta { color: #444; margin-bottom: 3mm; overflow-wrap: anywhere; }
h2 { font-size: 11pt; margin: 4mm 0 1mm; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
th, td { border: 1px solid #999; padding: 1px 2px; vertical-align: top; overflow-wrap: anywhere; word-break: break-all; }
th { background: #eee; font-weight: bold; }
td.v { text-align: center; font-size: 8pt; }
.PASS, .ELIGIBLE { background: #C6EFCE; } .FAIL, .INELIGIBLE { background: #FFC7CE; }
.REVIEW, .NEEDS_REVIEW { background: #FFEB9C; } .PENDING { background: #DDEBF7; }
tr.group td { background: #f4f4f4; font-weight: bold; }
td.reason { font-size: 7.5pt; }
thead { display: table-header-group; } tr { page-break-inside: avoid; }
"""


def write_html(decisions: list[dict[str, Any]], path: Path, lang: str, meta: dict[str, str], vocab: Vocabulary) -> None:
    """A printable page (A4 portrait, no horizontal overflow)."""
    W, V, OV, A, P = (labels.WORDS[lang], labels.VERDICT[lang], labels.OVERALL[lang], vocab.agency_labels(lang),
                     vocab.position_labels(lang))
    columns = vocab.columns
    e = html.escape
    short = {a: A[a][:2] if lang == "zh" else A[a][:4] for a in columns}
    cols = "".join(f'<col style="width:{w}">' for w in
                   ("3.5%", "8%", "8%", "12%", *(["4.2%"] * len(columns)), "6.5%", "24.2%"))
    out = [f"<!doctype html><html lang=\"{'zh-CN' if lang == 'zh' else 'en'}\"><head><meta charset=\"utf-8\">",
           f"<title>{e(W['title'])}</title><style>{CSS}</style></head><body>",
           f"<h1>{e(W['title'])}</h1>",
           f"<div class=\"meta\">{e(W['round'])}: {e(meta.get('round', ''))} · {e(W['as_of'])}: {e(meta.get('as_of', ''))}"
           f" · {e(W['ruleset'])}: {e(meta.get('ruleset', ''))} · {e(W['state'])}: {e(meta.get('state', ''))}"
           f" · {e(W['generated'])}: {e(meta.get('generated', ''))}</div>",
           f"<table><colgroup>{cols}</colgroup><thead><tr><th>{e(W['seq'])}</th><th>{e(W['township'])}</th>"
           f"<th>{e(W['village'])}</th><th>{e(W['name'])}</th>"
           + "".join(f"<th title=\"{e(A[a])}\">{e(short[a])}</th>" for a in columns)
           + f"<th>{e(W['overall'])}</th><th>{e(W['reason'])}</th></tr></thead><tbody>"]
    group = None
    for n, d in enumerate(ordered(decisions), 1):
        if (d["township"], d["village"]) != group:
            group = (d["township"], d["village"])
            out.append(f"<tr class=\"group\"><td colspan=\"{6 + len(columns)}\">{e(d['township'])} · {e(d['village'])}"
                       "</td></tr>")
        cells = "".join(f"<td class=\"v {e(d['verdicts'].get(a, ''))}\">{e(V.get(d['verdicts'].get(a, ''), ''))}</td>"
                        for a in columns)
        reasons = "<br>".join(e(x) for x in _reasons(d, lang, vocab))
        positions = "+".join(P.get(p, p) for p in d["positions"])
        out.append(f"<tr><td>{n}</td><td>{e(d['township'])}</td><td>{e(d['village'])}</td>"
                   f"<td>{e(d['name'])}<br><small>{e(d['id_number'])}<br>{e(positions)}</small></td>{cells}"
                   f"<td class=\"v {e(d['overall'])}\">{e(OV.get(d['overall'], d['overall']))}</td>"
                   f"<td class=\"reason\">{reasons}</td></tr>")
    out.append("</tbody></table>")
    s = summary(decisions, vocab)
    out.append(f"<h2>{e(W['summary'])}</h2><table><thead><tr><th>{e(W['by_agency'])}</th>"
               + "".join(f"<th>{e(V[v])}</th>" for v in ("PASS", "FAIL", "REVIEW", "PENDING")) + "</tr></thead><tbody>")
    for a in columns:
        out.append(f"<tr><td>{e(A[a])}</td>" + "".join(f"<td>{s['by_agency'][a][v]}</td>"
                                                      for v in ("PASS", "FAIL", "REVIEW", "PENDING")) + "</tr>")
    out.append("</tbody></table>")
    out.append(f"<table><thead><tr><th>{e(W['by_township'])}</th>"
               + "".join(f"<th>{e(OV[o])}</th>" for o in ("ELIGIBLE", "INELIGIBLE", "NEEDS_REVIEW", "PENDING"))
               + f"<th>{e(W['total'])}</th></tr></thead><tbody>")
    for t, c in s["by_township"].items():
        out.append(f"<tr><td>{e(t)}</td>" + "".join(f"<td>{c[o]}</td>" for o in
                                                   ("ELIGIBLE", "INELIGIBLE", "NEEDS_REVIEW", "PENDING"))
                   + f"<td>{sum(c.values())}</td></tr>")
    out.append("</tbody></table></body></html>")
    path.write_text("\n".join(out), encoding="utf-8")
