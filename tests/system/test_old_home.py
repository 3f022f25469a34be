"""A home written by an earlier release (tests/data/home-v1: the golden-log scenario, written before decisions
were bound to their inputs) opens with this release: the server starts on it, its decisions replay, its
exported log verifies and its tables agree with its log. A real server, the real CLI, real files."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import orjson
import pytest

from eligibility.console.main import main as cli_main
from eligibility.home.setup import init_home
from tests.conftest import Server, configure, start_server, stop_server

OLD = Path(__file__).parents[1] / "data" / "home-v1"


def _old_home(tmp: Path) -> Path:
    home = tmp / "home"
    init_home(home)  # its own certificates; the database, keys and kept checkpoint are the old release's
    (home / "eligibility.db").unlink()
    shutil.copy(OLD / "eligibility.db", home / "eligibility.db")
    for key in (OLD / "keys").iterdir():
        shutil.copy(key, home / "keys" / key.name)
    (home / "state").mkdir(mode=0o700, exist_ok=True)
    shutil.copy(OLD / "state" / "checkpoint.json", home / "state" / "checkpoint.json")
    # git keeps no file modes but the executable bit: make the copies as private as the release left them
    for path in (home / "eligibility.db", *(home / "keys").iterdir(), home / "state" / "checkpoint.json"):
        path.chmod(0o600)
    configure(home, workers=0, log_origin='"eligibility/golden"')
    return home


def _run(s: Server, capsys: pytest.CaptureFixture[str], role: str, *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = cli_main(["--home", str(s.home), "--server", s.address, "--as", role, *args])
    return code, capsys.readouterr().out


def test_an_old_home_opens_replays_and_verifies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = _old_home(tmp_path)
    s = start_server(home)
    try:
        code, out = _run(s, capsys, "auditor", "--format", "json", "audit", "replay", "--round", "R-0000000001")
        assert code == 0, out
        outcomes = [orjson.loads(line) for line in out.splitlines() if line.strip()]
        assert len(outcomes) == 13 and all(o["result"] == "MATCH" for o in outcomes), out
        code, out = _run(s, capsys, "auditor", "audit", "export", "--out", str(tmp_path / "export"))
        assert code == 0, out
        code, out = _run(s, capsys, "auditor", "audit", "verify", str(tmp_path / "export"), "--public-key",
                         str(home / "keys" / "log.pub"))
        assert code == 0 and "everything verifies" in out, out
        # its rulesets were logged by hash only: the server logged their content again on its first start, so
        # every old decision replays from the exported log alone
        code, out = _run(s, capsys, "auditor", "audit", "verify", str(tmp_path / "export"), "--public-key",
                         str(home / "keys" / "log.pub"), "--replay")
        assert code == 0 and "14 of 14 decisions replayed from the log alone: everything verifies" in out, out
    finally:
        stop_server(s)
    db = sqlite3.connect(home / "eligibility.db")  # every row of the older release now names its log entry
    for table in ("rulesets", "flags", "rounds", "candidates", "attestations"):
        total, unnamed = db.execute(f"SELECT count(*), sum(leaf_index IS NULL) FROM {table}").fetchone()
        assert total > 0 and unnamed == 0, table
    named = db.execute("SELECT count(*) FROM candidates c JOIN log l ON l.idx = c.leaf_index AND l.type = 'candidate'")
    assert named.fetchone()[0] == 6
    db.close()
    capsys.readouterr()
    assert cli_main(["--home", str(home), "audit", "check-store"]) == 0, capsys.readouterr().out
    assert cli_main(["--home", str(home), "doctor"]) == 0, capsys.readouterr().out
