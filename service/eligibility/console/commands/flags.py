"""An agency's flag commands: submit, correct, retract, list."""

from __future__ import annotations

import argparse
from typing import Any

from eligibility.console import render, uploads
from eligibility.console.common import Add, UsageError, as_json, session, vocabulary
from eligibility.console.i18n import lang, t
from eligibility.intake.files import FLAG_COLUMNS, FLAG_REQUIRED


def cmd_flags_submit(args: argparse.Namespace, correction: bool = False) -> int:
    """Submit flags from a file (corrections with --correct and a reason; --check: say what it would do)."""
    table = uploads.read(args, args.file, FLAG_COLUMNS, FLAG_REQUIRED)
    correction = correction or bool(getattr(args, "correct", False))
    if correction and not args.reason:
        raise UsageError(t("a correction needs --reason TEXT"))
    results: list[dict[str, Any]] = []
    with session(args) as s, render.Progress(t("flags"), len(table.rows), not as_json(args)) as bar:
        for chunk in s.submit_flags(table.rows, correction=correction, reason=args.reason or "", dry_run=args.check):
            results.extend(chunk)
            bar.advance(len(chunk))
    results = uploads.results_with_file_problems(table, results)
    uploads.in_file_terms(table, results)
    if as_json(args):
        for r in results:
            render.jsonl(r)
    counts = {s: sum(1 for r in results if r["status"] == s.upper()) for s in ("created", "corrected", "unchanged",
                                                                               "rejected")}
    rejected = uploads.report(args, args.file, table, results, "flag")
    if not as_json(args):
        said = t("{rows} rows checked, nothing stored (--check): {created} would be created, {corrected} would be "
                 "corrected, {unchanged} would be unchanged, {rejected} would be rejected") if args.check else \
            t("{rows} rows: {created} created, {corrected} corrected, {unchanged} unchanged, {rejected} rejected")
        print(said.format(rows=len(results), **counts))
    return 1 if rejected else 0


def cmd_flags_correct(args: argparse.Namespace) -> int:
    """Correct flags from a file (new versions), with a reason."""
    return cmd_flags_submit(args, correction=True)


def cmd_flags_retract(args: argparse.Namespace) -> int:
    """Retract a flag by its reference, with a reason."""
    if not args.reason:
        raise UsageError(t("a retraction needs --reason TEXT"))
    with session(args) as s:
        flag = s.retract_flag(args.reference, args.reason)
    if as_json(args):
        render.jsonl(flag)
    else:
        said = t("{reference} retracted (version {version})") if flag["changed"] else \
            t("{reference} was already retracted (version {version})")
        print(said.format(reference=flag["reference"], version=flag["version"]))
    return 0


def cmd_flags_list(args: argparse.Namespace) -> int:
    """List the agency's own flags."""
    from rich.table import Table
    with session(args) as s:
        flags = s.list_flags(args.kind or "", args.all_versions)
    if as_json(args):
        for f in flags:
            render.jsonl(f)
        return 0
    vocab = vocabulary(args)
    table = Table(title=t("{role} flags ({n})", role=vocab.agency_label(args.role, lang()), n=len(flags)),
                  header_style="bold")
    columns = ("reference", "v", "status", "kind", "level", "decided_on", "end_date", "name", "id_number")
    heads = {"reference": t("reference"), "v": t("v"), "status": t("status"), "kind": t("kind"), "level": t("level"),
             "decided_on": t("decided_on"), "end_date": t("end_date"), "name": t("name"), "id_number": t("id_number")}
    for col in columns:
        table.add_column(heads[col], no_wrap=True)
    for f in flags:
        shown = {**f, "v": f["version"], "status": t(f["status"]),
                 "kind": vocab.kind_label(f["kind"], "zh") if lang() == "zh" else f["kind"]}
        table.add_row(*(str(shown[col]) for col in columns))
    render.console.print(table)
    return 0


def upload_options(sp: argparse.ArgumentParser) -> None:
    """The options of every command that sends a file's rows."""
    sp.add_argument("--sheet", help=t("the sheet to read, by name or number from 1 (default: the first with a header "
                                      "row)"))
    sp.add_argument("--check", action="store_true",
                    help=t("dry run: check every row and say what would happen; store nothing"))
    sp.add_argument("--rejected", metavar="FILE", help=t("write the rejected rows, with an error column, to FILE.xlsx or "
                                                         "FILE.csv (fix them there and send that file)"))


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], add: Add) -> None:
    """The flags commands."""
    flags = sub.add_parser("flags", help=t("an agency's flags")).add_subparsers(dest="sub", required=True)
    sp = add(flags, "submit", cmd_flags_submit, t("submit flags from a CSV/XLSX/XLS file"))
    sp.add_argument("file")
    sp.add_argument("--correct", action="store_true", help=t("rows with existing references are corrections"))
    sp.add_argument("--reason")
    upload_options(sp)
    sp = add(flags, "correct", cmd_flags_correct, t("correct flags from a file (new versions), with a reason"))
    sp.add_argument("file")
    sp.add_argument("--reason")
    upload_options(sp)
    sp = add(flags, "retract", cmd_flags_retract, t("retract a flag by its reference, with a reason"))
    sp.add_argument("reference")
    sp.add_argument("--reason")
    sp = add(flags, "list", cmd_flags_list, t("list your own flags"))
    sp.add_argument("--kind")
    sp.add_argument("--all-versions", action="store_true")
