"""Benchmark the browser console's results page on a real screened round (default 100,000 candidates, 5% flagged):
through the real console process, the real client and server, with the launch cookie as a browser would send it.
Prints how fast the first look answers (the console fetches the round's decisions once, in the background, and the
page says how far it got), when the results table is ready, then pages and filters (served from memory), and the
rounds list.
Prints figures; never asserts.

  python bench/bench_console.py [--candidates 100000]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_screen import make_data, submit_and_open  # noqa: E402

from eligibility.console.client import Session, connect
from eligibility.home.setup import init_home


def _get(url: str, cookie: str) -> float:
    return _fetch(url, cookie)[0]


def _fetch(url: str, cookie: str) -> tuple[float, str]:
    t0 = time.perf_counter()
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Cookie": cookie}), timeout=600) as r:
        body = r.read().decode()
    return time.perf_counter() - t0, body


def main() -> None:
    """A round of N, screened; the console's pages timed."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--candidates", type=int, default=100_000)
    a = ap.parse_args()
    from conftest import start_server, stop_server
    cands, flags = make_data(a.candidates, 0.05, 2)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        init_home(home)
        s = start_server(home)
        console = None
        try:
            round_id = submit_and_open(s, cands, flags, "bench-console")
            with Session(connect(s.config, "district", s.address, timeout=600)) as ss:
                for _ in ss.iter_screen_round(round_id):
                    pass
            console = subprocess.Popen([sys.executable, "-m", "eligibility", "--home", str(home), "--server", s.address,
                                        "--as", "district", "--format", "json", "--timeout", "600", "console",
                                        "--no-browser"], stdout=subprocess.PIPE, text=True)
            assert console.stdout is not None
            url = orjson.loads(console.stdout.readline())["url"]
            base, _, token = url.partition("?token=")
            cookie = f"eligibility_console_{base.rstrip('/').rsplit(':', 1)[1]}={token}"
            page = f"{base}rounds/{round_id}"
            t0 = time.perf_counter()
            first, body = _fetch(page, cookie)  # cold: the page answers at once, saying how far the fetch got
            answers = [first]
            while 'class="results"' not in body:
                time.sleep(1)  # as the page's own refresh does
                took, body = _fetch(page, cookie)
                answers.append(took)
            ready = time.perf_counter() - t0
            pages = [_get(f"{page}?page={n}", cookie) for n in (2, 100, 1000, a.candidates // 50)]
            filtered = [_get(f"{page}?result=INELIGIBLE", cookie),
                        _get(f"{page}?{urlencode({'township': '乡镇3', 'page': 20})}", cookie),
                        _get(f"{page}?agency=court&page=2", cookie)]
            rounds = _get(base, cookie)  # the rounds list counts each screened round's changes since screening
            print(f"console results page, a round of {a.candidates:,} candidates:")
            print(f"  the rounds list (with changes since screening)   {rounds:8.3f} s")
            print(f"  first look (the decisions fetched in the background) answers in {first:.3f} s; every look "
                  f"while loading under {max(answers):.3f} s")
            print(f"  the results table ready after (once per screening) {ready:8.3f} s")
            print(f"  another page, median of {len(pages)}                   {statistics.median(pages):8.3f} s "
                  f"(max {max(pages):.3f})")
            print(f"  a filtered page, median of {len(filtered)}                {statistics.median(filtered):8.3f} s "
                  f"(max {max(filtered):.3f})  target < 1 s a page")
        finally:
            if console is not None:
                console.terminate()
                console.communicate(timeout=10)
            stop_server(s)


if __name__ == "__main__":
    main()
