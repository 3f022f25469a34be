"""config.toml is checked against its schema: a misspelt key or a bad value refuses `serve` in one line naming the
key, and `doctor` names it too; the CLI answers --version and survives a reader that stops reading (issue 14)."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import orjson
import pytest

from eligibility.console.main import main as cli_main
from eligibility.home.config import load_config
from eligibility.home.setup import init_home
from tests.conftest import Server, configure, write_csv
from tests.helpers import candidate, make_id


def _serve(home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "eligibility", "--home", str(home), "serve", "--listen", "127.0.0.1:0"],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("key, value, says", [
    ("max_concurrent_rpcs", '"lots"', "max_concurrent_rpcs = 'lots': input should be a valid integer"),
    ("max_concurrent_rpcs", "0", "max_concurrent_rpcs = 0: input should be greater than or equal to 1"),
    ("worker", "4", "worker: not a setting (did you mean workers?)"),
    ("transport", '"tls"', "transport = 'tls': input should be 'mtls' or 'plaintext'"),
    ("shutdown_grace_seconds", '"soon"', "shutdown_grace_seconds = 'soon'"),
])
def test_a_bad_setting_refuses_serve_in_one_line_and_doctor_names_it(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                     key: str, value: str, says: str) -> None:
    home = tmp_path / "home"
    init_home(home)
    configure(home, **{key: value})
    r = _serve(home)
    assert r.returncode == 2 and says in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    capsys.readouterr()
    assert cli_main(["--home", str(home), "doctor"]) == 1
    out = capsys.readouterr().out
    assert "PROBLEM config:" in out and says in out, out


def test_every_documented_key_is_settable(tmp_path: Path) -> None:
    home = tmp_path / "home"
    init_home(home)
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    table = readme[readme.index("## Configuration"):readme.index("## API")]
    keys = [line.split("`")[1] for line in table.splitlines() if line.startswith("| `")]
    assert "metrics_listen" in keys and "workers" in keys
    configure(home, metrics_listen='"127.0.0.1:0"', workers=0, max_concurrent_rpcs=12)
    cfg = load_config(home)
    assert cfg.metrics_listen == "127.0.0.1:0" and cfg.workers == 0 and cfg.max_concurrent_rpcs == 12
    from eligibility.home.config import ConfigFile
    assert set(keys) == set(ConfigFile.model_fields), "the README's table and the schema name the same keys"


def test_version_and_a_closed_pipe(server: Server, tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "eligibility", "--version"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.startswith("eligibility "), r
    cands = write_csv(tmp_path / "c.csv", [candidate(make_id(born=date(1960, 1, 1) + timedelta(days=i)), name=f"候选人{i}")
                                           for i in range(3000)])
    base = [sys.executable, "-m", "eligibility", "--home", str(server.home), "--server", server.address, "--as",
            "district", "--format", "json"]
    made = subprocess.run([*base, "round", "create", "--name", "pipe", "--as-of", "2026-12-01", "--candidates",
                           str(cands)], capture_output=True, text=True, timeout=120, check=True)
    round_id = orjson.loads(made.stdout.splitlines()[0])["round_id"]
    # a reader that stops after the first line: `eligibility ... --format json round candidates R | head -1`
    p = subprocess.Popen([*base, "round", "candidates", round_id], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.stdout is not None and p.stderr is not None
    p.stdout.readline()
    p.stdout.close()
    err = p.stderr.read().decode()
    p.stderr.close()
    assert p.wait(timeout=60) == 0
    assert "Traceback" not in err and "BrokenPipe" not in err, err
