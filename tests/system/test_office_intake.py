"""Intake as a district office and an agency do it (issue 16), through the real CLI and a real server: a candidate
workbook with a title row, 政治面貌 and a footer; a dry run that stores nothing; the rejected rows written to a file,
fixed and added with `round add`; a second round of one name refused; an agency's .xls with Chinese kind names."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import xlwt  # type: ignore[import-untyped]
from openpyxl import Workbook, load_workbook

from tests.helpers import make_id

HEAD = ["序号", "乡镇(街道)", "村(社区)", "姓名", "身份证号", "拟任职务", "政治面貌", "性别"]


def _workbook(path: Path, rows: list[list[object]]) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "候选人"
    ws.append(["转塘街道2026年村(社区)“两委”换届候选人资格联审名单"])
    ws.merge_cells("A1:H1")
    ws.append(HEAD)
    for r in rows:
        ws.append(r)
    ws.append(["填表人：李四", None, None, None, "审核人：王五"])
    wb.save(path)
    return path


def _names(cli, round_id: str) -> dict[str, dict]:  # type: ignore[no-untyped-def,type-arg]
    r = cli("district", "--format", "json", "round", "candidates", round_id)
    assert r.code == 0, r.err
    return {c["name"]: c for c in r.jsonl()}


def test_candidate_workbook_dry_run_rejected_file_and_round_add(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a, b, c = make_id(), make_id(), make_id()
    book = _workbook(tmp_path / "名单.xlsx", [
        [1, "转塘街道", "龙坞村", "甲书记", a, "村党组织书记", "中共预备党员", "男"],
        [2, "转塘街道", "龙坞村", "乙主任", b, "村委会主任、村党组织书记", None, "女"],   # a Party post, blank 政治面貌
        [3, "转塘街道", "长埭村", "丙委员", c, "村委会委员", "群众", "男"],
    ])
    before = cli("district", "--format", "json", "round", "list").jsonl()

    dry = cli("district", "round", "create", "--name", "转塘2026", "--as-of", "2026-12-01", "--candidates", str(book),
              "--check", "--rejected", str(tmp_path / "退回.xlsx"))
    assert dry.code == 1
    assert "header in row 2 (the rows above it are taken as a title)" in dry.err and "1 footer row(s) skipped" in dry.err
    assert "column(s) not read: '性别'" in dry.err
    assert "row 4, 政治面貌: missing; the position 村(居)委会主任 needs it" not in dry.err  # the Party post is named
    assert "row 4, 政治面貌: missing; the position 党组织书记 needs it" in dry.err
    assert "would have 2 candidates; 1 row(s) would be rejected" in dry.out
    assert cli("district", "--format", "json", "round", "list").jsonl() == before  # nothing created

    ws = load_workbook(tmp_path / "退回.xlsx").active
    rows = [[cell.value for cell in r] for r in ws.iter_rows()]
    assert rows[0] == [*HEAD, "错误原因"]
    assert rows[1][:7] == [2, "转塘街道", "龙坞村", "乙主任", b, "村委会主任、村党组织书记", None]
    assert rows[1][8].startswith("row 4, 政治面貌: missing") and len(rows) == 2

    made = cli("district", "--format", "json", "round", "create", "--name", "转塘2026", "--as-of", "2026-12-01",
               "--candidates", str(book))
    assert made.code == 1 and made.jsonl()[0]["candidates"] == 2 and made.jsonl()[0]["rejected"] == 1
    round_id = made.jsonl()[0]["round_id"]
    stored = _names(cli, round_id)
    assert stored["甲书记"]["party_member"] is True and stored["丙委员"]["party_member"] is False
    assert stored["甲书记"]["position"] == "party_secretary"

    again = cli("district", "round", "create", "--name", "转塘2026", "--as-of", "2026-12-01", "--candidates", str(book))
    assert again.code == 2 and "a round named '转塘2026' exists" in again.err
    again_zh = cli("district", "--lang", "zh", "round", "create", "--name", "转塘2026", "--as-of", "2026-12-01",
                   "--candidates", str(book), "--check")
    assert again_zh.code == 2 and "已有名为 '转塘2026' 的批次" in again_zh.err and "--same-name" in again_zh.err
    zh_dry = cli("district", "--lang", "zh", "round", "create", "--name", "转塘2026-b", "--as-of", "2026-12-01",
                 "--candidates", str(book), "--check")
    assert "第 4 行，政治面貌：未填写；拟任职务“党组织书记”须填写" in zh_dry.err and "表头在第 2 行" in zh_dry.err
    assert "将有 2 名候选人；将退回 1 行" in zh_dry.out

    wb = load_workbook(tmp_path / "退回.xlsx")
    wb.active.cell(row=2, column=7, value="中共党员")  # the clerk fixes the row where it was returned
    wb.save(tmp_path / "退回.xlsx")
    added = cli("district", "round", "add", round_id, "--candidates", str(tmp_path / "退回.xlsx"))
    assert added.code == 0, added.err
    assert "column(s) not read: '性别'" in added.err and "错误原因" not in added.err  # the error column is known
    assert "1 candidates added, 3 in all" in added.out
    assert _names(cli, round_id)["乙主任"]["position"] == "vc_director+party_secretary"


def test_agency_xls_with_chinese_kinds_checked_then_stored(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a, b = make_id(), make_id()
    wb = xlwt.Workbook()
    ws = wb.add_sheet("治安")
    for col, h in enumerate(["姓名", "身份证号", "类型", "文号", "决定日期", "备注"]):
        ws.write(0, col, h)
    ws.write(1, 0, "张甲")
    ws.write(1, 1, a)
    ws.write(1, 2, "行政拘留")
    ws.write(1, 3, "西公(治)决字〔2024〕101号")
    ws.write(1, 4, datetime(2024, 3, 15), xlwt.easyxf(num_format_str="yyyy-mm-dd"))
    ws.write(2, 0, "李乙")
    ws.write(2, 1, "".join(chr(ord(ch) + 0xFEE0) for ch in b))  # full-width digits
    ws.write(2, 2, "涉黑涉恶")
    ws.write(2, 3, "西公(刑)〔2025〕7号")
    ws.write(2, 4, "2025年6月1日")
    ws.write(3, 0, "王丙")
    ws.write(3, 1, make_id())
    ws.write(3, 2, "失信被执行人")  # the court's, not the police's
    ws.write(3, 3, "西公〔2025〕9号")
    ws.write(3, 4, "2025-06-01")
    ws.write(5, 0, "联系电话：0571-00000000")
    wb.save(str(tmp_path / "公安.xls"))

    dry = cli("police", "flags", "submit", str(tmp_path / "公安.xls"), "--check")
    assert dry.code == 1
    assert "row 4, 类型: '失信被执行人' belongs to agency court, not police" in dry.err
    assert "3 rows checked, nothing stored (--check): 2 would be created" in dry.out
    assert "西公(治)决字〔2024〕101号" not in {f["reference"] for f in cli("police", "--format", "json", "flags", "list").jsonl()}

    done = cli("police", "--format", "json", "flags", "submit", str(tmp_path / "公安.xls"))
    assert done.code == 1 and [r["status"] for r in done.jsonl()] == ["CREATED", "CREATED", "REJECTED"]
    assert done.jsonl()[2]["errors"][0]["column"] == "类型"
    mine = {f["reference"]: f for f in cli("police", "--format", "json", "flags", "list").jsonl()}
    assert mine["西公(治)决字〔2024〕101号"]["kind"] == "administrative_detention"
    assert mine["西公(治)决字〔2024〕101号"]["decided_on"] == "2024-03-15"
    assert mine["西公(刑)〔2025〕7号"]["kind"] == "organized_crime" and mine["西公(刑)〔2025〕7号"]["decided_on"] == "2025-06-01"
    assert mine["西公(刑)〔2025〕7号"]["id_number"].endswith(b[-4:])  # the full-width number is the same person


def test_template_with_drop_downs_filled_in_and_submitted(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "公安模板.xlsx"
    made = cli("police", "template", "flags", "--out", str(out))
    assert made.code == 0 and "flags template for 公安" in made.err
    wb = load_workbook(out)
    ws, hidden = wb["公安记录"], wb["可选值"]
    assert hidden.sheet_state == "hidden"
    assert [c.value for c in ws[1]] == ["身份证号", "姓名", "类型", "文号", "决定日期", "结束日期", "等级", "期限(月)", "备注"]
    kinds = [c.value for c in hidden["A"][1:] if c.value]
    assert "行政拘留" in kinds and "涉黑涉恶" in kinds and "失信被执行人" not in kinds  # the police's kinds only
    drop = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    assert drop["C2:C1001"].formula1 == "='可选值'!$A$2:$A$" + str(len(kinds) + 1) and drop["C2:C1001"].type == "list"
    assert ws["A5"].number_format == "@" and ws["E5"].number_format == "yyyy-mm-dd"
    assert ws["B2"].value == "（示例）张三"
    a = make_id()
    for col, v in enumerate([a, "周丁", "行政拘留", "西公(治)〔2026〕3号", datetime(2026, 2, 1)], start=1):
        ws.cell(row=3, column=col, value=v)
    wb.save(out)
    sent = cli("police", "--format", "json", "flags", "submit", str(out))
    assert sent.code == 0, sent.err
    assert [(r["row"], r["status"]) for r in sent.jsonl()] == [(3, "CREATED")]  # the example row is not sent

    cand = tmp_path / "候选人模板.xlsx"
    assert cli("district", "template", "candidates", "--out", str(cand)).code == 0
    cws = load_workbook(cand)["填写"]
    assert [c.value for c in cws[1]] == ["乡镇(街道)", "村(社区)", "姓名", "身份证号", "拟任职务", "是否党员"]
    assert {str(dv.sqref) for dv in cws.data_validations.dataValidation} == {"E2:E1001", "F2:F1001"}


def test_returned_rows_and_the_agency_list_never_carry_a_formula_to_run(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A cell that reads =HYPERLINK(...) (or the like) goes back as text: in the rejected-rows workbook as a text cell,
    in CSV with a leading apostrophe, never as a formula a spreadsheet would run when the clerk opens it."""
    import csv
    a = make_id()
    evil = '=HYPERLINK("http://evil.example","点此")'
    wrong = a[:-1] + ("0" if a[-1] != "0" else "1")  # a wrong check digit: the row is rejected
    book = tmp_path / "名单.csv"
    with book.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows([HEAD[:7], [1, "转塘街道", evil, "甲", wrong, "村委会委员", "群众"]])
    made = cli("district", "round", "create", "--name", f"公式-{a[-6:]}", "--as-of", "2026-12-01", "--candidates",
               str(book), "--check", "--rejected", str(tmp_path / "退回.xlsx"))
    assert made.code == 1, made
    wb = load_workbook(tmp_path / "退回.xlsx")
    row = list(wb.active.iter_rows())[1]
    wb.close()
    assert row[2].value == evil and row[2].data_type == "s"  # the text as the file had it, a text cell
    assert cli("district", "round", "create", "--name", f"公式c-{a[-6:]}", "--as-of", "2026-12-01", "--candidates",
               str(book), "--check", "--rejected", str(tmp_path / "退回.csv")).code == 1
    cells = list(csv.reader((tmp_path / "退回.csv").read_text(encoding="utf-8-sig").splitlines()))[1]
    assert cells[2] == "'" + evil
