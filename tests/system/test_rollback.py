"""Rollback and forks are caught: by the server against the checkpoint it signed last, and by an auditor
holding a checkpoint from earlier (`audit verify --trusted`). A real server, the real CLI, real files."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from eligibility.console.main import main as cli_main
from eligibility.home.setup import init_home
from tests.conftest import Server, configure, start_server, stop_server, write_csv
from tests.helpers import candidate, flag, make_id

DB_FILES = ("eligibility.db", "eligibility.db-wal", "eligibility.db-shm")


def _cli(s: Server, role: str, *args: str) -> int:
    return cli_main(["--home", str(s.home), "--server", s.address, "--as", role, *args])


def _serve_refused(home: Path, *extra: str) -> str:
    r = subprocess.run([sys.executable, "-m", "eligibility", "--home", str(home), "serve", "--listen", "127.0.0.1:0",
                        *extra], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2, r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip() and not line.startswith("{")]
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    return lines[0]


def _work(s: Server, tmp: Path, tag: str, n: int = 3) -> None:
    """Flags from the court, a round of their persons, screened (which signs a checkpoint)."""
    ids = [make_id() for _ in range(n)]
    flags = write_csv(tmp / f"flags-{tag}.csv", [flag(i, "dishonest_debtor", f"({tag})执{k}号", "2024-03-01")
                                                 for k, i in enumerate(ids)])
    cands = write_csv(tmp / f"cands-{tag}.csv", [candidate(i) for i in ids])
    assert _cli(s, "court", "flags", "submit", str(flags)) == 0
    assert _cli(s, "district", "round", "create", "--name", tag, "--as-of", "2026-12-01", "--candidates", str(cands)) == 0
    assert _cli(s, "auditor", "audit", "checkpoint") == 0


def _export_and_verify(s: Server, out: Path, *trusted: Path) -> tuple[int, str]:
    """Export the log as the auditor, verify it offline against the trusted checkpoints."""
    assert _cli(s, "auditor", "audit", "export", "--out", str(out)) == 0
    args = ["audit", "verify", str(out), "--public-key", str(s.home / "keys" / "log.pub")]
    for t in trusted:
        args += ["--trusted", str(t)]
    return cli_main(args), ""


def test_a_restored_older_copy_is_refused_and_caught_by_a_trusted_checkpoint(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "home"
    init_home(home)
    configure(home, workers=0)
    s = start_server(home)
    try:
        _work(s, tmp_path, "early")
        assert _cli(s, "auditor", "audit", "checkpoint", "--out", str(tmp_path / "early.json")) == 0
    finally:
        stop_server(s)
    backup = tmp_path / "backup"
    backup.mkdir()
    for name in DB_FILES:
        if (home / name).exists():
            shutil.copy2(home / name, backup / name)
    s = start_server(home)
    try:
        _work(s, tmp_path, "late")
        assert _cli(s, "auditor", "audit", "checkpoint", "--out", str(tmp_path / "late.json")) == 0
    finally:
        stop_server(s)
    for name in DB_FILES:  # the operator restores yesterday's copy
        (home / name).unlink(missing_ok=True)
        if (backup / name).exists():
            shutil.copy2(backup / name, home / name)

    line = _serve_refused(home)
    assert "rolled back, restored from an older copy or rewritten" in line and "--accept-restored-log" in line, line
    assert "state/checkpoint.json" in line
    capsys.readouterr()
    assert cli_main(["--home", str(home), "doctor"]) == 1
    out = capsys.readouterr().out
    assert "PROBLEM decision log" in out and "it was rolled back" in out, out

    s = start_server_accepting(home)
    try:
        assert "started on a restored log, as the operator said" in (home / "server.log").read_text()
        capsys.readouterr()
        code, _ = _export_and_verify(s, tmp_path / "export1", tmp_path / "early.json")
        out = capsys.readouterr().out
        assert code == 0 and "extending 1 trusted checkpoint(s): everything verifies" in out, out
        code, _ = _export_and_verify(s, tmp_path / "export2", tmp_path / "late.json")
        out = capsys.readouterr().out
        assert code == 1 and "it was rolled back (entries removed since that checkpoint)" in out, out
        for tag in ("fork1", "fork2", "fork3"):  # the restored log grows past the old size with other entries
            _work(s, tmp_path, tag)
        code, _ = _export_and_verify(s, tmp_path / "export3", tmp_path / "late.json")
        out = capsys.readouterr().out
        assert code == 1 and "are not the ones signed then: the log was forked or rewritten" in out, out
    finally:
        stop_server(s)
    s = start_server(home)  # accepted once: the kept checkpoint now says what this log is
    stop_server(s)


def start_server_accepting(home: Path) -> Server:
    """Start the server once with --accept-restored-log."""
    with open(home / "server.log", "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "eligibility", "--home", str(home), "serve", "--listen",
                                 "127.0.0.1:0", "--accept-restored-log"], stdout=subprocess.PIPE, stderr=log, text=True)
    assert proc.stdout is not None
    import orjson

    from eligibility.home.config import load_config
    line = proc.stdout.readline()
    assert line, (home / "server.log").read_text()
    return Server(home, orjson.loads(line)["listening"], proc, load_config(home))


def test_a_lost_write_ahead_log_then_a_crash_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "home"
    init_home(home)
    configure(home, workers=0)
    s = start_server(home)
    try:
        os.unlink(home / "eligibility.db-wal")  # the journal vanishes while the server runs (its handle stays open)
        _work(s, tmp_path, "lost", n=5)
    finally:
        s.proc.send_signal(signal.SIGKILL)
        s.proc.wait(20)
        if s.proc.stdout:
            s.proc.stdout.close()
    line = _serve_refused(home)
    m = re.search(r"has (\d+) entries, but this server signed a checkpoint of (\d+) at", line)
    assert m and int(m.group(1)) < int(m.group(2)), line
