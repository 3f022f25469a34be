"""An edit of the tables that is not in the log is named by `doctor` and `audit check-store` (a real server, the real
CLI, the sqlite3 edits an insider with the database file would make)."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from eligibility.console.main import main as cli_main
from eligibility.home.setup import init_home
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
])
def test_an_edit_of_the_tables_is_named(screened: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], sql: str,
                                        says: str) -> None:
    home = tmp_path / "home"
    shutil.copytree(screened, home)
    db = sqlite3.connect(home / "eligibility.db")
    assert db.execute(sql).rowcount == 1, sql
    db.commit()
    db.close()
    doctor, check = _problems(home, capsys)
    assert "PROBLEM tables: the tables say what the log does not" in doctor and says in doctor, doctor
    assert says in check and "1 problem(s)" in check, check


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


@pytest.mark.parametrize("sql, says", [
    (f"UPDATE flags SET status = 'retracted' WHERE reference = '{COURT}'",
     f"flag court {COURT} v1 is 'active' in entry"),
    (f"UPDATE flags SET decided_on = '2010-01-01' WHERE reference = '{COURT}'",
     "is '2019-06-01' in entry"),
    (f"DELETE FROM flags WHERE reference = '{COURT}'", "which did not read it"),
    ("INSERT INTO attestations (round_id, agency, attested_at, note) "
     "SELECT round_id, 'petition', '2026-12-01T00:00:00Z', '' FROM rounds", "petition is not attested in the log"),
    ("UPDATE candidates SET party_member = 0 WHERE seq = 1", "the candidate's party_member is True in entry"),
    ("UPDATE candidates SET birth_date = '2010-01-01' WHERE seq = 2", "the candidate's birth_date is"),
])
def test_a_screening_after_an_edit_is_caught_by_offline_replay(screened: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str], sql: str,
                                                               says: str) -> None:
    home = tmp_path / "home"
    shutil.copytree(screened, home)
    db = sqlite3.connect(home / "eligibility.db")
    assert db.execute(sql).rowcount == 1, sql
    db.commit()
    db.close()
    code, out = _export_and_replay(home, tmp_path, capsys, screen_again=True)
    assert code == 1 and says in out, out
    assert "FAIL decision dec-" in out, out
