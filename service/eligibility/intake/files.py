"""Reading candidate and flag files as offices have them: CSV (UTF-8 with or without BOM, or GB18030), XLSX and the
older XLS, English or Chinese headers.

The header row is looked for among the first rows (title rows above it are skipped), on the sheet asked for or the
first sheet that has one; footer rows (填表人：… 审核人：…) are recognised and skipped; date cells become ISO dates.
Every row keeps its line in the file, and every column the header text the user wrote, so that an error can say
"row 7, 政治面貌: ..." about the file in front of the user.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from eligibility.errors import InvalidInputError

MAX_CELL = 10_000
HEADER_SEARCH = 20
"""Rows looked at for the header row (a title, a date line and blank rows often stand above it)."""

FLAG_COLUMNS: dict[str, tuple[str, ...]] = {
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "身份证件号码"),
    "name": ("姓名",),
    "kind": ("类型", "类别", "问题类型", "记录类型"),
    "reference": ("文号", "编号", "决定文号", "案号"),
    "decided_on": ("决定日期", "处理日期", "日期", "处分日期", "判决日期"),
    "end_date": ("结束日期", "截止日期", "终止日期", "解除日期"),
    "level": ("等级", "级别", "处分种类", "处分等级"),
    "term_months": ("期限", "期限月数", "期限(月)", "期限（月）"),
    "note": ("备注", "说明"),
}
FLAG_REQUIRED = ("id_number", "name", "kind", "reference", "decided_on")
CANDIDATE_COLUMNS: dict[str, tuple[str, ...]] = {
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "身份证件号码"),
    "name": ("姓名",),
    "village": ("村(社区)", "村", "社区", "村社区", "村(社区)名称", "所在村(社区)"),
    "township": ("乡镇(街道)", "乡镇", "街道", "乡镇街道", "所在乡镇(街道)"),
    "position": ("拟任职务", "职务", "拟任岗位", "拟推荐职务"),
    "party_member": ("是否党员", "党员", "政治面貌"),
}
CANDIDATE_REQUIRED = ("id_number", "name")
LABELS = {"id_number": "身份证号", "name": "姓名", "kind": "类型", "reference": "文号", "decided_on": "决定日期",
          "end_date": "结束日期", "level": "等级", "term_months": "期限(月)", "note": "备注", "village": "村(社区)",
          "township": "乡镇(街道)", "position": "拟任职务", "party_member": "是否党员"}
"""The Chinese header of each column, as the template writes it and as an error names a column the file lacks."""

IGNORED = frozenset(_h for _h in ("序号", "编号序号", "no.", "no", "错误原因", "error"))
"""Columns read by nobody and not worth a warning: a row counter, and the error column of a rejected-rows file."""

DATE_FIELDS = frozenset({"decided_on", "end_date"})
FOOTER_WORDS = ("填表人", "制表人", "填报人", "审核人", "审批人", "负责人", "经办人", "联系人", "联系电话", "填表日期",
                "制表日期", "填报日期", "填报单位", "报送单位", "单位(盖章)", "(盖章)", "盖章", "注:", "说明:", "备注:")
"""How a footer row begins (after NFKC: full-width colons and brackets fold): a row without an ID number that
begins so is the form's signature line, not a record."""

EXAMPLE_ID = "11010519491231002X"
"""The ID number of the templates' example row (GB 11643's own example)."""
EXAMPLE_NAME = "（示例）张三"
"""The name of the templates' example row: a row whose name begins with （示例） is skipped, not sent."""

_EXCEL_EPOCH = datetime(1899, 12, 30)


def _norm_header(h: str) -> str:
    text = unicodedata.normalize("NFKC", h).replace("\ufeff", "").strip().lower()
    return "".join(text.split())


@dataclass
class Table:
    """The rows of one sheet of a file, with what the reader found out about it."""

    source: str
    header_row: int
    headers: dict[str, str]
    """Column (id_number, name...) -> the header text in the file."""
    unknown: list[str]
    """Header texts of columns that are not read."""
    rows: list[dict[str, Any]] = field(default_factory=list)
    """One dict per data row: column -> text, and "row" = the line in the sheet (the header row's is header_row)."""
    problems: list[tuple[int, str, str]] = field(default_factory=list)
    """(row, column, message) of cells that cannot be read; their rows are not in rows."""
    footer_rows: int = 0
    example_rows: int = 0
    sheet: str = ""

    def header_of(self, column: str) -> str:
        """The file's header for a column (the Chinese label when the file has none)."""
        return self.headers.get(column) or LABELS.get(column, column)


def _header_map(headers: list[str], columns: dict[str, tuple[str, ...]]) -> dict[int, str]:
    lookup = {}
    for canon, aliases in columns.items():
        for alias in (canon, *aliases):
            lookup[_norm_header(alias)] = canon
    mapping: dict[int, str] = {}
    for i, h in enumerate(headers):
        found = lookup.get(_norm_header(h or ""))
        if found and found not in mapping.values():
            mapping[i] = found
    return mapping


