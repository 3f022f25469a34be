"""Input files: CSV with or without BOM, GB18030, Chinese headers, XLSX, missing columns."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook

from eligibility.errors import InvalidInputError
from eligibility.intake.files import CANDIDATE_COLUMNS, CANDIDATE_REQUIRED, FLAG_COLUMNS, FLAG_REQUIRED, read_rows

ZH = "身份证号,姓名,村(社区),乡镇(街道),拟任职务,是否党员\n11010519491231002X,张三,桃源村,桃源乡,一肩挑,是\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_chinese_headers_in_each_encoding(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(ZH.encode(encoding))
    rows = list(read_rows(path, CANDIDATE_COLUMNS, CANDIDATE_REQUIRED))
    assert rows == [{"row": 2, "id_number": "11010519491231002X", "name": "张三", "village": "桃源村",
                     "township": "桃源乡", "position": "一肩挑", "party_member": "是"}]


def test_full_width_parentheses_in_headers(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(ZH.replace("村(社区)", "村（社区）"), encoding="utf-8")
    assert next(read_rows(path, CANDIDATE_COLUMNS, CANDIDATE_REQUIRED))["village"] == "桃源村"


def test_missing_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("id_number,name,kind,decided_on\n", encoding="utf-8")
    with pytest.raises(InvalidInputError) as e:
        list(read_rows(path, FLAG_COLUMNS, FLAG_REQUIRED))
    assert "reference" in e.value.message and e.value.row == 1


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_bytes(b"")
    with pytest.raises(InvalidInputError, match="empty file"):
        list(read_rows(path, FLAG_COLUMNS, FLAG_REQUIRED))


def test_binary_garbage_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "g.csv"
    path.write_bytes(bytes(range(128, 256)) * 4)
    with pytest.raises(InvalidInputError):
        list(read_rows(path, FLAG_COLUMNS, FLAG_REQUIRED))


def test_xlsx_with_date_cells_and_text_ids(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["身份证号", "姓名", "kind", "文号", "decided_on", "end_date", "level", "term_months", "note"])
    ws.append(["11010519491231002X", "张三", "party_sanction", "纪-1", date(2025, 8, 1), None, "probation", 12, ""])
    ws.append([None, None, None, None, None, None, None, None, None])
    path = tmp_path / "f.xlsx"
    wb.save(path)
    rows = list(read_rows(path, FLAG_COLUMNS, FLAG_REQUIRED))
    assert rows == [{"row": 2, "id_number": "11010519491231002X", "name": "张三", "kind": "party_sanction",
                     "reference": "纪-1", "decided_on": "2025-08-01", "end_date": "", "level": "probation",
                     "term_months": "12", "note": ""}]


def test_xlsx_id_stored_as_number_is_refused(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["id_number", "name", "kind", "reference", "decided_on"])
    ws.append([110105194912310020.0, "张三", "investigation", "D-1", "2026-01-01"])
    path = tmp_path / "n.xlsx"
    wb.save(path)
    with pytest.raises(InvalidInputError, match="as text"):
        list(read_rows(path, FLAG_COLUMNS, FLAG_REQUIRED))
