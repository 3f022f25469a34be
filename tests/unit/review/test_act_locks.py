"""The joint review's acts, one at a time, and the store: a request holding its write transaction when it asks for an
act and a request without an idempotency key asking for an act on another thread do not wait for each other."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from eligibility.errors import NotFoundError
from eligibility.home.config import load_config
from eligibility.home.setup import init_home
from eligibility.review.app import App
from tests.helpers import stuck_together


def test_an_act_inside_a_write_and_a_keyless_act_on_another_thread_do_not_wait_for_each_other(tmp_path: Path) -> None:
    """An idempotent request runs its act inside its write transaction (the store first, then the acts' lock); one
    sent without a key (grpcurl, a script) used to take the acts' lock first and then wait for the store: each held
    what the other waited for. Every act now takes the store first."""
    init_home(tmp_path / "home")
    app = App(load_config(tmp_path / "home"))
    inside, asked = threading.Event(), threading.Event()
    answered: list[str] = []

    def keyed() -> None:  # as once() runs an act sent with an idempotency key
        with app.store.transaction():
            inside.set()
            asked.wait(10)
            time.sleep(0.2)  # the keyless request is now inside its act
            with pytest.raises(NotFoundError):
                app.conclude_round("district", "R-none", "")
            answered.append("keyed")

    def keyless() -> None:
        inside.wait(10)
        asked.set()
        with pytest.raises(NotFoundError):
            app.conclude_round("district", "R-other", "")
        answered.append("keyless")

    stuck = stuck_together(keyed, keyless)
    if not stuck:  # (closing takes the store, which a stuck thread holds)
        app.close()
    assert not stuck, "the two requests wait for each other"
    assert sorted(answered) == ["keyed", "keyless"]