def _cell(v: Any, field: str, row: int) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.date().isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        if field == "id_number":
            raise InvalidInputError(
                f"row {row}: id_number: stored as a number in the spreadsheet (digits are lost); format the "
                "column as text and type the number again", field=field, row=row)
        if field in DATE_FIELDS and 1 <= v <= 2_958_465 and float(v).is_integer():  # 9999-12-31 is 2958465
            return (_EXCEL_EPOCH + timedelta(days=int(v))).date().isoformat()  # a date cell without a date format
        return str(int(v)) if float(v).is_integer() else str(v)
    text = str(v)
    if len(text) > MAX_CELL:
        raise InvalidInputError(f"row {row}: {field}: cell longer than {MAX_CELL} characters", field=field, row=row)
    return text


def _decode(data: bytes, source: str) -> str:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InvalidInputError(f"{source}: not UTF-8 or GB18030 text; save the file as CSV UTF-8, XLSX or XLS")


Sheet = tuple[str, Iterator[list[Any]]]
"""(sheet name, its rows as lists of cell values)."""


def _xlsx_sheets(path: Path) -> Iterator[Sheet]:
    from openpyxl import load_workbook  # type: ignore[import-untyped]
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # noqa: BLE001 - any unreadable workbook is the user's input problem
        raise InvalidInputError(f"{path}: not a readable XLSX file ({e.__class__.__name__})") from None
    try:
        for ws in wb.worksheets:
            yield ws.title, (list(values) for values in ws.iter_rows(values_only=True))
    finally:
        wb.close()


def _xls_sheets(path: Path) -> Iterator[Sheet]:
    import xlrd  # type: ignore[import-untyped]
    try:
        book = xlrd.open_workbook(path, on_demand=True)
    except Exception as e:  # noqa: BLE001 - any unreadable workbook is the user's input problem
        raise InvalidInputError(f"{path}: not a readable XLS file ({e.__class__.__name__})") from None

    def values(sh: Any) -> Iterator[list[Any]]:
        for r in range(sh.nrows):
            out: list[Any] = []
            for c in sh.row(r):
                if c.ctype == xlrd.XL_CELL_DATE:
                    out.append(xlrd.xldate.xldate_as_datetime(c.value, book.datemode))
                elif c.ctype == xlrd.XL_CELL_BOOLEAN:
                    out.append(bool(c.value))
                elif c.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
                    out.append(None)
                else:
                    out.append(c.value)
            yield out
    try:
        for i in range(book.nsheets):
            sh = book.sheet_by_index(i)
            yield sh.name, values(sh)
    finally:
        book.release_resources()


def _csv_sheets(path: Path) -> Iterator[Sheet]:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InvalidInputError(f"{path}: cannot read ({e.strerror})") from None

    def values() -> Iterator[list[Any]]:
        reader = csv.reader(io.StringIO(_decode(data, str(path)), newline=""))
        line = 1
        try:
            for line, row in enumerate(reader, start=1):  # noqa: B007 - line is reported on error
                yield list(row)
        except csv.Error as e:
            raise InvalidInputError(f"{path}: row {line + 1}: unreadable CSV ({e}); cells are limited to "
                                    f"{csv.field_size_limit():,} characters", row=line + 1) from None
    yield "", values()


def _sheets(path: Path) -> Iterator[Sheet]:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_sheets(path)
    if suffix == ".xls":
        return _xls_sheets(path)
    if suffix in (".et", ".ods", ".numbers", ".wps"):
        raise InvalidInputError(f"{path}: {suffix} files are not read; save the sheet as XLSX, XLS or CSV")
    return _csv_sheets(path)


def _blank(values: list[Any]) -> bool:
    return all(v is None or str(v).strip() == "" for v in values)


def _footer_cell(v: Any) -> bool:
    return "".join(unicodedata.normalize("NFKC", str(v)).split()).startswith(FOOTER_WORDS)


def _is_footer(values: list[Any], id_column: int) -> bool:
    """A row whose first cell begins as a footer does, and whose ID cell is blank or a footer's too (a signature line
    is often spread over the row: 填表人：… in A, 审核人：… under the ID column)."""
    first = next((v for v in values if v is not None and str(v).strip()), "")
    if not _footer_cell(first):
        return False
    id_cell = values[id_column] if id_column < len(values) else None
    return id_cell is None or not str(id_cell).strip() or _footer_cell(id_cell)


