"""The template command: a blank workbook for an agency's flags or the district's candidates."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from eligibility.console.common import Add, UsageError, config, rules_dirs, vocabulary
from eligibility.console.i18n import t
from eligibility.console.template import write_template
from eligibility.errors import EligibilityError
from eligibility.rules.loader import discover, load_ruleset_file


def cmd_template(args: argparse.Namespace) -> int:
    """Write a template workbook (no server needed: the home's rules and vocabulary, or the shipped ones)."""
    vocab = vocabulary(args)
    agency = args.role if args.what == "flags" and args.role in vocab.agencies else None
    if args.what == "flags" and args.role and agency is None:
        raise UsageError(t("--as {role}: flags are an agency's; agencies: {agencies}", role=args.role,
                           agencies=", ".join(vocab.agencies)))
    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        raise UsageError(t("--out {out}: a template is an .xlsx workbook", out=out))
    try:
        default = config(args).default_ruleset
    except EligibilityError:
        default = "national-2021"
    found = {rs.name: rs for d in rules_dirs(args) for rs in map(load_ruleset_file, discover(d))}
    rs = found.get(args.ruleset or default)
    if rs is None:
        raise UsageError(t("no ruleset {name!r}; rulesets: {names}", name=args.ruleset or default, names=", ".join(found)))
    try:
        columns = write_template(args.what, out, rs, vocab, agency)
    except OSError as e:
        raise UsageError(t("--out {out}: cannot write ({why})", out=out, why=e.strerror)) from None
    whose = t(" for {agency}", agency=vocab.agency_label(agency, "zh")) if agency else ""
    print(t("wrote {out}: {what} template{whose} ({columns} columns, drop-downs from the sheet 可选值, one example row; "
            "ruleset {ruleset})", out=out, what=t(args.what), whose=whose, columns=columns, ruleset=rs.label),
          file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], add: Add) -> None:
    """The template command."""
    sp = add(sub, "template", cmd_template, t("write a blank XLSX to fill in: flags (--as AGENCY: its kinds) or candidates"))
    sp.add_argument("what", choices=["flags", "candidates"])
    sp.add_argument("--out", required=True, help=t("FILE.xlsx"))
    sp.add_argument("--ruleset")
