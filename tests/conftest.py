"""Shared fixtures: a real home, a real server process on a free port, the real CLI."""

from __future__ import annotations

import csv
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest

from eligibility.console.main import main as cli_main
from eligibility.home.config import Config
from eligibility.home.setup import init_home


@dataclass
class Server:
    """A running `eligibility serve` process."""

    home: Path
    address: str
    proc: subprocess.Popen[str]
    config: Config


def start_server(home: Path) -> Server:
    """Start the real server (a separate process) on a free loopback port."""
    with open(home / "server.log", "ab") as log:  # the child keeps its own handle
        proc = subprocess.Popen(
            [sys.executable, "-m", "eligibility", "--home", str(home), "serve", "--listen", "127.0.0.1:0"],
            stdout=subprocess.PIPE, stderr=log, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.wait(5)
        raise RuntimeError((home / "server.log").read_text())
    from eligibility.home.config import load_config
    return Server(home, orjson.loads(line)["listening"], proc, load_config(home))


def stop_server(s: Server) -> None:
    """Stop a server process."""
    s.proc.terminate()
    s.proc.wait(timeout=20)
    if s.proc.stdout:
        s.proc.stdout.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One real server for the API tests of a session."""
    home = tmp_path_factory.mktemp("home")
    init_home(home)
    s = start_server(home)
    yield s
    stop_server(s)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[object]:
    """One throwaway PostgreSQL cluster for the session."""
    from tests.pg import Cluster
    cluster = Cluster()
    yield cluster
    cluster.stop()


def use_database(home: Path, url: str) -> None:
    """Point a home at a database URL (PostgreSQL) instead of its SQLite file."""
    configure(home, database=f'"{url}"')


def configure(home: Path, **values: str | int) -> None:
    """Set keys of a home's config.toml (values as TOML text or integers)."""
    lines = (home / "config.toml").read_text().splitlines()
    for key, value in values.items():
        lines = [line for line in lines if not line.startswith(f"{key} ")] + [f"{key} = {value}"]
    (home / "config.toml").write_text("\n".join(lines) + "\n")


@dataclass
class Run:
    """The outcome of one CLI invocation."""

    code: int
    out: str
    err: str

    def jsonl(self) -> list[dict]:  # type: ignore[type-arg]
        """Parse stdout as JSON Lines."""
        return [orjson.loads(line) for line in self.out.splitlines() if line.strip()]


@pytest.fixture
def cli(server: Server, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run the real CLI in-process against the real server, as a role."""
    def run(role: str, *args: str) -> Run:
        capsys.readouterr()
        code = cli_main(["--home", str(server.home), "--server", server.address, "--as", role, *args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)
    return run


def write_csv(path: Path, rows: list[dict[str, str]], encoding: str = "utf-8") -> Path:
    """Write rows (first row's keys as header) to a CSV file."""
    with path.open("w", newline="", encoding=encoding) as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path
