"""An agency's verification commands (核实): list its REVIEW verdicts in a round, resolve one with its opinion."""

from __future__ import annotations

import argparse
import sys

from eligibility.console import render
from eligibility.console.common import Add, as_json, session

_SKIP = {"RESOLVED", "RESOLUTION-VOID"}


def _why(item: dict[str, object]) -> str:
    reasons = item["reasons"]
    assert isinstance(reasons, list)
    asked = [f"{t['rule_id']}: {t['detail']}" if t["detail"] else t["rule_id"] for t in reasons
             if t["verdict"] == "REVIEW" and t["rule_id"] not in _SKIP]
    void = [t["detail"].split("; void: ", 1)[-1] for t in reasons if t["rule_id"] == "RESOLUTION-VOID"]
    done = [t["detail"] for t in reasons if t["rule_id"] == "RESOLVED"]
    return "; ".join(asked + [f"earlier resolution void: {v}" for v in void] + done)


def cmd_review_list(args: argparse.Namespace) -> int:
    """The agency's REVIEW verdicts in a round, with why."""
    n = 0
    with session(args) as s:
        for item in s.reviews(args.round, args.all):
            n += 1
            if as_json(args):
                render.jsonl(item)
                continue
            state = item["verdict"] if item["resolvable"] or item["verdict"] != "REVIEW" else "REVIEW (not resolvable)"
            print(f"{item['id_number']}  {item['name']}  {item['township']} {item['village']}  {state}  "
                  f"{item['decision_id']}")
            print(f"    {_why(item)}")
            if item["not_resolvable"]:
                print(f"    cannot be resolved: {item['not_resolvable']}")
    if not n:
        print(f"no REVIEW verdicts of {args.role} in round {args.round}"
              + ("" if args.all else " (--all also lists those resolved)"), file=sys.stderr)
    return 0


def cmd_review_resolve(args: argparse.Namespace) -> int:
    """Record the agency's conclusion on one of its REVIEW verdicts; the candidate is screened again at once."""
    with session(args) as s:
        resolution, decision = s.resolve(args.round, args.id_number, args.outcome, args.opinion, args.handler or "")
    if as_json(args):
        render.jsonl({"resolution": resolution, "decision": decision})
    else:
        print(f"{args.role} resolved {resolution['name']} {resolution['id_number_masked']} in round "
              f"{resolution['round_id']}: {resolution['outcome'].upper()} (on decision {resolution['decision_id']}, "
              f"log entry {resolution['leaf_index']})")
        print(f"new decision {decision['decision_id']}: {args.role} {decision['verdicts'].get(args.role)}, "
              f"overall {decision['overall']}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], add: Add) -> None:
    """The review commands."""
    grp = sub.add_parser("review", help="verify your agency's REVIEW verdicts (核实)").add_subparsers(
        dest="sub", required=True)
    sp = add(grp, "list", cmd_review_list, "your agency's REVIEW verdicts in a round, with why")
    sp.add_argument("--round", required=True)
    sp.add_argument("--all", action="store_true", help="also the verdicts your agency already resolved")
    sp = add(grp, "resolve", cmd_review_resolve,
             "record your agency's conclusion on a REVIEW verdict (the candidate is screened again at once)")
    sp.add_argument("--round", required=True)
    sp.add_argument("--id-number", required=True, help="the candidate's full ID number")
    sp.add_argument("--outcome", required=True, choices=["pass", "fail"], type=str.lower)
    sp.add_argument("--opinion", required=True, help="your agency's written opinion (核实意见)")
    sp.add_argument("--handler", help="who verified it (经办人)")
