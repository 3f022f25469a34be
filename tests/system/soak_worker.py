"""One soak client process: loops intake, screening or replay against a server until time is up.

Usage: python -m tests.system.soak_worker MODE HOME ADDRESS SECONDS ROUND_ID SEED  -> prints one JSON line.
"""

from __future__ import annotations

import random
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

import grpc
import orjson

from eligibility._gen.v1 import eligibility_pb2 as pb
from eligibility.console.client import connect
from eligibility.home.config import load_config
from eligibility.intake.idnumbers import check_digit


def main() -> None:
    mode, home, address, seconds, round_id, seed = sys.argv[1:7]
    cfg = load_config(Path(home))
    rng = random.Random(int(seed))
    deadline = time.monotonic() + float(seconds)
    ops, errors = 0, Counter()
    agency = rng.choice(["police", "court", "justice"])
    kinds = {"police": "cult", "court": "criminal_conviction", "justice": "released_prisoner"}
    role = agency if mode == "intake" else ("district" if mode == "screen" else "auditor")
    with connect(cfg, role, address, timeout=60) as c:
        n = 0
        while time.monotonic() < deadline:
            try:
                if mode == "intake":
                    rows = []
                    for _ in range(100):
                        n += 1
                        body = f"3301{rng.randint(1, 99):02d}{date(1970 + n % 30, 1 + n % 12, 1 + n % 28):%Y%m%d}{n % 1000:03d}"
                        rows.append(pb.FlagInput(row=n, id_number=body + check_digit(body), name="张三",
                                                 kind=kinds[agency], reference=f"soak-{seed}-{n}", decided_on="2010-01-01"))
                    c.call(c.flags.SubmitFlags, pb.SubmitFlagsRequest(flags=rows))
                    c.call(c.flags.SubmitFlags, pb.SubmitFlagsRequest(flags=rows))  # a resubmission: no change
                elif mode == "screen":
                    for _ in c.stream(c.rounds.ScreenRound, pb.ScreenRoundRequest(round_id=round_id, omit_records=True)):
                        pass
                else:
                    results = [r for ch in c.stream(c.audit.ReplayRound, pb.ReplayRoundRequest(round_id=round_id))
                               for r in ch.results]
                    if not all(r.match for r in results):
                        errors["MISMATCH"] += 1
                ops += 1
            except grpc.RpcError as e:
                errors[e.code().name] += 1
                time.sleep(0.2)
    print(orjson.dumps({"mode": mode, "ops": ops, "errors": dict(errors)}).decode())


if __name__ == "__main__":
    main()
