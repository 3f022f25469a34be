"""Large rounds screened by worker processes: the same decisions as in the server process, one log."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import grpc

from eligibility._gen.v1 import eligibility_pb2 as pb
from eligibility.console.client import Session, connect
from eligibility.home.setup import init_home
from eligibility.ledger.checkpoint import public_key_text
from eligibility.review.audit import verify_store
from eligibility.review.workers import SLICE
from eligibility.store import SqliteStore
from tests.conftest import Server, configure, start_server, stop_server
from tests.helpers import child_pids, make_id

KINDS = {"court": "criminal_conviction", "police": "administrative_detention", "petition": "petition_pending",
         "discipline": "investigation"}
AGENCIES = ["discipline", "court", "procuratorate", "police", "justice", "civil_affairs", "religious_affairs", "petition"]


def _people(n: int) -> list[tuple[str, pb.CandidateInput]]:
    out = []
    for i in range(n):
        born = date(2009, 1 + i % 12, 1 + i % 28) if i % 50 == 0 else date(1960 + i % 40, 1 + i % 12, 1 + i % 28)
        pid = make_id(born=born)
        out.append((pid, pb.CandidateInput(row=i + 2, id_number=pid, name=f"人{i}", village=f"村{i % 7}",
                                           township="桃源乡", position="party_secretary" if i % 37 == 0 else "vc_member",
                                           party_member="no")))
    return out


def _load(s: Server, people: list[tuple[str, pb.CandidateInput]], attest: bool = True) -> str:
    for n, (agency, kind) in enumerate(KINDS.items()):
        rows = [pb.FlagInput(row=i + 2, id_number=pid, name=f"人{i}" if i % 23 else "别名", kind=kind,
                             reference=f"{agency}-{i}",
                             decided_on=(date(2026, 12, 1) - timedelta(days=200 * (i % 11))).isoformat())
                for i, (pid, _) in enumerate(people) if i % (9 + n) == 0]
        with connect(s.config, agency, s.address) as c:
            assert all(r.status == pb.ROW_STATUS_CREATED for ch in c.submit_flags(rows) for r in ch)
    with connect(s.config, "district", s.address) as c:
        rnd, _ = c.create_round("big", "2026-12-01", [c_ for _, c_ in people])
    assert rnd.candidates == len(people)
    if attest:
        for agency in AGENCIES:
            with connect(s.config, agency, s.address) as c:
                c.call(c.rounds.AttestReview, pb.AttestReviewRequest(round_id=rnd.round_id))
    return str(rnd.round_id)


def _screen(s: Server, round_id: str) -> list[dict[str, object]]:
    with connect(s.config, "district", s.address) as c:
        return list(Session(c).iter_screen_round(round_id))  # what `round screen --format json` prints


def _workers(pid: int) -> list[int]:
    """The server's worker processes (not multiprocessing's resource tracker)."""
    out = []
    for child in child_pids(pid):
        try:
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                out.append(child)
        except FileNotFoundError:
            continue
    return out


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _home(tmp_path: Path, name: str, workers: int, parallel_from: int = 100) -> Path:
    home = tmp_path / name
    init_home(home)
    configure(home, workers=workers, screen_parallel_from=parallel_from, intake_parallel_from=parallel_from)
    return home


def _wait_for(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not within 30 s"
        time.sleep(0.05)


def _stop_and_verify(par: Server, one: Server) -> None:
    """Sign the parallel server's log, stop both servers, and verify the parallel one's store from outside."""
    try:
        with connect(par.config, "auditor", par.address) as c:
            c.call(c.audit.CreateCheckpoint, pb.CreateCheckpointRequest())
    finally:
        stop_server(par)
        stop_server(one)
    store = SqliteStore(par.home / "eligibility.db")
    try:
        assert verify_store(store, public_key_text(par.config.signing_key().public_key()))[0] == []
    finally:
        store.close()


def test_workers_decide_exactly_as_the_server_process(tmp_path: Path) -> None:
    people = _people(1500)
    par, one = start_server(_home(tmp_path, "par", 2)), start_server(_home(tmp_path, "one", 0))
    try:
        results = {}
        for s in (par, one):
            round_id = _load(s, people)
            decided = _screen(s, round_id)
            assert [d["name"] for d in decided] == [f"人{i}" for i in range(1500)]  # candidate order
            results[s.home.name] = [(d["name"], d["overall"], d["verdicts"],
                                     [(t["rule_id"], t["verdict"]) for t in d["trace"]]) for d in decided]  # type: ignore[attr-defined]
            with connect(s.config, "auditor", s.address) as c:
                replayed = [r for ch in c.stream(c.audit.ReplayRound, pb.ReplayRoundRequest(round_id=round_id))
                            for r in ch.results]
            assert len(replayed) == 1500 and all(r.match for r in replayed)
        assert _workers(par.proc.pid)  # the screening ran in the workers (spawned as needed, up to 2)
        assert child_pids(one.proc.pid) == []
        assert results["par"] == results["one"]
        overall = {o for _, o, _, _ in results["par"]}
        assert {"ELIGIBLE", "INELIGIBLE", "NEEDS_REVIEW"} <= overall  # the round is not trivially uniform
    finally:
        stop_server(par)
        stop_server(one)
    store = SqliteStore(par.home / "eligibility.db")
    try:
        key = public_key_text(par.config.signing_key().public_key())
        assert verify_store(store, key)[0] == []
        n = store.log_size()
        assert [leaf for (leaf,) in store.backend.execute(
            "SELECT idx FROM log ORDER BY idx").fetchall()] == list(range(n))  # one sequence, no gaps
        counts = store.backend.execute("SELECT count(*), count(DISTINCT person_key) FROM decisions").fetchone()
        assert tuple(counts) == (1500, 1500)
    finally:
        store.close()


def test_caller_gone_midway_slices_started_are_recorded_and_checkpointed(tmp_path: Path) -> None:
    home = _home(tmp_path, "gone", 2)
    s = start_server(home)
    try:
        round_id = _load(s, _people(12_000), attest=False)
        with connect(s.config, "district", s.address) as c:
            call = c.rounds.ScreenRound(pb.ScreenRoundRequest(round_id=round_id, records_only=True),
                                        metadata=c.metadata, timeout=120)
            assert len(next(call).records) == SLICE
            call.cancel()
        store = SqliteStore(home / "eligibility.db")
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:  # the server checkpoints once the started slices are in
                cps = store.checkpoints()
                if cps and cps[-1][0] == store.log_size() and store.backend.execute(
                        "SELECT count(*) FROM decisions").fetchone()[0] > 0:
                    break
                time.sleep(0.2)
            recorded = store.backend.execute("SELECT count(*) FROM decisions").fetchone()[0]
            # how far it got depends on when the server notices; what it recorded is whole slices
            assert SLICE <= recorded <= 12_000 and recorded % SLICE == 0, recorded
            assert store.checkpoints()[-1][0] == store.log_size()
        finally:
            store.close()
        assert len(_screen(s, round_id)) == 12_000  # a second screening decides everyone
        with connect(s.config, "auditor", s.address) as c:
            assert all(r.match for ch in c.stream(c.audit.ReplayRound, pb.ReplayRoundRequest(round_id=round_id))
                       for r in ch.results)
    finally:
        stop_server(s)


def test_sigterm_during_a_parallel_screening_finishes_the_stream(tmp_path: Path) -> None:
    home = _home(tmp_path, "term", 2)
    s = start_server(home)
    round_id = _load(s, _people(8000))
    with connect(s.config, "district", s.address) as c:
        call = c.rounds.ScreenRound(pb.ScreenRoundRequest(round_id=round_id, records_only=True),
                                    metadata=c.metadata, timeout=120)
        got = len(next(call).records)
        workers = child_pids(s.proc.pid)  # the workers and multiprocessing's helper
        os.kill(s.proc.pid, signal.SIGTERM)
        got += sum(len(ch.records) for ch in call)
    assert got == 8000
    assert s.proc.wait(30) == 0
    if s.proc.stdout:
        s.proc.stdout.close()
    assert workers
    deadline = time.monotonic() + 10
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(w) for w in workers)  # the workers (and multiprocessing's helper) went with it
    store = SqliteStore(home / "eligibility.db")
    try:
        assert store.backend.execute("SELECT count(*) FROM decisions").fetchone()[0] == 8000
        assert verify_store(store, public_key_text(s.config.signing_key().public_key()))[0] == []
    finally:
        store.close()


def _submission(people: list[tuple[str, pb.CandidateInput]]) -> list[pb.FlagInput]:
    rows = [pb.FlagInput(row=i + 2, id_number=pid, name=f"人{i}", kind="criminal_conviction", reference=f"法-{i}",
                         decided_on="2024-03-01") for i, (pid, _) in enumerate(people)]
    rows[3].decided_on = "2024-02-30"  # invalid date
    rows[5].kind = "cult"  # police's kind: PERMISSION_DENIED for court
    rows[7].reference = rows[6].reference  # duplicate reference in the submission
    rows[9].id_number = rows[9].id_number[:-1] + ("0" if rows[9].id_number[-1] != "0" else "1")  # bad check digit
    return rows


def _outcomes(resp: pb.SubmitFlagsResponse) -> list[tuple[int, str, int, int, list[tuple[str, str]]]]:
    return [(r.row, r.key, r.status, r.version, [(e.field, e.code) for e in r.errors]) for r in resp.results]


def test_large_submissions_are_stored_by_workers_idempotently(tmp_path: Path) -> None:
    people = _people(600)
    rows = _submission(people)
    par = start_server(_home(tmp_path, "par", 2))
    one = start_server(_home(tmp_path, "one", 0))
    try:
        with connect(one.config, "court", one.address) as c:
            expected = _outcomes(c.call(c.flags.SubmitFlags, pb.SubmitFlagsRequest(flags=rows)))
        with connect(par.config, "court", par.address) as c:
            md = (*c.metadata, ("idempotency-key", "same-key-for-all-six"))
            req = pb.SubmitFlagsRequest(flags=rows)
            with ThreadPoolExecutor(6) as pool:
                answers = list(pool.map(lambda _: c.flags.SubmitFlags(req, metadata=md, timeout=60), range(6)))
            assert len({a.SerializeToString(deterministic=True) for a in answers}) == 1  # one response, six times
            assert _outcomes(answers[0]) == expected  # as the server process decides
            statuses = [r.status for r in answers[0].results]
            assert statuses.count(pb.ROW_STATUS_REJECTED) == 4 and statuses.count(pb.ROW_STATUS_CREATED) == 596
            assert [e.code for e in answers[0].results[5].errors] == ["PERMISSION_DENIED"]
            try:
                c.flags.SubmitFlags(pb.SubmitFlagsRequest(flags=rows[:300]), metadata=md, timeout=60)
                raise AssertionError("a reused key with another request must be refused")
            except grpc.RpcError as e:
                assert e.code() == grpc.StatusCode.INVALID_ARGUMENT
            again = c.call(c.flags.SubmitFlags, pb.SubmitFlagsRequest(flags=rows))  # a fresh key: the same file again
            assert {r.status for r in again.results} == {pb.ROW_STATUS_UNCHANGED, pb.ROW_STATUS_REJECTED}
            versions = [f for ch in c.stream(c.flags.ListFlags, pb.ListFlagsRequest(all_versions=True)) for f in ch.flags]
            assert len(versions) == 596 and {f.version for f in versions} == {1}
        assert _workers(par.proc.pid)  # the submissions were stored by the workers
    finally:
        _stop_and_verify(par, one)


def test_workers_start_while_a_large_round_is_filled(tmp_path: Path) -> None:
    """No worker for a small round; a round reaching screen_parallel_from starts them before its screening."""
    s = start_server(_home(tmp_path, "warm", 2, parallel_from=300))
    try:
        people = _people(400)
        with connect(s.config, "district", s.address) as c:
            c.create_round("small", "2026-12-01", [p for _, p in people[:50]])
            time.sleep(0.5)
            assert _workers(s.proc.pid) == []
            c.create_round("large", "2026-12-01", [p for _, p in people])
        deadline = time.monotonic() + 30
        while len(_workers(s.proc.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(_workers(s.proc.pid)) == 2
    finally:
        stop_server(s)


def _candidate_outcomes(results: object) -> list[tuple[int, str, int, int, list[tuple[str, str, str]]]]:
    return [(r.row, r.key, r.status, r.version, [(e.field, e.message, e.code) for e in r.errors])
            for r in results]  # type: ignore[attr-defined]


def test_large_candidate_requests_are_checked_by_workers_and_added_in_file_order(tmp_path: Path) -> None:
    """A request of 2,600 candidates is checked by the workers a part (1,000 rows) at a time and added in row order:
    the same outcomes, sequence numbers and log as in the server process; a retried request is applied once."""
    people = [p for _, p in _people(2600)]
    people[7] = pb.CandidateInput(row=9, id_number="110101199001011234", name="坏号", position="vc_member",
                                  party_member="no")  # an invalid ID number (check digit)
    people[1500] = pb.CandidateInput(row=1502, id_number=people[1500].id_number, name="", position="vc_member",
                                     party_member="no")  # no name
    people[2100] = pb.CandidateInput(row=2102, id_number=people[150].id_number, name="人150", position="vc_member",
                                     party_member="no")  # the person of row 152 again, two parts later
    people[2200] = pb.CandidateInput(row=2202, id_number=people[60].id_number, name="人60", position="vc_member",
                                     party_member="no")  # a person the round already has (row 62, the first request)
    people[2101] = pb.CandidateInput(row=2103, id_number=people[2099].id_number, name="人2099", position="vc_member",
                                     party_member="no")  # the person of the row before it again
    par, one = start_server(_home(tmp_path, "par", 2)), start_server(_home(tmp_path, "one", 0))
    try:
        outcomes, listed = {}, {}
        for s in (par, one):
            with connect(s.config, "district", s.address) as c:
                rnd = c.call(c.rounds.CreateRound, pb.CreateRoundRequest(name="r", as_of="2026-12-01",
                                                                         candidates=people[:100])).round
                if s is par:  # a request of 100 rows (intake_parallel_from) starts the workers, for the next ones
                    _wait_for(lambda: (par.home / "server.log").read_text().count('"worker ') >= 2)
                md = (*c.metadata, ("idempotency-key", "one-key-for-all-three"))
                req = pb.AddCandidatesRequest(round_id=rnd.round_id, candidates=people[100:])
                with ThreadPoolExecutor(3) as pool:
                    answers = list(pool.map(lambda _, r=req, m=md: c.rounds.AddCandidates(r, metadata=m, timeout=120),
                                            range(3)))
                assert len({a.SerializeToString(deterministic=True) for a in answers}) == 1  # applied once
                outcomes[s.home.name] = _candidate_outcomes(answers[0].results)
                listed[s.home.name] = [(x.seq, x.name) for ch in c.stream(
                    c.rounds.ListCandidates, pb.ListCandidatesRequest(round_id=rnd.round_id)) for x in ch.candidates]
        assert outcomes["par"] == outcomes["one"]
        rejected = {row: errors for row, _, status, _, errors in outcomes["par"] if status == pb.ROW_STATUS_REJECTED}
        assert set(rejected) == {1502, 2102, 2103, 2202}  # (row 9 is in the first request)
        assert "same person as row 152" in rejected[2102][0][1] and "same person as row 2101" in rejected[2103][0][1]
        assert "already a candidate of this round" in rejected[2202][0][1] and rejected[1502][0][0] == "name"
        assert listed["par"] == listed["one"]
        assert [seq for seq, _ in listed["par"]] == list(range(1, 2600 - 5 + 1))  # in file order, no gap (5 rejected)
        assert [name for _, name in listed["par"]][:8] == [f"人{i}" for i in range(7)] + ["人8"]
        assert _workers(par.proc.pid)  # the rows were checked by the workers (started before the write lock was taken)
        log_text = (par.home / "server.log").read_text()  # once both workers were ready, no request was checked in the server
        assert "candidates checked in the server" not in log_text[log_text.rindex('"msg":"worker '):]
    finally:
        _stop_and_verify(par, one)


def test_a_fresh_servers_candidate_requests_are_checked_while_its_workers_start(tmp_path: Path) -> None:
    """A fresh server's first large request starts the workers (about a second) without waiting for them: it is
    checked in the server, and so is any request before they are ready; every row is added, in order, either way."""
    people = [p for _, p in _people(600)]
    par, one = start_server(_home(tmp_path, "par", 2)), start_server(_home(tmp_path, "one", 0))
    try:
        with connect(par.config, "district", par.address) as c:
            rnd, results = c.create_round("r", "2026-12-01", people, chunk=300)
            assert rnd.candidates == 600 and {r.status for r in results} == {pb.ROW_STATUS_CREATED}
            assert [r.version for r in results] == list(range(1, 601))  # numbered in file order
        _wait_for(lambda: len(_workers(par.proc.pid)) == 2)  # started by the first request, not waited for
    finally:
        _stop_and_verify(par, one)
