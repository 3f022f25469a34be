"""The report as one printable HTML page: A4 landscape when printed, the table header repeated on every printed page,
words never broken inside (short column heads, the agencies' full names in their titles), the agencies' opinions and
the signature and seal block at the end. Everything is escaped; the page runs no script."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

from eligibility.console import labels
from eligibility.console.reports.content import RESULTS, VERDICTS, Report

CSS = """
@page { size: A4 landscape; margin: 10mm; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; font-size: 9pt; margin: 0 auto;
       width: 100%; max-width: 277mm; }
h1 { font-size: 14pt; margin: 0 0 2mm; } .meta { color: #444; margin-bottom: 3mm; overflow-wrap: anywhere; }
h2 { font-size: 11pt; margin: 4mm 0 1mm; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; margin-bottom: 3mm; }
th, td { border: 1px solid #999; padding: 1px 2px; vertical-align: top; }
td { overflow-wrap: anywhere; }
th { background: #eee; font-weight: bold; word-break: normal; overflow-wrap: normal; hyphens: none; font-size: 8pt; }
td.v { text-align: center; font-size: 8pt; }
.PASS, .ELIGIBLE { background: #C6EFCE; } .FAIL, .INELIGIBLE { background: #FFC7CE; }
.REVIEW, .NEEDS_REVIEW { background: #FFEB9C; } .PENDING { background: #DDEBF7; }
tr.group td { background: #f4f4f4; font-weight: bold; }
td.reason { font-size: 7.5pt; }
thead { display: table-header-group; } tr { break-inside: avoid; page-break-inside: avoid; }
.signoff { display: flex; flex-wrap: wrap; gap: 4mm 10mm; margin-top: 8mm; break-inside: avoid; }
.signoff span { min-width: 45mm; border-bottom: 1px solid #333; padding-bottom: 6mm; }
"""


def write(report: Report, path: Path, advance: Callable[[int], None]) -> None:
    """Write the page."""
    path.write_text("\n".join(page(report, advance)), encoding="utf-8")


def page(report: Report, advance: Callable[[int], None]) -> list[str]:
    """The page's lines."""
    W, V, OV, A = report.words, labels.VERDICT[report.lang], labels.OVERALL[report.lang], \
        report.vocab.agency_labels(report.lang)
    columns = report.columns
    e = html.escape
    short = {a: A[a][:2] if report.lang == "zh" else report.vocab.short(a) for a in columns}
    cols = "".join(f'<col style="width:{w}">' for w in
                   ("4%", "8%", "9%", "13%", *(["4%"] * len(columns)), "6%", "24%"))
    meta = " · ".join(f"{e(k)}: {e(v)}" for k, v in report.meta())
    out = [f"<!doctype html><html lang=\"{'zh-CN' if report.lang == 'zh' else 'en'}\"><head><meta charset=\"utf-8\">",
           f"<title>{e(W['title'])}</title><style>{CSS}</style></head><body>",
           f"<h1>{e(W['title'])}</h1>", f"<div class=\"meta\">{meta}</div>",
           f"<table class=\"results\"><colgroup>{cols}</colgroup><thead><tr><th>{e(W['seq'])}</th>"
           f"<th>{e(W['township'])}</th><th>{e(W['village'])}</th><th>{e(W['name'])}</th>"
           + "".join(f"<th title=\"{e(A[a])}\">{e(short[a])}</th>" for a in columns)
           + f"<th>{e(W['overall'])}</th><th>{e(W['reason'])}</th></tr></thead><tbody>"]
    group = None
    for d, row in zip(report.decisions, report.rows, strict=True):
        if (d["township"], d["village"]) != group:
            group = (d["township"], d["village"])
            out.append(f"<tr class=\"group\"><td colspan=\"{6 + len(columns)}\">{e(d['township'])} · {e(d['village'])}"
                       "</td></tr>")
        cells = "".join(f"<td class=\"v {e(d['verdicts'].get(a, ''))}\">{e(V.get(d['verdicts'].get(a, ''), ''))}</td>"
                        for a in columns)
        reasons = "<br>".join(e(x) for x in row[-1].split("\n") if x)
        out.append(f"<tr><td>{row[0]}</td><td>{e(d['township'])}</td><td>{e(d['village'])}</td>"
                   f"<td>{e(d['name'])}<br><small>{e(d['id_number'])}<br>{e(row[5])}</small></td>{cells}"
                   f"<td class=\"v {e(d['overall'])}\">{e(OV.get(d['overall'], d['overall']))}</td>"
                   f"<td class=\"reason\">{reasons}</td></tr>")
    out.append("</tbody></table>")
    advance(len(report.rows))
    s = report.summary()
    out.append(f"<h2>{e(W['summary'])}</h2><table><thead><tr><th>{e(W['by_agency'])}</th>"
               + "".join(f"<th>{e(V[v])}</th>" for v in VERDICTS) + "</tr></thead><tbody>")
    for a in columns:
        out.append(f"<tr><td>{e(A[a])}</td>" + "".join(f"<td>{s['by_agency'][a][v]}</td>" for v in VERDICTS) + "</tr>")
    out.append("</tbody></table>")
    out.append(f"<table><thead><tr><th>{e(W['by_township'])}</th>" + "".join(f"<th>{e(OV[o])}</th>" for o in RESULTS)
               + f"<th>{e(W['total'])}</th></tr></thead><tbody>")
    for t, c in s["by_township"].items():
        out.append(f"<tr><td>{e(t)}</td>" + "".join(f"<td>{c[o]}</td>" for o in RESULTS) + f"<td>{sum(c.values())}</td></tr>")
    out.append("</tbody></table>")
    out.append(f"<h2>{e(W['opinions'])}</h2><table class=\"opinions\"><colgroup><col style=\"width:12%\">"
               "<col style=\"width:20%\"><col style=\"width:36%\"><col style=\"width:10%\"><col style=\"width:12%\">"
               "<col style=\"width:10%\"></colgroup><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in report.opinion_heads())
               + "</tr></thead><tbody>")
    for o in report.opinions():
        note = o.note if o.attested_at else W["not_attested"]
        out.append(f"<tr><td>{e(o.label)}</td><td>{e(report.verdict_counts(o.counts))}</td><td>{e(note)}</td>"
                   f"<td>{e(o.handler)}</td><td>{e(o.attested_at)}</td><td></td></tr>")
    out.append("</tbody></table><div class=\"signoff\">" + "".join(f"<span>{e(x)}</span>" for x in report.signatures())
               + f"<span>{e(W['signoff'])}</span></div></body></html>")
    return out
