"""The district's and agencies' round commands: create, list, show, candidates, attest, screen, report, check."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from eligibility.console import render, uploads
from eligibility.console.commands.flags import upload_options
from eligibility.console.common import Add, UsageError, as_json, session, time_zone, vocabulary
from eligibility.console.i18n import t
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
    with session(args) as s, render.Progress(t("candidates"), len(table.rows), not as_json(args)) as bar:
        rnd, results = s.create_round(args.name, args.as_of, table.rows, ruleset=args.ruleset or "",
                                      on_chunk=bar.advance, dry_run=args.check, allow_same_name=args.same_name)
    rejected = _candidate_results(args, table, results)
    valid = sum(1 for r in results if r["status"] != "REJECTED")
    if args.check:
        if not as_json(args):
            print(t("checked, nothing created (--check): round \"{name}\" as of {as_of} ({ruleset}) would have {valid} "
                    "candidates", name=rnd["name"], as_of=rnd["as_of"], ruleset=rnd["ruleset"], valid=valid)
                  + (t("; {n} row(s) would be rejected", n=rejected) if rejected else ""))
    elif as_json(args):
        render.jsonl({"round_id": rnd["round_id"], "name": rnd["name"], "as_of": rnd["as_of"], "ruleset": rnd["ruleset"],
                      "candidates": rnd["candidates"], "rejected": rejected})
    else:
        print(t("round {round} \"{name}\" as of {as_of} ({ruleset}): {n} candidates", round=rnd["round_id"],
                name=rnd["name"], as_of=rnd["as_of"], ruleset=rnd["ruleset"], n=rnd["candidates"])
              + (t(", {n} rows rejected", n=rejected) if rejected else ""))
        if rejected:
            print(t("add the fixed rows with: eligibility round add {round} --candidates FIXED-FILE", round=rnd["round_id"]),
                  file=sys.stderr)
    return 1 if rejected else 0


def cmd_round_add(args: argparse.Namespace) -> int:
    """Add candidates to a round from a file (the fixed rejected rows, or late nominations)."""
    table = uploads.read(args, args.candidates, CANDIDATE_COLUMNS, CANDIDATE_REQUIRED)
    with session(args) as s, render.Progress(t("candidates"), len(table.rows), not as_json(args)) as bar:
        results = s.add_candidates(args.round, table.rows, on_chunk=bar.advance, dry_run=args.check)
        rnd = s.get_round(args.round)
    rejected = _candidate_results(args, table, results)
    added = sum(1 for r in results if r["status"] != "REJECTED")
    if as_json(args) and not args.check:
        render.jsonl({"round_id": rnd["round_id"], "added": added, "candidates": rnd["candidates"], "rejected": rejected})
    elif not as_json(args):
        print(t("round {round} \"{name}\": ", round=rnd["round_id"], name=rnd["name"]) + (
            t("{n} candidates would be added (--check, nothing stored)", n=added) if args.check else
            t("{n} candidates added, {all} in all", n=added, all=rnd["candidates"]))
            + (t("; {n} rows rejected", n=rejected) if rejected else ""))
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
            print(t("{round}  {as_of}  {state:<9}  {n:>6} candidates  attested {attested}/{agencies}  {name}",
                    round=r["round_id"], as_of=r["as_of"], state=t(r["state"]), n=r["candidates"],
                    attested=len(r["attested"]), agencies=agencies, name=r["name"]))
    return 0


def cmd_round_show(args: argparse.Namespace) -> int:
    """Show a round: its state, attestations, last screening, changed candidates."""
    with session(args) as s:
        r = s.get_round(args.round, with_changes=True)
    if as_json(args):
        render.jsonl(r)
        return 0
    print(t("{round} \"{name}\" as of {as_of}, ruleset {ruleset}, {n} candidates", round=r["round_id"], name=r["name"],
            as_of=r["as_of"], ruleset=r["ruleset"], n=r["candidates"]))
    state = t(r["state"]) + (t(" at {time}", time=r["concluded_at"]) if r["concluded_at"] else "")
    print(t("  state: {state}; last screened: {last}; changed since their decision: {n} candidate(s)", state=state,
            last=r["last_screened_at"] or t("never"), n=r["changed"]))
    for a, at in sorted(r["attested"].items()):
        print(t("  attested by {agency} at {time}", agency=a, time=at))
    if r["not_attested"]:
        print(t("  not attested: {agencies}", agencies=", ".join(r["not_attested"])))
    return 0


def cmd_round_changes(args: argparse.Namespace) -> int:
    """What arrived after each candidate's latest decision (--follow: and as it arrives)."""
    def show(c: dict[str, Any]) -> None:
        if as_json(args):
            render.jsonl(c)
        elif c["entry_type"] == "not-screened":
            print(f"{c['id_number_masked']}  {c['name']}  {c['township']} {c['village']}  {c['what']}", flush=True)
        else:
            print(t("{id}  {name}  {township} {village}  {agency} {entry}: {what}  at {at} (entry {leaf}), after decision "
                    "{decision}", id=c["id_number_masked"], name=c["name"], township=c["township"], village=c["village"],
                    agency=c["agency"], entry=c["entry_type"], what=c["what"], at=c["at"], leaf=c["leaf_index"],
                    decision=c["decision_id"]), flush=True)
    with session(args) as s:
        if args.follow:
            if not as_json(args):
                print(t("following round {round} (Ctrl-C to stop)", round=args.round), file=sys.stderr, flush=True)
            for batch in s.watch(args.round):
                for c in batch:
                    show(c)
            return 0
        screened, changes = s.changes(args.round)
    if not screened:
        print(t("round {round} has not been screened yet: run `round screen {round}` first", round=args.round),
              file=sys.stderr)
        return 1
    for c in changes:
        show(c)
    if not as_json(args):
        people = len({c["seq"] for c in changes})
        print(t("{n} candidate(s) changed since their latest decision", n=people) + (
            t(": `round screen {round} --changed` screens only them", round=args.round) if people else ""), file=sys.stderr)
    return 0


