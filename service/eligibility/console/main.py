"""The `eligibility` console command: server, client, demo and rule tools in one package.

Exit codes: 0 success; 1 some rows rejected, a replay mismatch, or a rule lint/test failure;
2 bad usage, a bad input file or a broken home; 3 the server refused or failed the call.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import orjson

from eligibility.console import render
from eligibility.console.client import Client, connect
from eligibility.engine.model import ROLES
from eligibility.errors import EligibilityError
from eligibility.home.config import DEFAULT_LISTEN, Config, load_config
from eligibility.home.setup import init_home
from eligibility.intake.files import CANDIDATE_COLUMNS, CANDIDATE_REQUIRED, FLAG_COLUMNS, FLAG_REQUIRED, read_rows
from eligibility.ledger.codec import logged_result
from eligibility.rules.loader import REPO_RULES
from eligibility.v1 import eligibility_pb2 as pb

DEFAULT_HOME = Path.home() / ".eligibility"


class UsageError(Exception):
    """A problem with how the command was called."""


# ---------------------------------------------------------------- helpers
def _config(args: argparse.Namespace) -> Config:
    return load_config(Path(args.home))


def _client(args: argparse.Namespace) -> Client:
    cfg = _config(args)
    role = args.role
    if not role:
        raise UsageError("say which role you act as: --as ROLE (or ELIGIBILITY_AS); roles: " + ", ".join(ROLES))
    return connect(cfg, role, args.server, plaintext=args.plaintext, timeout=args.timeout)


def _json(args: argparse.Namespace) -> bool:
    return bool(args.format == "json")


def _print_rejections(results: list[pb.RowResult], what: str) -> int:
    rejected = [r for r in results if r.status == pb.ROW_STATUS_REJECTED]
    for r in rejected:
        for e in r.errors:
            print(f"rejected {what} {r.key or '(no key)'}: [{e.code}] {e.message}", file=sys.stderr)
    return len(rejected)


def _row_dict(r: pb.RowResult) -> dict[str, Any]:
    return {"row": r.row, "key": r.key, "status": render.enum_name(pb.RowStatus, r.status, "ROW_STATUS_"),
            "version": r.version, "errors": [{"field": e.field, "message": e.message, "code": e.code} for e in r.errors]}


# ---------------------------------------------------------------- local commands
def cmd_init(args: argparse.Namespace) -> int:
    cfg = init_home(Path(args.home), listen=args.listen or DEFAULT_LISTEN, server_names=tuple(args.server_name))
    print(f"initialised {cfg.home}: config.toml, keys/, credentials/ for {', '.join(ROLES)}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from eligibility.api.server import serve
    cfg = _config(args)
    return serve(cfg, args.listen or cfg.listen, plaintext=args.plaintext, metrics_listen=args.metrics_listen or "")


def cmd_doctor(args: argparse.Namespace) -> int:
    from eligibility.console.doctor import check_home
    results = check_home(Path(args.home))
    for ok, sentence in results:
        if _json(args):
            render.jsonl({"ok": ok, "check": sentence})
        else:
            print(f"{'ok     ' if ok else 'PROBLEM'} {sentence}")
    bad = sum(not ok for ok, _ in results)
    if not _json(args):
        print("everything looks right" if not bad else f"{bad} problem(s) found")
    return 1 if bad else 0


def cmd_demo(args: argparse.Namespace) -> int:
    from eligibility.console.demo import run_demo
    return run_demo(main, Path(args.dir) if args.dir else None, per_village=args.per_village, seed=args.seed,
                    show_all=not args.summary_only)


def _rules_dirs(args: argparse.Namespace) -> list[Path]:
    if getattr(args, "path", None):
        return [Path(args.path)]
    try:
        return list(_config(args).rules_dirs)
    except EligibilityError:
        return [REPO_RULES]


def cmd_rules_lint(args: argparse.Namespace) -> int:
    from eligibility.engine.golden import load_cases
    from eligibility.rules.loader import discover, load_ruleset_file
    bad = 0
    for d in _rules_dirs(args):
        paths = discover(d) if d.is_dir() and not (d / "ruleset.yaml").exists() else [d / "ruleset.yaml" if d.is_dir() else d]
        for path in paths:
            try:
                rs = load_ruleset_file(path)
                cases = path.parent / "cases.yaml"
                n = len(load_cases(cases).cases) if cases.exists() else 0
                print(f"ok   {rs.label}  {len(rs.rules)} rules, {len(rs.profile)} profile checks, {n} golden cases  ({path})")
            except Exception as e:  # noqa: BLE001 - report every broken file, keep going
                bad += 1
                print(f"FAIL {path}: {e}")
    return 1 if bad else 0


def cmd_rules_test(args: argparse.Namespace) -> int:
    from eligibility.engine.evaluator import Evaluator
    from eligibility.engine.golden import coverage_problems, load_cases, run_case
    from eligibility.rules.loader import discover, load_ruleset_file
    evaluator = Evaluator()
    failed = total = 0
    for d in _rules_dirs(args):
        for path in (discover(d) if not (d / "ruleset.yaml").exists() else [d / "ruleset.yaml"]):
            rs = load_ruleset_file(path)
            cases_path = path.parent / "cases.yaml"
            cases = load_cases(cases_path).cases if cases_path.exists() else []
            for case in cases:
                total += 1
                problems = run_case(rs, evaluator, case)
                if problems:
                    failed += 1
                    print(f"FAIL {rs.name}: {case.name}: {'; '.join(problems)}")
                elif args.verbose:
                    print(f"ok   {rs.name}: {case.name}")
            for p in coverage_problems(rs, cases):
                failed += 1
                print(f"FAIL {rs.name}: coverage: {p}")
            print(f"{rs.label}: {len(cases)} cases")
    print(f"{total - min(failed, total)} of {total} golden cases passed; {failed} failure(s)")
    return 1 if failed else 0


# ---------------------------------------------------------------- credentials
def cmd_credentials_export(args: argparse.Namespace) -> int:
    written = _config(args).authority.export(_role_arg(args.role_name), Path(args.out))
    print(f"wrote {', '.join(str(p) for p in written)}; hand these to the {args.role_name} office")
    return 0


def cmd_credentials_issue(args: argparse.Namespace) -> int:
    d = _config(args).authority.issue_client(_role_arg(args.role_name))
    print(f"issued a new credential for {args.role_name} in {d} (the server accepts it at once)")
    return 0


def cmd_credentials_revoke(args: argparse.Namespace) -> int:
    serial = _config(args).authority.revoke(_role_arg(args.role_name))
    print(f"revoked certificate {serial} of {args.role_name} (the server refuses it from the next call); "
          f"issue a new one with `eligibility credentials issue {args.role_name}`")
    return 0


def _role_arg(role: str) -> str:
    if role not in ROLES:
        raise UsageError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    return role


# ---------------------------------------------------------------- flags
def _flag_inputs(path: Path) -> list[pb.FlagInput]:
    return [pb.FlagInput(**r) for r in read_rows(path, FLAG_COLUMNS, FLAG_REQUIRED)]


def cmd_flags_submit(args: argparse.Namespace, correction: bool = False) -> int:
    rows = _flag_inputs(Path(args.file))
    correction = correction or bool(getattr(args, "correct", False))
    if correction and not args.reason:
        raise UsageError("a correction needs --reason TEXT")
    results: list[pb.RowResult] = []
    with _client(args) as c, render.Progress("flags", len(rows), not _json(args)) as bar:
        for chunk in c.submit_flags(rows, correction=correction, reason=args.reason or ""):
            results.extend(chunk)
            bar.advance(len(chunk))
    if _json(args):
        for r in results:
            render.jsonl(_row_dict(r))
    counts = {s: sum(1 for r in results if r.status == v) for s, v in (
        ("created", pb.ROW_STATUS_CREATED), ("corrected", pb.ROW_STATUS_CORRECTED),
        ("unchanged", pb.ROW_STATUS_UNCHANGED), ("rejected", pb.ROW_STATUS_REJECTED))}
    rejected = _print_rejections(results, "flag")
    if not _json(args):
        print(f"{len(results)} rows: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    return 1 if rejected else 0


def cmd_flags_correct(args: argparse.Namespace) -> int:
    return cmd_flags_submit(args, correction=True)


def cmd_flags_retract(args: argparse.Namespace) -> int:
    if not args.reason:
        raise UsageError("a retraction needs --reason TEXT")
    with _client(args) as c:
        resp = c.call(c.flags.RetractFlag, pb.RetractFlagRequest(reference=args.reference, reason=args.reason))
    if _json(args):
        render.jsonl({**render.message_dict(resp.flag), "changed": resp.changed})
    else:
        state = "retracted" if resp.changed else "was already retracted"
        print(f"{resp.flag.reference} {state} (version {resp.flag.version})")
    return 0


def _flag_status(f: pb.Flag) -> str:
    if f.status == pb.FLAG_STATUS_RETRACTED:
        return "retracted"
    return "corrected" if f.version > 1 else "in force"


def cmd_flags_list(args: argparse.Namespace) -> int:
    from rich.table import Table
    with _client(args) as c:
        flags = [f for chunk in c.stream(c.flags.ListFlags, pb.ListFlagsRequest(
            kind=args.kind or "", all_versions=args.all_versions)) for f in chunk.flags]
    if _json(args):
        for f in flags:
            d = render.message_dict(f)
            d["status"] = _flag_status(f)
            d["id_number"] = d.pop("id_number_masked")
            render.jsonl(d)
        return 0
    table = Table(title=f"{args.role} flags ({len(flags)})", header_style="bold")
    for col in ("reference", "v", "status", "kind", "level", "decided_on", "end_date", "name", "id_number"):
        table.add_column(col, no_wrap=True)
    for f in flags:
        table.add_row(f.reference, str(f.version), _flag_status(f), f.kind, f.level, f.decided_on, f.end_date,
                      f.name, f.id_number_masked)
    render.console.print(table)
    return 0


# ---------------------------------------------------------------- rounds
def cmd_round_create(args: argparse.Namespace) -> int:
    rows = [pb.CandidateInput(**r) for r in read_rows(Path(args.candidates), CANDIDATE_COLUMNS, CANDIDATE_REQUIRED)]
    with _client(args) as c, render.Progress("candidates", len(rows), not _json(args)) as bar:
        rnd, results = c.create_round(args.name, args.as_of, rows, ruleset=args.ruleset or "", on_chunk=bar.advance)
    rejected = _print_rejections(results, "candidate")
    if _json(args):
        render.jsonl({"round_id": rnd.round_id, "name": rnd.name, "as_of": rnd.as_of, "ruleset": rnd.ruleset,
                      "candidates": rnd.candidates, "rejected": rejected})
    else:
        print(f"round {rnd.round_id} \"{rnd.name}\" as of {rnd.as_of} ({rnd.ruleset}): {rnd.candidates} candidates"
              + (f", {rejected} rows rejected" if rejected else ""))
    return 1 if rejected else 0


def cmd_round_list(args: argparse.Namespace) -> int:
    with _client(args) as c:
        rounds = c.call(c.rounds.ListRounds, pb.ListRoundsRequest()).rounds
    for r in rounds:
        if _json(args):
            render.jsonl(render.message_dict(r))
        else:
            print(f"{r.round_id}  {r.as_of}  {r.candidates:>6} candidates  attested {len(r.attested)}/8  {r.name}")
    return 0


def cmd_round_show(args: argparse.Namespace) -> int:
    with _client(args) as c:
        r = c.call(c.rounds.GetRound, pb.GetRoundRequest(round_id=args.round)).round
    if _json(args):
        render.jsonl(render.message_dict(r))
    else:
        print(f"{r.round_id} \"{r.name}\" as of {r.as_of}, ruleset {r.ruleset}, {r.candidates} candidates")
        for a, t in sorted(r.attested.items()):
            print(f"  attested by {a} at {t}")
    return 0


def cmd_round_candidates(args: argparse.Namespace) -> int:
    with _client(args) as c:
        chunks = list(c.stream(c.rounds.ListCandidates, pb.ListCandidatesRequest(
            round_id=args.round, reveal_id_numbers=args.reveal)))
    for chunk in chunks:
        ids = list(chunk.id_numbers)
        for i, cand in enumerate(chunk.candidates):
            d = {"seq": cand.seq, "id_number": ids[i] if ids else cand.id_number_masked, "name": cand.name,
                 "village": cand.village, "township": cand.township, "position": "+".join(cand.positions),
                 "party_member": cand.party_member}
            if _json(args):
                render.jsonl(d)
            else:
                print(f"{d['seq']:>5}  {d['id_number']}  {d['name']}  {d['township']} {d['village']}  {d['position']}")
    return 0


def cmd_round_attest(args: argparse.Namespace) -> int:
    with _client(args) as c:
        resp = c.call(c.rounds.AttestReview, pb.AttestReviewRequest(round_id=args.round, note=args.note or ""))
    if _json(args):
        render.jsonl({"round_id": resp.round.round_id, "agency": args.role, "changed": resp.changed,
                      "attested_at": resp.round.attested.get(args.role, "")})
    else:
        print(f"{args.role} {'attested' if resp.changed else 'had already attested'} round {resp.round.round_id} "
              f"at {resp.round.attested.get(args.role)}")
    return 0


def iter_screen_round(c: Client, round_id: str, show_progress: bool = False) -> Iterator[dict[str, Any]]:
    """Screen a round through the client; decisions as JSON objects, in candidate order, as they arrive."""
    total = c.call(c.rounds.GetRound, pb.GetRoundRequest(round_id=round_id)).round.candidates if show_progress else 0
    results = render.NamedResults()
    with render.Progress("screening", total, show_progress) as bar:
        for chunk in c.stream(c.rounds.ScreenRound, pb.ScreenRoundRequest(round_id=round_id, records_only=True)):
            results.add(chunk.results)
            for r in chunk.records:
                yield render.decision_dict_from_entry(r, results)
            bar.advance(len(chunk.records))


def screen_round(c: Client, round_id: str, show_progress: bool = False) -> list[dict[str, Any]]:
    """The same, all at once."""
    return list(iter_screen_round(c, round_id, show_progress))


def cmd_round_screen(args: argparse.Namespace) -> int:
    with _client(args) as c:
        if _json(args):  # streamed: a province's round is never held in memory
            for d in iter_screen_round(c, args.round):
                render.jsonl(d)
            return 0
        decisions = screen_round(c, args.round, show_progress=True)
    render.console.print(render.verdict_table(decisions, f"round {args.round}: {len(decisions)} candidates"))
    render.console.print(render.summary_table(decisions))
    return 0


def round_decisions(c: Client, round_id: str) -> list[dict[str, Any]]:
    """The latest recorded decision of each candidate of a round, as JSON objects."""
    out: list[dict[str, Any]] = []
    results = render.NamedResults()
    for chunk in c.stream(c.audit.ListRoundDecisions, pb.ListRoundDecisionsRequest(round_id=round_id,
                                                                                   records_only=True)):
        results.add(chunk.results)
        out.extend(render.decision_dict_from_entry(r, results) for r in chunk.records)
    for n, d in enumerate(out):
        d["seq"] = n
    return out


def cmd_round_report(args: argparse.Namespace) -> int:
    """Write the joint review report of the round's latest screening (XLSX, HTML or CSV by extension)."""
    from datetime import UTC, datetime

    from eligibility.console import report
    out = Path(args.out)
    with _client(args) as c:
        rnd = c.call(c.rounds.GetRound, pb.GetRoundRequest(round_id=args.round)).round
        decisions = round_decisions(c, args.round)
    if not decisions:
        raise UsageError(f"round {args.round} has not been screened yet: run `round screen {args.round}` first")
    lang = args.lang if args.lang_given else "zh"
    meta = {"round": f"{rnd.round_id} {rnd.name}", "as_of": rnd.as_of, "ruleset": f"{rnd.ruleset}@"
            f"{decisions[0]['ruleset_hash'][:12]}", "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}
    suffix = out.suffix.lower()
    if suffix == ".xlsx":
        report.write_xlsx(decisions, out, lang, meta)
    elif suffix in (".html", ".htm"):
        report.write_html(decisions, out, lang, meta)
    elif suffix == ".csv":
        report.write_csv(decisions, out, lang)
    else:
        raise UsageError("--out must end in .xlsx, .html or .csv")
    if _json(args):
        render.jsonl({"round_id": rnd.round_id, "out": str(out), "candidates": len(decisions)})
    else:
        print(f"wrote {out} ({len(decisions)} candidates, {lang})")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    cand = pb.CandidateInput(row=1, id_number=args.id_number, name=args.name or "", position=args.position or "",
                             party_member=args.party_member or "")
    with _client(args) as c:
        d = c.call(c.rounds.ScreenCandidate, pb.ScreenCandidateRequest(
            round_id=args.round or "", candidate=cand, as_of=args.as_of or "", ruleset=args.ruleset or "")).decision
    dd = render.decision_dict(d)
    if _json(args):
        render.jsonl(dd)
    else:
        print("\n".join(render.explain(dd, args.lang)))
    return 0


# ---------------------------------------------------------------- audit
def cmd_audit_show(args: argparse.Namespace) -> int:
    with _client(args) as c:
        d = c.call(c.audit.GetDecision, pb.GetDecisionRequest(decision_id=args.decision)).decision
    dd = render.decision_dict(d)
    if _json(args):
        dd["record"] = d.record.decode()
        if d.result_record:
            dd["result_record"] = d.result_record.decode()
        render.jsonl(dd)
    else:
        print("\n".join(render.explain(dd, args.lang)))
    return 0


def cmd_audit_replay(args: argparse.Namespace) -> int:
    if bool(args.decision) == bool(args.round):
        raise UsageError("give a DECISION id or --round ROUND")
    with _client(args) as c:
        if args.decision:
            results = [c.call(c.audit.ReplayDecision, pb.ReplayDecisionRequest(decision_id=args.decision)).result]
        else:
            results = []
            with render.Progress("replay", None, not _json(args)) as bar:
                for chunk in c.stream(c.audit.ReplayRound, pb.ReplayRoundRequest(round_id=args.round)):
                    results.extend(chunk.results)
                    bar.advance(len(chunk.results))
    mismatched = 0
    for r in results:
        mismatched += not r.match
        if _json(args):
            render.jsonl({"decision_id": r.decision_id, "name": r.name, "result": "MATCH" if r.match else "MISMATCH",
                          "ruleset_hash": r.ruleset_hash, "differences": list(r.differences)})
        elif not r.match or args.decision:
            print(f"{r.decision_id} {r.name}: {'MATCH' if r.match else 'MISMATCH'}")
            for diff in r.differences:
                print(f"    {diff}")
    if not _json(args) and args.round:
        print(f"replayed {len(results)} decisions of round {args.round}: {len(results) - mismatched} MATCH, "
              f"{mismatched} MISMATCH")
    return 1 if mismatched else 0


def _cp_dict(cp: pb.SignedCheckpoint) -> dict[str, Any]:
    return {"size": cp.size, "root": cp.root.hex(), "created_at": cp.created_at}


def cmd_audit_checkpoint(args: argparse.Namespace) -> int:
    with _client(args) as c:
        cp = c.call(c.audit.CreateCheckpoint, pb.CreateCheckpointRequest()).checkpoint
    if _json(args):
        render.jsonl(_cp_dict(cp))
    else:
        print(f"checkpoint: {cp.size} entries, root {cp.root.hex()} (signed {cp.created_at})")
    return 0


def cmd_audit_prove(args: argparse.Namespace) -> int:
    """Prove a decision is in the log (and the shared result it names, if it names one), and check the
    proofs here against the signed checkpoint."""
    from eligibility.ledger.checkpoint import load_public_key
    from eligibility.ledger.merkle import leaf_hash, verify_inclusion
    key = load_public_key((_config(args).home / "keys" / "log.pub").read_text())

    def included(resp: pb.GetInclusionProofResponse, entry: bytes, signed_root: bytes) -> bool:
        return resp.leaf == entry and verify_inclusion(leaf_hash(resp.leaf), resp.leaf_index, resp.tree_size,
                                                       list(resp.proof), signed_root)

    with _client(args) as c:
        d = c.call(c.audit.GetDecision, pb.GetDecisionRequest(decision_id=args.decision)).decision
        resp = c.call(c.audit.GetInclusionProof, pb.GetInclusionProofRequest(leaf_index=d.leaf_index))
        key.verify(resp.checkpoint.signature, resp.checkpoint.body.encode())
        ok = decision_ok = included(resp, d.record, resp.checkpoint.root)
        result: dict[str, Any] = {}
        if d.result_record:  # the record names a shared result: that entry must be in the same signed tree, and be it
            named = orjson.loads(d.record)["body"]["result_sha256"]
            entry = orjson.loads(d.result_record)
            of_result = c.call(c.audit.GetInclusionProof, pb.GetInclusionProofRequest(
                leaf_index=entry["index"], tree_size=resp.tree_size))
            holds = (entry["type"] == "result" and logged_result(d.result_record)[0] == named
                     and included(of_result, d.result_record, resp.checkpoint.root))
            ok = decision_ok and holds
            result = {"result_sha256": named, "result_leaf_index": entry["index"], "result_verified": holds}
    if _json(args):
        render.jsonl({"decision_id": d.decision_id, "leaf_index": d.leaf_index, "tree_size": resp.tree_size,
                      "proof": [p.hex() for p in resp.proof], "checkpoint": _cp_dict(resp.checkpoint), **result,
                      "verified": ok})
    else:
        print(f"decision {d.decision_id} is entry {d.leaf_index} of {resp.tree_size}; audit path of "
              f"{len(resp.proof)} hashes {'VERIFIES' if decision_ok else 'DOES NOT VERIFY'} against the signed root "
              f"{resp.checkpoint.root.hex()[:16]}...")
        if result:
            print(f"its result (named by hash {result['result_sha256'][:16]}...) is entry {result['result_leaf_index']}"
                  f", proven in the same tree: {'VERIFIES' if result['result_verified'] else 'DOES NOT VERIFY'}")
    return 0 if ok else 1


def cmd_audit_export(args: argparse.Namespace) -> int:
    from eligibility.ledger.verify import CHECKPOINTS, LEAVES, PUBLIC_KEY
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    with _client(args) as c, (out / LEAVES).open("wb") as leaves:
        last = None
        for chunk in c.stream(c.audit.ExportLog, pb.ExportLogRequest()):
            for e in chunk.entries:
                leaves.write(e + b"\n")
                n += 1
            if chunk.public_key:
                last = chunk
    assert last is not None
    import base64
    with (out / CHECKPOINTS).open("wb") as f:
        for cp in last.checkpoints:
            f.write(orjson.dumps({"body": cp.body, "signature": base64.b64encode(cp.signature).decode()}) + b"\n")
    (out / PUBLIC_KEY).write_text(last.public_key + "\n")
    print(f"exported {n} entries and {len(last.checkpoints)} checkpoints to {out}; "
          f"verify with: eligibility audit verify {out} --public-key KEYFILE")
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """Offline: only the files and the public key."""
    from eligibility.ledger.verify import verify_export
    key = Path(args.public_key).read_text() if args.public_key else None
    problems, figures = verify_export(Path(args.dir), key)
    if _json(args):
        render.jsonl({"ok": not problems, "problems": problems, **figures})
    else:
        for p in problems:
            print(f"FAIL {p}")
        print(f"{figures['entries']} entries, {figures['checkpoints']} checkpoints: "
              + ("everything verifies" if not problems else f"{len(problems)} problem(s)"))
        if not args.public_key:
            print("note: the public key was taken from the export itself; pass --public-key with a copy you "
                  "trust to rule out a re-signed log", file=sys.stderr)
    return 1 if problems else 0


def cmd_audit_reevaluate(args: argparse.Namespace, known_at: str = "") -> int:
    request = pb.ReevaluateRequest(round_id=args.round, ruleset=args.ruleset or "", known_at=known_at,
                                   only_changed=not getattr(args, "all", False))
    changed = 0
    with _client(args) as c:
        for chunk in c.stream(c.audit.Reevaluate, request):
            for x in chunk.comparisons:
                changed += x.changed
                d = {"name": x.name, "id_number": x.id_number_masked, "township": x.township, "village": x.village,
                     "before": render.enum_name(pb.Overall, x.before, "OVERALL_"),
                     "after": render.enum_name(pb.Overall, x.after, "OVERALL_"), "changed": x.changed,
                     "changes": {v.agency: [render.enum_name(pb.Verdict, v.before, "VERDICT_"),
                                            render.enum_name(pb.Verdict, v.after, "VERDICT_")] for v in x.changes},
                     "rules_added": list(x.rules_added), "rules_removed": list(x.rules_removed)}
                if _json(args):
                    render.jsonl(d)
                elif x.changed:
                    why = "; ".join([f"{a}: {b} -> {n}" for a, (b, n) in d["changes"].items()]
                                    + [f"+{r}" for r in x.rules_added] + [f"-{r}" for r in x.rules_removed])
                    print(f"{x.name} {x.id_number_masked} {x.township} {x.village}: {d['before']} -> {d['after']}"
                          f"  ({why})")
    if not _json(args):
        print(f"{changed} candidate(s) would change")
    return 0


def cmd_audit_what_if(args: argparse.Namespace) -> int:
    return cmd_audit_reevaluate(args)


def cmd_audit_as_known(args: argparse.Namespace) -> int:
    return cmd_audit_reevaluate(args, known_at=args.at)


# ---------------------------------------------------------------- rules via server
def _local_rulesets(args: argparse.Namespace) -> list[pb.Ruleset]:
    """Rulesets from the home's (or the repository's) rule directories, without a server."""
    from eligibility.api import convert
    from eligibility.rules.loader import discover, load_ruleset_file
    found = [load_ruleset_file(p) for d in _rules_dirs(args) for p in discover(d)]
    try:
        default = _config(args).default_ruleset
    except EligibilityError:
        default = "national-2021"
    return [convert.ruleset(rs, rs.name == default) for rs in found]


def cmd_rules_list(args: argparse.Namespace) -> int:
    """With --as: what the server has loaded; without: what the rule directories hold."""
    if not args.role:
        rulesets = _local_rulesets(args)
    else:
        with _client(args) as c:
            rulesets = c.call(c.rules.ListRulesets, pb.ListRulesetsRequest()).rulesets
    for r in rulesets:
        if _json(args):
            render.jsonl(render.message_dict(r))
        else:
            print(f"{r.name}@{r.hash[:12]}  v{r.version}  {r.rules} rules{'  (default)' if r.is_default else ''}  {r.title}")
    return 0


def cmd_rules_show(args: argparse.Namespace) -> int:
    """With --as: from the server; without: from the rule directories."""
    if not args.role:
        from eligibility.api import convert
        from eligibility.errors import NotFoundError
        from eligibility.rules.loader import discover, load_ruleset_file
        found = {rs.name: rs for rs in (load_ruleset_file(p) for d in _rules_dirs(args) for p in discover(d))}
        rs = found.get(args.ruleset or "national-2021")
        rule = rs.by_id.get(args.rule) if rs else None
        if rs is None or rule is None:
            raise NotFoundError(f"no rule {args.rule!r} in ruleset {args.ruleset or 'national-2021'}")
        r = convert.rule(rs, rule)
    else:
        with _client(args) as c:
            r = c.call(c.rules.GetRule, pb.GetRuleRequest(rule_id=args.rule, ruleset=args.ruleset or "")).rule
    if _json(args):
        render.jsonl(render.message_dict(r))
    else:
        print(f"{r.rule_id}  [{r.agency}] kind {r.kind}  effect {r.effect}")
        print(f"  {r.title_zh}\n  {r.title_en}\n  citation: {r.citation}")
        print(f"  window: {r.window or '-'}\n  effective {r.effective_from} .. {r.effective_to or '(no end)'}")
        print(f"  ruleset {r.ruleset_hash[:12]}")
    return 0


# ---------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    """The argument parser; global options work before or after the subcommand."""
    env = os.environ.get
    top = {"home": env("ELIGIBILITY_HOME", str(DEFAULT_HOME)), "server": env("ELIGIBILITY_SERVER", ""),
           "role": env("ELIGIBILITY_AS", ""), "format": "table", "timeout": 60.0, "lang": "en",
           "plaintext": False}

    def options(defaults: dict[str, Any] | None) -> argparse.ArgumentParser:
        # Separate action objects for the top level (real defaults) and subcommands (SUPPRESS, so an
        # option given before the subcommand is not overwritten by the subcommand's default).
        d = defaults or {}
        o = argparse.ArgumentParser(add_help=False)
        sup = argparse.SUPPRESS
        o.add_argument("--home", default=d.get("home", sup), help="home directory (ELIGIBILITY_HOME)")
        o.add_argument("--server", default=d.get("server", sup), help="server HOST:PORT (ELIGIBILITY_SERVER)")
        o.add_argument("--as", dest="role", default=d.get("role", sup), help="act as ROLE (ELIGIBILITY_AS)")
        o.add_argument("--format", choices=("table", "json"), default=d.get("format", sup),
                       help="table (default) or json (JSON Lines)")
        o.add_argument("--timeout", type=float, default=d.get("timeout", sup), help="per-call deadline in seconds")
        o.add_argument("--lang", choices=("zh", "en"), default=d.get("lang", sup), help="language of explanations")
        o.add_argument("--plaintext", action="store_true", default=d.get("plaintext", sup),
                       help="no TLS (loopback only; the server must run with --plaintext too)")
        return o

    common = options(None)
    p = argparse.ArgumentParser(prog="eligibility", parents=[options(top)],
                                description="District-level joint qualification review of two-committee candidates.")
    sub = p.add_subparsers(dest="command", required=True)

    def add(parent: Any, name: str, fn: Callable[[argparse.Namespace], int], help_: str) -> argparse.ArgumentParser:
        sp: argparse.ArgumentParser = parent.add_parser(name, parents=[common], help=help_, description=help_)
        sp.set_defaults(fn=fn)
        return sp

    sp = add(sub, "init", cmd_init, "create a home: config, database, credentials for every role")
    sp.add_argument("--listen", help=f"address the server will listen on (default {DEFAULT_LISTEN})")
    sp.add_argument("--server-name", action="append", default=[], help="extra host name/IP for the server certificate")
    creds = sub.add_parser("credentials", help="per-role client certificates").add_subparsers(dest="sub", required=True)
    sp = add(creds, "export", cmd_credentials_export, "write a role's credential bundle for handing over")
    sp.add_argument("role_name", metavar="ROLE")
    sp.add_argument("--out", required=True, help="an empty or new directory")
    add(creds, "issue", cmd_credentials_issue, "issue a new certificate for a role").add_argument("role_name", metavar="ROLE")
    add(creds, "revoke", cmd_credentials_revoke, "revoke a role's current certificate").add_argument(
        "role_name", metavar="ROLE")
    sp = add(sub, "serve", cmd_serve, "run the gRPC server on a home")
    sp.add_argument("--listen", help="HOST:PORT (port 0 = any free port); default from config")
    sp.add_argument("--metrics-listen", help="serve Prometheus metrics on HOST:PORT (e.g. 127.0.0.1:9464)")
    add(sub, "doctor", cmd_doctor, "check a home (config, keys, certificates, database, rulesets, log)")
    sp = add(sub, "demo", cmd_demo, "run a synthetic district through the real server and client")
    sp.add_argument("--dir", help="keep the demo home here (default: a temporary directory)")
    sp.add_argument("--per-village", type=int, default=4, help="candidates per village (default 4)")
    sp.add_argument("--seed", type=int, default=2026)
    sp.add_argument("--summary-only", action="store_true", help="print only non-eligible rows and the summary")
    sp = add(sub, "check", cmd_check, "screen one person: a candidate of --round, or ad hoc with --as-of")
    sp.add_argument("--id-number", required=True)
    sp.add_argument("--round")
    sp.add_argument("--name")
    sp.add_argument("--as-of")
    sp.add_argument("--position")
    sp.add_argument("--party-member")
    sp.add_argument("--ruleset")

    flags = sub.add_parser("flags", help="an agency's flags").add_subparsers(dest="sub", required=True)
    sp = add(flags, "submit", cmd_flags_submit, "submit flags from a CSV/XLSX file")
    sp.add_argument("file")
    sp.add_argument("--correct", action="store_true", help="rows with existing references are corrections")
    sp.add_argument("--reason")
    sp = add(flags, "correct", cmd_flags_correct, "correct flags from a file (new versions), with a reason")
    sp.add_argument("file")
    sp.add_argument("--reason")
    sp = add(flags, "retract", cmd_flags_retract, "retract a flag by its reference, with a reason")
    sp.add_argument("reference")
    sp.add_argument("--reason")
    sp = add(flags, "list", cmd_flags_list, "list your own flags")
    sp.add_argument("--kind")
    sp.add_argument("--all-versions", action="store_true")

    rnd = sub.add_parser("round", help="screening rounds").add_subparsers(dest="sub", required=True)
    sp = add(rnd, "create", cmd_round_create, "create a round from a candidate file")
    sp.add_argument("--name", required=True)
    sp.add_argument("--as-of", required=True, help="reference date YYYY-MM-DD")
    sp.add_argument("--candidates", required=True, help="CSV/XLSX candidate file")
    sp.add_argument("--ruleset")
    add(rnd, "list", cmd_round_list, "list rounds")
    add(rnd, "show", cmd_round_show, "show a round and its attestations").add_argument("round")
    sp = add(rnd, "candidates", cmd_round_candidates, "list a round's candidates")
    sp.add_argument("round")
    sp.add_argument("--reveal", action="store_true", help="full ID numbers (agencies, to check their records)")
    sp = add(rnd, "attest", cmd_round_attest, "attest that your agency reviewed the round")
    sp.add_argument("round")
    sp.add_argument("--note")
    add(rnd, "screen", cmd_round_screen, "screen every candidate of a round").add_argument("round")
    sp = add(rnd, "report", cmd_round_report, "write the joint review report (XLSX/HTML/CSV; Chinese unless --lang en)")
    sp.add_argument("round")
    sp.add_argument("--out", required=True, help="FILE.xlsx, FILE.html or FILE.csv")

    audit = sub.add_parser("audit", help="decisions and replay").add_subparsers(dest="sub", required=True)
    add(audit, "show", cmd_audit_show, "show a decision and why").add_argument("decision")
    sp = add(audit, "replay", cmd_audit_replay, "replay a decision, or every decision of --round")
    sp.add_argument("decision", nargs="?")
    sp.add_argument("--round")
    add(audit, "checkpoint", cmd_audit_checkpoint, "sign a checkpoint of the log now")
    add(audit, "prove", cmd_audit_prove, "prove a decision is in the signed log").add_argument("decision")
    add(audit, "export", cmd_audit_export, "write the log and checkpoints to files").add_argument("--out", required=True)
    sp = add(audit, "verify", cmd_audit_verify, "verify an exported log offline (no server)")
    sp.add_argument("dir")
    sp.add_argument("--public-key", help="the log's public key (base64), from a copy you trust")
    sp = add(audit, "what-if", cmd_audit_what_if, "which verdicts of a round another ruleset would change")
    sp.add_argument("--round", required=True)
    sp.add_argument("--ruleset", required=True)
    sp.add_argument("--all", action="store_true", help="list unchanged candidates too")
    sp = add(audit, "as-known", cmd_audit_as_known, "re-screen a round with only the records on file at a moment")
    sp.add_argument("--round", required=True)
    sp.add_argument("--at", required=True, help="RFC 3339 time, or a date (= the end of that day, UTC)")
    sp.add_argument("--ruleset")
    sp.add_argument("--all", action="store_true", help="list unchanged candidates too")

    rules = sub.add_parser("rules", help="rulesets").add_subparsers(dest="sub", required=True)
    add(rules, "list", cmd_rules_list, "rulesets with their hashes (the server's with --as, else local)")
    sp = add(rules, "show", cmd_rules_show, "show a rule (from the server with --as, else local)")
    sp.add_argument("rule")
    sp.add_argument("--ruleset")
    sp = add(rules, "lint", cmd_rules_lint, "check rule files (local, no server)")
    sp.add_argument("path", nargs="?")
    sp = add(rules, "test", cmd_rules_test, "run the golden cases (local, no server)")
    sp.add_argument("path", nargs="?")
    sp.add_argument("-v", "--verbose", action="store_true")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console command."""
    raw = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(raw)
    args.lang_given = any(a == "--lang" or a.startswith("--lang=") for a in raw)
    try:
        return int(args.fn(args))
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except EligibilityError as e:
        print(f"error: {e.message}", file=sys.stderr)
        return 2
    except grpc.RpcError as e:
        print(f"error: {e.code().name}: {e.details()}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
