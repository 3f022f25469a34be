"""An edit of the tables that is not in the log is named by `doctor` and `audit check-store` (a real server, the real
CLI, the sqlite3 edits an insider with the database file would make)."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from eligibility.console.main import main as cli_main
from eligibility.engine.model import EvalInput
from eligibility.errors import RecordError
from eligibility.home.config import load_config
from eligibility.home.setup import init_home
from eligibility.intake.flags import FlagRow
from eligibility.ledger.codec import canonical, result_bytes
from eligibility.ledger.records import Context, PreparedDecision
from eligibility.review.app import App
from eligibility.review.screening import new_decision_id
from tests.conftest import configure, start_server, stop_server, write_csv
from tests.helpers import candidate, flag, make_id

COURT = "(2019)京0105刑初123号"


@pytest.fixture(scope="module")
def screened(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A home whose round was screened: court and discipline flags, five candidates, seven agencies attested."""
    tmp = tmp_path_factory.mktemp("tamper")
    home = tmp / "home"
    init_home(home)
    configure(home, workers=0)
    ids = [make_id() for _ in range(5)]
    s = start_server(home)
    try:
        def cli(role: str, *args: str) -> int:
            return cli_main(["--home", str(home), "--server", s.address, "--as", role, *args])
        assert cli("court", "flags", "submit", str(write_csv(tmp / "court.csv", [
            flag(ids[0], "criminal_conviction", COURT, "2019-06-01")]))) == 0
        assert cli("discipline", "flags", "submit", str(write_csv(tmp / "dis.csv", [
            flag(ids[1], "party_sanction", "纪-1", "2025-08-01", level="serious_warning")]))) == 0
        assert cli("district", "round", "create", "--name", "t", "--as-of", "2026-12-01", "--candidates",
                   str(write_csv(tmp / "c.csv", [candidate(i, party_member="yes") for i in ids]))) == 0
        round_id = sqlite3.connect(home / "eligibility.db").execute("SELECT round_id FROM rounds").fetchone()[0]
        for agency in ("discipline", "court", "procuratorate", "police", "justice", "civil_affairs", "religious_affairs"):
            assert cli(agency, "round", "attest", round_id) == 0
        assert cli("district", "round", "screen", round_id) == 0
    finally:
        stop_server(s)
    yield home


def _edit(screened: Path, tmp: Path, sql: str) -> Path:
    home = tmp / "home"
    shutil.copytree(screened, home)
    db = sqlite3.connect(home / "eligibility.db")
    assert db.execute(sql).rowcount == 1, sql
    db.commit()
    db.close()
    return home


