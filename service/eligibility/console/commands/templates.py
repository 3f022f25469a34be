"""The template command: a blank workbook for an agency's flags or the district's candidates."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from eligibility.console.common import Add, UsageError, config, rules_dirs, vocabulary
from eligibility.console.template import write_template
from eligibility.errors import EligibilityError
from eligibility.rules.loader import discover, load_ruleset_file


def cmd_template(args: argparse.Namespace) -> int:
    """Write a template workbook (no server needed: the home's rules and vocabulary, or the shipped ones)."""
    vocab = vocabulary(args)
    agency = args.role if args.what == "flags" and args.role in vocab.agencies else None
    if args.what == "flags" and args.role and agency is None:
        raise UsageError(f"--as {args.role}: flags are an agency's; agencies: {', '.join(vocab.agencies)}")
    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        raise UsageError(f"--out {out}: a template is an .xlsx workbook")
    try:
        default = config(args).default_ruleset
    except EligibilityError:
        default = "national-2021"
    found = {rs.name: rs for d in rules_dirs(args) for rs in map(load_ruleset_file, discover(d))}
    rs = found.get(args.ruleset or default)
    if rs is None:
        raise UsageError(f"no ruleset {args.ruleset or default!r}; rulesets: {', '.join(found)}")
    try:
        columns = write_template(args.what, out, rs, vocab, agency)
    except OSError as e:
        raise UsageError(f"--out {out}: cannot write ({e.strerror})") from None
    whose = f" for {vocab.agency_label(agency, 'zh')}" if agency else ""
    print(f"wrote {out}: {args.what} template{whose} ({columns} columns, drop-downs from the sheet 可选值, one example "
          f"row; ruleset {rs.label})", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], add: Add) -> None:
    """The template command."""
    sp = add(sub, "template", cmd_template, "write a blank XLSX to fill in: flags (--as AGENCY: its kinds) or candidates")
    sp.add_argument("what", choices=["flags", "candidates"])
    sp.add_argument("--out", required=True, help="FILE.xlsx")
    sp.add_argument("--ruleset")