def cmd_round_conclude(args: argparse.Namespace) -> int:
    """Conclude a round once nothing blocks it (exit 1 listing what does)."""
    with session(args) as s:
        done = s.conclude(args.round, args.note or "")
    if as_json(args):
        render.jsonl(done)
    elif done["concluded"]:
        cp = done["checkpoint"]
        print(t("round {round} concluded at {time} (log entry {leaf}; checkpoint of {size} entries signed, root {root}...)",
                round=args.round, time=done["round"]["concluded_at"], leaf=done["leaf_index"], size=cp["size"],
                root=cp["root"][:16]))
    else:
        print(t("round {round} cannot be concluded yet ({n} blocker(s)):", round=args.round, n=len(done["blockers"])),
              file=sys.stderr)
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
        said = t("{agency} attested round {round} at {time}") if changed else \
            t("{agency} had already attested round {round} at {time}")
        print(said.format(agency=args.role, round=rnd["round_id"], time=rnd["attested"].get(args.role)))
    return 0


def cmd_round_screen(args: argparse.Namespace) -> int:
    """Screen every candidate of a round."""
    with session(args) as s:
        if as_json(args):  # streamed: a province's round is never held in memory
            for d in s.iter_screen_round(args.round, changed_only=args.changed):
                render.jsonl(d)
            return 0
        shown = render.Shown(vocabulary(args), args.all)
        with render.Progress(t("screening"), None, True) as bar:
            for d in s.iter_screen_round(args.round, on_total=bar.set_total, on_chunk=bar.advance,
                                         changed_only=args.changed):
                shown.add(d)
    if args.changed and not shown.total:
        print(t("no candidate of round {round} changed since their latest decision: nothing screened", round=args.round))
        return 0
    render.show_decisions(shown, t("round {round}: {{n}} candidates", round=args.round), args.lang)
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
                render.show_decisions(shown, t("round {round}: {{n}} candidates (as recorded)", round=args.round), args.lang)
    if not n:
        with session(args) as s:
            screened = s.round_has_decisions(args.round)
        message = (t("no candidate matches") if screened else
                   t("round {round} has not been screened yet: run `round screen {round}` first", round=args.round))
        print(message, file=sys.stderr)
        return 0 if screened else 1
    return 0


