"""Benchmark the workloads of issue 5 through the real client and a real server process.

  python bench/bench_screen.py --candidates 100000 [--flagged 0.05] [--flags-per 8] [--intake 1000000]

Prints figures and the ratio to a plain-Python baseline measured in the same run (the reference
evaluator deciding the same candidates in process, no I/O). Never asserts on time.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from helpers import child_pids  # noqa: E402  (tests/helpers.py, as the tests read /proc)

from eligibility._gen.v1 import eligibility_pb2 as pb
from eligibility.console.client import Session, connect
from eligibility.engine.model import CandidateFacts, EvalInput, FlagFacts
from eligibility.engine.reference import reference_matches
from eligibility.engine.verdicts import assemble
from eligibility.home.setup import init_home
from eligibility.intake.idnumbers import check_digit
from eligibility.ledger.codec import canonical, inputs_body, result_body
from eligibility.ledger.merkle import leaf_hash
from eligibility.rules.loader import REPO_RULES, load_ruleset_file
from eligibility.rules.schema import Ruleset

AS_OF = date(2026, 12, 1)


def person_id(n: int) -> str:
    """A distinct valid ID number for person n."""
    region = 110101 + (n // 1000) % 800000
    born = date(1960, 1, 1) + timedelta(days=(n * 37) % 14000)
    body = f"{region:06d}{born:%Y%m%d}{n % 1000:03d}"
    return body + check_digit(body)


def make_data(n: int, flagged: float, per: int, seed: int = 7) -> tuple[list[pb.CandidateInput], dict[str, list[pb.FlagInput]]]:
    """Candidates and flags (by agency) for a round of n with a share flagged."""
    rs = load_ruleset_file(REPO_RULES / "national-2021" / "ruleset.yaml")
    rng = random.Random(seed)
    cands = [pb.CandidateInput(row=i + 2, id_number=person_id(i), name=f"候选人{i}", village=f"村{i % 127}",
                               township=f"乡镇{i % 12}", position="vc_member", party_member="no") for i in range(n)]
    flags: dict[str, list[pb.FlagInput]] = {a: [] for a in rs.agencies}
    k = 0
    for i in rng.sample(range(n), int(n * flagged)):
        for _ in range(per):
            rule = rng.choice(rs.rules)
            level = next(iter(rule.levels)) if rule.levels else ""
            k += 1
            flags[rule.agency].append(pb.FlagInput(
                row=k, id_number=person_id(i), name=f"候选人{i}", kind=rule.kind, reference=f"B-{k}", level=level,
                decided_on=(AS_OF - timedelta(days=rng.randint(1, 3000))).isoformat()))
    return cands, flags


def submit_and_open(server: Any, cands: list[pb.CandidateInput], flags: dict[str, list[pb.FlagInput]], name: str) -> str:
    """Submit every agency's flags and open a round of the candidates on a running server: the round's id."""
    for agency, rows in flags.items():
        with connect(server.config, agency, server.address, timeout=600) as c:
            for _ in c.submit_flags(rows):
                pass
    with connect(server.config, "district", server.address, timeout=600) as c:
        rnd, _ = c.create_round(name, AS_OF.isoformat(), cands)
    return str(rnd.round_id)


def eval_inputs(cands: list[pb.CandidateInput], flags: dict[str, list[pb.FlagInput]]) -> tuple[Ruleset, list[EvalInput]]:
    """The ruleset and the evaluator's inputs for the same candidates, made outside any timing."""
    rs = load_ruleset_file(REPO_RULES / "national-2021" / "ruleset.yaml")
    by_id: dict[str, list[FlagFacts]] = {}
    for agency, fl in flags.items():
        for f in fl:
            by_id.setdefault(f.id_number, []).append(FlagFacts(
                agency=agency, reference=f.reference, version=1, status="active", name=f.name, kind=f.kind,
                level=f.level, decided_on=date.fromisoformat(f.decided_on)))
    inputs = [EvalInput(as_of=AS_OF, candidate=CandidateFacts(
        person_key=c.id_number, id_masked="x", birth_date=date(int(c.id_number[6:10]), int(c.id_number[10:12]),
                                                                int(c.id_number[12:14])),
        name=c.name, positions=("vc_member",), party_member=False), flags=tuple(by_id.get(c.id_number, ())),
        attestations={a: "t" for a in rs.agencies}) for c in cands]
    return rs, inputs


