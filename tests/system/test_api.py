"""End to end: the real CLI and client against a real server process on a free port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from eligibility._gen.v1 import eligibility_pb2 as pb
from eligibility.console.client import connect
from tests.conftest import Server, write_csv
from tests.helpers import candidate, flag, make_id


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The API suite runs against both stores: a SQLite home, and a home on a PostgreSQL database."""
    import uuid

    from eligibility.home.setup import init_home
    from tests.conftest import start_server, stop_server, use_database
    home = tmp_path_factory.mktemp(f"api-{request.param}")
    init_home(home)
    if request.param == "postgres":
        use_database(home, request.getfixturevalue("pg_cluster").create_database(f"api_{uuid.uuid4().hex[:8]}"))
    s = start_server(home)
    yield s
    stop_server(s)


AGENCIES = ["discipline", "court", "procuratorate", "police", "justice", "civil_affairs", "religious_affairs", "petition"]


def _round(cli, tmp_path: Path, rows: list[dict[str, str]], as_of: str = "2026-12-01") -> str:  # type: ignore[no-untyped-def]
    path = write_csv(tmp_path / "cands.csv", rows)
    r = cli("district", "--format", "json", "round", "create", "--name", f"t-{tmp_path.name}", "--as-of", as_of,
            "--candidates", str(path))
    assert r.code == 0, r.err
    return str(r.jsonl()[0]["round_id"])


def _attest_all(cli, round_id: str, but: tuple[str, ...] = ()) -> None:  # type: ignore[no-untyped-def]
    for a in AGENCIES:
        if a not in but:
            assert cli(a, "round", "attest", round_id).code == 0


