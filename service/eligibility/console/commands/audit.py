"""The auditor's (and district's) commands: show, replay, checkpoint, prove, export, verify, what-if, as-known."""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path

import orjson

from eligibility.console import render
from eligibility.console.common import Add, UsageError, as_json, config, session, vocabulary
from eligibility.console.i18n import t
from eligibility.console.proofs import prove
from eligibility.ledger.logreplay import Deferral, Deferred, evaluate_batch, replay_log
from eligibility.ledger.verify import CHECKPOINTS, LEAVES, PUBLIC_KEY, READ_BUFFER, read_checkpoints, verify_export
from eligibility.review.gctuning import tune_for_throughput
from eligibility.review.storecheck import check_store
from eligibility.store import open_store


def cmd_audit_show(args: argparse.Namespace) -> int:
    """Show a decision and why."""
    with session(args) as s:
        found = s.decision(args.decision)
    d = found.decision
    if as_json(args):
        d["record"] = found.record.decode()
        if found.result_record:
            d["result_record"] = found.result_record.decode()
        render.jsonl(d)
    else:
        zh = args.lang == "zh"
        lines = render.explain(d, args.lang, vocabulary(args))
        if d.get("supersedes"):
            lines.append(f"{'取代' if zh else 'supersedes'} {d['supersedes']}")
        if d.get("superseded_by"):
            lines.append(f"{'已被取代' if zh else 'superseded by'} {d['superseded_by']}")
        made_for = d.get("made_for_appeal")
        if made_for:
            lines.append((f"复核决定：复核 {made_for['appeal_id']}（日志条目 {made_for['leaf_index']}），原决定 "
                          if zh else f"made for appeal {made_for['appeal_id']} (log entry {made_for['leaf_index']}) "
                          "against decision ") + made_for["decision_id"])
            for x in made_for["answers"]:
                lines.append(f"  {x['agency']} {x['answer'].upper()} ({x['answered_at']}): {x['opinion']}")
        for a in d.get("appealed_by") or []:
            lines.append(f"{'被申请复核' if zh else 'appealed'}: {a['appeal_id']} ({a['opened_at']}): {a['reason']}"
                         + (f" -> {a['decided_by']}" if a["decided_by"] else ""))
        print("\n".join(lines))
    return 0


def cmd_audit_decisions(args: argparse.Namespace) -> int:
    """Every decision recorded for a round (or one candidate of it), in log order, each with the one it superseded."""
    n = 0
    with session(args) as s:
        for d in s.iter_round_decisions(args.round, every=True, id_number=args.id_number or ""):
            n += 1
            if as_json(args):
                render.jsonl({k: d[k] for k in ("decision_id", "recorded_at", "round_id", "leaf_index", "name",
                                                "id_number", "township", "village", "overall", "verdicts",
                                                "supersedes")})
            else:
                print(f"{d['decision_id']}  {d['recorded_at']}  {d['id_number']}  {d['name']}  {t(d['overall']):<13}"
                      + (t("  supersedes {decision}", decision=d["supersedes"]) if d["supersedes"] else ""))
    if not n and not as_json(args):
        print(t("no decision recorded for that candidate of round {round}", round=args.round) if args.id_number else
              t("no decision recorded for round {round}", round=args.round))
    return 0


def cmd_audit_replay(args: argparse.Namespace) -> int:
    """Replay a decision, or every decision of --round."""
    if bool(args.decision) == bool(args.round):
        raise UsageError(t("give a DECISION id or --round ROUND"))
    with session(args) as s:
        if args.decision:
            results = [s.replay(args.decision)]
        else:
            results = []
            with render.Progress(t("replay"), None, not as_json(args)) as bar:
                for chunk in s.replay_round(args.round):
                    results.extend(chunk)
                    bar.advance(len(chunk))
    mismatched = 0
    for r in results:
        mismatched += r["result"] != "MATCH"
        if as_json(args):
            render.jsonl(r)
        elif r["result"] != "MATCH" or args.decision:
            print(f"{r['decision_id']} {r['name']}: {t(r['result'])}")
            for diff in r["differences"]:
                print(f"    {diff}")
    if not as_json(args) and args.round:
        print(t("replayed {n} decisions of round {round}: {match} MATCH, {mismatch} MISMATCH", n=len(results),
                round=args.round, match=len(results) - mismatched, mismatch=mismatched))
    return 1 if mismatched else 0


def cmd_audit_checkpoint(args: argparse.Namespace) -> int:
    """Sign a checkpoint of the log now."""
    with session(args) as s:
        cp, signed = s.checkpoint()
    if args.out:  # kept by the auditor: a later `audit verify --trusted FILE` proves the log only grew since
        out = Path(args.out)
        out.write_bytes(orjson.dumps(signed) + b"\n")
    if as_json(args):
        render.jsonl({**cp, **({"out": args.out} if args.out else {})})
    else:
        print(t("checkpoint: {size} entries, root {root} (signed {at})", size=cp["size"], root=cp["root"], at=cp["created_at"])
              + (t("; kept in {out}", out=args.out) if args.out else ""))
    return 0


