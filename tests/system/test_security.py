"""Who may do what: mTLS identities, default-deny authorization, protected ID numbers, logged refusals."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import grpc
import pytest

from eligibility._gen.v1 import eligibility_pb2 as pb
from eligibility.api.auth import ALLOWED, PUBLIC, allows
from eligibility.console.client import Client, connect
from eligibility.console.main import main as cli_main
from eligibility.home.setup import init_home
from eligibility.rules.loader import REPO_RULES
from eligibility.rules.vocabulary import load_vocabulary
from tests.conftest import Server, start_server, stop_server, write_csv
from tests.helpers import candidate, flag, make_id

REQUESTS = {
    "FlagService/SubmitFlags": pb.SubmitFlagsRequest(), "FlagService/RetractFlag": pb.RetractFlagRequest(),
    "FlagService/ListFlags": pb.ListFlagsRequest(), "RoundService/CreateRound": pb.CreateRoundRequest(),
    "RoundService/AddCandidates": pb.AddCandidatesRequest(), "RoundService/GetRound": pb.GetRoundRequest(),
    "RoundService/ListRounds": pb.ListRoundsRequest(), "RoundService/ListCandidates": pb.ListCandidatesRequest(),
    "RoundService/AttestReview": pb.AttestReviewRequest(), "RoundService/ScreenRound": pb.ScreenRoundRequest(),
    "RoundService/ScreenCandidate": pb.ScreenCandidateRequest(), "AuditService/GetDecision": pb.GetDecisionRequest(),
    "AuditService/ReplayDecision": pb.ReplayDecisionRequest(), "AuditService/ReplayRound": pb.ReplayRoundRequest(),
    "RulesService/ListRulesets": pb.ListRulesetsRequest(), "RulesService/GetRule": pb.GetRuleRequest(),
    "AuditService/CreateCheckpoint": pb.CreateCheckpointRequest(),
    "AuditService/GetInclusionProof": pb.GetInclusionProofRequest(),
    "AuditService/GetConsistencyProof": pb.GetConsistencyProofRequest(),
    "AuditService/ExportLog": pb.ExportLogRequest(), "AuditService/Reevaluate": pb.ReevaluateRequest(),
    "AuditService/ListRoundDecisions": pb.ListRoundDecisionsRequest(),
    "RoundService/ListChanges": pb.ListChangesRequest(), "RoundService/WatchRound": pb.WatchRoundRequest(),
    "RoundService/ConcludeRound": pb.ConcludeRoundRequest(),
    "AppealService/OpenAppeal": pb.OpenAppealRequest(), "AppealService/ListAppeals": pb.ListAppealsRequest(),
    "AppealService/AnswerAppeal": pb.AnswerAppealRequest(), "AppealService/DecideAppeal": pb.DecideAppealRequest(),
    "ReviewService/ListReviews": pb.ListReviewsRequest(), "ReviewService/ResolveReview": pb.ResolveReviewRequest(),
}
STREAMING = {"FlagService/ListFlags", "RoundService/ListCandidates", "RoundService/ScreenRound",
             "AuditService/ReplayRound", "AuditService/ExportLog", "AuditService/Reevaluate",
             "AuditService/ListRoundDecisions", "ReviewService/ListReviews",
             "RoundService/ListChanges", "RoundService/WatchRound"}


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of its own (these tests revoke credentials)."""
    home = tmp_path_factory.mktemp("sec")
    init_home(home)
    s = start_server(home)
    yield s
    stop_server(s)


def _call(c: Client, method: str, request: object) -> grpc.StatusCode:
    service, name = method.split("/")
    try:
        if method in STREAMING:
            fn = c.channel.unary_stream(f"/eligibility.v1.{method}", request_serializer=type(request).SerializeToString,
                                        response_deserializer=lambda b: b)
            list(fn(request, metadata=c.metadata, timeout=20))
        else:
            fn2 = c.channel.unary_unary(f"/eligibility.v1.{method}", request_serializer=type(request).SerializeToString,
                                        response_deserializer=lambda b: b)
            fn2(request, metadata=c.metadata, timeout=20)
    except grpc.RpcError as e:
        return e.code()
    return grpc.StatusCode.OK


