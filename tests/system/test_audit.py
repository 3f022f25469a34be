"""The verifiable log: RFC 6962 vectors, proofs, export + offline verify, tampering found by position,
and the three kinds of replay (recorded, what-if, as known then)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import orjson
import pytest

from eligibility._gen.v1 import eligibility_pb2 as pb
from eligibility.console.client import connect
from eligibility.ledger import merkle
from eligibility.ledger.verify import CHECKPOINTS, LEAVES, verify_export
from tests.conftest import Server, write_csv
from tests.helpers import candidate, flag, make_id
from tests.unit.ledger.test_merkle import stack_root


def _screened_round(cli, tmp_path: Path) -> tuple[str, list[dict]]:  # type: ignore[no-untyped-def]
    pid = make_id()
    assert cli("court", "flags", "submit", str(write_csv(tmp_path / "f.csv", [
        flag(pid, "criminal_conviction", f"法-log-{pid[-6:]}", "2015-03-01")]))).code == 0
    path = write_csv(tmp_path / "c.csv", [candidate(pid), candidate(make_id(), "李四")])
    r = cli("district", "--format", "json", "round", "create", "--name", f"log-{pid[-6:]}", "--as-of", "2026-12-01",
            "--candidates", str(path))
    round_id = r.jsonl()[0]["round_id"]
    for a in ("discipline", "court", "procuratorate", "police", "justice", "civil_affairs", "religious_affairs",
              "petition"):
        cli(a, "round", "attest", round_id)
    return round_id, cli("district", "--format", "json", "round", "screen", round_id).jsonl()


@pytest.fixture(scope="module")
def exported(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A round screened, then the whole log exported through the CLI."""
    from eligibility.console.main import main
    tmp = tmp_path_factory.mktemp("exp")
    base = ["--home", str(server.home), "--server", server.address]
    pid = make_id()
    write_csv(tmp / "f.csv", [flag(pid, "cult", f"公-exp-{pid[-6:]}", "2015-03-01")])
    main([*base, "--as", "police", "flags", "submit", str(tmp / "f.csv")])
    write_csv(tmp / "c.csv", [candidate(pid)])
    main([*base, "--as", "district", "round", "create", "--name", "e", "--as-of", "2026-12-01",
          "--candidates", str(tmp / "c.csv")])
    with connect(server.config, "district", server.address) as c:
        round_id = c.call(c.rounds.ListRounds, pb.ListRoundsRequest()).rounds[0].round_id
        list(c.stream(c.rounds.ScreenRound, pb.ScreenRoundRequest(round_id=round_id)))
    assert main([*base, "--as", "auditor", "audit", "export", "--out", str(tmp / "log")]) == 0
    return tmp / "log"


def _key(server: Server) -> str:
    return (server.home / "keys" / "log.pub").read_text()


def test_export_verifies_offline(exported: Path, server: Server, capsys: pytest.CaptureFixture[str]) -> None:
    problems, figures = verify_export(exported, _key(server))
    assert problems == [] and figures["entries"] > 5 and figures["checkpoints"] >= 2
    from eligibility.console.main import main
    assert main(["audit", "verify", str(exported), "--public-key", str(server.home / "keys" / "log.pub")]) == 0
    assert "everything verifies" in capsys.readouterr().out


