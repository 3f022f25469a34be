"""The console's results cache: a round's decisions fetched once per screening in the background, a page told how far
the fetch got when it is slow, a failed fetch tried again, and only the few most recent rounds kept."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from eligibility.console.web import results


def _decision(i: int, overall: str = "ELIGIBLE") -> dict[str, Any]:
    return {"decision_id": f"dec-{i}", "township": "东城街道", "village": f"{i % 3}村", "name": f"人{i}",
            "id_number": "110101********0010", "positions": ["committee_member"], "verdicts": {"court": "PASS"},
            "overall": overall}


def test_a_round_is_fetched_once_per_screening_and_a_slow_fetch_is_reported_not_waited_for() -> None:
    calls: list[str] = []
    gate = threading.Event()

    def fetch(round_id: str) -> Iterator[dict[str, Any]]:
        calls.append(round_id)
        yield _decision(1)
        gate.wait(10)  # the rest of the round is slow to come
        yield from (_decision(i) for i in range(2, 6))
    kept = results.Results(fetch)
    first = kept.rows("R-1", "t1", wait=0.05)
    assert isinstance(first, results.Fetch) and not first.done.is_set()
    assert kept.under_way("R-1", wait=0.05) is first and len(first.rows) == 1  # how far it got
    gate.set()
    rows = kept.rows("R-1", "t1", wait=5)
    assert isinstance(rows, list) and [r.n for r in rows] == [1, 2, 3, 4, 5] and kept.under_way("R-1", 0) is None
    assert kept.rows("R-1", "t1") is rows and calls == ["R-1"]  # kept: not fetched again
    again = kept.rows("R-1", "t2", wait=5)  # screened again: fetched again
    assert isinstance(again, list) and calls == ["R-1", "R-1"]
    assert [r.name for r in results.select(again, village="1村")] == ["人1", "人4"]
    assert [r.name for r in results.select(again, name="人5")] == ["人5"]


def test_a_failed_fetch_is_said_and_tried_again_and_only_a_few_rounds_are_kept() -> None:
    failing = [True]

    def fetch(round_id: str) -> Iterator[dict[str, Any]]:
        if failing[0]:
            raise RuntimeError("the server went away")
        yield _decision(1, "INELIGIBLE")
    kept = results.Results(fetch)
    failed = kept.rows("R-1", "t1", wait=5)
    assert isinstance(failed, results.Fetch) and failed.error == "the server went away"
    failing[0] = False
    assert [r.overall for r in kept.rows("R-1", "t1", wait=5)] == ["INELIGIBLE"]  # type: ignore[union-attr]
    for n in range(2, 2 + results.Results.KEEP):
        kept.rows(f"R-{n}", "t1", wait=5)
    assert len(kept._kept) == results.Results.KEEP and "R-1" not in kept._kept  # the least recently used went
