"""The human half of the joint review (issue 15), through the real CLI and a real server: read-only views of what
was decided, and the lineage of a candidate's decisions."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest

from eligibility.console.main import main as cli_main
from eligibility.console.reports.content import local_time
from eligibility.home.setup import init_home
from eligibility.ledger.logreplay import replay_log
from tests.conftest import Run, Server, start_server, stop_server, write_csv
from tests.helpers import candidate, flag, make_id

AGENCIES = ["discipline", "court", "procuratorate", "police", "justice", "civil_affairs", "religious_affairs", "petition"]
Cli = Callable[..., Run]


@pytest.fixture(scope="module")
def acts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of its own (these tests conclude rounds and add records)."""
    home = tmp_path_factory.mktemp("acts")
    init_home(home)
    s = start_server(home)
    yield s
    stop_server(s)


@pytest.fixture
def run(acts: Server, capsys: pytest.CaptureFixture[str]) -> Cli:
    def go(role: str, *args: str) -> Run:
        capsys.readouterr()
        code = cli_main(["--home", str(acts.home), "--server", acts.address, "--as", role, *args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)
    return go


def _json(r: Run) -> list[dict[str, Any]]:
    assert r.code == 0, r
    return [orjson.loads(line) for line in r.out.splitlines()]


def _round(run: Cli, tmp: Path, people: list[tuple[str, str, str]], name: str = "联审") -> str:
    write_csv(tmp / f"{name}.csv", [candidate(p, n, township=t, village="一村") for p, n, t in people])
    made = _json(run("district", "--format", "json", "round", "create", "--name", f"{name}-{people[0][0][-6:]}", "--as-of",
                     "2026-12-01",
                     "--candidates", str(tmp / f"{name}.csv")))
    return str(made[0]["round_id"])


def test_results_are_read_only_and_decisions_show_their_lineage(run: Cli, tmp_path: Path) -> None:
    a, b, c = make_id(), make_id(), make_id()
    write_csv(tmp_path / "court.csv", [flag(a, "criminal_conviction", "法-ro-1", "2024-03-01", name="王一")])
    assert run("court", "flags", "submit", str(tmp_path / "court.csv")).code == 0
    round_id = _round(run, tmp_path, [(a, "王一", "东城街道"), (b, "李二", "东城街道"), (c, "张三", "桃源乡")])
    never = run("district", "round", "results", round_id)
    assert never.code == 1 and "has not been screened yet" in never.err, never
    for agency in AGENCIES:
        assert run(agency, "round", "attest", round_id).code == 0
    screened = _json(run("district", "--format", "json", "round", "screen", round_id))
    assert [d["overall"] for d in screened] == ["INELIGIBLE", "ELIGIBLE", "ELIGIBLE"]

    def decisions(*extra: str) -> list[dict[str, Any]]:
        return _json(run("auditor", "--format", "json", "audit", "decisions", "--round", round_id, *extra))
    assert len(decisions()) == 3
    for _ in range(2):  # looking at the results records nothing
        assert _json(run("district", "--format", "json", "round", "results", round_id)) == screened
    assert len(decisions()) == 3
    assert [d["name"] for d in _json(run("district", "--format", "json", "round", "results", round_id,
                                         "--problems-only"))] == ["王一"]
    assert [d["name"] for d in _json(run("district", "--format", "json", "round", "results", round_id,
                                         "--township", "桃源乡"))] == ["张三"]
    table = run("district", "round", "results", round_id)
    assert table.code == 0 and "王一" in table.out and "INELIGIBLE" in table.out, table

    again = _json(run("district", "--format", "json", "round", "screen", round_id))
    listed = decisions()
    assert [d["decision_id"] for d in listed] == [d["decision_id"] for d in screened + again]
    assert [d["supersedes"] for d in listed] == [None] * 3 + [d["decision_id"] for d in screened]
    mine = decisions("--id-number", a)
    assert [d["decision_id"] for d in mine] == [screened[0]["decision_id"], again[0]["decision_id"]]
    assert all(d["id_number"] == a[:6] + "********" + a[-4:] for d in mine) and a not in str(mine)
    shown = _json(run("auditor", "--format", "json", "audit", "show", again[0]["decision_id"]))[0]
    assert shown["supersedes"] == screened[0]["decision_id"] and shown["superseded_by"] is None
    first = _json(run("auditor", "--format", "json", "audit", "show", screened[0]["decision_id"]))[0]
    assert first["supersedes"] is None and first["superseded_by"] == again[0]["decision_id"]
    text = run("auditor", "audit", "show", again[0]["decision_id"])
    assert f"取代 {screened[0]['decision_id']}" in text.out or f"supersedes {screened[0]['decision_id']}" in text.out
    for role in AGENCIES:  # the agencies read their own queue (later), not the round's decisions
        refused = run(role, "audit", "decisions", "--round", round_id)
        assert refused.code == 3 and "PERMISSION_DENIED" in refused.err, (role, refused)


def _reports(run: Cli, round_id: str, tmp: Path) -> dict[str, str]:
    """The round's report in each format, as the text of its cells (XLSX: every cell of the results sheet)."""
    from openpyxl import load_workbook  # type: ignore[import-untyped]
    out = {}
    for ext in ("xlsx", "html", "csv"):
        path = tmp / f"report-{round_id}.{ext}"
        assert run("district", "round", "report", round_id, "--out", str(path)).code == 0
        if ext == "xlsx":
            ws = load_workbook(path).worksheets[0]
            out[ext] = "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)
        else:
            out[ext] = path.read_text(encoding="utf-8-sig")
    return out


def _trace(d: dict[str, Any], agency: str) -> list[dict[str, Any]]:
    return [t for t in d["trace"] if t["agency"] == agency]


def test_agencies_resolve_their_review_verdicts_and_a_later_record_voids_a_resolution(run: Cli, acts: Server,
                                                                                     tmp_path: Path) -> None:
    a, b, c = make_id(), make_id(), make_id()
    write_csv(tmp_path / "court.csv", [flag(a, "criminal_conviction", "法-rv-1", "2024-03-01", name="王小一"),
                                       flag(c, "criminal_conviction", "法-rv-3", "2024-03-01", name="张山")])
    assert run("court", "flags", "submit", str(tmp_path / "court.csv")).code == 0
    write_csv(tmp_path / "petition.csv", [flag(b, "petition_pending", "信-rv-2", "2026-10-01", name="李二")])
    assert run("petition", "flags", "submit", str(tmp_path / "petition.csv")).code == 0
    round_id = _round(run, tmp_path, [(a, "王一", "东城街道"), (b, "李二", "东城街道"), (c, "张三", "桃源乡")], "核实")
    for agency in AGENCIES:
        assert run(agency, "round", "attest", round_id).code == 0
    screened = _json(run("district", "--format", "json", "round", "screen", round_id))
    assert [d["overall"] for d in screened] == ["NEEDS_REVIEW"] * 3

    court = _json(run("court", "--format", "json", "review", "list", "--round", round_id))
    assert [(i["name"], i["verdict"], i["resolvable"]) for i in court] == [("王一", "REVIEW", True),
                                                                           ("张三", "REVIEW", True)]
    assert court[0]["decision_id"] == screened[0]["decision_id"] and a not in str(court)
    assert any(t["effect"] == "name_conflict" for t in court[0]["reasons"])
    text = run("court", "review", "list", "--round", round_id)
    assert text.code == 0 and "王一" in text.out and "李二" not in text.out, text
    assert [i["name"] for i in _json(run("petition", "--format", "json", "review", "list", "--round", round_id))] == ["李二"]
    quiet = run("police", "review", "list", "--round", round_id)
    assert quiet.code == 0 and quiet.out == "" and "no REVIEW verdicts of police" in quiet.err, quiet

    # only the agency whose verdict it is may resolve it
    other = run("police", "review", "resolve", "--round", round_id, "--id-number", a, "--outcome", "pass",
                "--opinion", "不是我们的")
    assert other.code == 3 and "FAILED_PRECONDITION" in other.err and "not REVIEW" in other.err, other
    for role in ("district", "auditor"):
        denied = run(role, "review", "resolve", "--round", round_id, "--id-number", a, "--outcome", "pass",
                     "--opinion", "x")
        assert denied.code == 3 and "PERMISSION_DENIED" in denied.err, (role, denied)
    no_opinion = run("court", "review", "resolve", "--round", round_id, "--id-number", a, "--outcome", "fail",
                     "--opinion", "  ")
    assert no_opinion.code == 2 and "opinion" in no_opinion.err and "INVALID_ARGUMENT" in no_opinion.err, no_opinion
    with pytest.raises(SystemExit) as usage:  # argparse: exit 2 with the choices
        run("court", "review", "resolve", "--round", round_id, "--id-number", a, "--outcome", "maybe", "--opinion", "x")
    assert usage.value.code == 2

    # the court verifies: the same person (FAIL); the petition office: concluded (PASS)
    got = _json(run("court", "--format", "json", "review", "resolve", "--round", round_id, "--id-number", a,
                    "--outcome", "fail", "--opinion", "经核实，系同一人，曾用名王小一", "--handler", "李法官"))[0]
    res, dec = got["resolution"], got["decision"]
    assert (res["agency"], res["outcome"], res["handler"], res["decision_id"]) == ("court", "fail", "李法官",
                                                                                   screened[0]["decision_id"])
    assert dec["verdicts"]["court"] == "FAIL" and dec["overall"] == "INELIGIBLE"
    (resolved,) = [t for t in _trace(dec, "court") if t["rule_id"] == "RESOLVED"]
    for says in ("court", "李法官", "曾用名王小一", screened[0]["decision_id"], res["resolved_at"]):
        assert says in resolved["detail"], (says, resolved)
    assert [f["reference"] for f in resolved["flags"]] == ["法-rv-1"]
    again = run("court", "review", "resolve", "--round", round_id, "--id-number", a, "--outcome", "pass",
                "--opinion", "改主意")
    assert again.code == 3 and "not REVIEW" in again.err, again
    got = _json(run("petition", "--format", "json", "review", "resolve", "--round", round_id, "--id-number", b,
                    "--outcome", "pass", "--opinion", "信访事项已办结，诉求不涉及本人问题"))[0]
    assert got["decision"]["verdicts"]["petition"] == "PASS" and got["decision"]["overall"] == "ELIGIBLE"
    assert _json(run("court", "--format", "json", "review", "resolve", "--round", round_id, "--id-number", c,
                     "--outcome", "pass", "--opinion", "经核实，不是同一人"))[0]["decision"]["overall"] == "ELIGIBLE"
    listed = _json(run("court", "--format", "json", "review", "list", "--round", round_id, "--all"))
    assert [(i["name"], i["verdict"]) for i in listed] == [("王一", "FAIL"), ("张三", "PASS")]
    for ext, text in _reports(run, round_id, tmp_path).items():  # each resolution: agency, outcome, handler, opinion
        assert "[法院] 核实 不通过 (经办人 李法官, " in text and "意见: 经核实，系同一人，曾用名王小一" in text, ext
        assert "[信访] 核实 通过 (" in text and "信访事项已办结" in text and "已筛查" in text, ext
    assert _json(run("court", "--format", "json", "review", "list", "--round", round_id)) == []

    # a screening applies them again; a corrected court record on 张三 voids the court's resolution
    rescreened = _json(run("district", "--format", "json", "round", "screen", round_id))
    assert [d["overall"] for d in rescreened] == ["INELIGIBLE", "ELIGIBLE", "ELIGIBLE"]
    write_csv(tmp_path / "fix.csv", [flag(c, "criminal_conviction", "法-rv-3", "2024-05-01", name="张山")])
    assert run("court", "flags", "correct", str(tmp_path / "fix.csv"), "--reason", "判决日期更正").code == 0
    stale = run("court", "review", "resolve", "--round", round_id, "--id-number", c, "--outcome", "pass",
                "--opinion", "x")
    assert stale.code == 3 and "not REVIEW" in stale.err, stale  # its verdict in the latest decision is PASS still
    last = _json(run("district", "--format", "json", "round", "screen", round_id))
    assert [d["overall"] for d in last] == ["INELIGIBLE", "ELIGIBLE", "NEEDS_REVIEW"]
    (void,) = [t for t in _trace(last[2], "court") if t["rule_id"] == "RESOLUTION-VOID"]
    assert void["verdict"] == "REVIEW" and "void: the court records it was made on changed" in void["detail"], void
    queue = _json(run("court", "--format", "json", "review", "list", "--round", round_id))
    assert [i["name"] for i in queue] == ["张三"] and queue[0]["resolvable"]
    assert "earlier resolution void" in run("court", "review", "list", "--round", round_id).out
    assert _json(run("court", "--format", "json", "review", "resolve", "--round", round_id, "--id-number", c,
                     "--outcome", "pass", "--opinion", "更正后再次核实，不是同一人"))[0]["decision"]["overall"] == "ELIGIBLE"

    # every decision replays; the log alone proves them offline
    replayed = _json(run("auditor", "--format", "json", "audit", "replay", "--round", round_id))
    assert replayed and {r["result"] for r in replayed} == {"MATCH"}, replayed
    assert run("auditor", "audit", "export", "--out", str(tmp_path / "export")).code == 0
    verify = run("auditor", "audit", "verify", str(tmp_path / "export"), "--public-key",
                 str(acts.home / "keys" / "log.pub"), "--replay")
    assert verify.code == 0 and "everything verifies" in verify.out, verify


def test_an_edited_resolution_row_is_read_as_the_log_says_and_named(run: Cli, acts: Server, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    a = make_id()
    write_csv(tmp_path / "court.csv", [flag(a, "criminal_conviction", "法-ed-1", "2024-03-01", name="钱小五")])
    assert run("court", "flags", "submit", str(tmp_path / "court.csv")).code == 0
    round_id = _round(run, tmp_path, [(a, "钱五", "东城街道")], "改行")
    for agency in AGENCIES:
        assert run(agency, "round", "attest", round_id).code == 0
    assert _json(run("district", "--format", "json", "round", "screen", round_id))[0]["overall"] == "NEEDS_REVIEW"
    assert run("court", "review", "resolve", "--round", round_id, "--id-number", a, "--outcome", "fail",
               "--opinion", "系同一人").code == 0
    db = sqlite3.connect(acts.home / "eligibility.db")
    try:
        with db:
            db.execute("UPDATE resolutions SET outcome = 'pass' WHERE round_id = ?", (round_id,))
        (d,) = _json(run("district", "--format", "json", "round", "screen", round_id))  # read as the log says it
        assert d["verdicts"]["court"] == "FAIL" and d["overall"] == "INELIGIBLE"
        held = [t for t in _trace(d, "court") if t["rule_id"] == "STORE-MISMATCH"]
        assert held and "outcome" in held[0]["detail"] and "resolution" in held[0]["detail"], d["trace"]
        assert any(t["rule_id"] == "RESOLVED" and t["verdict"] == "FAIL" for t in _trace(d, "court"))
        code = cli_main(["--home", str(acts.home), "audit", "check-store"])
        assert code == 1 and "resolution" in capsys.readouterr().out
    finally:
        with db:
            db.execute("UPDATE resolutions SET outcome = 'fail' WHERE round_id = ?", (round_id,))
        db.close()
    assert _json(run("district", "--format", "json", "round", "screen", round_id))[0]["overall"] == "INELIGIBLE"


def test_late_records_are_caught_and_a_round_concludes_when_nothing_blocks_it(run: Cli, acts: Server,
                                                                             tmp_path: Path) -> None:
    a, b, c = make_id(), make_id(), make_id()
    round_id = _round(run, tmp_path, [(a, "周一", "东城街道"), (b, "吴二", "东城街道"), (c, "郑三", "桃源乡")], "结论")
    shown = _json(run("district", "--format", "json", "round", "show", round_id))[0]
    assert shown["state"] == "open" and shown["last_screened_at"] == "" and len(shown["not_attested"]) == 8
    assert [d["overall"] for d in _json(run("district", "--format", "json", "round", "screen", round_id))] == \
        ["PENDING"] * 3
    blocked = run("district", "round", "conclude", round_id, "--note", "太早")
    assert blocked.code == 1 and "court has not attested" in blocked.err and "周一" in blocked.err, blocked
    assert "PENDING" in blocked.err
    for agency in AGENCIES:
        assert run(agency, "round", "attest", round_id, "--note", "已核查").code == 0
    shown = _json(run("district", "--format", "json", "round", "show", round_id))[0]
    assert shown["state"] == "screened" and shown["not_attested"] == [] and shown["changed"] == 3, shown
    late = _json(run("district", "--format", "json", "round", "changes", round_id))
    assert {x["entry_type"] for x in late} == {"attestation"} and len(late) == 3 * 8
    again = _json(run("district", "--format", "json", "round", "screen", round_id, "--changed"))
    assert [d["overall"] for d in again] == ["ELIGIBLE"] * 3
    assert _json(run("district", "--format", "json", "round", "changes", round_id)) == []

    # a court flag that arrives later is seen as it arrives and in the list; --changed screens only that candidate
    watcher = subprocess.Popen(
        [sys.executable, "-m", "eligibility.console.main", "--home", str(acts.home), "--server", acts.address, "--as",
         "district", "--format", "json", "round", "changes", round_id, "--follow"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)  # (the watcher's first answer: nothing changed)
        write_csv(tmp_path / "late.csv", [flag(b, "criminal_conviction", "法-late-1", "2025-06-01", name="吴二")])
        assert run("court", "flags", "submit", str(tmp_path / "late.csv")).code == 0
        seen = _read_line(watcher, 20)
    finally:
        watcher.terminate()
        watcher.communicate(timeout=10)  # waits, and closes both pipes
    assert seen["name"] == "吴二" and seen["agency"] == "court" and "法-late-1" in seen["what"], seen
    listed = _json(run("district", "--format", "json", "round", "changes", round_id))
    assert [(x["name"], x["agency"], x["entry_type"]) for x in listed] == [("吴二", "court", "flag")]
    assert b not in str(listed) and listed[0]["id_number_masked"] == b[:6] + "********" + b[-4:]
    blocked = run("district", "round", "conclude", round_id)
    assert blocked.code == 1 and "吴二" in blocked.err and "changed since decision" in blocked.err, blocked
    only = _json(run("district", "--format", "json", "round", "screen", round_id, "--changed"))
    assert [(d["name"], d["overall"]) for d in only] == [("吴二", "INELIGIBLE")]
    nothing = run("district", "round", "screen", round_id, "--changed")
    assert nothing.code == 0 and "nothing screened" in nothing.out, nothing

    done = _json(run("district", "--format", "json", "round", "conclude", round_id, "--note", "联审领导小组审定"))[0]
    assert done["concluded"] and done["blockers"] == [] and done["checkpoint"]["size"] > done["leaf_index"], done
    shown = _json(run("district", "--format", "json", "round", "show", round_id))[0]
    assert shown["state"] == "concluded" and shown["concluded_at"] == done["round"]["concluded_at"]
    for refused in (run("court", "round", "attest", round_id), run("district", "round", "screen", round_id),
                    run("district", "check", "--round", round_id, "--id-number", a),
                    run("district", "round", "conclude", round_id)):
        assert refused.code == 3 and "FAILED_PRECONDITION" in refused.err and "is concluded" in refused.err, refused
    assert "concluded at" in run("district", "round", "show", round_id).out
    for ext, text in _reports(run, round_id, tmp_path).items():
        assert f"已审定 (审定时间 {local_time(shown['concluded_at'], ZoneInfo('Asia/Shanghai'))})" in text, ext
    assert [d["overall"] for d in _json(run("district", "--format", "json", "round", "results", round_id))] == \
        ["ELIGIBLE", "INELIGIBLE", "ELIGIBLE"]

    assert run("auditor", "audit", "export", "--out", str(tmp_path / "export")).code == 0
    verify = run("auditor", "audit", "verify", str(tmp_path / "export"), "--public-key",
                 str(acts.home / "keys" / "log.pub"), "--replay")
    assert verify.code == 0 and "everything verifies" in verify.out, verify
    # the replay checks the conclusion against the decisions' leaf hashes (its first pass saw which round it concludes)
    entries = (tmp_path / "export" / "leaves.jsonl").read_bytes().splitlines()
    at = next(i for i, e in enumerate(entries) if e.endswith(b'"type":"conclusion"}'))
    digest = orjson.loads(entries[at])["body"]["decisions_sha256"]
    edited = [*entries[:at], entries[at].replace(digest.encode(), b"0" * 64), *entries[at + 1:]]
    assert replay_log(lambda: entries)[0] == []
    assert [p for p in replay_log(lambda: edited)[0] if "digest of its decisions' leaf hashes" in p], \
        replay_log(lambda: edited)[0]


def _read_line(proc: subprocess.Popen[str], seconds: float) -> dict[str, Any]:
    """The first JSON line a process prints within the time (or fail)."""
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(proc.stdout.readline() if proc.stdout else ""), daemon=True)
    reader.start()
    reader.join(seconds)
    assert got and got[0], f"nothing printed in {seconds} s"
    return dict(orjson.loads(got[0]))


def test_appeals_are_answered_by_the_contested_agencies_and_amend_the_conclusion(run: Cli, acts: Server,
                                                                                tmp_path: Path) -> None:
    a, b, c = make_id(), make_id(), make_id()
    write_csv(tmp_path / "court.csv", [flag(a, "criminal_conviction", "法-ap-1", "2024-03-01", name="冯一")])
    assert run("court", "flags", "submit", str(tmp_path / "court.csv")).code == 0
    write_csv(tmp_path / "police.csv", [flag(b, "criminal_investigation", "公-ap-2", "2026-11-01", name="陈二")])
    assert run("police", "flags", "submit", str(tmp_path / "police.csv")).code == 0
    round_id = _round(run, tmp_path, [(a, "冯一", "东城街道"), (b, "陈二", "东城街道"), (c, "褚三", "桃源乡")], "复核")
    for agency in AGENCIES:
        assert run(agency, "round", "attest", round_id).code == 0
    screened = _json(run("district", "--format", "json", "round", "screen", round_id))
    assert [d["overall"] for d in screened] == ["INELIGIBLE", "INELIGIBLE", "ELIGIBLE"]
    assert _json(run("district", "--format", "json", "round", "conclude", round_id))[0]["concluded"]

    # only the district opens an appeal, against a verdict that is not PASS, one at a time per candidate
    for role in ("court", "auditor"):
        denied = run(role, "appeal", "open", "--round", round_id, "--id-number", a, "--reason", "x")
        assert denied.code == 3 and "PERMISSION_DENIED" in denied.err, (role, denied)
    nothing = run("district", "appeal", "open", "--round", round_id, "--id-number", c, "--reason", "x")
    assert nothing.code == 3 and "nothing to appeal" in nothing.err, nothing
    upheld = _json(run("district", "--format", "json", "appeal", "open", "--round", round_id, "--id-number", a,
                       "--reason", "本人称判决已被撤销"))[0]
    assert upheld["agencies"] == ["court"] and upheld["decision_id"] == screened[0]["decision_id"], upheld
    assert a not in str(upheld) and upheld["decided_by"] == ""
    twice = run("district", "appeal", "open", "--round", round_id, "--id-number", a, "--reason", "再次")
    assert twice.code == 3 and upheld["appeal_id"] in twice.err and "not decided" in twice.err, twice
    revised = _json(run("district", "--format", "json", "appeal", "open", "--round", round_id, "--id-number", b,
                        "--reason", "立案侦查已撤销"))[0]
    assert revised["agencies"] == ["police"]

    # each agency sees the appeals contesting its verdicts, and answers those only, once
    assert [x["appeal_id"] for x in _json(run("court", "--format", "json", "appeal", "list"))] == [upheld["appeal_id"]]
    assert [x["appeal_id"] for x in _json(run("police", "--format", "json", "appeal", "list", "--round", round_id))] == \
        [revised["appeal_id"]]
    assert len(_json(run("auditor", "--format", "json", "appeal", "list", "--round", round_id))) == 2
    early = run("district", "appeal", "decide", upheld["appeal_id"])
    assert early.code == 3 and "waits for the answer of court" in early.err, early
    other = run("police", "appeal", "answer", upheld["appeal_id"], "--uphold", "--opinion", "x")
    assert other.code == 3 and "PERMISSION_DENIED" in other.err and "not police's" in other.err, other
    answered = _json(run("court", "--format", "json", "appeal", "answer", upheld["appeal_id"], "--uphold",
                         "--opinion", "经复查，原判决未被撤销，维持原意见", "--handler", "卫法官"))[0]
    assert [(x["agency"], x["answer"], x["handler"]) for x in answered["answers"]] == [("court", "uphold", "卫法官")]
    again = run("court", "appeal", "answer", upheld["appeal_id"], "--revise", "--opinion", "x")
    assert again.code == 3 and "already answered" in again.err, again
    text = run("district", "appeal", "list", "--round", round_id)
    assert "answered: `appeal decide`" in text.out and "waiting for police" in text.out, text

    # decided: a new decision naming the appeal, replacing the contested one; the conclusion amended
    got = _json(run("district", "--format", "json", "appeal", "decide", upheld["appeal_id"]))[0]
    first = got["decision"]
    assert first["overall"] == "INELIGIBLE" and got["appeal"]["decided_by"] == first["decision_id"], got
    assert got["amendment_leaf_index"] is not None
    refused = run("district", "appeal", "decide", upheld["appeal_id"])
    assert refused.code == 3 and "decided already" in refused.err, refused
    # the police retracts its record, then answers: revised, the candidate becomes eligible
    assert run("police", "flags", "retract", "公-ap-2", "--reason", "立案已撤销").code == 0
    assert run("police", "appeal", "answer", revised["appeal_id"], "--revise", "--opinion", "已撤销立案，记录已撤回").code == 0
    got = _json(run("district", "--format", "json", "appeal", "decide", revised["appeal_id"]))[0]
    second = got["decision"]
    assert second["overall"] == "ELIGIBLE" and second["verdicts"]["police"] == "PASS", second
    shown = _json(run("district", "--format", "json", "round", "show", round_id))[0]
    assert shown["state"] == "concluded"
    assert [d["overall"] for d in _json(run("district", "--format", "json", "round", "results", round_id))] == \
        ["INELIGIBLE", "ELIGIBLE", "ELIGIBLE"]

    # the lineage, in audit show both ways; everything replays, online and offline
    lineage = _json(run("auditor", "--format", "json", "audit", "show", second["decision_id"]))[0]
    assert lineage["supersedes"] == screened[1]["decision_id"]
    assert lineage["made_for_appeal"]["appeal_id"] == revised["appeal_id"]
    assert lineage["made_for_appeal"]["decision_id"] == screened[1]["decision_id"]
    assert orjson.loads(lineage["record"])["body"]["bound"]["appeal"][0] == revised["leaf_index"]  # the logged binding
    contested = _json(run("auditor", "--format", "json", "audit", "show", screened[1]["decision_id"]))[0]
    assert [x["appeal_id"] for x in contested["appealed_by"]] == [revised["appeal_id"]]
    text = run("auditor", "audit", "show", second["decision_id"])
    assert f"made for appeal {revised['appeal_id']}" in text.out and "police REVISE" in text.out, text
    replayed = _json(run("auditor", "--format", "json", "audit", "replay", "--round", round_id))
    assert replayed and {r["result"] for r in replayed} == {"MATCH"}, replayed
    assert run("auditor", "audit", "check-store").code == 0
    assert run("auditor", "audit", "export", "--out", str(tmp_path / "export")).code == 0
    verify = run("auditor", "audit", "verify", str(tmp_path / "export"), "--public-key",
                 str(acts.home / "keys" / "log.pub"), "--replay")
    assert verify.code == 0 and "everything verifies" in verify.out, verify


def test_an_edited_appeal_row_is_not_decided_on_and_is_named(run: Cli, acts: Server, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    a = make_id()
    write_csv(tmp_path / "court.csv", [flag(a, "criminal_conviction", "法-ae-1", "2024-03-01", name="蒋一")])
    assert run("court", "flags", "submit", str(tmp_path / "court.csv")).code == 0
    round_id = _round(run, tmp_path, [(a, "蒋一", "东城街道")], "改复核")
    for agency in AGENCIES:
        assert run(agency, "round", "attest", round_id).code == 0
    assert _json(run("district", "--format", "json", "round", "screen", round_id))[0]["overall"] == "INELIGIBLE"
    appeal = _json(run("district", "--format", "json", "appeal", "open", "--round", round_id, "--id-number", a,
                       "--reason", "不服"))[0]
    assert run("court", "appeal", "answer", appeal["appeal_id"], "--uphold", "--opinion", "维持").code == 0
    db = sqlite3.connect(acts.home / "eligibility.db")
    try:
        with db:
            db.execute("UPDATE appeals SET reason = '已同意' WHERE appeal_id = ?", (appeal["appeal_id"],))
        refused = run("district", "appeal", "decide", appeal["appeal_id"])
        assert refused.code == 3 and "differs from its log entry" in refused.err, refused
        code = cli_main(["--home", str(acts.home), "audit", "check-store"])
        out = capsys.readouterr().out
        assert code == 1 and f"appeal {appeal['appeal_id']}" in out and "reason" in out, out
    finally:
        with db:
            db.execute("UPDATE appeals SET reason = '不服' WHERE appeal_id = ?", (appeal["appeal_id"],))
        db.close()
    assert _json(run("district", "--format", "json", "appeal", "decide", appeal["appeal_id"]))[0]["decision"][
        "overall"] == "INELIGIBLE"


def test_two_of_the_same_act_at_once_record_one(run: Cli, acts: Server, tmp_path: Path) -> None:
    """A double-clicked button (or two clerks) sends the same act twice at once: one is recorded, the other refused."""
    import grpc

    from eligibility._gen.v1 import eligibility_pb2 as pb
    from eligibility.console.client import connect
    a = make_id()
    write_csv(tmp_path / "court.csv", [flag(a, "criminal_conviction", f"法-并发-{a[-4:]}", "2024-03-01", name="魏一")])
    assert run("court", "flags", "submit", str(tmp_path / "court.csv")).code == 0
    round_id = _round(run, tmp_path, [(a, "魏一", "东城街道")], "并发")
    for agency in AGENCIES:
        assert run(agency, "round", "attest", round_id).code == 0
    assert run("district", "round", "screen", round_id).code == 0
    appeal = _json(run("district", "--format", "json", "appeal", "open", "--round", round_id, "--id-number", a,
                       "--reason", "同时提交"))[0]

    def twice(role: str, method: str, request: Any) -> list[str]:
        """The same call from two clients at once, without an idempotency key (as grpcurl sends it)."""
        said: list[str] = []
        start = threading.Barrier(2)

        def go() -> None:
            with connect(acts.config, role, acts.address) as c:
                stub = getattr(c.appeals if "Appeal" in method else c.rounds, method)
                start.wait()
                try:
                    stub(request, metadata=c.metadata, timeout=30)
                    said.append("ok")
                except grpc.RpcError as e:
                    said.append(e.details() or "")
        threads = [threading.Thread(target=go) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert len(said) == 2 and "ok" in said, said
        said.remove("ok")
        return said
    answered = twice("court", "AnswerAppeal", pb.AnswerAppealRequest(appeal_id=appeal["appeal_id"], answer="uphold",
                                                                     opinion="维持"))
    assert "already answered" in answered[0], answered
    decided = twice("district", "DecideAppeal", pb.DecideAppealRequest(appeal_id=appeal["appeal_id"]))
    assert "decided already" in decided[0], decided
    every = _json(run("auditor", "--format", "json", "audit", "decisions", "--round", round_id))
    assert len(every) == 2  # the screening's and the appeal's, not a third
    concluded = twice("district", "ConcludeRound", pb.ConcludeRoundRequest(round_id=round_id, note="审定"))
    assert "is concluded" in concluded[0], concluded
