"""A user's file sent to the server: read it (intake.files), say what was read and what was not, name each rejected
row's problem in the file's own header names, and write the rejected rows to a file to fix and send again."""

from __future__ import annotations

import argparse
import csv
import re
import sys
import unicodedata
from pathlib import Path
from typing import Any

from eligibility.console.common import UsageError, as_json
from eligibility.console.i18n import lang, row_error_zh, t
from eligibility.console.reports.content import safe_text
from eligibility.intake.files import Table, header_cells, raw_rows, read_table

ERROR_COLUMN = "错误原因"
"""The column the rejected-rows file adds (intake.files ignores it when the fixed file comes back)."""


def read(args: argparse.Namespace, path: str, columns: dict[str, tuple[str, ...]], required: tuple[str, ...]) -> Table:
    """Read the file (the sheet of --sheet) and tell the user, on stderr, what of it was read."""
    table = read_table(Path(path), columns, required, sheet=getattr(args, "sheet", None))
    if not as_json(args):
        notes = []
        if table.sheet and getattr(args, "sheet", None) is None:
            notes.append(t("sheet {sheet!r}", sheet=table.sheet))
        if table.header_row > 1:
            notes.append(t("header in row {row} (the rows above it are taken as a title)", row=table.header_row))
        if table.example_rows:
            notes.append(t("the template's example row skipped"))
        if table.footer_rows:
            notes.append(t("{n} footer row(s) skipped (填表人/审核人...)", n=table.footer_rows))
        if notes:
            print(f"{path}: " + t("; ").join(notes), file=sys.stderr)
        if table.unknown:
            print(t("warning: {path}: column(s) not read: {columns}", path=path,
                    columns=", ".join(repr(h) for h in table.unknown)), file=sys.stderr)
    return table


def results_with_file_problems(table: Table, results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The server's row results and the rows the reader could not send (a cell it cannot read), in row order."""
    if not table.problems:
        return results
    mine = [{"row": row, "key": "", "status": "REJECTED", "version": 0,
             "errors": [{"field": field, "message": message, "code": "INVALID_ARGUMENT"}]}
            for row, field, message in table.problems]
    return sorted([*results, *mine], key=lambda r: int(r["row"]))


def in_file_terms(table: Table, results: list[dict[str, Any]]) -> None:
    """Give each error the column as the file's header names it ("column": "政治面貌" beside "field": "party_member");
    the message stays the server's (what --format json prints), people read it through said()."""
    for r in results:
        for e in r["errors"]:
            e["column"] = table.header_of(e["field"]) if e["field"] else ""


_ROW = re.compile(r"row (\d+): (?:(\w+): )?(.*)", re.DOTALL)


def said(e: dict[str, Any], language: str | None = None) -> str:
    """An error as the user reads it, in the file's terms and the console's language: "row 7: party_member: missing"
    -> "row 7, 政治面貌: missing" (in Chinese "第 7 行，政治面貌：未填写")."""
    message = str(e["message"])
    m = _ROW.fullmatch(message)
    if m is None:
        return message
    row, field, text = m.groups()
    column = e.get("column") if field and field == e.get("field") else None
    if (language or lang()) == "zh":
        return f"第 {row} 行，{column}：{row_error_zh(text)}" if column else f"第 {row} 行：{row_error_zh(text)}"
    return f"row {row}, {column}: {text}" if column else message





def repeated_people(table: Table, results: list[dict[str, Any]]) -> None:
    """In a dry run sent in several requests, a person listed twice in different requests: the later row rejected as
    the server would reject it when the rows are stored in one go."""
    first: dict[str, int] = {}
    by_row = {r["row"]: r for r in table.rows}
    for res in results:
        if res["status"] == "REJECTED" or res["row"] not in by_row:
            continue
        key = unicodedata.normalize("NFKC", str(by_row[res["row"]].get("id_number", ""))).strip().upper()
        if key in first and first[key] != res["row"]:
            res["status"] = "REJECTED"
            res["errors"] = [{"field": "id_number", "code": "INVALID_ARGUMENT", "message": f"row {res['row']}: "
                              f"id_number: same person as row {first[key]}; list a person once with all positions "
                              "joined by +"}]
        first.setdefault(key, res["row"])


def report(args: argparse.Namespace, path: str, table: Table, results: list[dict[str, Any]], what: str) -> int:
    """Print why each rejected row was rejected (stderr), write them to --rejected FILE; return how many were."""
    rejected = [r for r in results if r["status"] == "REJECTED"]
    for r in rejected:
        for e in r["errors"]:
            print(t("rejected {what} {key}: [{code}] {message}", what=t(what), key=r["key"] or t("(no key)"), code=e["code"],
                    message=said(e)), file=sys.stderr)
    out = getattr(args, "rejected", None)
    if out:
        write_rejected(Path(path), table, rejected, Path(out))
        if not as_json(args):
            print(t("{n} rejected row(s) written to {out}, each with its {column}: fix them there and send that file",
                    n=len(rejected), out=out, column=ERROR_COLUMN), file=sys.stderr)
    return len(rejected)


def write_rejected(path: Path, table: Table, rejected: list[dict[str, Any]], out: Path) -> None:
    """The rejected rows as they are in the file (every column, the header row first) with an error column."""
    suffix = out.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise UsageError(t("--rejected {out}: write FILE.xlsx or FILE.csv", out=out))
    header = [h for h in header_cells(path, table) if h is not None]
    while header and not str(header[-1]).strip():
        header.pop()
    wanted = {int(r["row"]) for r in rejected}
    cells = raw_rows(path, table, wanted)
    reasons = {int(r["row"]): "；".join(said(e) for e in r["errors"]) for r in rejected}
    rows = [[*_padded(cells.get(n, []), len(header)), reasons[n]] for n in sorted(wanted)]
    try:
        if suffix == ".csv":
            with out.open("w", encoding="utf-8-sig", newline="") as f:
                w = csv.writer(f)
                w.writerow([*header, ERROR_COLUMN])
                w.writerows([["" if v is None else safe_text(v) if isinstance(v, str) else v for v in row]
                             for row in rows])
            return
        from openpyxl import Workbook  # type: ignore[import-untyped]
        from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("被退回的行")

        def text(v: Any) -> Any:  # a cell that reads "=..." is text as the file had it, never a formula to run
            if not isinstance(v, str) or not v.startswith("="):
                return v
            cell = WriteOnlyCell(ws, value=v)
            cell.data_type = "s"
            return cell
        ws.append([text(h) for h in [*header, ERROR_COLUMN]])
        for row in rows:
            ws.append([text(v) for v in row])
        wb.save(out)
    except OSError as e:
        raise UsageError(t("--rejected {out}: cannot write ({why})", out=out, why=e.strerror)) from None


def _padded(values: list[Any], width: int) -> list[Any]:
    return [*values[:width], *([None] * (width - len(values)))]