def _find_header(rows: Iterator[list[Any]], columns: dict[str, tuple[str, ...]],
                 required: tuple[str, ...]) -> tuple[int, list[str], dict[int, str], list[tuple[int, list[str]]]]:
    """(header row, its cells, column positions) of the first of the first rows that names every required column;
    (0, ...) with the rows looked at when none does."""
    seen: list[tuple[int, list[str]]] = []
    for n, values in enumerate(rows, start=1):
        cells = [str(h) if h is not None else "" for h in values]
        mapping = _header_map(cells, columns)
        if all(c in mapping.values() for c in required):
            return n, cells, mapping, seen
        if not _blank(values):
            seen.append((n, cells))
        if n >= HEADER_SEARCH:
            break
    return 0, [], {}, seen


def _no_header(source: str, columns: dict[str, tuple[str, ...]], required: tuple[str, ...],
               seen: list[tuple[int, list[str]]]) -> InvalidInputError:
    if not seen:
        return InvalidInputError(f"{source}: empty file (no header row)", row=1)
    best_row, best = max(seen, key=lambda s: (len(_header_map(s[1], columns)), -s[0]))
    found = set(_header_map(best, columns).values())
    missing = [c for c in required if c not in found]
    shown = ", ".join(repr(h.strip()[:30]) for h in best if h.strip())
    return InvalidInputError(
        f"{source}: no header row with the column(s) {', '.join(f'{LABELS.get(c, c)} ({c})' for c in missing)} in "
        f"the first {HEADER_SEARCH} rows (row {best_row} has {shown or 'nothing'})", field=missing[0], row=best_row)


def read_table(path: Path, columns: dict[str, tuple[str, ...]], required: tuple[str, ...],
               sheet: str | None = None) -> Table:
    """Read the data rows of a file: the sheet named (or numbered from 1) by `sheet`, else the first sheet with a
    header row; InvalidInputError when there is none."""
    tried: list[str] = []
    failure: InvalidInputError | None = None
    for index, (name, rows) in enumerate(_sheets(path), start=1):
        if sheet is not None and sheet not in (name, str(index)):
            continue
        source = f"{path}" + (f" (sheet {name!r})" if name else "")
        header_row, cells, mapping, seen = _find_header(rows, columns, required)
        if not header_row:
            failure = failure or _no_header(source, columns, required, seen)
            tried.append(name)
            if sheet is not None:
                break
            continue
        table = Table(source=source, header_row=header_row, sheet=name,
                      headers={canon: cells[i].strip() for i, canon in mapping.items()},
                      unknown=[h.strip() for i, h in enumerate(cells)
                               if i not in mapping and h.strip() and _norm_header(h) not in IGNORED])
        _read_data(table, rows, mapping)
        return table
    if sheet is not None and not tried:
        names = [n for n, _ in _sheets(path)]
        raise InvalidInputError(f"{path}: no sheet {sheet!r}; its sheets: "
                                + ", ".join(f"{i} {n!r}" for i, n in enumerate(names, start=1)), field="sheet")
    assert failure is not None
    if len(tried) > 1:
        failure = InvalidInputError(f"{failure.message}; no other sheet ({', '.join(map(repr, tried[1:]))}) has one "
                                    "either (--sheet NAME picks one)", field=failure.field, row=failure.row)
    raise failure


def _read_data(table: Table, rows: Iterator[list[Any]], mapping: dict[int, str]) -> None:
    id_column = next(i for i, c in mapping.items() if c == "id_number")
    for n, values in enumerate(rows, start=table.header_row + 1):
        if _blank(values):
            continue
        if _is_footer(values, id_column):
            table.footer_rows += 1
            continue
        out: dict[str, Any] = {"row": n}
        try:
            for i, canon in mapping.items():
                out[canon] = _cell(values[i] if i < len(values) else None, canon, n)
        except InvalidInputError as e:
            table.problems.append((n, e.field or "", e.message))
            continue
        if unicodedata.normalize("NFKC", out["name"]).strip().startswith("(示例)"):
            table.example_rows += 1
            continue
        table.rows.append(out)


def read_rows(path: Path, columns: dict[str, tuple[str, ...]], required: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    """Yield one dict per data row with canonical column names and "row" = the line in the file; a cell that cannot
    be read is an InvalidInputError (read_table collects them instead)."""
    table = read_table(path, columns, required)
    if table.problems:
        row, column, message = table.problems[0]
        raise InvalidInputError(message, field=column, row=row)
    yield from table.rows


def raw_rows(path: Path, table: Table, wanted: set[int]) -> dict[int, list[Any]]:
    """The cells of the rows numbered in `wanted` (as read_table numbered them), of the sheet table came from."""
    out: dict[int, list[Any]] = {}
    for name, rows in _sheets(path):
        if name != table.sheet:
            continue
        for n, values in enumerate(rows, start=1):
            if n in wanted:
                out[n] = values
        break
    return out


def header_cells(path: Path, table: Table) -> list[str]:
    """The header row's cells, as in the file."""
    return [str(v) if v is not None else "" for v in raw_rows(path, table, {table.header_row}).get(table.header_row, [])]