def _problems(home: Path, capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    capsys.readouterr()
    assert cli_main(["--home", str(home), "doctor"]) == 1
    doctor = capsys.readouterr().out
    assert cli_main(["--home", str(home), "audit", "check-store"]) == 1
    return doctor, capsys.readouterr().out


def test_untouched_tables_say_what_the_log_says(screened: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert cli_main(["--home", str(screened), "audit", "check-store"]) == 0
    assert "the tables say exactly what the log says" in capsys.readouterr().out
    assert cli_main(["--home", str(screened), "doctor"]) == 0
    assert "ok      tables:" in capsys.readouterr().out


@pytest.mark.parametrize("sql, says", [
    (f"UPDATE flags SET status = 'retracted' WHERE reference = '{COURT}'",
     f"flag court {COURT} v1: the row differs from log entry"),
    (f"UPDATE flags SET status = 'lifted' WHERE reference = '{COURT}'", "status is 'lifted' in the table"),
    (f"UPDATE flags SET decided_on = 'soon' WHERE reference = '{COURT}'", "decided_on is 'soon' in the table"),
    (f"UPDATE flags SET decided_on = '2010-01-01' WHERE reference = '{COURT}'",
     "decided_on is '2010-01-01' in the table, '2019-06-01' in the log"),
    ("UPDATE flags SET level = 'warning' WHERE reference = '纪-1'", "level is 'warning' in the table, 'serious_warning'"),
    (f"DELETE FROM flags WHERE reference = '{COURT}'", f"flag court {COURT} v1: log entry"),
    ("INSERT INTO attestations (round_id, agency, attested_at, note) "
     "SELECT round_id, 'petition', '2026-12-01T00:00:00Z', '' FROM rounds",
     "by petition: a row with no log entry (added to the table by hand)"),
    ("UPDATE candidates SET party_member = 0 WHERE seq = 1", "party_member is False in the table, True in the log"),
    ("UPDATE candidates SET birth_date = '2010-01-01' WHERE seq = 2", "birth_date is '2010-01-01' in the table"),
    ("DELETE FROM decisions WHERE seq = 3", "has no row (deleted from the table)"),
    ("UPDATE candidates SET leaf_index = leaf_index + 1 WHERE seq = 1", "the row names log entry"),
    (f"UPDATE flags SET leaf_index = NULL WHERE reference = '{COURT}'", "the row names log entry None"),
    ("UPDATE decisions SET result_leaf = leaf_index - 1 WHERE result_leaf IS NOT NULL AND seq = "
     "(SELECT max(seq) FROM decisions WHERE result_leaf IS NOT NULL)", "as its shared result, which does not hold"),
    ("UPDATE log_tallies SET entries = entries - 1 WHERE type = 'flag'", "the tally table was edited"),
])
def test_an_edit_of_the_tables_is_named(screened: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], sql: str,
                                        says: str) -> None:
    home = _edit(screened, tmp_path, sql)
    doctor, check = _problems(home, capsys)
    assert "PROBLEM tables: the tables say what the log does not" in doctor and says in doctor, doctor
    assert says in check and "1 problem(s)" in check, check


def test_a_row_no_candidate_can_hold_is_named_without_a_traceback(screened: Path, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    home = _edit(screened, tmp_path, "UPDATE candidates SET birth_date = '1980-02-30' WHERE seq = 2")
    capsys.readouterr()
    assert cli_main(["--home", str(home), "doctor"]) == 1
    doctor = capsys.readouterr()
    assert "PROBLEM tables: candidate 2 (" in doctor.out and "'1980-02-30' in the candidates table is not a date" \
        in doctor.out, doctor.out
    assert cli_main(["--home", str(home), "audit", "check-store"]) != 0
    check = capsys.readouterr()
    assert "'1980-02-30' in the candidates table is not a date" in check.err + check.out, check
    assert "Traceback" not in doctor.err + check.err


def _export_and_replay(home: Path, tmp: Path, capsys: pytest.CaptureFixture[str], screen_again: bool) -> tuple[int, str]:
    """Start the real server on the home (screening the round again if asked), export its log, replay it offline."""
    s = start_server(home)
    try:
        def cli(role: str, *args: str) -> int:
            return cli_main(["--home", str(home), "--server", s.address, "--as", role, *args])
        if screen_again:
            round_id = sqlite3.connect(home / "eligibility.db").execute("SELECT round_id FROM rounds").fetchone()[0]
            assert cli("district", "round", "screen", round_id) == 0
        assert cli("auditor", "audit", "export", "--out", str(tmp / "export")) == 0
    finally:
        stop_server(s)
    capsys.readouterr()
    code = cli_main(["--home", str(home), "audit", "verify", str(tmp / "export"), "--public-key",
                     str(home / "keys" / "log.pub"), "--replay"])
    return code, capsys.readouterr().out


def test_an_untouched_log_replays_offline(screened: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "home"
    shutil.copytree(screened, home)
    code, out = _export_and_replay(home, tmp_path, capsys, screen_again=True)
    assert code == 0 and "10 of 10 decisions replayed from the log alone: everything verifies" in out, out


def _screen_json(home: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict[str, Any]], str]:
    """Screen the home's round again through the real server and CLI: (exit code, decisions, stderr)."""
    round_id = sqlite3.connect(home / "eligibility.db").execute("SELECT round_id FROM rounds").fetchone()[0]
    s = start_server(home)
    try:
        capsys.readouterr()
        code = cli_main(["--home", str(home), "--server", s.address, "--as", "district", "--format", "json", "round",
                         "screen", round_id])
        out, err = capsys.readouterr()
    finally:
        stop_server(s)
    return code, [orjson.loads(line) for line in out.splitlines() if line.strip()], err


@pytest.fixture(scope="module")
def untouched(screened: Path, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """The decisions a screening of the untouched home gives."""
    home = tmp_path_factory.mktemp("untouched") / "home"
    shutil.copytree(screened, home)
    return _screen_json_plain(home)


def _screen_json_plain(home: Path) -> list[dict[str, Any]]:
    round_id = sqlite3.connect(home / "eligibility.db").execute("SELECT round_id FROM rounds").fetchone()[0]
    s = start_server(home)
    try:
        r = subprocess.run([sys.executable, "-m", "eligibility", "--home", str(home), "--server", s.address, "--as",
                            "district", "--format", "json", "round", "screen", round_id],
                           capture_output=True, text=True, check=True)
    finally:
        stop_server(s)
    return [orjson.loads(line) for line in r.stdout.splitlines() if line.strip()]


_WORSE = {"FAIL": 0, "REVIEW": 1, "PENDING": 2, "PASS": 3}

# (the edit, the candidate it touches, the agencies it holds, what the STORE-MISMATCH entry says)
EDITS = [
    (f"UPDATE flags SET status = 'retracted' WHERE reference = '{COURT}'", 0, {"court"},
     "status is 'retracted' in the table, 'active' in the log"),
    (f"UPDATE flags SET status = 'lifted' WHERE reference = '{COURT}'", 0, {"court"},  # not a status at all
     "status is 'lifted' in the table, 'active' in the log"),
    (f"UPDATE flags SET decided_on = '2019-13-45' WHERE reference = '{COURT}'", 0, {"court"},  # not a date at all
     "decided_on is '2019-13-45' in the table, '2019-06-01' in the log"),
    (f"UPDATE flags SET decided_on = '2010-01-01' WHERE reference = '{COURT}'", 0, {"court"},
     "decided_on is '2010-01-01' in the table, '2019-06-01' in the log"),
    ("UPDATE flags SET level = 'warning' WHERE reference = '纪-1'", 1, {"discipline"},
     "level is 'warning' in the table, 'serious_warning' in the log"),
    ("UPDATE candidates SET party_member = 0 WHERE seq = 3", 2, None,
     "party_member is False in the table, True in the log"),
    ("UPDATE candidates SET birth_date = '2010-01-01' WHERE seq = 4", 3, None,
     "birth_date is '2010-01-01' in the table, '1980-01-01' in the log"),
]


@pytest.mark.parametrize("sql, seq, agencies, says", EDITS)
def test_a_screening_after_an_edit_reads_the_log_and_holds_what_the_edit_touched(
        screened: Path, untouched: list[dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str], sql: str,
        seq: int, agencies: set[str] | None, says: str) -> None:
    home = _edit(screened, tmp_path, sql)
    code, decisions, err = _screen_json(home, capsys)
    assert code == 0 and len(decisions) == 5, err
    touched, before = decisions[seq], untouched[seq]
    held = {t["agency"] for t in touched["trace"] if t["rule_id"] == "STORE-MISMATCH"}
    assert held == (agencies or set(before["verdicts"])), touched["trace"]
    assert all(says in t["detail"] and "check-store" in t["detail"] for t in touched["trace"]
               if t["rule_id"] == "STORE-MISMATCH"), touched["trace"]
    for agency, verdict in before["verdicts"].items():  # what the log says, held at REVIEW (or worse) where touched
        want = min(verdict, "REVIEW", key=_WORSE.__getitem__) if agency in held else verdict
        assert touched["verdicts"][agency] == want, (agency, touched["verdicts"], before["verdicts"])
    assert [d["verdicts"] for i, d in enumerate(decisions) if i != seq] == [
        d["verdicts"] for i, d in enumerate(untouched) if i != seq]
    # the log alone proves these decisions, and says what the server found
    code, out = _export_and_replay(home, tmp_path, capsys, screen_again=False)
    assert code == 0 and "everything verifies" in out and "1 holding verdicts" in out, out
    assert "NOTE 1 decision(s)" in out and says in out, out


@pytest.mark.parametrize("sql, says", [
    (f"DELETE FROM flags WHERE reference = '{COURT}'", "the flags table has 1 rows but the log holds 2 flag versions"),
    ("INSERT INTO attestations (round_id, agency, attested_at, note) "
     "SELECT round_id, 'petition', '2026-12-01T00:00:00Z', '' FROM rounds",
     "the attestations table has 8 rows but the log holds 7 attestations"),
    ("DELETE FROM candidates WHERE seq = 5", "the candidates table has 4 rows but the log holds 5 candidates"),
    ("UPDATE flags SET leaf_index = leaf_index - 1 WHERE reference = '纪-1'",
     "the flags table has as many rows as the log holds flag versions (2), but they do not name the same entries"),
    ("UPDATE candidates SET birth_date = 'soon' WHERE seq = 3",  # what no candidate row can hold: refused, named
     "its birth_date 'soon' in the candidates table is not a date"),
])
def test_a_screening_on_tables_that_lost_or_gained_rows_is_refused(
        screened: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], sql: str, says: str) -> None:
    home = _edit(screened, tmp_path, sql)
    code, decisions, err = _screen_json(home, capsys)
    assert code != 0 and not decisions and says in err and "audit check-store" in err, err
    assert "Traceback" not in err, err


# ---- an insider with the database and the signing key: decisions appended that do not follow from the log ----
def _forge(home: Path, change: Callable[[App, dict[str, Any], dict[str, Any]], dict[str, Any] | None]) -> None:
    """Append, as the server would, a copy of the court-flagged candidate's latest decision with its inputs changed
    (and a result that follows from them): change(app, body, context) edits the body in place, and may return a new
    context to log and name."""
    app = App(load_config(home))
    try:
        entries = [orjson.loads(d) for batch in app.store.leaves(0) for _, d in batch]
        contexts = {hashlib.sha256(orjson.dumps(e["body"], option=orjson.OPT_SORT_KEYS)).hexdigest(): e["body"]
                    for e in entries if e["type"] == "context"}
        body = next(e["body"] for e in reversed(entries) if e["type"] == "decision" and e["body"]["inputs"]["flags"]
                    and e["body"]["inputs"]["flags"][0]["agency"] == "court")
        new_context = change(app, body, contexts[body["bound"]["context"]])
        ctx = []
        if new_context is not None:
            data = orjson.dumps(new_context, option=orjson.OPT_SORT_KEYS)
            ctx = [Context(hashlib.sha256(data).hexdigest(), data)]
            body["bound"]["context"] = ctx[0].sha256
        result = app.evaluator.evaluate(app.registry.by_hash(body["ruleset_hash"]), EvalInput.model_validate(body["inputs"]))
        body["result"] = orjson.Fragment(result_bytes(result))
        body["decision_id"] = new_decision_id()
        app.store.append_decisions([PreparedDecision(body["decision_id"], body["round_id"],
                                                     body["inputs"]["candidate"]["person_key"], body["recorded_at"],
                                                     body["ruleset_hash"], orjson.Fragment(canonical(body)))], ctx)
        app.checkpoint()  # signed with the server's own key
    finally:
        app.close()


def _flag_entry(app: App, reference: str, version: int = 1) -> int:
    return next(i for batch in app.store.leaves(0) for i, d in batch if b'"type":"flag"' in d.rsplit(b',"index"', 1)[-1]
                and orjson.loads(d)["body"]["reference"] == reference and orjson.loads(d)["body"]["version"] == version)


def _status(app: App, body: dict[str, Any], ctx: dict[str, Any]) -> None:
    body["inputs"]["flags"][0]["status"] = "retracted"


def _omitted(app: App, body: dict[str, Any], ctx: dict[str, Any]) -> None:
    body["inputs"]["flags"], body["bound"]["flags"] = [], []


def _attested(app: App, body: dict[str, Any], ctx: dict[str, Any]) -> None:
    body["inputs"]["attestations"]["petition"] = "2026-12-01T00:00:00.000000Z"


def _party(app: App, body: dict[str, Any], ctx: dict[str, Any]) -> None:
    body["inputs"]["candidate"]["party_member"] = False


def _leaf(app: App, body: dict[str, Any], ctx: dict[str, Any]) -> None:
    body["bound"]["candidate"][1] = "00" * 32


def _too_late(app: App, body: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
    return {**ctx, "log_size": _flag_entry(app, COURT)}  # read "before" the flag it names was logged


def _stale(app: App, body: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
    flag = app.store.flag_heads("court", [COURT])[COURT]
    rows = [FlagRow(row=2, id_number=app.ids.unseal(flag.id_sealed), name="张三", kind="criminal_conviction",
                    reference=COURT, decided_on="2019-06-01", end_date="2020-06-01")]
    assert app.submit_flags("court", rows, True, "sentence ended")[0].status != "rejected"
    return {**ctx, "log_size": app.store.log_size()}  # read after v2 was logged, but still reads v1


@pytest.mark.parametrize("change, says", [
    (_status, f"flag court {COURT} v1 is 'active' in entry {{flag}}, the decision read 'retracted' (status)"),
    (_omitted, f"flag court {COURT} v1 on this person (entry {{flag}}) was logged before the decision read its inputs, "
               "and it did not read it"),
    (_attested, "petition is not attested in the log, the decision read '2026-12-01T00:00:00.000000Z'"),
    (_party, "the candidate's party_member is True in entry"),
    (_leaf, "its candidate: it names entry"),
    (_too_late, f"flag court {COURT} v1: it names entry {{flag}}, which is not before the log size {{flag}} it read at"),
    (_stale, f"read flag court {COURT} v1, but v2 (entry"),
], ids=["flag-status", "flag-omitted", "attestation-added", "candidate-changed", "wrong-leaf-hash", "entry-after-read",
        "stale-version"])
def test_a_decision_that_does_not_follow_from_the_log_is_caught_offline(
        screened: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        change: Callable[[App, dict[str, Any], dict[str, Any]], dict[str, Any] | None], says: str) -> None:
    home = tmp_path / "home"
    shutil.copytree(screened, home)
    _forge(home, change)
    app = App(load_config(home))
    try:
        says = says.format(flag=_flag_entry(app, COURT))
    finally:
        app.close()
    code, out = _export_and_replay(home, tmp_path, capsys, screen_again=False)
    assert code == 1 and says in out and "FAIL decision dec-" in out, out
    failed = {line.split()[2] for line in out.splitlines() if line.startswith("FAIL decision")}
    assert len(failed) == 1, out  # that decision, and only it


def test_a_deleted_flag_with_its_tally_fixed_up_is_still_caught(screened: Path, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """An insider who deletes a flag version and adjusts the running tally too: the screening cannot see the flag
    (nothing in the tables says it was there), but doctor names the missing row and the altered tally, and the log
    alone shows that the decision made since did not read a flag it holds."""
    home = tmp_path / "home"
    shutil.copytree(screened, home)
    db = sqlite3.connect(home / "eligibility.db")
    position = db.execute("SELECT leaf_index FROM flags WHERE reference = ?", (COURT,)).fetchone()[0]
    assert db.execute("DELETE FROM flags WHERE reference = ?", (COURT,)).rowcount == 1
    db.execute("UPDATE log_tallies SET entries = entries - 1, positions = positions - ? WHERE type = 'flag'", (position,))
    db.commit()
    db.close()
    doctor, check = _problems(home, capsys)
    assert f"flag court {COURT} v1: log entry {position} has no row" in check and "tally table was edited" in check, check
    code, decisions, err = _screen_json(home, capsys)
    assert code == 0, err
    code, out = _export_and_replay(home, tmp_path, capsys, screen_again=False)
    assert code == 1 and f"flag court {COURT} v1 on this person (entry {position}) was logged before" in out, out


def test_a_ruleset_row_or_entry_edited_between_two_screenings_of_one_process_is_refused(
        screened: Path, tmp_path: Path) -> None:
    """The check of the ruleset's entry is kept between screenings (review.inputs._is_ruleset_entry) for the same
    entry, version and bytes only: a row made to name another version's entry, or that entry's bytes edited, is
    refused by the next screening in the same process; put back, the round screens again."""
    home = tmp_path / "home"
    shutil.copytree(screened, home)
    db = sqlite3.connect(home / "eligibility.db")
    round_id = db.execute("SELECT round_id FROM rounds").fetchone()[0]
    app = App(load_config(home))
    try:
        rs = app.registry.by_name(app.get_round(round_id).ruleset)
        assert sum(len(b) for b in app.screen_round(round_id)) == 5
        (mine,) = db.execute("SELECT leaf_index FROM rulesets WHERE hash = ?", (rs.hash,)).fetchone()
        (other,) = db.execute("SELECT leaf_index FROM rulesets WHERE hash != ? LIMIT 1", (rs.hash,)).fetchone()
        db.execute("UPDATE rulesets SET leaf_index = ? WHERE hash = ?", (other, rs.hash))
        db.commit()
        with pytest.raises(RecordError, match="its row names no log entry of this version"):
            list(app.screen_round(round_id))
        db.execute("UPDATE rulesets SET leaf_index = ? WHERE hash = ?", (mine, rs.hash))
        db.commit()
        assert sum(len(b) for b in app.screen_round(round_id)) == 5
        (data,) = db.execute("SELECT data FROM log WHERE idx = ?", (mine,)).fetchone()
        db.execute("DROP TRIGGER log_append_only_u")  # what an insider with the file can do
        db.execute("UPDATE log SET data = ? WHERE idx = ?", (bytes(data).replace(rs.hash.encode(), b"0" * 64), mine))
        db.commit()
        with pytest.raises(RecordError, match="its row names no log entry of this version"):
            list(app.screen_round(round_id))
    finally:
        app.close()
        db.close()
