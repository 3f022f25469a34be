"""The store contract, on both backends: SQLite files and a real throwaway PostgreSQL cluster."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from eligibility.ledger.codec import attestation_body, flag_body, parse_decision, round_body
from eligibility.ledger.records import DecisionRecord, RoundInfo, StoredFlag
from eligibility.store import PostgresStore, SqliteStore, Store


def _append(store: Store, flags: list[StoredFlag]) -> None:
    store.append_flag_versions(flags, [flag_body(f) for f in flags])


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        s = SqliteStore(tmp_path / "s.db")
    else:
        cluster = request.getfixturevalue("pg_cluster")
        s = PostgresStore(cluster.create_database(f"t_{uuid.uuid4().hex[:10]}"))
    yield s
    s.close()


def _flag(ref: str, version: int, status: str = "active", recorded_at: str = "2026-01-01T00:00:00.000000Z",
          person: str = "p1") -> StoredFlag:
    return StoredFlag(agency="court", reference=ref, version=version, status=status, person_key=person,  # type: ignore[arg-type]
                      id_masked="110101********0011", id_sealed=b"\x00sealed", name="张三", kind="criminal_conviction",
                      decided_on=date(2020, 1, 1), recorded_at=recorded_at, versions=version)


def test_versions_are_kept_and_one_is_latest(store: Store) -> None:
    _append(store, [_flag("A", 1)])
    _append(store, [_flag("A", 2, "retracted", "2026-02-01T00:00:00.000000Z")])
    assert store.flag_heads("court", ["A"])["A"].version == 2
    assert [f.version for f in store.list_flags("court", all_versions=True)] == [1, 2]
    assert [f.status for f in store.flags_for_persons(["p1"])["p1"]] == ["retracted"]
    then = store.flags_known_at(["p1"], "2026-01-15T00:00:00.000000Z")["p1"]
    assert [(f.version, f.status) for f in then] == [(1, "active")]
    assert bytes(store.flag_heads("court", ["A"])["A"].id_sealed) == b"\x00sealed"


def test_log_is_one_chained_sequence_and_append_only(store: Store) -> None:
    _append(store, [_flag("A", 1), _flag("B", 1)])
    info = RoundInfo(round_id="R-1", name="r", as_of=date(2026, 12, 1), ruleset="national-2021",
                     created_at="2026-01-01T00:00:00Z", created_by="district")
    store.create_round(info, round_body(info))
    for at, first in (("2026-01-02T00:00:00Z", True), ("2026-01-03T00:00:00Z", False)):
        assert store.attest("R-1", "court", at, "", "", attestation_body("R-1", "court", at, "")) is first
    assert store.log_size() == 4
    hashes = store.leaf_hashes(4)
    assert len(set(hashes)) == 4
    with pytest.raises(Exception, match="append-only"), store.transaction() as c:
        c.execute("UPDATE log SET type = 'x' WHERE idx = 0")
    with pytest.raises(Exception, match="append-only"), store.transaction() as c:
        c.execute("DELETE FROM log WHERE idx = 0")
    assert store.log_size() == 4


def test_a_failed_transaction_leaves_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        _append(store, [_flag("C", 1)])
        raise RuntimeError("crash")
    assert store.flag_heads("court", ["C"]) == {} and store.log_size() == 0


def test_idempotency_and_checkpoints(store: Store) -> None:
    store.remember("court", "k" * 10, "SubmitFlags", "h", b"resp", "t")
    assert store.remembered("court", "k" * 10) == ("SubmitFlags", "h", b"resp")
    assert store.remembered("police", "k" * 10) is None
    store.add_checkpoint(0, b"r0", "body0", b"s0", "t0")
    store.add_checkpoint(3, b"r3", "body3", b"s3", "t1")
    assert [c[0] for c in store.checkpoints()] == [0, 3]


def test_decisions_round_trip(store: Store) -> None:
    from eligibility.engine.model import CandidateFacts, EvalInput, Result
    inp = EvalInput(as_of=date(2026, 12, 1), candidate=CandidateFacts(
        person_key="p9", id_masked="m", birth_date=date(1980, 1, 1), name="甲", positions=("vc_member",),
        party_member=False), flags=(), attestations={})
    rec = DecisionRecord(decision_id="dec-1", round_id="R-1", recorded_at="t", as_of=date(2026, 12, 1),
                         ruleset_name="n", ruleset_hash="h", engine_version="e", inputs=inp,
                         result=Result(overall="PENDING", verdicts={"court": "PENDING"}, trace=()))
    from eligibility.review.screening import prepared
    [stored] = store.append_decisions([prepared(rec)])
    assert stored.result_index == -1 and stored.result == b""  # the record holds its result
    assert store.get_decision("dec-1") == stored
    assert parse_decision(stored.data) == rec


def test_a_shared_result_is_logged_once_and_read_back_with_every_record_naming_it(store: Store) -> None:
    import orjson

    from eligibility.engine.model import CandidateFacts, EvalInput, Result
    from eligibility.errors import RecordError
    from eligibility.ledger.codec import canonical, record_body, shared_result
    from eligibility.ledger.records import PreparedDecision
    result = Result(overall="PENDING", verdicts={"court": "PENDING"}, trace=())
    other = Result(overall="ELIGIBLE", verdicts={"court": "PASS"}, trace=())

    def named(n: int, res: Result) -> tuple[PreparedDecision, DecisionRecord]:
        inp = EvalInput(as_of=date(2026, 12, 1), candidate=CandidateFacts(
            person_key=f"p{n}", id_masked="m", birth_date=date(1980, 1, 1), name="甲", positions=("vc_member",),
            party_member=False), flags=(), attestations={})
        rec = DecisionRecord(decision_id=f"dec-{n}", round_id="R-1", recorded_at="t", as_of=date(2026, 12, 1),
                             ruleset_name="n", ruleset_hash="h", engine_version="e", inputs=inp, result=res)
        body = record_body(rec)
        del body["result"]
        body["result_sha256"] = shared_result(res)[0]
        return PreparedDecision(rec.decision_id, "R-1", f"p{n}", "t", "h", orjson.Fragment(canonical(body)),
                                *shared_result(res)), rec

    first = [named(n, result) for n in range(3)]
    stored = store.append_decisions([p for p, _ in first])
    assert store.log_size() == 4  # one result entry, then three decisions
    assert {s.result_index for s in stored} == {0} and [s.leaf_index for s in stored] == [1, 2, 3]
    assert orjson.loads(stored[0].result)["type"] == "result"
    later = [named(3, result), named(4, other)]
    again = store.append_decisions([p for p, _ in later])
    # the new result is logged before the decisions of its transaction
    assert again[0].result_index == 0 and again[1].result_index == 4 and store.log_size() == 7
    for s, (_, rec) in zip([*stored, *again], [*first, *later], strict=True):
        assert store.get_decision(rec.decision_id) == s
        assert parse_decision(s.data, s.result) == rec
    assert [d for batch in store.round_decisions("R-1") for d in batch] == [*stored, *again]
    with pytest.raises(RecordError, match="not the result logged for it"):
        parse_decision(again[1].data, again[0].result)
    with pytest.raises(RecordError, match="its entry is missing"):
        parse_decision(again[1].data)


def test_a_database_from_before_shared_results_is_brought_up_to_date(tmp_path: Path) -> None:
    import sqlite3
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)  # the decisions table as the previous release made it
    old.executescript("CREATE TABLE log (idx INTEGER PRIMARY KEY, type TEXT NOT NULL, data BLOB NOT NULL, "
                      "hash BLOB NOT NULL); CREATE TABLE decisions (seq INTEGER PRIMARY KEY, decision_id TEXT NOT NULL "
                      "UNIQUE, round_id TEXT NOT NULL, person_key TEXT NOT NULL, recorded_at TEXT NOT NULL, "
                      "ruleset_hash TEXT NOT NULL, leaf_index BIGINT NOT NULL REFERENCES log(idx));")
    old.close()
    store = SqliteStore(path)
    try:
        assert "result_leaf" in store.backend.columns("decisions")
        test_a_shared_result_is_logged_once_and_read_back_with_every_record_naming_it(store)
    finally:
        store.close()
    again = SqliteStore(path)  # opening it again changes nothing
    try:
        assert "result_leaf" in again.backend.columns("decisions") and again.log_size() == 7
    finally:
        again.close()


def test_every_flag_version_is_logged_exactly_as_stored(tmp_path: Path) -> None:
    """New references get their version 1 made and encoded before the write lock (their time of
    recording put in under it); corrections are made under it: either way the log holds flag_body
    of the stored version, with the time it was recorded."""
    import dataclasses

    import orjson

    from eligibility.home.setup import init_home
    from eligibility.intake.flags import FlagRow
    from eligibility.ledger.codec import PENDING_TIME, flag_body
    from eligibility.review.app import App
    from tests.helpers import make_id
    app = App(init_home(tmp_path / "home"))
    try:
        ids = [make_id() for _ in range(4)]
        rows = [FlagRow(row=i + 2, id_number=pid, name=f"张{i}", kind="criminal_conviction", reference=f"法-{i}",
                        decided_on="2025-03-01", note='他说 "recorded_at":"0000-00-00T00:00:00.000000Z"' if i == 1 else "")
                for i, pid in enumerate(ids)]
        assert {o.status for o in app.submit_flags("court", rows, False, "")} == {"CREATED"}
        again = app.submit_flags("court", [*rows[:2], dataclasses.replace(rows[2], decided_on="2025-04-01")],
                                 True, "date corrected")
        assert [o.status for o in again] == ["UNCHANGED", "UNCHANGED", "CORRECTED"]
        stored = list(app.store.list_flags("court", all_versions=True))
        assert len(stored) == 5 and all(f.recorded_at != PENDING_TIME for f in stored)
        logged = [orjson.loads(data) for batch in app.store.leaves(0) for _, data in batch]
        bodies = sorted((e["body"] for e in logged if e["type"] == "flag"), key=lambda b: (b["reference"], b["version"]))
        assert bodies == [flag_body(f) for f in stored]
    finally:
        app.close()


def test_flags_are_found_by_person_through_the_short_key_index_also_after_an_upgrade(tmp_path: Path) -> None:
    import sqlite3
    path = tmp_path / "f.db"
    SqliteStore(path).close()
    old = sqlite3.connect(path)  # as the previous release indexed flags by person
    old.executescript("DROP INDEX flags_person_prefix; CREATE INDEX flags_person ON flags (person_key);")
    old.close()
    store = SqliteStore(path)
    try:
        names = {r["name"] for r in store.backend.query("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert "flags_person_prefix" in names and "flags_person" not in names
        flags = [StoredFlag(agency="court", reference=f"r{i}", version=1, status="active", person_key=key,
                            id_masked="m", id_sealed=b"s", name="甲", kind="criminal_conviction",
                            decided_on=date(2025, 1, 1), recorded_at="t")
                 for i, key in enumerate(["ab" * 32, "ab" * 8 + "cd" * 24, "ef" * 32])]  # two share the 16-digit prefix
        _append(store, flags)
        found = store.flags_for_persons(["ab" * 32, "ab" * 8 + "cd" * 24, "00" * 32])
        assert {k: [f.reference for f in v] for k, v in found.items()} == {"ab" * 32: ["r0"], "ab" * 8 + "cd" * 24: ["r1"]}
        from eligibility.store.rows import of_persons
        for keys in (["ab" * 32], ["ab" * 32, "ef" * 32]):  # one person (an ad hoc screen) or many, as asked
            where, params = of_persons(keys)
            plan = " ".join(r["detail"] for r in store.backend.query(
                f"EXPLAIN QUERY PLAN SELECT * FROM flags WHERE is_latest = 1 AND {where} ORDER BY agency, reference",
                tuple(params)))
            assert "USING INDEX flags_person_prefix" in plan, plan
    finally:
        store.close()