def baseline_rate(cands: list[pb.CandidateInput], flags: dict[str, list[pb.FlagInput]]) -> float:
    """Plain-Python evaluation of the same candidates (reference evaluator + verdict assembly), per second."""
    rs, inputs = eval_inputs(cands, flags)
    t0 = time.perf_counter()
    for inp in inputs:
        assemble(rs, inp, reference_matches(rs, inp))
    return len(inputs) / (time.perf_counter() - t0)


def durable_floor_rate(cands: list[pb.CandidateInput], flags: dict[str, list[pb.FlagInput]], tmp: Path,
                       commit_every: int = 2000) -> float:
    """One core, no service: the same candidates evaluated (the reference evaluator, plain Python, with the trace;
    a candidate with nothing on record naming the result it shares by hash, as our records do), each record's
    canonical bytes chained by leaf hash and written to SQLite (WAL, synchronous=FULL), a commit per 2,000; per
    second.

    The floor a screening with a durable log stands on here: no gRPC, no workers, no reading of inputs, no
    binding to them, no checks of the tables against the log.
    """
    rs, inputs = eval_inputs(cands, flags)
    db = sqlite3.connect(tmp / "floor.db", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE log (idx INTEGER PRIMARY KEY, data BLOB NOT NULL, hash BLOB NOT NULL)")
    t0 = time.perf_counter()
    prev, rows = b"", []
    shared: dict[frozenset[tuple[str, int]], str] = {}  # a candidate with nothing on record names its result by hash
    for i, inp in enumerate(inputs):
        matches = reference_matches(rs, inp)
        record: dict[str, Any] = {"inputs": inputs_body(AS_OF.isoformat(), inp.candidate, inp.flags, inp.attestations),
                                  "index": i, "prev": prev.hex()}
        if inp.flags:
            record["result"] = result_body(assemble(rs, inp, matches))
        else:
            name = shared.get(matches)
            if name is None:
                name = shared[matches] = hashlib.sha256(canonical(result_body(assemble(rs, inp, matches)))).hexdigest()
            record["result_sha256"] = name
        body = canonical(record)
        prev = leaf_hash(body)
        rows.append((i, body, prev))
        if len(rows) == commit_every:
            db.execute("BEGIN")
            db.executemany("INSERT INTO log VALUES (?,?,?)", rows)
            db.execute("COMMIT")
            rows = []
    if rows:
        db.execute("BEGIN")
        db.executemany("INSERT INTO log VALUES (?,?,?)", rows)
        db.execute("COMMIT")
    rate = len(inputs) / (time.perf_counter() - t0)
    db.close()
    return rate


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def rss_sampler(pid: int, out: list[int], stop: threading.Event) -> None:
    """Sample the resident memory (kB) of a process and its children (the screening workers) until stopped."""
    while not stop.is_set():
        try:
            total = _rss_kb(pid)
        except FileNotFoundError:
            return
        for child in child_pids(pid):
            try:
                total += _rss_kb(child)
            except FileNotFoundError:
                continue
        out.append(total)
        time.sleep(0.2)


def peak_sampler(pid: int, out: list[int]) -> None:
    """The peak resident memory (kB) of one process since it started its program (VmHWM: not what it shared with
    this process between fork and exec, which the kernel's rusage counts), read until it exits."""
    while True:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except (FileNotFoundError, ProcessLookupError):
            return
        hwm = [int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")]
        if not hwm:  # exited (a zombie has no memory left)
            return
        out.append(hwm[0])
        time.sleep(0.1)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process and its living children (the workers) have used so far."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for p in [pid, *child_pids(pid)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def own_cpu_seconds() -> float:
    """CPU time this process (the benchmark's client) has used so far."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def export_log(session: Session, out: Path) -> None:
    """What `audit export --out DIR` writes."""
    out.mkdir()
    with (out / "leaves.jsonl").open("wb") as f:
        export = session.export_log(lambda e: f.write(e + b"\n"))
    (out / "checkpoints.jsonl").write_bytes(b"".join(orjson.dumps(cp) + b"\n" for cp in export.checkpoints))
    (out / "log.pub").write_text(export.public_key + "\n")


def app_screen_rate(home: Path, round_id: str) -> float:
    """The same screening without gRPC or a client: App.screen_round in this process with its worker processes (started
    and warmed first), every decision recorded as a screening through the server records it; per second."""
    from eligibility.home.config import load_config
    from eligibility.review.app import App
    app = App(load_config(home))
    try:
        if app.pool is not None:
            app.pool.warm()
            list(app.pool.screen(round_id, app.registry.by_name(app.get_round(round_id).ruleset).hash, iter([(0, 1)]),
                                 lambda: True))  # the workers are up and have screened (and recorded) one candidate
        t0 = time.perf_counter()
        n = sum(len(batch) for batch in app.screen_round(round_id))
        return n / (time.perf_counter() - t0)
    finally:
        app.close()


TARGETS: dict[str, tuple[str, float]] = {
    # issue 18's targets on this 2-core machine: (">=" or "<=", the figure); screening's at 100k (45,000/s at 1M)
    "screen_per_s": (">=", 50_000),
    "screen_vs_durable_floor": (">=", 0.8),
    "round_create_per_s": (">=", 50_000),
    "offline_verify_replay_per_s": (">=", 30_000),
    "screen_peak_rss_mb": ("<=", 600),
    "cli_peak_rss_mb": ("<=", 300),
    "adhoc_p50_ms": ("<=", 2),
    "adhoc_p99_ms": ("<=", 8),
}


def target_note(name: str, value: float, candidates: int) -> str:
    """'  target >= X: met' (or 'NOT met, ratio R') for a figure with a target, else ''."""
    if name not in TARGETS:
        return ""
    op, want = TARGETS[name]
    if name == "screen_per_s" and candidates >= 1_000_000:
        want = 45_000
    met = value >= want if op == ">=" else value <= want
    ratio = value / want if op == ">=" else want / value if value else 0.0
    return f"   target {op} {want:,g}: {'met' if met else 'NOT met'} (ratio {ratio:.2f})"


def main() -> None:
    """Run every workload once and print the figures."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--candidates", type=int, default=100_000)
    ap.add_argument("--flagged", type=float, default=0.05)
    ap.add_argument("--flags-per", type=int, default=8)
    ap.add_argument("--adhoc", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3,
                    help="screen the round this many times (each screening records every decision again); the "
                         "median rate is reported, with the slowest and fastest (shared machines are noisy)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--keep-export", type=Path, help="copy the exported log here (to time `audit verify` again)")
    ap.add_argument("--figures-out", type=Path, help="also write the figures here as JSON (bench_peers.py puts them in "
                                                     "its table)")
    a = ap.parse_args()
    from conftest import start_server, stop_server  # the same way the tests start a real server
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        init_home(home)
        s = start_server(home)
        try:
            cands, flags = make_data(a.candidates, a.flagged, a.flags_per)
            total_flags = sum(len(v) for v in flags.values())
            t0 = time.perf_counter()
            for agency, rows in flags.items():
                with connect(s.config, agency, s.address, timeout=600) as c:
                    for chunk in c.submit_flags(rows):
                        assert all(r.status == pb.ROW_STATUS_CREATED for r in chunk)
            figures["flag_intake_per_s"] = total_flags / (time.perf_counter() - t0)
            t0 = time.perf_counter()
            with connect(s.config, "district", s.address, timeout=600) as c:
                rnd, _ = c.create_round("bench", AS_OF.isoformat(), cands)
            figures["round_create_per_s"] = a.candidates / (time.perf_counter() - t0)
            for agency in flags:
                with connect(s.config, agency, s.address) as c:
                    c.call(c.rounds.AttestReview, pb.AttestReviewRequest(round_id=rnd.round_id))
            rss: list[int] = []
            stop = threading.Event()
            th = threading.Thread(target=rss_sampler, args=(s.proc.pid, rss, stop))
            th.start()
            rates = []
            server_cpu = client_cpu = 0.0
            screened = 0
            for _ in range(a.repeat):
                t0 = time.perf_counter()
                s0, c0 = cpu_seconds(s.proc.pid), own_cpu_seconds()
                n = 0
                with connect(s.config, "district", s.address, timeout=3600) as c:
                    # what `round screen --format json` does, short of writing the lines out
                    for d in Session(c).iter_screen_round(rnd.round_id):
                        orjson.dumps(d)
                        n += 1
                rates.append(n / (time.perf_counter() - t0))
                server_cpu += cpu_seconds(s.proc.pid) - s0
                client_cpu += own_cpu_seconds() - c0
                screened += n
            figures["screen_per_s"] = statistics.median(rates)
            figures["screen_per_s_slowest"], figures["screen_per_s_fastest"] = min(rates), max(rates)
            # where the two cores go: CPU microseconds per candidate screened, server (with its workers) and client
            figures["screen_cpu_us_server"] = server_cpu / screened * 1e6
            figures["screen_cpu_us_client"] = client_cpu / screened * 1e6
            stop.set()
            th.join()
            figures["screen_peak_rss_mb"] = max(rss) / 1024 if rss else 0
            # the same screening as a user runs it: the `eligibility` CLI writing JSON lines (counted by wc), process start
            # included; its own peak memory (it streams: nothing of the round is held)
            t0 = time.perf_counter()
            with (Path(tmp) / "screen.err").open("wb") as err:
                p = subprocess.Popen([sys.executable, "-m", "eligibility", "--home", str(home), "--server", s.address,
                                      "--as", "district", "--format", "json", "round", "screen", rnd.round_id],
                                     stdout=subprocess.PIPE, stderr=err)
                wc = subprocess.Popen(["wc", "-l"], stdin=p.stdout, stdout=subprocess.PIPE)  # the lines, not kept
                assert p.stdout is not None
                p.stdout.close()
                peak: list[int] = []
                watch = threading.Thread(target=peak_sampler, args=(p.pid, peak))
                watch.start()
                lines = int(wc.communicate()[0])
                code = p.wait()
                watch.join()
            took = time.perf_counter() - t0
            assert code == 0, (Path(tmp) / "screen.err").read_text()[-2000:]
            assert lines == a.candidates, f"the CLI wrote {lines} lines for {a.candidates} candidates"
            figures["cli_screen_per_s"] = a.candidates / took
            figures["cli_peak_rss_mb"] = max(peak, default=0) / 1024
            lat = []
            with connect(s.config, "district", s.address) as c:
                for i in range(a.adhoc):
                    cand = cands[i % len(cands)]
                    t1 = time.perf_counter()
                    c.call(c.rounds.ScreenCandidate, pb.ScreenCandidateRequest(round_id=rnd.round_id, candidate=cand))
                    lat.append((time.perf_counter() - t1) * 1000)
            figures["adhoc_p50_ms"] = statistics.median(lat)
            figures["adhoc_p99_ms"] = sorted(lat)[int(len(lat) * 0.99) - 1]
            t0 = time.perf_counter()
            with connect(s.config, "auditor", s.address, timeout=3600) as c:
                replayed = sum(len(ch.results) for ch in c.stream(c.audit.ReplayRound, pb.ReplayRoundRequest(
                    round_id=rnd.round_id)))
            figures["replay_per_s"] = replayed / (time.perf_counter() - t0)
            export = Path(tmp) / "export"
            with connect(s.config, "auditor", s.address, timeout=3600) as c:
                export_log(Session(c), export)
        finally:
            stop_server(s)
        figures["app_screen_per_s"] = app_screen_rate(home, str(rnd.round_id))
        # the auditor's offline check, as a user runs it: `audit verify DIR --public-key FILE --replay`
        t0 = time.perf_counter()
        r = subprocess.run([sys.executable, "-m", "eligibility", "--format", "json", "audit", "verify", str(export),
                            "--public-key", str(export / "log.pub"), "--replay"], capture_output=True, check=False)
        took = time.perf_counter() - t0
        verified = orjson.loads(r.stdout.splitlines()[-1])
        assert verified["ok"], verified["problems"][:5]
        figures["offline_verify_replay_per_s"] = verified["decisions"] / took
        figures["offline_verify_replay_s"] = took
        if a.keep_export:
            shutil.copytree(export, a.keep_export, dirs_exist_ok=True)
        figures["durable_floor_one_core_per_s"] = durable_floor_rate(cands[: min(len(cands), 50_000)], flags, Path(tmp))
    figures["screen_vs_durable_floor"] = figures["screen_per_s"] / figures["durable_floor_one_core_per_s"]
    figures["baseline_plain_python_per_s"] = baseline_rate(cands[: min(len(cands), 50_000)], flags)
    figures["screen_vs_baseline"] = figures["screen_per_s"] / figures["baseline_plain_python_per_s"]
    figures["client_max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    measured = {"candidates": a.candidates, "flags": total_flags, **figures}
    if a.figures_out:
        a.figures_out.parent.mkdir(parents=True, exist_ok=True)
        a.figures_out.write_bytes(orjson.dumps(measured))
    if a.json:
        print(orjson.dumps(measured).decode())
        return
    print(f"{a.candidates:,} candidates, {a.flagged:.0%} flagged x {a.flags_per} = {total_flags:,} flags")
    for k, v in figures.items():
        print(f"  {k:<30} {v:>12,.2f}{target_note(k, v, a.candidates)}")


if __name__ == "__main__":
    main()