def cmd_audit_prove(args: argparse.Namespace) -> int:
    """Prove a decision is in the log (and the shared result it names, if it names one), and check the proofs here
    against the signed checkpoint."""
    with session(args) as s:
        got = prove(s, args.decision, (config(args).home / "keys" / "log.pub").read_text())
    if as_json(args):
        render.jsonl({k: v for k, v in got.items() if k != "decision_verified"})
    else:
        print(t("decision {decision} is entry {leaf} of {size}; audit path of {n} hashes {verdict} against the signed root "
                "{root}...", decision=got["decision_id"], leaf=got["leaf_index"], size=got["tree_size"],
                n=len(got["proof"]), verdict=t("VERIFIES") if got["decision_verified"] else t("DOES NOT VERIFY"),
                root=got["checkpoint"]["root"][:16]))
        if "result_sha256" in got:
            print(t("its result (named by hash {hash}...) is entry {leaf}, proven in the same tree: {verdict}",
                    hash=got["result_sha256"][:16], leaf=got["result_leaf_index"],
                    verdict=t("VERIFIES") if got["result_verified"] else t("DOES NOT VERIFY")))
    return 0 if got["verified"] else 1


def cmd_audit_export(args: argparse.Namespace) -> int:
    """Write the log and its checkpoints to files, for offline verification."""
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    with session(args) as s, (out / LEAVES).open("wb") as leaves:
        def write(entry: bytes) -> None:
            nonlocal n
            leaves.write(entry + b"\n")
            n += 1
        export = s.export_log(write)
    with (out / CHECKPOINTS).open("wb") as f:
        for cp in export.checkpoints:
            f.write(orjson.dumps(cp) + b"\n")
    (out / PUBLIC_KEY).write_text(export.public_key + "\n")
    print(t("exported {n} entries and {cps} checkpoints to {out}; verify with: eligibility audit verify {out} --public-key "
            "KEYFILE", n=n, cps=len(export.checkpoints), out=out))
    return 0


_PARALLEL_FROM = 32 * 2**20
"""An export from this size (bytes of entries) is verified in a second process while this one replays it."""


def evaluated_in(pool: Executor) -> Deferral:
    """The replay's costly evaluations (decisions with flags on record) done in the pool's processes."""
    def deferral(rulesets: list[bytes]) -> Deferred:
        return lambda batch: pool.submit(evaluate_batch, rulesets, batch).result
    return deferral


def _verify_and_replay(directory: Path, key: str | None, trusted: list[dict[str, str]],
                       replay: bool) -> tuple[list[str], list[str], dict[str, int]]:
    """(problems, notes, figures) of verifying an export and, if asked, replaying it: side by side in two processes
    for a large export (the two passes are independent and each is CPU-bound)."""
    def entries() -> Iterator[bytes]:
        with (directory / LEAVES).open("rb", buffering=READ_BUFFER) as f:
            yield from (line.rstrip(b"\n") for line in f)
    tune_for_throughput()  # millions of short-lived objects, few that live: collect rarely
    if not replay:
        problems, figures = verify_export(directory, key, trusted)
        return problems, [], figures
    if (directory / LEAVES).stat().st_size < _PARALLEL_FROM or (os.cpu_count() or 1) < 2:
        problems, figures = verify_export(directory, key, trusted)
        replay_problems, notes, replayed = replay_log(entries)
        return problems + replay_problems, notes, {**figures, **replayed}
    # one process verifies the log while this one replays it; the decisions with flags on record (the costly
    # evaluations) are evaluated again by both processes of the pool, in batches, as this one reaches them
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        verified = pool.submit(verify_export, directory, key, trusted)
        replay_problems, notes, replayed = replay_log(entries, evaluated_in(pool))
        problems, figures = verified.result()
    return problems + replay_problems, notes, {**figures, **replayed}


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """Offline: only the files and the public key."""
    key = Path(args.public_key).read_text() if args.public_key else None
    trusted = [cp for path in args.trusted for cp in read_checkpoints(Path(path))]
    problems, notes, figures = _verify_and_replay(Path(args.dir), key, trusted, args.replay)
    if as_json(args):
        render.jsonl({"ok": not problems, "problems": problems, "notes": notes, **figures})
    else:
        for p in problems:
            print(f"{t('FAIL')} {p}")
        for note in notes:
            print(f"{t('NOTE')} {note}")
        print(t("{entries} entries, {cps} checkpoints", entries=figures["entries"], cps=figures["checkpoints"])
              + (t(", extending {n} trusted checkpoint(s)", n=len(trusted)) if trusted else "")
              + (t(", {replayed} of {decisions} decisions replayed from the log alone", replayed=figures["replayed"],
                   decisions=figures["decisions"]) if args.replay else "")
              + (t(" ({n} holding verdicts for tables that differ from the log)", n=figures["held"])
                 if figures.get("held") else "")
              + t(": ")
              + (t("everything verifies") if not problems else t("{n} problem(s)", n=len(problems))))
        if not args.public_key:
            print(t("note: the public key was taken from the export itself; pass --public-key with a copy you trust to "
                    "rule out a re-signed log"), file=sys.stderr)
    return 1 if problems else 0


