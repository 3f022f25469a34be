"""An agency's verification commands (核实): list its REVIEW verdicts in a round, resolve one with its opinion."""

from __future__ import annotations

import argparse
import sys

from eligibility.console import render
from eligibility.console.common import Add, as_json, session
from eligibility.console.i18n import t

_SKIP = {"RESOLVED", "RESOLUTION-VOID"}


def _why(item: dict[str, object]) -> str:
    reasons = item["reasons"]
    assert isinstance(reasons, list)
    asked = [f"{x['rule_id']}: {x['detail']}" if x["detail"] else x["rule_id"] for x in reasons
             if x["verdict"] == "REVIEW" and x["rule_id"] not in _SKIP]
    void = [x["detail"].split("; void: ", 1)[-1] for x in reasons if x["rule_id"] == "RESOLUTION-VOID"]
    done = [x["detail"] for x in reasons if x["rule_id"] == "RESOLVED"]
    return "; ".join(asked + [t("earlier resolution void: {why}", why=v) for v in void] + done)


def cmd_review_list(args: argparse.Namespace) -> int:
    """The agency's REVIEW verdicts in a round, with why."""
    n = 0
    with session(args) as s:
        for item in s.reviews(args.round, args.all):
            n += 1
            if as_json(args):
                render.jsonl(item)
                continue
            state = t(item["verdict"]) if item["resolvable"] or item["verdict"] != "REVIEW" else t("REVIEW (not resolvable)")
            print(f"{item['id_number']}  {item['name']}  {item['township']} {item['village']}  {state}  "
                  f"{item['decision_id']}")
            print(f"    {_why(item)}")
            if item["not_resolvable"]:
                print(t("    cannot be resolved: {why}", why=item["not_resolvable"]))
    if not n:
        print(t("no REVIEW verdicts of {agency} in round {round}", agency=args.role, round=args.round)
              + ("" if args.all else t(" (--all also lists those resolved)")), file=sys.stderr)
    return 0


def cmd_review_resolve(args: argparse.Namespace) -> int:
    """Record the agency's conclusion on one of its REVIEW verdicts; the candidate is screened again at once."""
    with session(args) as s:
        resolution, decision = s.resolve(args.round, args.id_number, args.outcome, args.opinion, args.handler or "")
    if as_json(args):
        render.jsonl({"resolution": resolution, "decision": decision})
    else:
        print(t("{agency} resolved {name} {id} in round {round}: {outcome} (on decision {decision}, log entry {leaf})",
                agency=args.role, name=resolution["name"], id=resolution["id_number_masked"], round=resolution["round_id"],
                outcome=t(resolution["outcome"].upper()), decision=resolution["decision_id"], leaf=resolution["leaf_index"]))
        print(t("new decision {decision}: {agency} {verdict}, overall {overall}", decision=decision["decision_id"],
                agency=args.role, verdict=t(decision["verdicts"].get(args.role, "")), overall=t(decision["overall"])))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], add: Add) -> None:
    """The review commands."""
    grp = sub.add_parser("review", help=t("verify your agency's REVIEW verdicts (核实)")).add_subparsers(
        dest="sub", required=True)
    sp = add(grp, "list", cmd_review_list, t("your agency's REVIEW verdicts in a round, with why"))
    sp.add_argument("--round", required=True)
    sp.add_argument("--all", action="store_true", help=t("also the verdicts your agency already resolved"))
    sp = add(grp, "resolve", cmd_review_resolve,
             t("record your agency's conclusion on a REVIEW verdict (the candidate is screened again at once)"))
    sp.add_argument("--round", required=True)
    sp.add_argument("--id-number", required=True, help=t("the candidate's full ID number"))
    sp.add_argument("--outcome", required=True, choices=["pass", "fail"], type=str.lower)
    sp.add_argument("--opinion", required=True, help=t("your agency's written opinion (核实意见)"))
    sp.add_argument("--handler", help=t("who verified it (经办人)"))
