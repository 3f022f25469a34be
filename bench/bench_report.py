"""Benchmark the filed report: the XLSX and the PDF of a real screened round (through the real client and server;
5% of the candidates flagged, so that the reasons column is filled as in life), written for its first 1,000, 10,000
and 30,000 candidates. Prints seconds and seconds per 1,000 rows for each; the cost must not grow with the size.
Prints figures; never asserts.

  python bench/bench_report.py [--sizes 1000 10000 30000] [--formats xlsx pdf]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_screen import make_data, submit_and_open  # noqa: E402

from eligibility.console import reports
from eligibility.console.client import Session, connect
from eligibility.home.setup import init_home
from eligibility.rules.loader import REPO_RULES
from eligibility.rules.vocabulary import load_vocabulary


def main() -> None:
    """Screen a round of the largest size once, then time each format at each size."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 30_000])
    ap.add_argument("--formats", nargs="+", default=["xlsx", "pdf"], choices=["xlsx", "pdf", "html", "csv"])
    a = ap.parse_args()
    from conftest import start_server, stop_server
    cands, flags = make_data(max(a.sizes), 0.05, 2)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        init_home(home)
        s = start_server(home)
        try:
            round_id = submit_and_open(s, cands, flags, "bench-report")
            for agency in flags:
                with Session(connect(s.config, agency, s.address, timeout=600)) as ss:
                    ss.attest(round_id, "经核查，未发现不宜人选情形", f"{agency}经办人")
            with Session(connect(s.config, "district", s.address, timeout=600)) as ss:
                for _ in ss.iter_screen_round(round_id):
                    pass
                info = ss.get_round(round_id, with_changes=True)
                decisions = ss.round_decisions(round_id)
        finally:
            stop_server(s)
        vocab = load_vocabulary([REPO_RULES])
        print(f"report of a screened round: {len(decisions):,} candidates, 5% flagged")
        print(f"{'format':<6} {'rows':>7} {'seconds':>8} {'s / 1,000 rows':>15} {'file MB':>8}")
        per: dict[str, list[float]] = {}
        for fmt in a.formats:
            for n in sorted(a.sizes):
                report = reports.Report(decisions[:n], "zh", vocab, info, "national-2021", ZoneInfo("Asia/Shanghai"))
                out = Path(tmp) / f"r{n}.{fmt}"
                t0 = time.perf_counter()
                reports.write(report, out)
                took = time.perf_counter() - t0
                per.setdefault(fmt, []).append(took / n * 1000)
                print(f"{fmt:<6} {n:>7,} {took:>8.2f} {took / n * 1000:>15.3f} {out.stat().st_size / 1e6:>8.1f}",
                      flush=True)
        for fmt, costs in per.items():
            print(f"{fmt}: seconds per 1,000 rows at the largest size / at the smallest = {costs[-1] / costs[0]:.2f} "
                  "(1.0 = linear)")
        print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
