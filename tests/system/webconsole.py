"""What the browser-console tests share: a role's console process (its launch URL), a headless Chromium."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from tests.conftest import Server

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
"""Where the pages' screenshots go (the README's copies are under docs/console)."""


@contextlib.contextmanager
def console(server: Server, role: str) -> Iterator[str]:
    """A role's console process for the test's length: its launch URL."""
    proc = subprocess.Popen([sys.executable, "-m", "eligibility", "--home", str(server.home), "--server", server.address,
                             "--as", role, "--format", "json", "console", "--no-browser", "--listen", "127.0.0.1:0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else ""
        yield str(orjson.loads(line)["url"])
    finally:
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
        log = (server.home / "server.log").read_text(errors="replace")[-3000:]
        raise AssertionError(f"still at {page.url}: {page.locator('main').inner_text()}\nserver log:\n{log}") from None
