"""Two server processes on one PostgreSQL database, taking flags and screening at the same time,
produce one consistent log (one sequence, no gaps, no forks) and the verdicts of a single process."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

from eligibility._gen.v1 import eligibility_pb2 as pb
from eligibility.console.client import Session, connect
from eligibility.home.setup import init_home
from eligibility.ledger.checkpoint import public_key_text
from eligibility.review.audit import verify_store
from eligibility.store import PostgresStore
from tests.conftest import Server, configure, start_server, stop_server, use_database
from tests.helpers import make_id

AGENCIES = ["discipline", "court", "procuratorate", "police", "justice", "civil_affairs", "religious_affairs", "petition"]
KINDS = {"court": "criminal_conviction", "police": "administrative_detention", "petition": "petition_pending",
         "justice": "released_prisoner"}


def _flags(ids: list[str], agency: str, start: int) -> list[pb.FlagInput]:
    return [pb.FlagInput(row=i + 2, id_number=pid, name=f"人{start + i}", kind=KINDS[agency], reference=f"{agency}-{start + i}",
                         decided_on=(date(2026, 12, 1) - timedelta(days=300 * (i % 9))).isoformat())
            for i, pid in enumerate(ids)]


def _screen(s: Server, round_id: str) -> dict[str, tuple[str, dict[str, str]]]:
    out = {}
    with connect(s.config, "district", s.address) as c:
        for d in Session(c).iter_screen_round(round_id):
            out[d["id_number"] + d["name"]] = (d["overall"], d["verdicts"])
    return out


def test_two_replicas_one_log_same_verdicts(pg_cluster, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = pg_cluster.create_database(f"rep_{uuid.uuid4().hex[:8]}")
    home = tmp_path / "home"
    init_home(home)
    use_database(home, url)
    configure(home, workers=2, screen_parallel_from=300)  # each replica screens in two worker processes too
    a, b = start_server(home), start_server(home)
    try:
        people = [make_id(born=date(1960 + i % 40, 1 + i % 12, 1 + i % 28)) for i in range(1200)]
        cands = [pb.CandidateInput(row=i + 2, id_number=pid, name=f"人{i}", position="vc_member", party_member="no")
                 for i, pid in enumerate(people)]
        with connect(a.config, "district", a.address) as c:
            round_id = c.create_round("replicas", "2026-12-01", cands[:600])[0].round_id
        with connect(b.config, "district", b.address) as c:
            results = [r for i in range(600, 1200, 200) for r in c.call(c.rounds.AddCandidates, pb.AddCandidatesRequest(
                round_id=round_id, candidates=cands[i:i + 200])).results]
            assert all(r.status == pb.ROW_STATUS_CREATED for r in results)
        errors: list[BaseException] = []

        def intake(s: Server, agency: str, start: int) -> None:
            try:
                with connect(s.config, agency, s.address) as c:
                    for i in range(start, start + 300, 50):
                        c.call(c.flags.SubmitFlags, pb.SubmitFlagsRequest(flags=_flags(people[i:i + 50], agency, i)))
                    c.call(c.rounds.AttestReview, pb.AttestReviewRequest(round_id=round_id))
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)

        def screening(s: Server) -> None:
            try:
                for _ in range(2):
                    _screen(s, round_id)
            except BaseException as e:  # noqa: BLE001
                errors.append(e)
        threads = [threading.Thread(target=intake, args=(a if i % 2 else b, ag, 300 * (i % 4)))
                   for i, ag in enumerate(KINDS)]
        threads += [threading.Thread(target=screening, args=(a,)), threading.Thread(target=screening, args=(b,))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        assert errors == []
        for ag in AGENCIES:
            with connect(a.config, ag, a.address) as c:
                c.call(c.rounds.AttestReview, pb.AttestReviewRequest(round_id=round_id))
        # the same verdicts from either replica, once the inputs are settled
        via_a, via_b = _screen(a, round_id), _screen(b, round_id)
        assert via_a == via_b and len(via_a) == 1200
        assert {o for o, _ in via_a.values()} >= {"ELIGIBLE", "INELIGIBLE", "NEEDS_REVIEW"}
        with connect(b.config, "auditor", b.address) as c:
            replay = [r for ch in c.stream(c.audit.ReplayRound, pb.ReplayRoundRequest(round_id=round_id))
                      for r in ch.results]
            assert len(replay) >= 1200 * 3 and all(r.match for r in replay)
            c.call(c.audit.CreateCheckpoint, pb.CreateCheckpointRequest())
    finally:
        stop_server(a)
        stop_server(b)
    # one log: positions 0..n-1 without a gap, one hash chain, checkpoints from both in order
    store = PostgresStore(url)
    try:
        idx = [r["idx"] for r in store._query("SELECT idx FROM log ORDER BY idx")]  # noqa: SLF001
        assert idx == list(range(len(idx)))
        from eligibility.home.config import load_config
        problems, figures = verify_store(store, public_key_text(load_config(home).signing_key().public_key()))
        assert problems == [] and figures["checkpoints"] >= 5
        assert store._query("SELECT count(*) AS n FROM flags")[0]["n"] == 1200  # noqa: SLF001
    finally:
        store.close()
    # and the same verdicts as one process on its own (SQLite) with the same inputs
    solo_home = tmp_path / "solo"
    init_home(solo_home)
    solo = start_server(solo_home)
    try:
        with connect(solo.config, "district", solo.address) as c:
            solo_round = c.create_round("solo", "2026-12-01", cands)[0].round_id
        for i, ag in enumerate(KINDS):
            with connect(solo.config, ag, solo.address) as c:
                start = 300 * (i % 4)
                for j in range(start, start + 300, 50):
                    c.call(c.flags.SubmitFlags, pb.SubmitFlagsRequest(flags=_flags(people[j:j + 50], ag, j)))
        for ag in AGENCIES:
            with connect(solo.config, ag, solo.address) as c:
                c.call(c.rounds.AttestReview, pb.AttestReviewRequest(round_id=solo_round))
        assert _screen(solo, solo_round) == via_a
    finally:
        stop_server(solo)


def test_large_candidate_requests_on_postgresql_are_checked_by_the_workers(pg_cluster, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """On PostgreSQL too: a request's rows checked by the workers are added in file order in its one transaction (a
    worker opening the store waits for the advisory lock the server's transaction holds)."""
    url = pg_cluster.create_database(f"cand_{uuid.uuid4().hex[:8]}")
    home = tmp_path / "home"
    init_home(home)
    use_database(home, url)
    configure(home, workers=2, intake_parallel_from=100)
    s = start_server(home)
    try:
        people = [make_id(born=date(1960 + i % 40, 1 + i % 12, 1 + i % 28)) for i in range(2600)]
        cands = [pb.CandidateInput(row=i + 2, id_number=pid, name=f"人{i}", position="vc_member", party_member="no")
                 for i, pid in enumerate(people)]
        with connect(s.config, "district", s.address) as c:
            round_id = c.call(c.rounds.CreateRound, pb.CreateRoundRequest(
                name="r", as_of="2026-12-01", candidates=cands[:300])).round.round_id  # starts the workers
            deadline = time.monotonic() + 30
            while (home / "server.log").read_text().count('"worker ') < 2:
                assert time.monotonic() < deadline, "the workers did not start within 30 s"
                time.sleep(0.05)
            results = c.call(c.rounds.AddCandidates, pb.AddCandidatesRequest(round_id=round_id,
                                                                              candidates=cands[300:])).results
            assert [r.version for r in results] == list(range(301, 2601))  # numbered in file order
            listed = [x.name for ch in c.stream(c.rounds.ListCandidates, pb.ListCandidatesRequest(round_id=round_id))
                      for x in ch.candidates]
            assert listed == [f"人{i}" for i in range(2600)]
        log_text = (home / "server.log").read_text()  # once both workers were ready, no request was checked in the server
        assert "candidates checked in the server" not in log_text[log_text.rindex('"msg":"worker '):]
        with connect(s.config, "auditor", s.address) as c:
            c.call(c.audit.CreateCheckpoint, pb.CreateCheckpointRequest())
    finally:
        stop_server(s)
    store = PostgresStore(url)
    try:
        assert verify_store(store, public_key_text(s.config.signing_key().public_key()))[0] == []
    finally:
        store.close()