def test_table_covers_every_rpc_of_the_contract() -> None:
    declared = {f"/eligibility.v1.{s.name}/{m.name}" for s in pb.DESCRIPTOR.services_by_name.values() for m in s.methods}
    assert declared == {m for m in ALLOWED if m.startswith("/eligibility.v1.")}
    assert set(REQUESTS) == {m.removeprefix("/eligibility.v1.") for m in declared}


VOCAB = load_vocabulary([REPO_RULES])


@pytest.mark.parametrize("role", VOCAB.roles)
def test_every_role_on_every_method(secured: Server, role: str) -> None:
    with connect(secured.config, role, secured.address) as c:
        for method, request in REQUESTS.items():
            code = _call(c, method, request)
            if allows(ALLOWED[f"/eligibility.v1.{method}"], role, frozenset(VOCAB.agencies)):
                assert code not in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED), (role, method)
            else:
                assert code == grpc.StatusCode.PERMISSION_DENIED, (role, method, code)


def test_a_method_missing_from_the_table_is_denied(secured: Server, tmp_path: Path) -> None:
    """A method the server does not have is UNIMPLEMENTED (what gRPC clients expect); one it has that the table
    does not list is denied before it runs (shown on a real gRPC server with the same interceptor and one more
    method)."""
    with connect(secured.config, "auditor", secured.address) as c:
        assert _call(c, "AuditService/DeleteEverything", pb.GetDecisionRequest()) == grpc.StatusCode.UNIMPLEMENTED
    assert all(v is PUBLIC or v for v in ALLOWED.values())
    from concurrent import futures

    from eligibility.api.auth import AuthInterceptor, TokenIdentity
    from eligibility.home.config import digest
    ran = []
    extra = grpc.method_handlers_generic_handler("eligibility.v1.AuditService", {"DeleteEverything": (
        grpc.unary_unary_rpc_method_handler(lambda req, ctx: ran.append(req) or b"", lambda b: b, lambda b: b))})
    tokens = tmp_path / "digests.json"
    tokens.write_text(f'{{"auditor": "{digest("t")}"}}')
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2),
                         interceptors=[AuthInterceptor(TokenIdentity(tokens), frozenset())])
    server.add_generic_rpc_handlers((extra,))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as ch:
            call = ch.unary_unary("/eligibility.v1.AuditService/DeleteEverything", request_serializer=lambda b: b,
                                  response_deserializer=lambda b: b)
            with pytest.raises(grpc.RpcError) as e:
                call(b"", metadata=[("authorization", "Bearer t")], timeout=10)
        assert e.value.code() == grpc.StatusCode.PERMISSION_DENIED and not ran
    finally:
        server.stop(None)


def _flag_count(s: Server) -> int:
    import sqlite3
    db = sqlite3.connect(s.config.database)
    try:
        return int(db.execute("SELECT count(*) FROM flags").fetchone()[0])
    finally:
        db.close()


def test_no_client_certificate_never_reaches_a_handler(secured: Server) -> None:
    before = _flag_count(secured)
    ca = (secured.home / "tls" / "ca.pem").read_bytes()
    with Client(secured.address, grpc.ssl_channel_credentials(root_certificates=ca), timeout=5) as c:
        with pytest.raises(grpc.RpcError) as e:
            c.call(c.flags.SubmitFlags, pb.SubmitFlagsRequest(flags=[pb.FlagInput(
                row=2, id_number=make_id(), name="张三", kind="investigation", reference="X", decided_on="2026-01-01")]))
        assert e.value.code() == grpc.StatusCode.UNAVAILABLE
    with Client(secured.address, timeout=5) as c:  # plaintext against a TLS server
        with pytest.raises(grpc.RpcError):
            c.call(c.rules.ListRulesets, pb.ListRulesetsRequest())
    assert _flag_count(secured) == before