def _tampered(exported: Path, tmp_path: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    d = tmp_path / "t"
    shutil.copytree(exported, d)
    lines = (d / LEAVES).read_bytes().splitlines()
    cps = (d / CHECKPOINTS).read_bytes().splitlines()
    lines, cps = edit(lines, cps)
    (d / LEAVES).write_bytes(b"".join(x + b"\n" for x in lines))
    (d / CHECKPOINTS).write_bytes(b"".join(x + b"\n" for x in cps))
    return d


def _problems(d: Path, server: Server) -> list[str]:
    return verify_export(d, _key(server))[0]


def test_changed_record_is_found_at_its_position(exported: Path, tmp_path: Path, server: Server) -> None:
    def edit(lines, cps):  # type: ignore[no-untyped-def]
        k = next(i for i, x in enumerate(lines) if b'"overall":"INELIGIBLE"' in x)
        lines[k] = lines[k].replace(b'"overall":"INELIGIBLE"', b'"overall":"ELIGIBLE"')
        edit.k = k  # type: ignore[attr-defined]
        return lines, cps
    problems = _problems(_tampered(exported, tmp_path, edit), server)
    k = edit.k  # type: ignore[attr-defined]
    assert any(p.startswith(f"entry {k + 1}: does not follow entry {k}") for p in problems) or \
        any("does not match the signed root" in p for p in problems)
    assert any("does not match the signed root" in p for p in problems)


def test_changed_last_record_is_caught_by_the_signed_root(exported: Path, tmp_path: Path, server: Server) -> None:
    def edit(lines, cps):  # type: ignore[no-untyped-def]
        body = orjson.loads(lines[-1])
        body["body"]["tampered"] = 1
        lines[-1] = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
        return lines, cps
    problems = _problems(_tampered(exported, tmp_path, edit), server)
    assert any("does not match the signed root" in p for p in problems)


def test_deleted_record(exported: Path, tmp_path: Path, server: Server) -> None:
    problems = _problems(_tampered(exported, tmp_path, lambda ls, cs: (ls[:3] + ls[4:], cs)), server)
    assert problems[0] == "entry 3: says it is entry 4 (an entry was removed, inserted or moved here)"
    assert any("entries removed" in p for p in problems)


def test_reordered_records(exported: Path, tmp_path: Path, server: Server) -> None:
    problems = _problems(_tampered(exported, tmp_path, lambda ls, cs: (ls[:2] + [ls[3], ls[2]] + ls[4:], cs)), server)
    assert problems[0].startswith("entry 2: says it is entry 3")


def test_inserted_record(exported: Path, tmp_path: Path, server: Server) -> None:
    def edit(lines, cps):  # type: ignore[no-untyped-def]
        fake = orjson.dumps({"index": 2, "prev": "00", "type": "flag", "body": {}}, option=orjson.OPT_SORT_KEYS)
        return lines[:2] + [fake] + lines[2:], cps
    problems = _problems(_tampered(exported, tmp_path, edit), server)
    assert problems[0].startswith("entry 2: does not follow entry 1")
    assert any(p.startswith("entry 3: says it is entry 2") for p in problems)


def test_appended_record_is_not_covered(exported: Path, tmp_path: Path, server: Server) -> None:
    def edit(lines, cps):  # type: ignore[no-untyped-def]
        prev = merkle.leaf_hash(lines[-1]).hex()
        fake = orjson.dumps({"index": len(lines), "prev": prev, "type": "flag", "body": {}}, option=orjson.OPT_SORT_KEYS)
        return lines + [fake], cps
    problems = _problems(_tampered(exported, tmp_path, edit), server)
    assert len(problems) == 1 and "not covered by any signed checkpoint" in problems[0]


def test_swapped_or_forged_checkpoints(exported: Path, tmp_path: Path, server: Server) -> None:
    swapped = _problems(_tampered(exported, tmp_path / "a", lambda ls, cs: (ls, cs[:-2] + [cs[-1], cs[-2]])), server)
    n = len((exported / CHECKPOINTS).read_bytes().splitlines())
    assert any(p.startswith(f"checkpoint {n - 1}: signed at") and "reordered" in p for p in swapped)

    def forge(lines, cps):  # type: ignore[no-untyped-def]
        cp = orjson.loads(cps[-1])
        origin, size, rest = cp["body"].split("\n", 2)
        cp["body"] = f"{origin}\n{int(size) - 1}\n{rest}"
        return lines, cps[:-1] + [orjson.dumps(cp)]
    forged = _problems(_tampered(exported, tmp_path / "b", forge), server)
    assert any(p.startswith(f"checkpoint {len((exported / CHECKPOINTS).read_bytes().splitlines()) - 1}: bad signature")
               for p in forged)


def test_a_re_signed_log_fails_against_the_trusted_key(exported: Path, tmp_path: Path, server: Server) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from eligibility.ledger.checkpoint import public_key_text
    other = public_key_text(Ed25519PrivateKey.generate().public_key())
    assert any("bad signature" in p for p in verify_export(exported, other)[0])


def test_inclusion_and_consistency_proofs_from_the_server(cli, server: Server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    round_id, decisions = _screened_round(cli, tmp_path)
    r = cli("auditor", "--format", "json", "audit", "prove", decisions[0]["decision_id"])
    assert r.code == 0 and r.jsonl()[0]["verified"] is True
    with connect(server.config, "auditor", server.address) as c:
        cp1 = c.call(c.audit.CreateCheckpoint, pb.CreateCheckpointRequest()).checkpoint
        cli("district", "round", "screen", round_id)  # more entries, and a checkpoint at the end
        cp2 = c.call(c.audit.CreateCheckpoint, pb.CreateCheckpointRequest()).checkpoint
        assert cp2.size > cp1.size
        proof = list(c.call(c.audit.GetConsistencyProof, pb.GetConsistencyProofRequest(
            first=cp1.size, second=cp2.size)).proof)
        entries = [e for ch in c.stream(c.audit.ExportLog, pb.ExportLogRequest()) for e in ch.entries]
    hashes = [merkle.leaf_hash(e) for e in entries]
    assert stack_root(hashes[:cp1.size]) == cp1.root and stack_root(hashes[:cp2.size]) == cp2.root
    assert merkle.verify_consistency(cp1.size, cp2.size, cp1.root, cp2.root, proof)


def test_every_screening_ends_with_a_checkpoint(cli, server: Server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from eligibility.store import SqliteStore
    before = len(SqliteStore(server.config.database).checkpoints())
    _screened_round(cli, tmp_path)
    store = SqliteStore(server.config.database)
    cps = store.checkpoints()
    assert len(cps) == before + 1 and cps[-1][0] == store.log_size()


def test_what_if_lists_changed_candidates_with_reasons(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    round_id, decisions = _screened_round(cli, tmp_path)
    assert {d["overall"] for d in decisions} == {"INELIGIBLE", "ELIGIBLE"}
    r = cli("auditor", "--format", "json", "audit", "what-if", "--round", round_id, "--ruleset", "provincial-2018")
    assert r.code == 0, r.err
    rows = r.jsonl()
    assert len(rows) == 1
    assert rows[0]["before"] == "INELIGIBLE" and rows[0]["after"] == "ELIGIBLE"
    assert rows[0]["changes"] == {"court": ["FAIL", "PASS"]} and rows[0]["rules_removed"] == ["CRT-CONVICTION"]
    text = cli("auditor", "audit", "what-if", "--round", round_id, "--ruleset", "provincial-2018")
    assert "INELIGIBLE -> ELIGIBLE" in text.out and "-CRT-CONVICTION" in text.out and "1 candidate(s)" in text.out
    same = cli("auditor", "--format", "json", "audit", "what-if", "--round", round_id, "--ruleset", "national-2021")
    assert same.jsonl() == []


def test_as_known_then_uses_only_versions_on_record_at_that_moment(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pid = make_id()
    ref = f"公-ak-{pid[-6:]}"
    assert cli("police", "flags", "submit", str(write_csv(tmp_path / "f.csv", [
        flag(pid, "criminal_investigation", ref, "2026-10-01", name="郑一")]))).code == 0
    path = write_csv(tmp_path / "c.csv", [candidate(pid, "郑一")])
    round_id = cli("district", "--format", "json", "round", "create", "--name", "ak", "--as-of", "2026-12-01",
                   "--candidates", str(path)).jsonl()[0]["round_id"]
    for a in ("discipline", "court", "procuratorate", "police", "justice", "civil_affairs", "religious_affairs",
              "petition"):
        cli(a, "round", "attest", round_id)
    time.sleep(0.01)
    from datetime import UTC, datetime
    moment = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    time.sleep(0.01)
    closed = write_csv(tmp_path / "g.csv", [
        flag(pid, "criminal_investigation", ref, "2026-10-01", name="郑一", end_date="2026-11-15")])
    assert cli("police", "flags", "correct", str(closed), "--reason", "investigation closed").code == 0
    now = cli("district", "--format", "json", "round", "screen", round_id).jsonl()[0]
    assert now["overall"] == "ELIGIBLE"
    then = cli("auditor", "--format", "json", "audit", "as-known", "--round", round_id, "--at", moment).jsonl()
    assert len(then) == 1 and then[0]["after"] == "INELIGIBLE" and then[0]["rules_added"] == ["POL-INVESTIGATION"]
    before_any = cli("auditor", "--format", "json", "audit", "as-known", "--round", round_id, "--at", "2000-01-01",
                     "--all").jsonl()
    assert before_any[0]["after"] == "PENDING"  # nothing on record, nobody had attested
    bad = cli("auditor", "audit", "as-known", "--round", round_id, "--at", "yesterday")
    assert bad.code == 2 and "known_at" in bad.err  # invalid input: exit 2


def test_replay_detects_a_changed_record(cli, server: Server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Both shapes of record: one holding its result (a flagged candidate) and one naming a shared
    result by hash (a candidate with nothing on record), each changed in the database file."""
    import sqlite3
    flagged, clean = make_id(), make_id()
    assert cli("police", "flags", "submit", str(write_csv(tmp_path / "f.csv", [
        flag(flagged, "criminal_investigation", f"公-rp-{flagged[-6:]}", "2026-10-01", name="吴十")]))).code == 0
    path = write_csv(tmp_path / "cands.csv", [candidate(flagged, "吴十"), candidate(clean, "吴十一")])
    round_id = cli("district", "--format", "json", "round", "create", "--name", f"t-{flagged}", "--as-of", "2026-12-01",
                   "--candidates", str(path)).jsonl()[0]["round_id"]
    holds, names = cli("district", "--format", "json", "round", "screen", round_id).jsonl()
    assert holds["overall"] == "INELIGIBLE" and names["overall"] == "PENDING"
    db = sqlite3.connect(server.config.database)
    inline_leaf, named_leaf, result_leaf = db.execute(
        "SELECT a.leaf_index, b.leaf_index, b.result_leaf FROM decisions a, decisions b "
        "WHERE a.decision_id = ? AND b.decision_id = ?", (holds["decision_id"], names["decision_id"])).fetchone()
    assert result_leaf is not None

    def data(leaf: int) -> bytes:
        return bytes(db.execute("SELECT data FROM log WHERE idx = ?", (leaf,)).fetchone()[0])

    assert b'"result":{' in data(inline_leaf) and b'"result_sha256":' in data(named_leaf)
    tampered = data(inline_leaf).replace(b'"overall":"INELIGIBLE"', b'"overall":"ELIGIBLE"')
    assert tampered != data(inline_leaf)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"), db:
        db.execute("UPDATE log SET data = ? WHERE idx = ?", (tampered, inline_leaf))

    def overwrite(leaf: int, new: bytes) -> None:
        with db:  # someone with the database file can still drop the guard; replay (and verify) still notice
            db.execute("DROP TRIGGER log_append_only_u")
            db.execute("UPDATE log SET data = ? WHERE idx = ?", (new, leaf))
            db.execute("CREATE TRIGGER log_append_only_u BEFORE UPDATE ON log "
                       "BEGIN SELECT RAISE(ABORT, 'the decision log is append-only'); END")
    originals = {leaf: data(leaf) for leaf in (inline_leaf, result_leaf)}
    try:
        overwrite(inline_leaf, tampered)
        r = cli("auditor", "audit", "replay", "--round", round_id)
        assert r.code == 1 and "1 MISMATCH" in r.out and "overall: recorded ELIGIBLE, replayed INELIGIBLE" in r.out
        overwrite(inline_leaf, originals[inline_leaf])
        # the shared result itself changed: every decision naming it no longer matches what the log holds
        overwrite(result_leaf, originals[result_leaf].replace(b'"overall":"PENDING"', b'"overall":"ELIGIBLE"'))
        r = cli("auditor", "audit", "replay", "--round", round_id)
        assert r.code == 1 and "1 MISMATCH" in r.out and "not the result logged for it" in r.out
    finally:
        for leaf, original in originals.items():
            overwrite(leaf, original)  # the shared server's log must verify again for the other tests
        db.close()
    assert cli("auditor", "audit", "replay", "--round", round_id).code == 0








