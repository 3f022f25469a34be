"""Appeal commands (复核): the district opens and decides an appeal; the contested agencies list and answer it."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from eligibility.console import render
from eligibility.console.common import Add, as_json, session


def _state(a: dict[str, Any]) -> str:
    if a["decided_by"]:
        return f"decided by decision {a['decided_by']}"
    waiting = [x for x in a["agencies"] if x not in {y["agency"] for y in a["answers"]}]
    return f"waiting for {', '.join(waiting)}" if waiting else "answered: `appeal decide` screens again"


def _print(a: dict[str, Any]) -> None:
    print(f"{a['appeal_id']}  round {a['round_id']}  {a['name']} {a['id_number_masked']}  opened {a['opened_at']}  "
          f"against decision {a['decision_id']}  contests {', '.join(a['agencies'])}  ({_state(a)})")
    print(f"    reason: {a['reason']}")
    for x in a["answers"]:
        by = f", {x['handler']}" if x["handler"] else ""
        print(f"    {x['agency']} {x['answer'].upper()} ({x['answered_at']}{by}): {x['opinion']}")


def cmd_appeal_open(args: argparse.Namespace) -> int:
    """Open an appeal against a candidate's latest decision."""
    with session(args) as s:
        appeal = s.open_appeal(args.round, args.id_number, args.reason)
    if as_json(args):
        render.jsonl(appeal)
    else:
        print(f"appeal {appeal['appeal_id']} opened for {appeal['name']} {appeal['id_number_masked']} in round "
              f"{appeal['round_id']} against decision {appeal['decision_id']} (log entry {appeal['leaf_index']})")
        print(f"it contests the verdicts of: {', '.join(appeal['agencies'])}; each answers with "
              f"`appeal answer {appeal['appeal_id']} --uphold|--revise --opinion TEXT`")
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
        print("no appeals" + (f" in round {args.round}" if args.round else "")
              + (" contesting your verdicts" if args.role not in ("district", "auditor") else ""), file=sys.stderr)
    return 0


def cmd_appeal_answer(args: argparse.Namespace) -> int:
    """A contested agency's answer."""
    answer = "uphold" if args.uphold else "revise"
    with session(args) as s:
        appeal = s.answer_appeal(args.appeal_id, answer, args.opinion, args.handler or "")
    if as_json(args):
        render.jsonl(appeal)
    else:
        print(f"{args.role} answered appeal {appeal['appeal_id']}: {answer.upper()}")
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
    print(f"appeal {a['appeal_id']} decided: decision {d['decision_id']} replaces {a['decision_id']} for "
          f"{a['name']} {a['id_number_masked']}: overall {d['overall']} "
          f"({', '.join(f'{k} {v}' for k, v in d['verdicts'].items() if k in a['agencies'])})")
    if got["amendment_leaf_index"] is not None:
        print(f"the conclusion of round {a['round_id']} is amended (log entry {got['amendment_leaf_index']})")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], add: Add) -> None:
    """The appeal commands."""
    grp = sub.add_parser("appeal", help="appeals against decisions (复核)").add_subparsers(dest="sub", required=True)
    sp = add(grp, "open", cmd_appeal_open, "open a candidate's appeal against their latest decision (district)")
    sp.add_argument("--round", required=True)
    sp.add_argument("--id-number", required=True, help="the candidate's full ID number")
    sp.add_argument("--reason", required=True, help="the candidate's reason, as they gave it")
    sp = add(grp, "list", cmd_appeal_list, "appeals (an agency: those contesting its verdicts)")
    sp.add_argument("--round", help="only this round's")
    sp = add(grp, "answer", cmd_appeal_answer,
             "your agency's answer to an appeal contesting its verdict (revise after correcting or retracting the "
             "record)")
    sp.add_argument("appeal_id")
    how = sp.add_mutually_exclusive_group(required=True)
    how.add_argument("--uphold", action="store_true", help="your record and verdict stand")
    how.add_argument("--revise", action="store_true", help="you corrected or retracted the record")
    sp.add_argument("--opinion", required=True, help="your agency's written opinion (复核意见)")
    sp.add_argument("--handler", help="who handled it (经办人)")
    sp = add(grp, "decide", cmd_appeal_decide,
             "screen the candidate again once every contested agency answered (district)")
    sp.add_argument("appeal_id")
