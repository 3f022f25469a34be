"""Server memory for one very large request (issue 14): a CreateRound of N candidates and a SubmitFlags of as many
flags as fit in one message, each sent whole, in one call, through the real client to a real server process.

  python bench/bench_memory.py [--candidates 1000000] [--flags 1000000]

Prints the server's resident memory when idle, its peak during each request (VmHWM of the server and of each
worker process it started, summed) and the peak above idle, against the README's bound (1 GB above idle).
Never asserts; the times are printed for information only.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_screen import person_id  # noqa: E402
from helpers import child_pids  # noqa: E402

from eligibility._gen.v1 import eligibility_pb2 as pb
from eligibility.console.client import connect
from eligibility.console.client.transport import MAX_MESSAGE
from eligibility.home.setup import init_home

BOUND_MB = 1024


def _status(pid: int, field: str) -> int:
    """A VmRSS / VmHWM figure of a process, in MB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) // 1024
    except FileNotFoundError:
        pass
    return 0


def _reset_peak(pid: int) -> None:
    """Start the process's VmHWM again from its current RSS (Linux >= 4.0: write 5 to clear_refs)."""
    for p in (pid, *child_pids(pid)):
        try:
            Path(f"/proc/{p}/clear_refs").write_text("5")
        except OSError:
            pass


def _memory(pid: int, field: str) -> int:
    return sum(_status(p, field) for p in (pid, *child_pids(pid)))


def _measure(label: str, pid: int, call: object, rows: int) -> None:
    idle = _memory(pid, "VmRSS")
    _reset_peak(pid)
    t0 = time.perf_counter()
    summary = call()  # type: ignore[operator]
    took = time.perf_counter() - t0
    peak = _memory(pid, "VmHWM")
    print(f"{label}: {rows:,} rows in one request, {summary}; server idle {idle:,} MB, peak {peak:,} MB, "
          f"above idle {peak - idle:,} MB (bound {BOUND_MB:,} MB, ratio {(peak - idle) / BOUND_MB:.2f}); {took:.1f} s")


def main() -> None:
    """One CreateRound and one SubmitFlags, each as large as asked (flags: as many as fit in one message)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--candidates", type=int, default=1_000_000)
    ap.add_argument("--flags", type=int, default=1_000_000)
    a = ap.parse_args()
    from conftest import start_server, stop_server
    cands = [pb.CandidateInput(row=i + 2, id_number=person_id(i), name=f"人{i}", village=f"村{i % 127}",
                               township=f"乡{i % 12}", position="vc_member", party_member="no")
             for i in range(a.candidates)]
    round_request = pb.CreateRoundRequest(name="memory", as_of="2026-12-01", candidates=cands)
    del cands
    flags = pb.SubmitFlagsRequest()
    for i in range(a.flags):
        flags.flags.add(row=i + 2, id_number=person_id(i), name="某", kind="administrative_detention", reference=f"F{i}",
                        decided_on=(date(2026, 1, 1) - timedelta(days=i % 5000)).isoformat())
    while flags.ByteSize() > MAX_MESSAGE - 1024:  # the message cap bounds a request before the server sees it
        del flags.flags[len(flags.flags) * 9 // 10:]
    if len(flags.flags) < a.flags:
        print(f"({a.flags:,} flags do not fit in one {MAX_MESSAGE >> 20} MiB message; sending the {len(flags.flags):,} "
              "that do)")
    print(f"CreateRound request: {round_request.ByteSize() / 1e6:.1f} MB; SubmitFlags request: "
          f"{flags.ByteSize() / 1e6:.1f} MB")
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        init_home(home)
        s = start_server(home)
        try:
            with connect(s.config, "district", s.address, timeout=1800) as c:
                c.call(c.rules.ListRulesets, pb.ListRulesetsRequest())

                def create() -> str:
                    r = c.rounds.CreateRound(round_request, metadata=c.metadata, timeout=1800)
                    ok = sum(1 for x in r.results if x.status == pb.ROW_STATUS_CREATED)
                    return f"{ok:,} created"
                _measure("CreateRound", s.proc.pid, create, len(round_request.candidates))
            with connect(s.config, "police", s.address, timeout=1800) as c:
                def submit() -> str:
                    r = c.flags.SubmitFlags(flags, metadata=c.metadata, timeout=1800)
                    ok = sum(1 for x in r.results if x.status == pb.ROW_STATUS_CREATED)
                    return f"{ok:,} created"
                _measure("SubmitFlags", s.proc.pid, submit, len(flags.flags))
        finally:
            stop_server(s)


if __name__ == "__main__":
    main()
