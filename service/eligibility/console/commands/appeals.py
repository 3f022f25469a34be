"""Appeal commands (复核): the district opens and decides an appeal; the contested agencies list and answer it."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from eligibility.console import render
from eligibility.console.common import Add, as_json, session
from eligibility.console.i18n import t

ANSWERS = {"uphold": "UPHOLD", "revise": "REVISE"}
"""An agency's answer as the console names it (t() gives its Chinese)."""


def _state(a: dict[str, Any]) -> str:
    if a["decided_by"]:
        return t("decided by decision {decision}", decision=a["decided_by"])
    waiting = [x for x in a["agencies"] if x not in {y["agency"] for y in a["answers"]}]
    return t("waiting for {agencies}", agencies=", ".join(waiting)) if waiting else \
        t("answered: `appeal decide` screens again")


def _print(a: dict[str, Any]) -> None:
    print(t("{appeal}  round {round}  {name} {id}  opened {opened}  against decision {decision}  contests {agencies}  "
            "({state})", appeal=a["appeal_id"], round=a["round_id"], name=a["name"], id=a["id_number_masked"],
            opened=a["opened_at"], decision=a["decision_id"], agencies=", ".join(a["agencies"]), state=_state(a)))
    print(t("    reason: {reason}", reason=a["reason"]))
    for x in a["answers"]:
        by = f", {x['handler']}" if x["handler"] else ""
        print(f"    {x['agency']} {t(ANSWERS[x['answer']])} ({x['answered_at']}{by}): {x['opinion']}")


def cmd_appeal_open(args: argparse.Namespace) -> int:
    """Open an appeal against a candidate's latest decision."""
    with session(args) as s:
        appeal = s.open_appeal(args.round, args.id_number, args.reason)
    if as_json(args):
        render.jsonl(appeal)
    else:
        print(t("appeal {appeal} opened for {name} {id} in round {round} against decision {decision} (log entry {leaf})",
                appeal=appeal["appeal_id"], name=appeal["name"], id=appeal["id_number_masked"], round=appeal["round_id"],
                decision=appeal["decision_id"], leaf=appeal["leaf_index"]))
        print(t("it contests the verdicts of: {agencies}; each answers with `appeal answer {appeal} --uphold|--revise "
                "--opinion TEXT`", agencies=", ".join(appeal["agencies"]), appeal=appeal["appeal_id"]))
    return 0


def cmd_appeal_list(args: argparse.Namespace) -> int:
    """Appeals the role may see."""
    with session(args) as s:
        appeals = s.appeals(args.round or "")
    for a in appeals:
        if as_json(args):
            render.jsonl(a)
        else:
            _print(a)
    if not appeals:
        print(t("no appeals") + (t(" in round {round}", round=args.round) if args.round else "")
              + (t(" contesting your verdicts") if args.role not in ("district", "auditor") else ""), file=sys.stderr)
    return 0


def cmd_appeal_answer(args: argparse.Namespace) -> int:
    """A contested agency's answer."""
    answer = "uphold" if args.uphold else "revise"
    with session(args) as s:
        appeal = s.answer_appeal(args.appeal_id, answer, args.opinion, args.handler or "")
    if as_json(args):
        render.jsonl(appeal)
    else:
        print(t("{agency} answered appeal {appeal}: {answer}", agency=args.role, appeal=appeal["appeal_id"],
                answer=t(ANSWERS[answer])))
        _print(appeal)
    return 0


def cmd_appeal_decide(args: argparse.Namespace) -> int:
    """Screen the candidate again for an answered appeal."""
    with session(args) as s:
        got = s.decide_appeal(args.appeal_id)
    if as_json(args):
        render.jsonl(got)
        return 0
    a, d = got["appeal"], got["decision"]
    print(t("appeal {appeal} decided: decision {decision} replaces {old} for {name} {id}: overall {overall} ({verdicts})",
            appeal=a["appeal_id"], decision=d["decision_id"], old=a["decision_id"], name=a["name"],
            id=a["id_number_masked"], overall=t(d["overall"]),
            verdicts=", ".join(f"{k} {t(v)}" for k, v in d["verdicts"].items() if k in a["agencies"])))
    if got["amendment_leaf_index"] is not None:
        print(t("the conclusion of round {round} is amended (log entry {leaf})", round=a["round_id"],
                leaf=got["amendment_leaf_index"]))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], add: Add) -> None:
    """The appeal commands."""
    grp = sub.add_parser("appeal", help=t("appeals against decisions (复核)")).add_subparsers(dest="sub", required=True)
    sp = add(grp, "open", cmd_appeal_open, t("open a candidate's appeal against their latest decision (district)"))
    sp.add_argument("--round", required=True)
    sp.add_argument("--id-number", required=True, help=t("the candidate's full ID number"))
    sp.add_argument("--reason", required=True, help=t("the candidate's reason, as they gave it"))
    sp = add(grp, "list", cmd_appeal_list, t("appeals (an agency: those contesting its verdicts)"))
    sp.add_argument("--round", help=t("only this round's"))
    sp = add(grp, "answer", cmd_appeal_answer,
             t("your agency's answer to an appeal contesting its verdict (revise after correcting or retracting the record)"))
    sp.add_argument("appeal_id")
    how = sp.add_mutually_exclusive_group(required=True)
    how.add_argument("--uphold", action="store_true", help=t("your record and verdict stand"))
    how.add_argument("--revise", action="store_true", help=t("you corrected or retracted the record"))
    sp.add_argument("--opinion", required=True, help=t("your agency's written opinion (复核意见)"))
    sp.add_argument("--handler", help=t("who handled it (经办人)"))
    sp = add(grp, "decide", cmd_appeal_decide,
             t("screen the candidate again once every contested agency answered (district)"))
    sp.add_argument("appeal_id")