def test_a_certificate_from_another_ca_is_refused(secured: Server, tmp_path: Path) -> None:
    rogue = init_home(tmp_path / "rogue")
    ca = (secured.home / "tls" / "ca.pem").read_bytes()
    d = rogue.home / "credentials" / "district"
    creds = grpc.ssl_channel_credentials(ca, (d / "client.key").read_bytes(), (d / "client.pem").read_bytes())
    with Client(secured.address, creds, timeout=5) as c:
        with pytest.raises(grpc.RpcError) as e:
            c.call(c.rounds.ListRounds, pb.ListRoundsRequest())
        assert e.value.code() == grpc.StatusCode.UNAVAILABLE


def test_wrong_agency_kind_is_denied_and_nothing_written(secured: Server) -> None:
    before = _flag_count(secured)
    with connect(secured.config, "police", secured.address) as c:
        resp = c.call(c.flags.SubmitFlags, pb.SubmitFlagsRequest(flags=[pb.FlagInput(
            row=2, id_number=make_id(), name="张三", kind="party_sanction", level="warning", reference="P-X",
            decided_on="2026-01-01")]))
    assert resp.results[0].status == pb.ROW_STATUS_REJECTED
    assert resp.results[0].errors[0].code == "PERMISSION_DENIED"
    assert _flag_count(secured) == before
    time.sleep(0.2)
    assert "refused: role=police method=SubmitFlags reference=P-X" in (secured.home / "server.log").read_text()


def test_agencies_see_only_their_own_flags(secured: Server) -> None:
    with connect(secured.config, "court", secured.address) as c:
        c.call(c.flags.SubmitFlags, pb.SubmitFlagsRequest(flags=[pb.FlagInput(
            row=2, id_number=make_id(), name="张三", kind="criminal_conviction", reference="C-own", decided_on="2020-01-01")]))
    with connect(secured.config, "police", secured.address) as c:
        listed = [f.reference for chunk in c.stream(c.flags.ListFlags, pb.ListFlagsRequest()) for f in chunk.flags]
        assert "C-own" not in listed
        with pytest.raises(grpc.RpcError) as e:
            c.call(c.flags.RetractFlag, pb.RetractFlagRequest(reference="C-own", reason="x"))
        assert e.value.code() == grpc.StatusCode.NOT_FOUND
    with connect(secured.config, "court", secured.address) as c:
        assert "C-own" in [f.reference for ch in c.stream(c.flags.ListFlags, pb.ListFlagsRequest()) for f in ch.flags]


def test_revocation_and_reissue_take_effect_without_restart(secured: Server) -> None:
    authority = secured.config.authority
    with connect(secured.config, "justice", secured.address) as c:
        assert c.call(c.rules.ListRulesets, pb.ListRulesetsRequest()).rulesets
    authority.revoke("justice")
    with connect(secured.config, "justice", secured.address) as c:
        with pytest.raises(grpc.RpcError) as e:
            c.call(c.rules.ListRulesets, pb.ListRulesetsRequest())
        assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED and "revoked" in (e.value.details() or "")
    authority.issue_client("justice")
    with connect(secured.config, "justice", secured.address) as c:
        assert c.call(c.rules.ListRulesets, pb.ListRulesetsRequest()).rulesets
    time.sleep(0.2)
    assert "revoked" in (secured.home / "server.log").read_text()


def _bundle_works(server: Server, bundle: Path) -> bool:
    """Whether a credential bundle (client.key, client.pem, ca.pem) is accepted; refused means UNAUTHENTICATED."""
    creds = grpc.ssl_channel_credentials((bundle / "ca.pem").read_bytes(), (bundle / "client.key").read_bytes(),
                                         (bundle / "client.pem").read_bytes())
    with Client(server.address, creds) as c:
        try:
            return bool(c.call(c.rules.ListRulesets, pb.ListRulesetsRequest()).rulesets)
        except grpc.RpcError as e:
            assert e.code() == grpc.StatusCode.UNAUTHENTICATED and "revoked" in (e.details() or ""), e
            return False