def cmd_round_report(args: argparse.Namespace) -> int:
    """Write the joint review report of the round's latest screening (XLSX, PDF, HTML or CSV by extension)."""
    from eligibility.console import reports
    out = Path(args.out)
    suffix = out.suffix.lower()
    if suffix not in reports.FORMATS:
        raise UsageError(t("--out must end in .xlsx, .pdf, .html or .csv"))
    if args.per_candidate and suffix != ".pdf":
        raise UsageError(t("--per-candidate pages are a PDF's: write FILE.pdf"))
    with session(args) as s:
        rnd = s.get_round(args.round, with_changes=True)
        decisions = s.round_decisions(args.round)
    if not decisions:
        raise UsageError(t("round {round} has not been screened yet: run `round screen {round}` first", round=args.round))
    lang = args.lang if args.lang_given else "zh"
    report = reports.Report(decisions, lang, vocabulary(args), rnd, f"{rnd['ruleset']}@{decisions[0]['ruleset_hash'][:12]}",
                            time_zone(args), per_candidate=args.per_candidate)
    with render.Progress(t("report rows"), len(decisions), not as_json(args)) as bar:
        try:
            reports.write(report, out, bar.advance)
        except OSError as e:
            raise UsageError(t("--out {out}: cannot write ({why})", out=out, why=e.strerror)) from None
    if as_json(args):
        render.jsonl({"round_id": rnd["round_id"], "out": str(out), "candidates": len(decisions)})
    else:
        print(t("wrote {out} ({n} candidates, {lang})", out=out, n=len(decisions), lang=lang))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Screen one person: a candidate of --round, or ad hoc with --as-of."""
    if not args.round and not (args.as_of and args.name):
        raise UsageError(t("say who and when: --round ROUND (a candidate of it), or --name NAME and --as-of YYYY-MM-DD "
                           "for a person checked on their own"))
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
    sp = add(sub, "check", cmd_check, t("screen one person: a candidate of --round, or ad hoc with --as-of"))
    sp.add_argument("--id-number", required=True)
    sp.add_argument("--round")
    sp.add_argument("--name")
    sp.add_argument("--as-of")
    sp.add_argument("--position")
    sp.add_argument("--party-member")
    sp.add_argument("--ruleset")
    rnd = sub.add_parser("round", help=t("screening rounds")).add_subparsers(dest="sub", required=True)
    sp = add(rnd, "create", cmd_round_create, t("create a round from a candidate file"))
    sp.add_argument("--name", required=True)
    sp.add_argument("--as-of", required=True, help=t("reference date YYYY-MM-DD"))
    sp.add_argument("--candidates", required=True, help=t("CSV/XLSX/XLS candidate file"))
    sp.add_argument("--ruleset")
    sp.add_argument("--same-name", action="store_true", help=t("create it even if a round of that name exists"))
    upload_options(sp)
    sp = add(rnd, "add", cmd_round_add, t("add candidates to a round from a file (e.g. the fixed rejected rows)"))
    sp.add_argument("round")
    sp.add_argument("--candidates", required=True, help=t("CSV/XLSX/XLS candidate file"))
    upload_options(sp)
    add(rnd, "list", cmd_round_list, t("list rounds"))
    add(rnd, "show", cmd_round_show, t("show a round and its attestations")).add_argument("round")
    sp = add(rnd, "candidates", cmd_round_candidates, t("list a round's candidates"))
    sp.add_argument("round")
    sp.add_argument("--reveal", action="store_true", help=t("full ID numbers (agencies, to check their records)"))
    sp = add(rnd, "attest", cmd_round_attest, t("attest that your agency reviewed the round"))
    sp.add_argument("round")
    sp.add_argument("--note", help=t("your agency's opinion, shown in the report (e.g. 经核查，未发现不宜人选情形)"))
    sp.add_argument("--handler", help=t("the officer who handled the review (经办人), shown in the report"))
    sp = add(rnd, "screen", cmd_round_screen, t("screen every candidate of a round"))
    sp.add_argument("round")
    sp.add_argument("--changed", action="store_true", help=t("only the candidates changed since their latest decision"))
    sp.add_argument("--all", action="store_true", help=t("list every candidate (a large round lists those not ELIGIBLE)"))
    sp = add(rnd, "changes", cmd_round_changes, t("what arrived after each candidate's latest decision"))
    sp.add_argument("round")
    sp.add_argument("--follow", action="store_true", help=t("keep watching and print changes as they arrive"))
    sp = add(rnd, "conclude", cmd_round_conclude, t("conclude a round (资格审查结论) once nothing blocks it"))
    sp.add_argument("round")
    sp.add_argument("--note")
    sp = add(rnd, "results", cmd_round_results, t("each candidate's latest decision, as recorded (records nothing)"))
    sp.add_argument("round")
    sp.add_argument("--problems-only", action="store_true", help=t("only candidates who are not ELIGIBLE"))
    sp.add_argument("--township", help=t("only candidates of this township"))
    sp.add_argument("--all", action="store_true", help=t("list every candidate (a large round lists those not ELIGIBLE)"))
    sp = add(rnd, "report", cmd_round_report, t("write the joint review report (XLSX/HTML/CSV; Chinese unless --lang en)"))
    sp.add_argument("round")
    sp.add_argument("--out", required=True, help=t("FILE.xlsx, FILE.pdf, FILE.html or FILE.csv"))
    sp.add_argument("--per-candidate", action="store_true", help=t("a PDF adds one page per candidate (the dossier)"))
