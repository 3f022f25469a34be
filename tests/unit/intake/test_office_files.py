"""The files a township or an agency actually has (issue 16): title rows above the header, data on a second sheet,
footer rows, .xls, Excel date cells and serial numbers, full-width digits, 政治面貌 instead of 是否党员, Chinese kind and
position names. Each test makes a real file and asserts what is read from it, or the exact error."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
import xlwt  # type: ignore[import-untyped]
from openpyxl import Workbook

from eligibility.errors import InvalidInputError
from eligibility.intake.candidates import CandidateRow, validate_candidate
from eligibility.intake.files import CANDIDATE_COLUMNS, CANDIDATE_REQUIRED, FLAG_COLUMNS, FLAG_REQUIRED, read_table
from eligibility.intake.flags import FlagRow, validate_flag
from eligibility.intake.outcomes import FieldProblem, FlagDraft
from eligibility.rules.loader import REPO_RULES, load_ruleset_file
from eligibility.rules.vocabulary import load_vocabulary
from tests.helpers import make_id

RS = load_ruleset_file(REPO_RULES / "national-2021" / "ruleset.yaml")
VOCAB = load_vocabulary([REPO_RULES])
HEAD = ["序号", "乡镇(街道)", "村(社区)", "姓名", "身份证号", "拟任职务", "政治面貌"]


def _xlsx(path: Path, sheets: dict[str, list[list[object]]], merge_title: bool = False) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
        if merge_title:
            ws.merge_cells("A1:G1")
    wb.save(path)
    return path


def test_merged_title_row_above_the_header_is_skipped(tmp_path: Path) -> None:
    a = make_id()
    path = _xlsx(tmp_path / "名单.xlsx", {"Sheet1": [
        ["西湖区2026年村(社区)“两委”换届候选人资格联审名单"],
        ["填报单位：转塘街道", None, None, None, None, None, "2026年11月20日"],
        HEAD,
        [1, "转塘街道", "龙坞村", "张三", a, "村党组织书记", "中共党员"],
        ["填表人：李四", None, None, "审核人：王五", None, None, None],
    ]}, merge_title=True)
    t = read_table(path, CANDIDATE_COLUMNS, CANDIDATE_REQUIRED)
    assert t.header_row == 3 and t.footer_rows == 1 and t.unknown == []  # 序号 is a row counter, not worth a warning
    assert t.rows == [{"row": 4, "township": "转塘街道", "village": "龙坞村", "name": "张三", "id_number": a,
                       "position": "村党组织书记", "party_member": "中共党员"}]
    assert t.headers["party_member"] == "政治面貌" and t.header_of("party_member") == "政治面貌"


def test_a_header_that_is_not_there_is_named_in_chinese(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "t.xlsx", {"Sheet1": [["西湖区2026年名单"], ["姓名", "村"], ["张三", "龙坞村"]]})
    with pytest.raises(InvalidInputError) as e:
        read_table(path, CANDIDATE_COLUMNS, CANDIDATE_REQUIRED)
    assert "身份证号 (id_number)" in e.value.message and "row 2 has '姓名', '村'" in e.value.message
    assert e.value.row == 2


def test_data_on_the_second_sheet_and_sheet_by_name_or_number(tmp_path: Path) -> None:
    a, b = make_id(), make_id()
    path = _xlsx(tmp_path / "two.xlsx", {"说明": [["填表说明：身份证号请设置为文本格式"]],
                                         "名单": [HEAD, [1, "乡", "村", "张三", a, "委员", "群众"]],
                                         "补充": [HEAD, [1, "乡", "村", "李四", b, "委员", "群众"]]})
    assert read_table(path, CANDIDATE_COLUMNS, CANDIDATE_REQUIRED).rows[0]["id_number"] == a  # first with a header
    assert read_table(path, CANDIDATE_COLUMNS, CANDIDATE_REQUIRED, sheet="补充").rows[0]["id_number"] == b
    assert read_table(path, CANDIDATE_COLUMNS, CANDIDATE_REQUIRED, sheet="3").sheet == "补充"
    with pytest.raises(InvalidInputError) as e:
        read_table(path, CANDIDATE_COLUMNS, CANDIDATE_REQUIRED, sheet="名册")
    assert e.value.message.endswith("no sheet '名册'; its sheets: 1 '说明', 2 '名单', 3 '补充'")
    with pytest.raises(InvalidInputError, match="no header row"):
        read_table(path, CANDIDATE_COLUMNS, CANDIDATE_REQUIRED, sheet="说明")


def test_xls_with_date_cells_numbers_and_a_footer(tmp_path: Path) -> None:
    a = make_id()
    wb = xlwt.Workbook()
    ws = wb.add_sheet("公安")
    dated = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for c, h in enumerate(["姓名", "身份证号", "类型", "文号", "决定日期", "结束日期", "期限(月)", "备注"]):
        ws.write(0, c, h)
    for c, v in enumerate(["张三", a, "行政拘留", "公(2024)1号"]):
        ws.write(1, c, v)
    ws.write(1, 4, datetime(2024, 3, 15), dated)
    ws.write(1, 6, 12)
    ws.write(2, 0, "制表人：赵六")
    wb.save(str(tmp_path / "flags.xls"))
    t = read_table(tmp_path / "flags.xls", FLAG_COLUMNS, FLAG_REQUIRED)
    assert t.sheet == "公安" and t.footer_rows == 1
    assert t.rows == [{"row": 2, "name": "张三", "id_number": a, "kind": "行政拘留", "reference": "公(2024)1号",
                       "decided_on": "2024-03-15", "end_date": "", "term_months": "12", "note": ""}]


def test_excel_dates_as_cells_serial_numbers_and_text(tmp_path: Path) -> None:
    ids = [make_id() for _ in range(5)]
    path = _xlsx(tmp_path / "d.xlsx", {"s": [
        ["身份证号", "姓名", "类型", "文号", "决定日期"],
        [ids[0], "甲", "investigation", "D-1", datetime(2023, 5, 1)],
        [ids[1], "乙", "investigation", "D-2", 45047],          # the same day, a cell without a date format
        [ids[2], "丙", "investigation", "D-3", "2023/5/1"],
        [ids[3], "丁", "investigation", "D-4", "2023年5月1日"],
        [ids[4], "戊", "investigation", "D-5", 20230501],       # typed as a number
    ]})
    rows = read_table(path, FLAG_COLUMNS, FLAG_REQUIRED).rows
    assert [r["decided_on"] for r in rows] == ["2023-05-01", "2023-05-01", "2023/5/1", "2023年5月1日", "20230501"]
    drafts = [validate_flag(RS, VOCAB, "discipline", FlagRow(**r)) for r in rows]
    assert all(isinstance(d, FlagDraft) and d.decided_on == date(2023, 5, 1) for d in drafts), drafts


def test_an_id_number_stored_as_a_number_rejects_that_row_only(tmp_path: Path) -> None:
    a = make_id()
    path = _xlsx(tmp_path / "n.xlsx", {"s": [["身份证号", "姓名"], [110105194912310020.0, "张三"], [a, "李四"]]})
    t = read_table(path, CANDIDATE_COLUMNS, CANDIDATE_REQUIRED)
    assert [r["id_number"] for r in t.rows] == [a]
    assert len(t.problems) == 1 and t.problems[0][:2] == (2, "id_number") and "as text" in t.problems[0][2]


def test_unknown_columns_are_listed(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(f"身份证号,姓名,性别,民族,拟任职务\n{make_id()},张三,男,汉族,委员\n", encoding="utf-8")
    assert read_table(path, CANDIDATE_COLUMNS, CANDIDATE_REQUIRED).unknown == ["性别", "民族"]


def _candidate(**fields: str) -> tuple[str, object] | list[FieldProblem]:
    row = CandidateRow(row=7, **{"id_number": make_id(), "name": "张三", **fields})
    return validate_candidate(RS, VOCAB, row)


@pytest.mark.parametrize("word, member", [("中共党员", True), ("中共预备党员", True), ("预备党员", True), ("是", True),
                                          ("群众", False), ("共青团员", False), ("民盟盟员", False), ("否", False),
                                          ("无党派人士", False), ("ＹＥＳ", True)])
def test_party_membership_from_a_political_status_word(word: str, member: bool) -> None:
    out = _candidate(position="党组织书记", party_member=word)
    assert not isinstance(out, list) and out[1].party_member is member  # type: ignore[attr-defined]


def test_a_blank_party_cell_is_an_error_for_a_party_post_not_a_silent_no() -> None:
    """The bug of issue 16: a blank 是否党员 stored as "not a member" made a Party secretary INELIGIBLE."""
    out = _candidate(position="村党组织书记", party_member="")
    assert out == [FieldProblem("party_member", "row 7: party_member: missing; the position 党组织书记 needs it (e.g. "
                                "中共党员, 中共预备党员, 群众; or 是/否)")]
    ok = _candidate(position="村委会委员", party_member="")  # no check of this post looks at it
    assert not isinstance(ok, list) and ok[1].party_member is False  # type: ignore[attr-defined]


def test_an_unknown_party_word_is_always_an_error() -> None:
    out = _candidate(position="村委会委员", party_member="积极分子")
    assert isinstance(out, list) and out[0].field == "party_member" and "unknown value '积极分子'" in out[0].message


@pytest.mark.parametrize("cell, positions", [
    ("村党组织书记", ("party_secretary",)),
    ("村委会主任、村党组织书记", ("vc_director", "party_secretary")),
    ("党组织书记，村委会主任", ("party_secretary", "vc_director")),
    ("党组织委员/村委会委员", ("party_committee", "vc_member")),
    ("书记＋主任", ("party_secretary", "vc_director")),
    ("一肩挑", ("party_secretary", "vc_director")),
    ("社区党委书记、一肩挑", ("party_secretary", "vc_director")),
    ("VC_MEMBER", ("vc_member",)),
])
def test_positions_by_chinese_name_and_separator(cell: str, positions: tuple[str, ...]) -> None:
    out = _candidate(position=cell, party_member="中共党员")
    assert not isinstance(out, list) and out[1].positions == positions  # type: ignore[attr-defined]


def test_an_unknown_position_lists_the_chinese_names() -> None:
    out = _candidate(position="村监委会主任", party_member="群众")
    assert isinstance(out, list) and out[0].message == (
        "row 7: position: unknown position '村监委会主任'; expected one of 党组织书记, 党组织委员, 村(居)委会主任, "
        "村(居)委会委员 (several joined with + 、 , ， /)")


def _flag(agency: str, **fields: str) -> FlagDraft | list[FieldProblem]:
    row = FlagRow(row=3, **{"id_number": make_id(), "name": "张三", "reference": "R-1", "decided_on": "2024-03-15",
                            **fields})
    return validate_flag(RS, VOCAB, agency, row)


@pytest.mark.parametrize("agency, word, kind", [
    ("police", "行政拘留", "administrative_detention"), ("police", "治安拘留", "administrative_detention"),
    ("court", "刑事处罚", "criminal_conviction"), ("procuratorate", "刑事处罚", "criminal_record"),
    ("court", "失信被执行人", "dishonest_debtor"), ("petition", "信访事项尚未办结", "petition_pending"),
    ("police", "ADMINISTRATIVE_DETENTION", "administrative_detention"),
])
def test_kinds_by_their_chinese_words_per_agency(agency: str, word: str, kind: str) -> None:
    out = _flag(agency, kind=word)
    assert isinstance(out, FlagDraft) and out.kind == kind, out


def test_another_agencys_kind_word_is_refused_as_theirs() -> None:
    out = _flag("police", kind="失信被执行人")
    assert isinstance(out, list) and out[0].code == "PERMISSION_DENIED" and "belongs to agency court" in out[0].message


def test_levels_by_their_chinese_names_and_full_width_term() -> None:
    out = _flag("discipline", kind="党纪处分", level="留党察看", term_months="１２")
    assert isinstance(out, FlagDraft) and (out.kind, out.level, out.term_months) == ("party_sanction", "probation", 12)


@pytest.mark.parametrize("spelled", ["2024-03-15", "2024/3/15", "2024.3.15", "2024年3月15日", "20240315",
                                     "２０２４年３月１５日"])
def test_dates_in_each_spelling(spelled: str) -> None:
    out = _flag("court", kind="刑事处罚", decided_on=spelled)
    assert isinstance(out, FlagDraft) and out.decided_on == date(2024, 3, 15)


def test_full_width_id_number_is_the_same_person() -> None:
    a = make_id()
    full = "".join(chr(ord(c) + 0xFEE0) for c in a)
    out = _flag("court", kind="刑事处罚", id_number=full)
    assert isinstance(out, FlagDraft) and out.id_number == a