def _credentials(home: Path, capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    import orjson
    capsys.readouterr()
    assert cli_main(["--home", str(home), "--format", "json", "credentials", "list", *args]) == 0
    return [orjson.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_a_replaced_credential_is_revoked_and_stays_revoked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """(issue 14, finding 1) export court; issue court: the exported (lost) certificate no longer works, also after a
    restart; --keep-old keeps it for a hand-over, revoke --serial ends that; revoke ROLE takes every one back."""
    home = tmp_path / "h"
    init_home(home)
    (home / "config.toml").write_text((home / "config.toml").read_text() + "certificate_days = 90\n")
    s = start_server(home)
    try:
        authority = s.config.authority
        authority.export("court", tmp_path / "lost")
        assert _bundle_works(s, tmp_path / "lost")
        capsys.readouterr()
        assert cli_main(["--home", str(home), "credentials", "issue", "court"]) == 0
        out = capsys.readouterr().out
        [first] = [c for c in _credentials(home, capsys, "court") if c["state"] == "revoked"]
        assert f"the certificate it replaces ({first['serial']}) is revoked" in out, out
        assert not _bundle_works(s, tmp_path / "lost")
        assert _bundle_works(s, home / "credentials" / "court")
        authority.export("court", tmp_path / "second")
        assert cli_main(["--home", str(home), "credentials", "issue", "court", "--keep-old"]) == 0
        authority.export("court", tmp_path / "third")
        listed = _credentials(home, capsys, "court")
        assert [c["state"] for c in listed] == ["revoked", "valid", "valid"] and [c["current"] for c in listed] == [
            False, False, True], listed
        assert _bundle_works(s, tmp_path / "second") and _bundle_works(s, tmp_path / "third")
        second = str(listed[1]["serial"])
        assert cli_main(["--home", str(home), "credentials", "revoke", "court", "--serial", second.upper()]) == 0
        assert not _bundle_works(s, tmp_path / "second") and _bundle_works(s, tmp_path / "third")
        assert cli_main(["--home", str(home), "credentials", "revoke", "court", "--serial", "0x0ABC:123"]) == 0
        assert "no record of issuing certificate abc123" in capsys.readouterr().err  # (an old home's, or a typo)
        assert cli_main(["--home", str(home), "credentials", "revoke", "court", "--serial", "xyz"]) == 2
        assert "'xyz' is not a certificate serial" in capsys.readouterr().err
        assert cli_main(["--home", str(home), "credentials", "revoke", "court", "--serial",
                         str(_credentials(home, capsys, "police")[0]["serial"])]) == 2
        assert "belongs to police, not court" in capsys.readouterr().err
        stop_server(s)
        s = start_server(home)  # a restart brings none of them back
        assert not _bundle_works(s, tmp_path / "lost") and not _bundle_works(s, tmp_path / "second")
        assert _bundle_works(s, tmp_path / "third")
        assert cli_main(["--home", str(home), "credentials", "issue", "court", "--keep-old"]) == 0
        assert cli_main(["--home", str(home), "credentials", "revoke", "court"]) == 0
        assert "revoked certificates " in capsys.readouterr().out
        assert not _bundle_works(s, tmp_path / "third") and not _bundle_works(s, home / "credentials" / "court")
        listed = _credentials(home, capsys)
        assert {c["state"] for c in listed if c["role"] == "court"} == {"revoked"}
        assert "abc123" in [c["serial"] for c in listed]
        assert all(c["state"] == "valid" and c["current"] for c in listed if c["role"] != "court")
        for c in listed:  # init's: a year; those issued since certificate_days = 90 went into config.toml: 90 days
            if c["role"] != "court" or c["serial"] in (first["serial"], "abc123"):
                continue
            issued, expires = (dt.datetime.fromisoformat(str(c[k])) for k in ("issued_at", "expires_at"))
            assert 89 <= (expires - issued).days <= 90, c
        capsys.readouterr()
        assert cli_main(["--home", str(home), "credentials", "list"]) == 0
        table = capsys.readouterr().out
        assert table.splitlines()[0].split() == ["role", "serial", "issued", "expires", "state"]
        assert all(str(c["serial"]) in table for c in listed)  # whole serials, to copy into --serial
    finally:
        stop_server(s)


def test_init_issues_certificates_for_at_most_a_year(tmp_path: Path) -> None:
    from cryptography import x509
    init_home(tmp_path / "h")
    for pem in (tmp_path / "h" / "credentials").glob("*/client.pem"):
        cert = x509.load_pem_x509_certificate(pem.read_bytes())
        assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days <= 366


@pytest.mark.parametrize("damage, says", [
    ("delete", "is missing"), ("garbage", "cannot be read"), ("a list", "is not a JSON object of serial -> details"),
])
def test_a_missing_or_unreadable_revocation_list_refuses_every_certificate(
        secured: Server, capsys: pytest.CaptureFixture[str], damage: str, says: str) -> None:
    """(issue 14) The list fails closed: deleting it must not bring revoked certificates back, and garbage in it must
    not turn every call into UNKNOWN with a parser's message."""
    path = secured.config.authority.revoked_path
    kept = path.read_bytes()
    if damage == "delete":
        path.unlink()
    else:
        path.write_bytes(b"{not json" if damage == "garbage" else b"[1, 2]")
    try:
        for role in ("district", "auditor", "court"):
            with connect(secured.config, role, secured.address) as c:
                with pytest.raises(grpc.RpcError) as e:
                    c.call(c.rules.ListRulesets, pb.ListRulesetsRequest())
            assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED, (role, e.value)
            assert "cannot read its revocation list" in (e.value.details() or ""), e.value.details()
        time.sleep(0.2)
        log = (secured.home / "server.log").read_text()
        assert f"refusing every client certificate: the revocation list {path} {says}" in log, log[-1500:]
        capsys.readouterr()
        assert cli_main(["--home", str(secured.home), "doctor"]) == 1
        out = capsys.readouterr().out
        assert "PROBLEM certificates:" in out and says in out, out
    finally:
        path.write_bytes(kept)
    with connect(secured.config, "district", secured.address) as c:  # repaired: accepted again, without a restart
        assert c.call(c.rules.ListRulesets, pb.ListRulesetsRequest()).rulesets


def test_exported_bundle_works_from_elsewhere(secured: Server, tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    written = secured.config.authority.export("petition", out)
    assert sorted(p.name for p in written) == ["ca.pem", "client.key", "client.pem"]
    creds = grpc.ssl_channel_credentials((out / "ca.pem").read_bytes(), (out / "client.key").read_bytes(),
                                         (out / "client.pem").read_bytes())
    with Client(secured.address, creds) as c:
        assert c.call(c.rounds.ListRounds, pb.ListRoundsRequest()) is not None


def test_plaintext_mode_refuses_non_loopback(tmp_path: Path) -> None:
    home = tmp_path / "h"
    init_home(home)
    r = subprocess.run([sys.executable, "-m", "eligibility", "--home", str(home), "serve", "--plaintext",
                        "--listen", "0.0.0.0:0"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "loopback only" in r.stderr


@contextmanager
def _plaintext_server(home: Path) -> Iterator[str]:
    """`serve --plaintext` on loopback: its address while it runs."""
    import orjson
    proc = subprocess.Popen([sys.executable, "-m", "eligibility", "--home", str(home), "serve", "--plaintext",
                             "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        yield str(orjson.loads(proc.stdout.readline())["listening"])
    finally:
        proc.terminate()
        proc.wait(20)
        if proc.stdout:
            proc.stdout.close()


def test_revoking_a_role_takes_back_its_plaintext_token_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """(issue 14) A token revoked with `credentials revoke` stops working at once; `credentials issue` makes a new one."""
    home = tmp_path / "p"
    init_home(home)
    with _plaintext_server(home) as address:
        old = (home / "credentials" / "court" / "token").read_text().strip()

        def works(token: str) -> bool:
            with Client(address, token=token) as c:
                try:
                    return bool(c.call(c.rules.ListRulesets, pb.ListRulesetsRequest()).rulesets)
                except grpc.RpcError as e:
                    assert e.code() == grpc.StatusCode.UNAUTHENTICATED, e
                    return False
        assert works(old)
        assert cli_main(["--home", str(home), "credentials", "revoke", "court"]) == 0
        assert "plaintext-mode token" in capsys.readouterr().out
        assert not works(old) and not (home / "credentials" / "court" / "token").exists()
        assert works((home / "credentials" / "police" / "token").read_text().strip())  # the others keep theirs
        assert cli_main(["--home", str(home), "credentials", "issue", "court"]) == 0
        new = (home / "credentials" / "court" / "token").read_text().strip()
        assert new != old and works(new) and not works(old)


def test_plaintext_mode_on_loopback_still_authenticates(tmp_path: Path) -> None:
    home = tmp_path / "p"
    init_home(home)
    with _plaintext_server(home) as address:
        from eligibility.home.config import load_config
        cfg = load_config(home)
        with connect(cfg, "auditor", address, plaintext=True) as c:
            assert c.call(c.rules.ListRulesets, pb.ListRulesetsRequest()).rulesets
        with Client(address, token="forged") as c:
            with pytest.raises(grpc.RpcError) as e:
                c.call(c.rules.ListRulesets, pb.ListRulesetsRequest())
            assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_database_and_logs_hold_no_raw_id_number(secured: Server, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from eligibility.console.main import main
    ids = [make_id() for _ in range(3)]
    base = ["--home", str(secured.home), "--server", secured.address]
    flags_file = write_csv(tmp_path / "f.csv", [flag(ids[0], "cult", "P-raw-1", "2001-01-01"),
                                                flag(ids[1], "cult", "P-raw-2", "2001-01-01", name="别人"),
                                                flag("110105194912310021", "cult", "P-raw-3", "2001-01-01")])
    main([*base, "--as", "police", "flags", "submit", str(flags_file)])
    cands = write_csv(tmp_path / "c.csv", [candidate(i) for i in ids])
    main([*base, "--as", "district", "round", "create", "--name", "raw", "--as-of", "2026-12-01", "--candidates", str(cands)])
    rounds = pb.ListRoundsRequest()
    with connect(secured.config, "district", secured.address) as c:
        round_id = c.call(c.rounds.ListRounds, rounds).rounds[0].round_id
    main([*base, "--as", "district", "--format", "json", "round", "screen", round_id])
    main([*base, "--as", "auditor", "audit", "replay", "--round", round_id])
    out = capsys.readouterr()
    time.sleep(0.3)
    blobs = b"".join(p.read_bytes() for p in secured.home.glob("eligibility.db*")) + \
        (secured.home / "server.log").read_bytes() + (out.out + out.err).encode()
    for raw in [*ids, "110105194912310021"]:
        assert raw.encode() not in blobs
        assert raw[:6].encode() + b"********" + raw[-4:].encode() in blobs or raw.startswith("1101051949")
    # the agency that needs the full number can still ask for it
    with connect(secured.config, "police", secured.address) as c:
        revealed = [i for ch in c.stream(c.rounds.ListCandidates, pb.ListCandidatesRequest(
            round_id=round_id, reveal_id_numbers=True)) for i in ch.id_numbers]
    assert sorted(revealed) == sorted(ids)
    with connect(secured.config, "auditor", secured.address) as c:
        assert not [i for ch in c.stream(c.rounds.ListCandidates, pb.ListCandidatesRequest(
            round_id=round_id, reveal_id_numbers=True)) for i in ch.id_numbers]
