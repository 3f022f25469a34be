"""The blank workbooks an office fills in: `eligibility template flags|candidates`.

Chinese headers the intake reads (intake.files.LABELS), the ID column formatted as text (so Excel keeps all 18
digits), date columns as dates, drop-downs for 类型 / 等级 / 拟任职务 / 是否党员 from a hidden sheet of allowed values
(the vocabulary's and the ruleset's words), and one example row the intake accepts as it is.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from eligibility.intake.files import EXAMPLE_ID, EXAMPLE_NAME, LABELS
from eligibility.rules.schema import Ruleset
from eligibility.rules.vocabulary import Vocabulary

FLAG_HEAD = ("id_number", "name", "kind", "reference", "decided_on", "end_date", "level", "term_months", "note")
CANDIDATE_HEAD = ("township", "village", "name", "id_number", "position", "party_member")


def _kinds(rs: Ruleset, vocab: Vocabulary, agency: str | None) -> list[str]:
    agencies = [agency] if agency else list(rs.agencies)
    return [vocab.kind_label(k, "zh") for a in agencies for k in dict.fromkeys(rs.kinds_of(a))]


def _levels(rs: Ruleset, agency: str | None) -> list[str]:
    words: dict[str, None] = {}
    for r in rs.rules:
        if agency is None or r.agency == agency:
            words.update(dict.fromkeys((r.level_aliases or {}).keys()))
    return list(words)


def write_template(what: str, out: Path, rs: Ruleset, vocab: Vocabulary, agency: str | None = None) -> int:
    """Write the template workbook for flags (of one agency, or of all) or candidates; returns its column count."""
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.styles import Alignment, Font, PatternFill  # type: ignore[import-untyped]
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]
    from openpyxl.worksheet.datavalidation import DataValidation  # type: ignore[import-untyped]

    head = FLAG_HEAD if what == "flags" else CANDIDATE_HEAD
    allowed: dict[str, list[str]]
    if what == "flags":
        kind = rs.kinds_of(agency)[0] if agency else rs.rules[0].kind
        example = {"id_number": EXAMPLE_ID, "name": EXAMPLE_NAME, "kind": vocab.kind_label(kind, "zh"),
                   "reference": "（示例）2026年第1号", "decided_on": date(2026, 1, 15), "end_date": None, "level": "",
                   "term_months": None, "note": "示例行：姓名以（示例）开头的行不读取"}
        rule = rs.by_kind[kind]
        if rule.levels is not None:
            example["level"] = next(iter(rule.level_aliases or {}), next(iter(rule.levels)))
        allowed = {"kind": _kinds(rs, vocab, agency), "level": _levels(rs, agency)}
    else:
        example = {"township": "示例街道", "village": "示例社区", "name": EXAMPLE_NAME, "id_number": EXAMPLE_ID,
                   "position": vocab.position_label(rs.positions[0], "zh"), "party_member": "是"}
        positions = [vocab.position_label(p, "zh") for p in rs.positions]
        allowed = {"position": [*positions, *vocab.position_groups], "party_member": ["是", "否"]}

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "填写" if what == "candidates" else f"{vocab.agency_label(agency, 'zh') if agency else '各单位'}记录"
    ws.append([LABELS[c] for c in head])
    ws.append([example[c] for c in head])
    bold = Font(bold=True)
    fill = PatternFill("solid", start_color="DDEBF7")
    for i, c in enumerate(head, start=1):
        cell = ws.cell(row=1, column=i)
        cell.font, cell.fill, cell.alignment = bold, fill, Alignment(horizontal="center")
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = 22 if c in ("id_number", "reference", "kind", "note") else 14
        for row in range(2, 1002):
            if c == "id_number":
                ws.cell(row=row, column=i).number_format = "@"  # text: Excel keeps all 18 digits and the X
            elif c in ("decided_on", "end_date"):
                ws.cell(row=row, column=i).number_format = "yyyy-mm-dd"
    ws.freeze_panes = "A2"

    lists = wb.create_sheet("可选值")
    lists.sheet_state = "hidden"
    for n, (column, values) in enumerate(allowed.items(), start=1):
        if not values:
            continue
        letter = get_column_letter(n)
        lists.cell(row=1, column=n, value=LABELS[column])
        for r, v in enumerate(values, start=2):
            lists.cell(row=r, column=n, value=v)
        target = get_column_letter(head.index(column) + 1)
        dv = DataValidation(type="list", formula1=f"='可选值'!${letter}$2:${letter}${len(values) + 1}",
                            allow_blank=True, showErrorMessage=True, errorStyle="warning",
                            errorTitle=LABELS[column], error="不在可选值中：请从下拉列表选择（多个职务可用、连接）",
                            promptTitle=LABELS[column], prompt="从下拉列表选择", showInputMessage=True)
        dv.add(f"{target}2:{target}1001")
        ws.add_data_validation(dv)
    wb.save(out)
    return len(head)
