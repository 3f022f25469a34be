"""A bounded soak: intake, screening and replay from several client processes at once for a while
(SOAK_SECONDS, default 75): no errors but the expected ones, flat server memory, a verifying log."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import orjson

from eligibility._gen.v1 import eligibility_pb2 as pb
from eligibility.console.client import connect
from eligibility.home.setup import init_home
from eligibility.ledger.checkpoint import public_key_text
from eligibility.review.audit import verify_store
from eligibility.store import SqliteStore
from tests.conftest import start_server, stop_server
from tests.helpers import make_id

SECONDS = float(os.environ.get("SOAK_SECONDS", "75"))
ROOT = Path(__file__).resolve().parents[2]


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def test_soak(tmp_path: Path) -> None:
    home = tmp_path / "home"
    init_home(home)
    s = start_server(home)
    try:
        cands = [pb.CandidateInput(row=i + 2, id_number=make_id(born=date(1960 + i % 40, 1 + i % 12, 1 + i % 28)),
                                   name="张三", position="vc_member", party_member="no") for i in range(800)]
        with connect(s.config, "district", s.address) as c:
            round_id = c.create_round("soak", "2026-12-01", cands)[0].round_id
            list(c.stream(c.rounds.ScreenRound, pb.ScreenRoundRequest(round_id=round_id, omit_records=True)))
        samples: list[int] = []
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                samples.append(_rss_kb(s.proc.pid))
                time.sleep(1)
        sampler = threading.Thread(target=sample)
        sampler.start()
        modes = ["intake", "intake", "screen", "replay"]
        procs = [subprocess.Popen([sys.executable, "-m", "tests.system.soak_worker", m, str(home), s.address, str(SECONDS),
                                   round_id, str(i)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
                 for i, m in enumerate(modes)]
        outs = [orjson.loads(p.communicate(timeout=SECONDS + 120)[0].strip().splitlines()[-1]) for p in procs]
        stop.set()
        sampler.join()
        for o in outs:
            assert o["ops"] > 0, o
            assert set(o["errors"]) <= {"RESOURCE_EXHAUSTED"}, o  # overload refusals are expected, nothing else
        third = max(len(samples) // 3, 1)
        early = sorted(samples[third:2 * third])[len(samples[third:2 * third]) // 2] if len(samples) > 3 else samples[0]
        late = sorted(samples[-third:])[len(samples[-third:]) // 2]
        assert late <= early * 1.25 + 30_000, f"server memory grew: {early} kB -> {late} kB ({samples})"
        with connect(s.config, "auditor", s.address) as c:
            c.call(c.audit.CreateCheckpoint, pb.CreateCheckpointRequest())
        store = SqliteStore(s.config.database)
        try:
            problems, figures = verify_store(store, public_key_text(s.config.signing_key().public_key()))
        finally:
            store.close()
        assert problems == [] and figures["entries"] > 1000
        print(f"soak: {outs}; RSS {samples[0]} -> {samples[-1]} kB; {figures}")
    finally:
        stop_server(s)
