"""The district's and agencies' round commands: create, list, show, candidates, attest, screen, report, check."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from eligibility.console import render, uploads
from eligibility.console.commands.flags import upload_options
from eligibility.console.common import Add, UsageError, as_json, session, time_zone, vocabulary
from eligibility.intake.files import CANDIDATE_COLUMNS, CANDIDATE_REQUIRED, Table


def _candidate_results(args: argparse.Namespace, table: Table, results: list[dict[str, Any]]) -> int:
    """Tell the user about each row (in the file's terms); return how many were rejected."""
    results = uploads.results_with_file_problems(table, results)
    if args.check:
        uploads.repeated_people(table, results)
    uploads.in_file_terms(table, results)
    if as_json(args) and args.check:
        for r in results:
            render.jsonl(r)
    return uploads.report(args, args.candidates, table, results, "candidate")


def cmd_round_create(args: argparse.Namespace) -> int:
    """Create a round from a candidate file (--check: check it and create nothing)."""
    table = uploads.read(args, args.candidates, CANDIDATE_COLUMNS, CANDIDATE_REQUIRED)
    with session(args) as s, render.Progress("candidates", len(table.rows), not as_json(args)) as bar:
        rnd, results = s.create_round(args.name, args.as_of, table.rows, ruleset=args.ruleset or "",
                                      on_chunk=bar.advance, dry_run=args.check, allow_same_name=args.same_name)
    rejected = _candidate_results(args, table, results)
    valid = sum(1 for r in results if r["status"] != "REJECTED")
    if args.check:
        if not as_json(args):
            print(f"checked, nothing created (--check): round \"{rnd['name']}\" as of {rnd['as_of']} ({rnd['ruleset']}) "
                  f"would have {valid} candidates" + (f"; {rejected} row(s) would be rejected" if rejected else ""))
    elif as_json(args):
        render.jsonl({"round_id": rnd["round_id"], "name": rnd["name"], "as_of": rnd["as_of"], "ruleset": rnd["ruleset"],
                      "candidates": rnd["candidates"], "rejected": rejected})
    else:
        print(f"round {rnd['round_id']} \"{rnd['name']}\" as of {rnd['as_of']} ({rnd['ruleset']}): "
              f"{rnd['candidates']} candidates" + (f", {rejected} rows rejected" if rejected else ""))
        if rejected:
            print(f"add the fixed rows with: eligibility round add {rnd['round_id']} --candidates FIXED-FILE",
                  file=sys.stderr)
    return 1 if rejected else 0


def cmd_round_add(args: argparse.Namespace) -> int:
    """Add candidates to a round from a file (the fixed rejected rows, or late nominations)."""
    table = uploads.read(args, args.candidates, CANDIDATE_COLUMNS, CANDIDATE_REQUIRED)
    with session(args) as s, render.Progress("candidates", len(table.rows), not as_json(args)) as bar:
        results = s.add_candidates(args.round, table.rows, on_chunk=bar.advance, dry_run=args.check)
        rnd = s.get_round(args.round)
    rejected = _candidate_results(args, table, results)
    added = sum(1 for r in results if r["status"] != "REJECTED")
    if as_json(args) and not args.check:
        render.jsonl({"round_id": rnd["round_id"], "added": added, "candidates": rnd["candidates"], "rejected": rejected})
    elif not as_json(args):
        print(f"round {rnd['round_id']} \"{rnd['name']}\": " + (
            f"{added} candidates would be added (--check, nothing stored)" if args.check else
            f"{added} candidates added, {rnd['candidates']} in all") + (f"; {rejected} rows rejected" if rejected else ""))
    return 1 if rejected else 0


def cmd_round_list(args: argparse.Namespace) -> int:
    """List rounds."""
    agencies = len(vocabulary(args).agencies)
    with session(args) as s:
        rounds = s.list_rounds()
    for r in rounds:
        if as_json(args):
            render.jsonl(r)
        else:
            print(f"{r['round_id']}  {r['as_of']}  {r['state']:<9}  {r['candidates']:>6} candidates  attested "
                  f"{len(r['attested'])}/{agencies}  {r['name']}")
    return 0


def cmd_round_show(args: argparse.Namespace) -> int:
    """Show a round: its state, attestations, last screening, changed candidates."""
    with session(args) as s:
        r = s.get_round(args.round, with_changes=True)
    if as_json(args):
        render.jsonl(r)
        return 0
    print(f"{r['round_id']} \"{r['name']}\" as of {r['as_of']}, ruleset {r['ruleset']}, {r['candidates']} candidates")
    state = r["state"] + (f" at {r['concluded_at']}" if r["concluded_at"] else "")
    print(f"  state: {state}; last screened: {r['last_screened_at'] or 'never'}; changed since their decision: "
          f"{r['changed']} candidate(s)")
    for a, t in sorted(r["attested"].items()):
        print(f"  attested by {a} at {t}")
    if r["not_attested"]:
        print(f"  not attested: {', '.join(r['not_attested'])}")
    return 0


def cmd_round_changes(args: argparse.Namespace) -> int:
    """What arrived after each candidate's latest decision (--follow: and as it arrives)."""
    def show(c: dict[str, Any]) -> None:
        if as_json(args):
            render.jsonl(c)
        elif c["entry_type"] == "not-screened":
            print(f"{c['id_number_masked']}  {c['name']}  {c['township']} {c['village']}  {c['what']}", flush=True)
        else:
            print(f"{c['id_number_masked']}  {c['name']}  {c['township']} {c['village']}  {c['agency']} "
                  f"{c['entry_type']}: {c['what']}  at {c['at']} (entry {c['leaf_index']}), after decision "
                  f"{c['decision_id']}", flush=True)
    with session(args) as s:
        if args.follow:
            if not as_json(args):
                print(f"following round {args.round} (Ctrl-C to stop)", file=sys.stderr, flush=True)
            for batch in s.watch(args.round):
                for c in batch:
                    show(c)
            return 0
        screened, changes = s.changes(args.round)
    if not screened:
        print(f"round {args.round} has not been screened yet: run `round screen {args.round}` first", file=sys.stderr)
        return 1
    for c in changes:
        show(c)
    if not as_json(args):
        people = len({c["seq"] for c in changes})
        print(f"{people} candidate(s) changed since their latest decision" + (
            f": `round screen {args.round} --changed` screens only them" if people else ""), file=sys.stderr)
    return 0


def cmd_round_conclude(args: argparse.Namespace) -> int:
    """Conclude a round once nothing blocks it (exit 1 listing what does)."""
    with session(args) as s:
        done = s.conclude(args.round, args.note or "")
    if as_json(args):
        render.jsonl(done)
    elif done["concluded"]:
        cp = done["checkpoint"]
        print(f"round {args.round} concluded at {done['round']['concluded_at']} (log entry {done['leaf_index']}; "
              f"checkpoint of {cp['size']} entries signed, root {cp['root'][:16]}...)")
    else:
        print(f"round {args.round} cannot be concluded yet ({len(done['blockers'])} blocker(s)):", file=sys.stderr)
        for b in done["blockers"]:
            print(f"  - {b}", file=sys.stderr)
    return 0 if done["concluded"] else 1


def cmd_round_candidates(args: argparse.Namespace) -> int:
    """List a round's candidates (full ID numbers for an agency with --reveal)."""
    with session(args) as s:
        candidates = list(s.candidates(args.round, args.reveal))
    for d in candidates:
        if as_json(args):
            render.jsonl(d)
        else:
            print(f"{d['seq']:>5}  {d['id_number']}  {d['name']}  {d['township']} {d['village']}  {d['position']}")
    return 0


def cmd_round_attest(args: argparse.Namespace) -> int:
    """Attest that the agency reviewed the round."""
    with session(args) as s:
        rnd, changed = s.attest(args.round, args.note or "", args.handler or "")
    if as_json(args):
        render.jsonl({"round_id": rnd["round_id"], "agency": args.role, "changed": changed,
                      "attested_at": rnd["attested"].get(args.role, "")})
    else:
        print(f"{args.role} {'attested' if changed else 'had already attested'} round {rnd['round_id']} "
              f"at {rnd['attested'].get(args.role)}")
    return 0


def cmd_round_screen(args: argparse.Namespace) -> int:
    """Screen every candidate of a round."""
    with session(args) as s:
        if as_json(args):  # streamed: a province's round is never held in memory
            for d in s.iter_screen_round(args.round, changed_only=args.changed):
                render.jsonl(d)
            return 0
        shown = render.Shown(vocabulary(args), args.all)
        with render.Progress("screening", None, True) as bar:
            for d in s.iter_screen_round(args.round, on_total=bar.set_total, on_chunk=bar.advance,
                                         changed_only=args.changed):
                shown.add(d)
    if args.changed and not shown.total:
        print(f"no candidate of round {args.round} changed since their latest decision: nothing screened")
        return 0
    render.show_decisions(shown, f"round {args.round}: {{n}} candidates", args.lang)
    return 0


def cmd_round_results(args: argparse.Namespace) -> int:
    """Each candidate's latest decision, as recorded: nothing is screened or recorded."""
    def wanted(d: dict[str, Any]) -> bool:
        return ((not args.problems_only or d["overall"] != "ELIGIBLE")
                and (not args.township or d["township"] == args.township.strip()))
    n = 0
    with session(args) as s:
        decisions = (d for d in s.iter_round_decisions(args.round) if wanted(d))
        if as_json(args):
            for d in decisions:
                n += 1
                render.jsonl({k: v for k, v in d.items() if k != "supersedes"})
        else:
            shown = render.Shown(vocabulary(args), args.all)
            for d in decisions:
                shown.add(d)
            n = shown.total
            if n:
                render.show_decisions(shown, f"round {args.round}: {{n}} candidates (as recorded)", args.lang)
    if not n:
        with session(args) as s:
            screened = s.round_has_decisions(args.round)
        message = ("no candidate matches" if screened else
                   f"round {args.round} has not been screened yet: run `round screen {args.round}` first")
        print(message, file=sys.stderr)
        return 0 if screened else 1
    return 0


def cmd_round_report(args: argparse.Namespace) -> int:
    """Write the joint review report of the round's latest screening (XLSX, PDF, HTML or CSV by extension)."""
    from eligibility.console import reports
    out = Path(args.out)
    suffix = out.suffix.lower()
    if suffix not in reports.FORMATS:
        raise UsageError("--out must end in .xlsx, .pdf, .html or .csv")
    if args.per_candidate and suffix != ".pdf":
        raise UsageError("--per-candidate pages are a PDF's: write FILE.pdf")
    with session(args) as s:
        rnd = s.get_round(args.round, with_changes=True)
        decisions = s.round_decisions(args.round)
    if not decisions:
        raise UsageError(f"round {args.round} has not been screened yet: run `round screen {args.round}` first")
    lang = args.lang if args.lang_given else "zh"
    report = reports.Report(decisions, lang, vocabulary(args), rnd, f"{rnd['ruleset']}@{decisions[0]['ruleset_hash'][:12]}",
                            time_zone(args), per_candidate=args.per_candidate)
    with render.Progress("report rows", len(decisions), not as_json(args)) as bar:
        try:
            reports.write(report, out, bar.advance)
        except OSError as e:
            raise UsageError(f"--out {out}: cannot write ({e.strerror})") from None
    if as_json(args):
        render.jsonl({"round_id": rnd["round_id"], "out": str(out), "candidates": len(decisions)})
    else:
        print(f"wrote {out} ({len(decisions)} candidates, {lang})")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Screen one person: a candidate of --round, or ad hoc with --as-of."""
    if not args.round and not (args.as_of and args.name):
        raise UsageError("say who and when: --round ROUND (a candidate of it), or --name NAME and --as-of YYYY-MM-DD "
                         "for a person checked on their own")
    with session(args) as s:
        d = s.check(args.id_number, round_id=args.round or "", name=args.name or "", position=args.position or "",
                    party_member=args.party_member or "", as_of=args.as_of or "", ruleset=args.ruleset or "")
    if as_json(args):
        render.jsonl(d)
    else:
        print("\n".join(render.explain(d, args.lang, vocabulary(args))))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], add: Add) -> None:
    """The round commands and check."""
    sp = add(sub, "check", cmd_check, "screen one person: a candidate of --round, or ad hoc with --as-of")
    sp.add_argument("--id-number", required=True)
    sp.add_argument("--round")
    sp.add_argument("--name")
    sp.add_argument("--as-of")
    sp.add_argument("--position")
    sp.add_argument("--party-member")
    sp.add_argument("--ruleset")
    rnd = sub.add_parser("round", help="screening rounds").add_subparsers(dest="sub", required=True)
    sp = add(rnd, "create", cmd_round_create, "create a round from a candidate file")
    sp.add_argument("--name", required=True)
    sp.add_argument("--as-of", required=True, help="reference date YYYY-MM-DD")
    sp.add_argument("--candidates", required=True, help="CSV/XLSX/XLS candidate file")
    sp.add_argument("--ruleset")
    sp.add_argument("--same-name", action="store_true", help="create it even if a round of that name exists")
    upload_options(sp)
    sp = add(rnd, "add", cmd_round_add, "add candidates to a round from a file (e.g. the fixed rejected rows)")
    sp.add_argument("round")
    sp.add_argument("--candidates", required=True, help="CSV/XLSX/XLS candidate file")
    upload_options(sp)
    add(rnd, "list", cmd_round_list, "list rounds")
    add(rnd, "show", cmd_round_show, "show a round and its attestations").add_argument("round")
    sp = add(rnd, "candidates", cmd_round_candidates, "list a round's candidates")
    sp.add_argument("round")
    sp.add_argument("--reveal", action="store_true", help="full ID numbers (agencies, to check their records)")
    sp = add(rnd, "attest", cmd_round_attest, "attest that your agency reviewed the round")
    sp.add_argument("round")
    sp.add_argument("--note", help="your agency's opinion, shown in the report (e.g. 经核查，未发现不宜人选情形)")
    sp.add_argument("--handler", help="the officer who handled the review (经办人), shown in the report")
    sp = add(rnd, "screen", cmd_round_screen, "screen every candidate of a round")
    sp.add_argument("round")
    sp.add_argument("--changed", action="store_true", help="only the candidates changed since their latest decision")
    sp.add_argument("--all", action="store_true", help="list every candidate (a large round lists those not ELIGIBLE)")
    sp = add(rnd, "changes", cmd_round_changes, "what arrived after each candidate's latest decision")
    sp.add_argument("round")
    sp.add_argument("--follow", action="store_true", help="keep watching and print changes as they arrive")
    sp = add(rnd, "conclude", cmd_round_conclude, "conclude a round (资格审查结论) once nothing blocks it")
    sp.add_argument("round")
    sp.add_argument("--note")
    sp = add(rnd, "results", cmd_round_results, "each candidate's latest decision, as recorded (records nothing)")
    sp.add_argument("round")
    sp.add_argument("--problems-only", action="store_true", help="only candidates who are not ELIGIBLE")
    sp.add_argument("--township", help="only candidates of this township")
    sp.add_argument("--all", action="store_true", help="list every candidate (a large round lists those not ELIGIBLE)")
    sp = add(rnd, "report", cmd_round_report, "write the joint review report (XLSX/HTML/CSV; Chinese unless --lang en)")
    sp.add_argument("round")
    sp.add_argument("--out", required=True, help="FILE.xlsx, FILE.pdf, FILE.html or FILE.csv")
    sp.add_argument("--per-candidate", action="store_true", help="a PDF adds one page per candidate (the dossier)")
