"""Reading candidate and flag files: CSV (UTF-8 with or without BOM, or GB18030) and XLSX, English or Chinese headers."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from eligibility.errors import InvalidInputError

MAX_CELL = 10_000

FLAG_COLUMNS: dict[str, tuple[str, ...]] = {
    "id_number": ("身份证号", "身份证号码", "公民身份号码"),
    "name": ("姓名",),
    "kind": ("类型", "类别", "问题类型"),
    "reference": ("文号", "编号"),
    "decided_on": ("决定日期", "处理日期", "日期"),
    "end_date": ("结束日期", "截止日期", "终止日期"),
    "level": ("等级", "级别", "处分种类"),
    "term_months": ("期限", "期限月数", "期限(月)"),
    "note": ("备注", "说明"),
}
FLAG_REQUIRED = ("id_number", "name", "kind", "reference", "decided_on")
CANDIDATE_COLUMNS: dict[str, tuple[str, ...]] = {
    "id_number": ("身份证号", "身份证号码", "公民身份号码"),
    "name": ("姓名",),
    "village": ("村(社区)", "村", "社区", "村社区"),
    "township": ("乡镇(街道)", "乡镇", "街道", "乡镇街道"),
    "position": ("拟任职务", "职务"),
    "party_member": ("是否党员", "党员"),
}
CANDIDATE_REQUIRED = ("id_number", "name")


def _norm_header(h: str) -> str:
    text = unicodedata.normalize("NFKC", h).replace("\ufeff", "").strip().lower()
    return "".join(text.split())


def _header_map(headers: list[str], columns: dict[str, tuple[str, ...]], required: tuple[str, ...],
                source: str) -> dict[int, str]:
    lookup = {}
    for canon, aliases in columns.items():
        for alias in (canon, *aliases):
            lookup[_norm_header(alias)] = canon
    mapping: dict[int, str] = {}
    for i, h in enumerate(headers):
        found = lookup.get(_norm_header(h or ""))
        if found and found not in mapping.values():
            mapping[i] = found
    missing = [c for c in required if c not in mapping.values()]
    if missing:
        raise InvalidInputError(
            f"{source}: missing column(s) {', '.join(missing)} in the header row (found: "
            f"{', '.join(repr(h) for h in headers if h) or 'nothing'})", field=missing[0], row=1)
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
    if isinstance(v, float):
        if field == "id_number":
            raise InvalidInputError(
                f"row {row}: id_number: stored as a number in the spreadsheet (digits are lost); format the "
                "column as text", field=field, row=row)
        return str(int(v)) if v.is_integer() else str(v)
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
    raise InvalidInputError(f"{source}: not UTF-8 or GB18030 text; save the file as UTF-8 CSV")


def _raw_rows(path: Path) -> Iterator[list[Any]]:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook  # type: ignore[import-untyped]
        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as e:  # noqa: BLE001 - any unreadable workbook is the user's input problem
            raise InvalidInputError(f"{path}: not a readable XLSX file ({e.__class__.__name__})") from None
        try:
            for values in wb.worksheets[0].iter_rows(values_only=True):
                yield list(values)
        finally:
            wb.close()
        return
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InvalidInputError(f"{path}: cannot read ({e.strerror})") from None
    reader = csv.reader(io.StringIO(_decode(data, str(path)), newline=""))
    line = 1
    try:
        for line, values in enumerate(reader, start=1):  # noqa: B007 - line is reported on error
            yield values
    except csv.Error as e:
        raise InvalidInputError(f"{path}: row {line + 1}: unreadable CSV ({e}); cells are limited to "
                                f"{csv.field_size_limit():,} characters", row=line + 1) from None


def read_rows(path: Path, columns: dict[str, tuple[str, ...]], required: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    """Yield one dict per data row with canonical column names and "row" = the line in the file (header = 1)."""
    rows = _raw_rows(path)
    headers = next(rows, None)
    if headers is None:
        raise InvalidInputError(f"{path}: empty file (no header row)", row=1)
    mapping = _header_map([str(h) if h is not None else "" for h in headers], columns, required, str(path))
    for n, values in enumerate(rows, start=2):
        if all(v is None or str(v).strip() == "" for v in values):
            continue
        out: dict[str, Any] = {"row": n}
        for i, canon in mapping.items():
            out[canon] = _cell(values[i] if i < len(values) else None, canon, n)
        yield out
