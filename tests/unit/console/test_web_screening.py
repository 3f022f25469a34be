"""The console's screening progress page: decided and drawn from one moment of the screening, whose thread goes on
meanwhile. (Seen in the browser test once in a few runs: a screening that ended while its page was being drawn left
"3 of 3 candidates screened" on the screen, with no refresh, for ever.) And one screening of a round at a time: a
double click posts twice, at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request

from eligibility.console.web.acts import Acts, Screening
from eligibility.console.web.app import Console
from eligibility.console.web.security import Guard
from eligibility.rules.vocabulary import load_vocabulary

RULES = Path(__file__).resolve().parents[3] / "rules"
REFRESH = '<meta http-equiv="refresh"'


class _NoServer:
    """The console's session: the progress page makes no call."""

    def iter_round_decisions(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the progress page called the server")


class _EndsWhileDrawn(Console):
    """A console whose screening thread finishes exactly while a page is being drawn (after the page was chosen)."""

    def __init__(self) -> None:
        super().__init__(_NoServer(), "district", load_vocabulary([RULES]), Guard("127.0.0.1", 1), ZoneInfo("Asia/Shanghai"))
        self.live: Screening | None = None

    def page(self, request: Request, name: str, status: int = 200, **context: Any) -> Any:
        assert self.live is not None
        self.live.done, self.live.finished = 3, True  # the thread's last steps, between the check and the template
        return super().page(request, name, status, **context)


def _get(path: str, round_id: str) -> Request:
    return Request({"type": "http", "method": "GET", "path": path, "headers": [], "query_string": b"",
                    "path_params": {"round_id": round_id}})


def test_a_screening_that_ends_while_its_progress_page_is_drawn_leaves_a_page_that_refreshes_to_the_results() -> None:
    console = _EndsWhileDrawn()
    acts = Acts(console, console.zone)
    try:
        job = console.live = acts.screenings["R-1"] = Screening("R-1", done=2, total=3)
        response = acts.screening(_get("/rounds/R-1/screening", "R-1"))
        html = bytes(response.body).decode()
        assert response.status_code == 200 and job.finished
        assert REFRESH in html  # drawn as it was when chosen: still going, so it looks again in a second
        assert 'value="2"' in html  # (and shows how far it was then)
        again = acts.screening(_get("/rounds/R-1/screening", "R-1"))
        assert again.status_code == 303 and again.headers["location"] == "/rounds/R-1"  # that look finds the results
    finally:
        acts.close()


def test_a_screening_that_failed_stays_on_its_page_with_the_reason_and_no_refresh() -> None:
    console = _EndsWhileDrawn()
    acts = Acts(console, console.zone)
    try:
        console.live = acts.screenings["R-2"] = Screening("R-2", total=3, finished=True, error="UNAVAILABLE: gone")
        response = acts.screening(_get("/rounds/R-2/screening", "R-2"))
        html = bytes(response.body).decode()
        assert response.status_code == 200 and REFRESH not in html and "gone" in html
    finally:
        acts.close()


class _Screens:
    """The console's session for a screening that takes its time: how many screenings were started."""

    def __init__(self) -> None:
        self.started = 0
        self.release = threading.Event()

    def iter_round_decisions(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("not called here")

    def iter_screen_round(self, round_id: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        self.started += 1
        self.release.wait(10)
        yield from ()


class _SlowForm(dict[str, str]):
    """A posted form that takes a moment to read: long enough for every press to be inside the page's act at once."""

    def get(self, key: str, default: Any = None) -> Any:
        time.sleep(0.02)
        return super().get(key, default)


def test_a_screen_button_pressed_many_times_at_once_starts_one_screening() -> None:
    session = _Screens()
    console = Console(session, "district", load_vocabulary([RULES]), Guard("127.0.0.1", 1),  # type: ignore[arg-type]
                      ZoneInfo("Asia/Shanghai"))
    acts = Acts(console, console.zone)
    try:
        gate = threading.Barrier(4)

        def press() -> None:
            gate.wait()
            acts.screen(_get("/rounds/R-3/screen", "R-3"), _SlowForm())
        pressing = [threading.Thread(target=press) for _ in range(4)]
        for t in pressing:
            t.start()
        for t in pressing:
            t.join()
        deadline = time.monotonic() + 10
        while session.started < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)  # (a second screening of the round would have started by now)
        assert session.started == 1  # one screening, however many presses
        assert acts.screening(_get("/rounds/R-3/screening", "R-3")).status_code == 200  # and its page follows it
    finally:
        session.release.set()
        acts.close()
