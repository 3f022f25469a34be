"""The verifiable log: RFC 6962 vectors, proofs, export + offline verify, tampering found by position,
and the three kinds of replay (recorded, what-if, as known then)."""

from __future__ import annotations

import hashlib
import shutil
import time
from pathlib import Path

import orjson
import pytest

from eligibility.console.client import connect
from eligibility.ledger import merkle
from eligibility.ledger.verify import CHECKPOINTS, LEAVES, verify_export
from eligibility._gen.v1 import eligibility_pb2 as pb

from .conftest import Server, write_csv
from .helpers import candidate, flag, make_id

CT_DATA = [bytes.fromhex(h) for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                      "606162636465666768696a6b6c6d6e6f"]]
CT_ROOTS = ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"]
CT_INCLUSION = {(0, 8): ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                         "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                         "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
                (5, 8): ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                         "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                         "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]}
CT_CONSISTENCY = {(2, 8): ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                           "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
                  (6, 8): ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                           "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                           "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"],
                  (2, 5): ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                           "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]}
LEAF = [merkle.leaf_hash(d) for d in CT_DATA]


def stack_root(hashes: list[bytes]) -> bytes:
    """An independent MTH: bottom-up, carrying an odd node upward (RFC 9162 2.1.1 equivalent)."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    level = list(hashes)
    while len(level) > 1:
        nxt = [hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def test_rfc6962_roots() -> None:
    assert merkle.root([]).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    for n in range(1, 9):
        assert merkle.root(LEAF[:n]).hex() == CT_ROOTS[n - 1]
        assert stack_root(LEAF[:n]).hex() == CT_ROOTS[n - 1]


@pytest.mark.parametrize("index, size", list(CT_INCLUSION))
def test_rfc6962_inclusion_vectors(index: int, size: int) -> None:
    proof = merkle.inclusion_proof(LEAF[:size], index)
    assert [p.hex() for p in proof] == CT_INCLUSION[(index, size)]
    assert merkle.verify_inclusion(LEAF[index], index, size, proof, bytes.fromhex(CT_ROOTS[size - 1]))
    assert not merkle.verify_inclusion(LEAF[index], index ^ 1, size, proof, bytes.fromhex(CT_ROOTS[size - 1]))


@pytest.mark.parametrize("first, second", list(CT_CONSISTENCY))
def test_rfc6962_consistency_vectors(first: int, second: int) -> None:
    proof = merkle.consistency_proof(LEAF[:second], first)
    assert [p.hex() for p in proof] == CT_CONSISTENCY[(first, second)]
    r1, r2 = bytes.fromhex(CT_ROOTS[first - 1]), bytes.fromhex(CT_ROOTS[second - 1])
    assert merkle.verify_consistency(first, second, r1, r2, proof)
    assert not merkle.verify_consistency(first, second, r2, r1, proof)


def test_proofs_agree_with_independent_recomputation_on_many_shapes() -> None:
    hashes = [merkle.leaf_hash(i.to_bytes(2, "big")) for i in range(70)]
    for n in range(1, 70):
        r = stack_root(hashes[:n])
        assert merkle.root(hashes[:n]) == r
        for i in range(n):
            assert merkle.verify_inclusion(hashes[i], i, n, merkle.inclusion_proof(hashes[:n], i), r)
        for m in range(1, n + 1):
            assert merkle.verify_consistency(m, n, stack_root(hashes[:m]), r, merkle.consistency_proof(hashes[:n], m))


def _screened_round(cli, tmp_path: Path) -> tuple[str, list[dict]]:  # type: ignore[no-untyped-def]
    pid = make_id()
    assert cli("court", "flags", "submit", str(write_csv(tmp_path / "f.csv", [
        flag(pid, "criminal_conviction", f"法-log-{pid[-6:]}", "2015-03-01")]))).code == 0
    path = write_csv(tmp_path / "c.csv", [candidate(pid), candidate(make_id(), "李四")])
    r = cli("district", "--format", "json", "round", "create", "--name", "log", "--as-of", "2026-12-01",
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
    assert bad.code == 3 and "known_at" in bad.err


def test_replay_detects_a_changed_record(cli, server: Server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Both shapes of record: one holding its result (a flagged candidate) and one naming a shared
    result by hash (a candidate with nothing on record), each changed in the database file."""
    import sqlite3
    flagged, clean = make_id(), make_id()
    assert cli("police", "flags", "submit", str(write_csv(tmp_path / "f.csv", [
        flag(flagged, "criminal_investigation", f"公-rp-{flagged[-6:]}", "2026-10-01", name="吴十")]))).code == 0
    path = write_csv(tmp_path / "cands.csv", [candidate(flagged, "吴十"), candidate(clean, "吴十一")])
    round_id = cli("district", "--format", "json", "round", "create", "--name", "t", "--as-of", "2026-12-01",
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


def test_streaming_root_equals_the_recursive_definition() -> None:
    for n in range(0, 140):
        hashes = [merkle.leaf_hash(i.to_bytes(2, "big")) for i in range(n)]
        assert merkle.root_of_stream(iter(hashes)) == (n, merkle.root(hashes))
    assert merkle.root_of_stream(iter(LEAF))[1].hex() == CT_ROOTS[-1]


def test_compact_range_extended_later_equals_the_whole_tree() -> None:
    # a checkpoint extends the range kept from the previous one with only the new entries
    hashes = [merkle.leaf_hash(i.to_bytes(2, "big")) for i in range(90)]
    for first in range(0, 90, 7):
        kept = merkle.CompactRange()
        for h in hashes[:first]:
            kept.append(h)
        assert kept.root() == merkle.root(hashes[:first])
        for second in range(first, 90, 11):
            tree = kept.copy()
            for h in hashes[first:second]:
                tree.append(h)
            assert (tree.size, tree.root()) == (second, merkle.root(hashes[:second]))
        assert kept.size == first  # copies never change the range they came from


def test_verify_finds_a_decision_naming_a_result_no_earlier_entry_holds() -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from eligibility.ledger.checkpoint import public_key_text
    from eligibility.ledger.codec import canonical, result_sha256
    from eligibility.ledger.entry import chain_entries
    from eligibility.ledger.verify import verify_log
    result = {"overall": "ELIGIBLE", "trace": [], "verdicts": {}}
    name = result_sha256(canonical(result))
    key = public_key_text(Ed25519PrivateKey.generate().public_key())
    good = chain_entries(0, b"", [("result", result), ("decision", {"decision_id": "dec-1", "result_sha256": name})])
    assert not [p for p in verify_log([e.data for e in good], [], key)[0] if "names result" in p]
    for entries in (
        chain_entries(0, b"", [("decision", {"decision_id": "dec-1", "result_sha256": name}), ("result", result)]),
        chain_entries(0, b"", [("result", {**result, "overall": "PENDING"}),
                               ("decision", {"decision_id": "dec-1", "result_sha256": name})]),
    ):
        problems, _ = verify_log([e.data for e in entries], [], key)
        assert any(p.startswith("entry ") and "decision dec-1 names result" in p and "which no earlier entry holds" in p
                   for p in problems), problems


def test_a_signer_caught_up_during_appends_signs_the_same_root(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from eligibility.review.signer import Signer
    from eligibility.store import SqliteStore
    store = SqliteStore(tmp_path / "s.db")
    try:
        signer = Signer(store, Ed25519PrivateKey.generate(), "test")

        def append(n: int) -> None:
            with store.transaction() as c:
                store._log(c, [("note", {"n": i}) for i in range(n)])

        append(5)
        signer.checkpoint()
        for n in (1, 7, 0, 30):  # as a screening does between its batches
            append(n)
            signer.catch_up()
        append(4)  # not yet read when the checkpoint is made
        cp = signer.checkpoint()
        assert cp.size == store.log_size() == 47
        assert cp.root == merkle.root(store.leaf_hashes(47))
    finally:
        store.close()