def cmd_audit_check_store(args: argparse.Namespace) -> int:
    """On the server's machine: every table row checked against the log (no server call)."""
    cfg = config(args)
    store = open_store(cfg.database)
    try:
        problems, figures = check_store(store)
    finally:
        store.close()
    if as_json(args):
        render.jsonl({"ok": not problems, "problems": problems, **figures})
    else:
        for p in problems:
            print(f"{t('FAIL')} {p}")
        print(t("{rows} rows, {decisions} decisions: ", rows=figures["rows"], decisions=figures["decisions logged"])
              + (t("the tables say exactly what the log says") if not problems else t("{n} problem(s)", n=len(problems))))
    return 1 if problems else 0


def cmd_audit_reevaluate(args: argparse.Namespace, known_at: str = "") -> int:
    """Which candidates of a round another ruleset, or the records known at a moment, would change."""
    changed = 0
    with session(args) as s:
        for d in s.reevaluate(args.round, args.ruleset or "", known_at, only_changed=not getattr(args, "all", False)):
            changed += d["changed"]
            if as_json(args):
                render.jsonl(d)
            elif d["changed"]:
                why = "; ".join([f"{a}: {b} -> {n}" for a, (b, n) in d["changes"].items()]
                                + [f"+{r}" for r in d["rules_added"]] + [f"-{r}" for r in d["rules_removed"]])
                print(f"{d['name']} {d['id_number']} {d['township']} {d['village']}: {t(d['before'])} -> {t(d['after'])}"
                      f"  ({why})")
    if not as_json(args):
        print(t("{n} candidate(s) would change", n=changed))
    return 0


def cmd_audit_what_if(args: argparse.Namespace) -> int:
    """Under another ruleset."""
    return cmd_audit_reevaluate(args)


def cmd_audit_as_known(args: argparse.Namespace) -> int:
    """With only the records on file at a moment."""
    return cmd_audit_reevaluate(args, known_at=args.at)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], add: Add) -> None:
    """The audit commands."""
    audit = sub.add_parser("audit", help=t("decisions and replay")).add_subparsers(dest="sub", required=True)
    add(audit, "show", cmd_audit_show, t("show a decision and why, and what it superseded")).add_argument("decision")
    sp = add(audit, "decisions", cmd_audit_decisions, t("list the decisions recorded for a round (or one candidate)"))
    sp.add_argument("--round", required=True)
    sp.add_argument("--id-number", help=t("only this candidate's decisions"))
    sp = add(audit, "replay", cmd_audit_replay, t("replay a decision, or every decision of --round"))
    sp.add_argument("decision", nargs="?")
    sp.add_argument("--round")
    sp = add(audit, "checkpoint", cmd_audit_checkpoint, t("sign a checkpoint of the log now"))
    sp.add_argument("--out", help=t("keep the signed checkpoint in FILE (for a later audit verify --trusted FILE)"))
    add(audit, "prove", cmd_audit_prove, t("prove a decision is in the signed log")).add_argument("decision")
    add(audit, "export", cmd_audit_export, t("write the log and checkpoints to files")).add_argument("--out", required=True)
    sp = add(audit, "verify", cmd_audit_verify, t("verify an exported log offline (no server)"))
    sp.add_argument("dir")
    sp.add_argument("--public-key", help=t("the log's public key (base64), from a copy you trust"))
    sp.add_argument("--trusted", action="append", default=[], metavar="FILE",
                    help=t("a checkpoint kept earlier (audit checkpoint --out, or an older export's checkpoints.jsonl): the "
                           "log must extend it (fails on a rolled-back or forked log); may be repeated"))
    sp.add_argument("--replay", action="store_true",
                    help=t("also replay every decision from the exported entries alone: its inputs must be the ones logged "
                           "(none missing, none extra, none altered) and re-evaluating them must give its result"))
    add(audit, "check-store", cmd_audit_check_store,
        t("check every table row against the log (local: on the server's machine, no server call)"))
    sp = add(audit, "what-if", cmd_audit_what_if, t("which verdicts of a round another ruleset would change"))
    sp.add_argument("--round", required=True)
    sp.add_argument("--ruleset", required=True)
    sp.add_argument("--all", action="store_true", help=t("list unchanged candidates too"))
    sp = add(audit, "as-known", cmd_audit_as_known, t("re-screen a round with only the records on file at a moment"))
    sp.add_argument("--round", required=True)
    sp.add_argument("--at", required=True, help=t("RFC 3339 time, or a date (= the end of that day, UTC)"))
    sp.add_argument("--ruleset")
    sp.add_argument("--all", action="store_true", help=t("list unchanged candidates too"))
