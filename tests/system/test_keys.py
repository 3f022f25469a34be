"""Keys are bound to their database, and a home's files are its owner's only (a real server, the real CLI)."""

from __future__ import annotations

import secrets
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from eligibility.console.main import main as cli_main
from eligibility.home.setup import init_home
from tests.conftest import start_server, stop_server


def _serve(home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "eligibility", "--home", str(home), "serve", "--listen", "127.0.0.1:0"],
                          capture_output=True, text=True, timeout=60)


def _doctor(home: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = cli_main(["--home", str(home), "doctor"])
    return code, capsys.readouterr().out


@pytest.mark.parametrize("key, content, says", [
    ("id-hmac.key", secrets.token_hex(32), "not the key this database was made with"),
    ("id-hmac.key", "", "has 0 bytes, not 32"),
    ("id-hmac.key", secrets.token_hex(16), "has 16 bytes, not 32"),
    ("id-enc.key", secrets.token_hex(32), "not the key this database was made with"),
    ("id-enc.key", "not hex at all", "is not a hex key"),
])
def test_a_wrong_key_refuses_serve_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], key: str,
                                                 content: str, says: str) -> None:
    home = tmp_path / "home"
    init_home(home)
    (home / "keys" / key).write_text(content + "\n")
    r = _serve(home)
    assert r.returncode == 2, r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip() and not line.startswith("{")]
    assert len(lines) == 1 and str(home / "keys" / key) in lines[0] and says in lines[0], r.stderr
    assert "Traceback" not in r.stderr
    code, out = _doctor(home, capsys)
    assert code == 1 and f"PROBLEM keys: {home / 'keys' / key}" in out and says in out, out


def test_a_missing_key_refuses_serve(tmp_path: Path) -> None:
    home = tmp_path / "home"
    init_home(home)
    (home / "keys" / "id-hmac.key").unlink()
    r = _serve(home)
    assert r.returncode == 2 and "id-hmac.key: the ID-matching key is missing" in r.stderr and "Traceback" not in r.stderr


def test_the_right_keys_start_and_an_older_database_gets_them_recorded(tmp_path: Path) -> None:
    home = tmp_path / "home"
    init_home(home)
    db = sqlite3.connect(home / "eligibility.db")
    assert {r[0] for r in db.execute("SELECT name FROM settings WHERE name LIKE 'key_fingerprint.%'")} == {
        "key_fingerprint.id_hmac", "key_fingerprint.id_enc", "key_fingerprint.log"}
    db.execute("DELETE FROM settings WHERE name LIKE 'key_fingerprint.%'")  # as before keys were bound to it
    db.commit()
    db.close()
    s = start_server(home)
    stop_server(s)
    assert "recorded the fingerprint of key id_hmac" in (home / "server.log").read_text()
    (home / "keys" / "id-hmac.key").write_text(secrets.token_hex(32) + "\n")
    assert _serve(home).returncode == 2  # recorded now, so a different key is refused from here on


def test_the_home_and_its_database_are_private(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "home"
    init_home(home)
    s = start_server(home)
    try:
        assert cli_main(["--home", str(home), "--server", s.address, "--as", "district", "round", "list"]) == 0
        files = [home, home / "eligibility.db", home / "eligibility.db-wal", home / "eligibility.db-shm"]
        modes = {p.name: p.stat().st_mode & 0o777 for p in files if p.exists()}
        assert modes[home.name] == 0o700 and modes["eligibility.db"] == 0o600, modes
        assert all(m & 0o077 == 0 for m in modes.values()), modes
    finally:
        stop_server(s)
    code, out = _doctor(home, capsys)
    assert code == 0 and "ok      file modes" in out, out
    (home / "eligibility.db").chmod(0o644)
    home.chmod(0o755)
    code, out = _doctor(home, capsys)
    assert code == 1 and "PROBLEM file modes" in out and "eligibility.db (644)" in out and "(755)" in out, out