def test_full_review_through_the_cli(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    clean, sanctioned, debtor, young, conflict = (make_id() for _ in range(5))
    from datetime import date
    young = make_id(born=date(2008, 12, 2))
    flags_d = write_csv(tmp_path / "d.csv", [
        flag(sanctioned, "party_sanction", "纪-2025-001", "2025-12-02", name="李四", level="warning"),
        flag(clean, "party_sanction", "纪-2020-009", "2020-01-01", level="warning"),  # lapsed
    ])
    flags_c = write_csv(tmp_path / "c.csv", [
        flag(debtor, "dishonest_debtor", "法-2026-1", "2026-01-01", name="王五"),
        flag(conflict, "criminal_conviction", "法-2026-2", "2010-01-01", name="别人"),
    ])
    assert cli("discipline", "flags", "submit", str(flags_d)).code == 0
    assert cli("court", "flags", "submit", str(flags_c)).code == 0
    round_id = _round(cli, tmp_path, [
        candidate(clean, "张三", "party_secretary+vc_director", "是"), candidate(sanctioned, "李四"),
        candidate(debtor, "王五"), candidate(young, "赵六"), candidate(conflict, "钱七")])
    _attest_all(cli, round_id, but=("petition",))

    r = cli("district", "--format", "json", "round", "screen", round_id)
    assert r.code == 0, r.err
    by_name = {d["name"]: d for d in r.jsonl()}
    assert set(by_name) == {"张三", "李四", "王五", "赵六", "钱七"}
    for d in by_name.values():
        assert d["decision_id"] and set(d["verdicts"]) == {*AGENCIES, "profile"}
        assert isinstance(d["trace"], list) and d["trace"]
    assert by_name["张三"]["overall"] == "PENDING" and by_name["张三"]["verdicts"]["petition"] == "PENDING"
    assert by_name["张三"]["verdicts"]["discipline"] == "PASS"
    li = by_name["李四"]
    assert li["overall"] == "INELIGIBLE" and li["verdicts"]["discipline"] == "FAIL"
    entry = next(t for t in li["trace"] if t["rule_id"] == "DIS-PARTY-SANCTION")
    assert entry["window"] == "in force 2025-12-02 .. 2026-12-01"
    assert entry["flags"][0]["reference"] == "纪-2025-001" and entry["citation"] and entry["title_zh"]
    assert by_name["王五"]["verdicts"]["court"] == "FAIL"
    assert by_name["赵六"]["verdicts"]["profile"] == "FAIL" and by_name["赵六"]["overall"] == "INELIGIBLE"
    assert by_name["钱七"]["verdicts"]["court"] == "REVIEW"
    assert any(t["effect"] == "name_conflict" for t in by_name["钱七"]["trace"])
    assert clean not in r.out and sanctioned not in r.out  # IDs are masked in output

    # the late agency attests: PENDING becomes PASS
    assert cli("petition", "round", "attest", round_id).code == 0
    again = {d["name"]: d for d in cli("district", "--format", "json", "round", "screen", round_id).jsonl()}
    assert again["张三"]["overall"] == "ELIGIBLE"

    # the auditor reads and replays
    show = cli("auditor", "--format", "json", "audit", "show", li["decision_id"])
    assert show.code == 0 and show.jsonl()[0]["overall"] == "INELIGIBLE"
    one = cli("auditor", "audit", "replay", li["decision_id"])
    assert one.code == 0 and "MATCH" in one.out
    whole = cli("auditor", "--format", "json", "audit", "replay", "--round", round_id)
    assert whole.code == 0
    results = whole.jsonl()
    assert len(results) == 10 and {x["result"] for x in results} == {"MATCH"}


def test_flags_versions_idempotency_corrections_and_retractions(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pid = make_id()
    f1 = write_csv(tmp_path / "f1.csv", [flag(pid, "criminal_investigation", "公-1", "2026-01-01")])
    r = cli("police", "--format", "json", "flags", "submit", str(f1))
    assert r.code == 0 and r.jsonl()[0]["status"] == "CREATED"
    r = cli("police", "--format", "json", "flags", "submit", str(f1))
    assert r.code == 0 and r.jsonl()[0]["status"] == "UNCHANGED"

    changed = write_csv(tmp_path / "f2.csv", [flag(pid, "criminal_investigation", "公-1", "2026-01-01",
                                                   end_date="2026-06-01")])
    r = cli("police", "--format", "json", "flags", "submit", str(changed))
    assert r.code == 1
    err = r.jsonl()[0]["errors"][0]
    assert err["code"] == "FAILED_PRECONDITION" and err["field"] == "reference" and "correction" in err["message"]

    assert cli("police", "flags", "correct", str(changed)).code == 2  # no reason
    r = cli("police", "--format", "json", "flags", "correct", str(changed), "--reason", "case closed")
    assert r.code == 0 and r.jsonl()[0]["status"] == "CORRECTED" and r.jsonl()[0]["version"] == 2

    r = cli("police", "--format", "json", "flags", "retract", "公-1", "--reason", "wrong person")
    assert r.code == 0 and r.jsonl()[0]["status"] == "FLAG_STATUS_RETRACTED"
    r = cli("police", "--format", "json", "flags", "retract", "公-1", "--reason", "again")
    assert r.code == 0 and r.jsonl()[0]["changed"] is False

    listed = {f["reference"]: f for f in cli("police", "--format", "json", "flags", "list").jsonl()}
    assert listed["公-1"]["status"] == "retracted" and listed["公-1"]["version"] == 3
    assert {"reference", "kind", "decided_on", "status"} <= set(listed["公-1"])
    versions = [f for f in cli("police", "--format", "json", "flags", "list", "--all-versions").jsonl()
                if f["reference"] == "公-1"]
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert [v["status"] for v in versions] == ["in force", "corrected", "retracted"]

    # resubmitting the original file does not resurrect a retracted flag
    r = cli("police", "--format", "json", "flags", "submit", str(f1))
    assert r.code == 1 and "retracted" in r.jsonl()[0]["errors"][0]["message"]

    # an agency never sees another agency's flags
    assert all(f["reference"] != "公-1" for f in cli("court", "--format", "json", "flags", "list").jsonl())
    r = cli("court", "flags", "retract", "公-1", "--reason", "x")
    assert r.code == 3 and "NOT_FOUND" in r.err


def test_retracted_flag_no_longer_disqualifies(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pid = make_id()
    assert cli("justice", "flags", "submit", str(write_csv(tmp_path / "j.csv", [
        flag(pid, "released_prisoner", "司-7", "2001-01-01")]))).code == 0
    round_id = _round(cli, tmp_path, [candidate(pid)])
    _attest_all(cli, round_id)
    first = cli("district", "--format", "json", "round", "screen", round_id).jsonl()[0]
    assert first["verdicts"]["justice"] == "FAIL"
    assert cli("justice", "flags", "retract", "司-7", "--reason", "entered in error").code == 0
    second = cli("district", "--format", "json", "round", "screen", round_id).jsonl()[0]
    assert second["verdicts"]["justice"] == "PASS" and second["overall"] == "ELIGIBLE"
    # both decisions still replay to what they said at the time
    assert cli("auditor", "audit", "replay", "--round", round_id).code == 0


def test_bad_rows_are_rejected_by_row_and_field_and_valid_rows_kept(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    good = make_id()
    path = write_csv(tmp_path / "bad.csv", [
        flag(good, "investigation", "D-ok", "2026-01-01"),
        flag("110105194912310021", "investigation", "D-1", "2026-01-01"),          # check digit
        flag(make_id(), "no_such_kind", "D-2", "2026-01-01"),
        flag(make_id(), "party_sanction", "D-3", "2026-01-01", level="scolding"),
        flag(make_id(), "investigation", "D-4", "2026/13/01"),
        flag(make_id(), "criminal_conviction", "D-5", "2026-01-01"),             # the court's kind
        flag(make_id(), "investigation", "D-ok", "2026-01-01"),                   # duplicate reference
        flag(make_id(), "investigation", "D-6", "2026-02-30"),
        flag(make_id(), "investigation", "D-7", "2026-03-01", end_date="2026-01-01"),
    ])
    r = cli("discipline", "--format", "json", "flags", "submit", str(path))
    assert r.code == 1
    rows = r.jsonl()
    assert [x["status"] for x in rows] == ["CREATED"] + ["REJECTED"] * 8
    errs = {x["row"]: x["errors"][0] for x in rows[1:]}
    assert errs[3]["field"] == "id_number" and "check digit" in errs[3]["message"] and "row 3" in errs[3]["message"]
    assert errs[4]["field"] == "kind" and errs[4]["code"] == "INVALID_ARGUMENT"
    assert errs[5]["field"] == "level"
    assert errs[6]["field"] == "decided_on"
    assert errs[7]["field"] == "kind" and errs[7]["code"] == "PERMISSION_DENIED"
    assert errs[8]["field"] == "reference" and "duplicate" in errs[8]["message"]
    assert errs[9]["field"] == "decided_on"
    assert errs[10]["field"] == "end_date"
    assert "110105194912310021" not in r.out + r.err
    listed = {f["reference"] for f in cli("discipline", "--format", "json", "flags", "list").jsonl()}
    assert "D-ok" in listed and not listed & {"D-1", "D-2", "D-3", "D-4", "D-5", "D-6", "D-7"}
    # the same file again changes nothing
    again = cli("discipline", "--format", "json", "flags", "submit", str(path)).jsonl()
    assert again[0]["status"] == "UNCHANGED"


def test_missing_columns_are_named(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "cols.csv"
    path.write_text("id_number,name,kind\n110105194912310020,张三,investigation\n")
    r = cli("discipline", "flags", "submit", str(path))
    assert r.code == 2 and "no header row with the column(s) 文号 (reference), 决定日期 (decided_on)" in r.err


def test_candidate_rows_validated(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a = make_id()
    path = write_csv(tmp_path / "c.csv", [
        candidate(a), candidate(a, position="vc_director"), candidate("123"), candidate(make_id(), position="mayor"),
        candidate(make_id(), party_member="maybe")])
    r = cli("district", "--format", "json", "round", "create", "--name", "x", "--as-of", "2026-12-01",
            "--candidates", str(path))
    assert r.code == 1
    assert r.jsonl()[0]["candidates"] == 1
    assert "row 3" in r.err and "row 4" in r.err and "position" in r.err and "party_member" in r.err


def test_errors_map_to_status_codes(server: Server) -> None:
    cfg = server.config
    with connect(cfg, "district", server.address) as c:
        with pytest.raises(grpc.RpcError) as e:
            c.call(c.rounds.GetRound, pb.GetRoundRequest(round_id="R-nope"))
        assert e.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.RpcError) as e:
            c.call(c.audit.GetDecision, pb.GetDecisionRequest(decision_id="dec-nope"))
        assert e.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.RpcError) as e:
            c.call(c.rounds.CreateRound, pb.CreateRoundRequest(name="x", as_of="2026-13-01"))
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "as_of" in (e.value.details() or "")
        # the district does not submit flags
        with pytest.raises(grpc.RpcError) as e:
            c.call(c.flags.SubmitFlags, pb.SubmitFlagsRequest())
        assert e.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with connect(cfg, "auditor", server.address) as c:
        with pytest.raises(grpc.RpcError) as e:
            c.call(c.rounds.CreateRound, pb.CreateRoundRequest(name="x", as_of="2026-12-01"))
        assert e.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert c.call(c.rules.ListRulesets, pb.ListRulesetsRequest()).rulesets  # the server is still up


def test_ad_hoc_check_and_rules_commands(cli) -> None:  # type: ignore[no-untyped-def]
    from datetime import date
    pid = make_id(born=date(2009, 1, 1))
    r = cli("district", "--format", "json", "check", "--id-number", pid, "--name", "孙八", "--as-of", "2026-12-01",
            "--position", "vc_member", "--party-member", "no")
    assert r.code == 0, r.err
    d = r.jsonl()[0]
    assert d["verdicts"]["profile"] == "FAIL" and d["overall"] == "INELIGIBLE" and d["round_id"] == ""
    assert cli("auditor", "audit", "replay", d["decision_id"]).code == 0
    listed = cli("auditor", "--format", "json", "rules", "list").jsonl()
    assert listed[0]["name"] == "national-2021" and len(listed[0]["hash"]) == 64
    shown = cli("auditor", "--format", "json", "rules", "show", "DIS-PARTY-SANCTION").jsonl()[0]
    assert shown["agency"] == "discipline" and "serious_warning: 18 months" in shown["window"]
    assert cli("auditor", "rules", "show", "NOPE").code == 3


def test_agency_lists_candidates_with_ids_only_on_request(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pid = make_id()
    round_id = _round(cli, tmp_path, [candidate(pid, "周九")])
    masked = cli("court", "--format", "json", "round", "candidates", round_id).jsonl()
    assert masked[0]["id_number"] != pid and masked[0]["id_number"].startswith(pid[:6])
    revealed = cli("court", "--format", "json", "round", "candidates", round_id, "--reveal").jsonl()
    assert revealed[0]["id_number"] == pid


def test_chinese_level_names_are_accepted(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pid = make_id()
    path = write_csv(tmp_path / "zh.csv", [flag(pid, "party_sanction", "纪-zh-1", "2026-01-01", level="严重警告"),
                                           flag(make_id(), "government_sanction", "纪-zh-2", "2026-01-01", level="记大过")])
    assert cli("discipline", "flags", "submit", str(path)).code == 0
    listed = {f["reference"]: f for f in cli("discipline", "--format", "json", "flags", "list").jsonl()}
    assert listed["纪-zh-1"]["level"] == "serious_warning" and listed["纪-zh-2"]["level"] == "major_demerit"


def test_a_term_ends_an_open_window(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pid = make_id()
    path = write_csv(tmp_path / "pr.csv", [flag(pid, "political_rights_deprived", "法-pr-1", "2024-03-10",
                                                term_months="36")])
    assert cli("court", "flags", "submit", str(path)).code == 0
    for as_of, want in (("2027-03-09", "FAIL"), ("2027-03-10", "PENDING")):
        r = cli("district", "--format", "json", "check", "--id-number", pid, "--name", "张三", "--as-of", as_of)
        d = r.jsonl()[0]
        assert d["verdicts"]["court"] == want, (as_of, d["verdicts"])
    fail = cli("district", "--format", "json", "check", "--id-number", pid, "--name", "张三", "--as-of", "2026-01-01")
    entry = next(t for t in fail.jsonl()[0]["trace"] if t["rule_id"] == "CRT-POLITICAL-RIGHTS")
    assert entry["window"] == "in force 2024-03-10 .. 2027-03-09"
