"""What the browser-console tests share: a role's console process (its launch URL), a headless Chromium."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from tests.conftest import Server

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
"""Where the pages' screenshots go (the README's copies are under docs/console)."""

_RUNNING: dict[int, Path] = {}
"""The console processes running now: pid -> the file their stderr goes to."""


@contextlib.contextmanager
def console(server: Server, role: str) -> Iterator[str]:
    """A role's console process for the test's length: its launch URL (its stderr goes to console-ROLE-....log in
    the server's home)."""
    errors = server.home / f"console-{role}-{os.getpid()}-{time.monotonic_ns()}.log"
    with open(errors, "wb") as err:  # the child keeps its own handle
        proc = subprocess.Popen([sys.executable, "-m", "eligibility", "--home", str(server.home), "--server",
                                 server.address, "--as", role, "--format", "json", "console", "--no-browser", "--listen",
                                 "127.0.0.1:0"], stdout=subprocess.PIPE, stderr=err, text=True)
    _RUNNING[proc.pid] = errors
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line, errors.read_text(errors="replace")
        yield str(orjson.loads(line)["url"])
    finally:
        _RUNNING.pop(proc.pid, None)
        proc.terminate()
        proc.communicate(timeout=10)


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """The system's Chromium, headless, driven by Playwright."""
    from playwright.sync_api import sync_playwright
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


def wait_for_round(page: Any, round_url: str, server: Server) -> None:
    """Wait for the screening's progress page to refresh itself to the round's results; if it does not, fail with
    the page and the server's log (what the screening was waiting for)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    try:
        page.wait_for_url(round_url, timeout=60_000)
    except PlaywrightTimeout:
        raise AssertionError(f"still at {page.url}: {page.locator('main').inner_text()}\n{stacks(server)}") from None


def stacks(server: Server) -> str:
    """Every thread's stack in the server and in each console running (`kill -USR1`), with the end of their logs:
    what a test that waited in vain was waiting for."""
    logs = {server.proc.pid: server.home / "server.log", **_RUNNING}
    for pid in logs:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGUSR1)
    time.sleep(2)  # (faulthandler writes from its signal handler)
    return "\n".join(f"--- process {pid}, {path.name}:\n{path.read_text(errors='replace')[-12_000:]}"
                     for pid, path in logs.items())
