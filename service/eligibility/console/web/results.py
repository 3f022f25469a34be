"""A round's latest decisions kept compact in the console, so that a results page of a 100,000-candidate round is a
filter and a slice in memory, not a stream of every decision per page. Fetched in the background when the rounds
list shows a screened round, and again when the round's latest decision changes."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import grpc

PAGE = 50


@dataclass(frozen=True, slots=True)
class Row:
    """One candidate's latest decision, as the results table shows it."""

    n: int
    decision_id: str
    township: str
    village: str
    name: str
    id_masked: str
    positions: tuple[str, ...]
    verdicts: tuple[tuple[str, str], ...]
    overall: str

    def verdict(self, agency: str) -> str:
        """The agency's verdict ("" when it has none)."""
        return dict(self.verdicts).get(agency, "")


class Results:
    """The latest decisions of the rounds looked at, by round, each as of its last screening: fetched in the background
    (a page never waits more than a moment for a large round: it says how far the fetch got and looks again), the
    few most recently used kept."""

    KEEP = 4
    """Rounds kept in memory at once (a 100,000-candidate round takes some 60 MB)."""

    def __init__(self, fetch: Callable[[str], Iterable[dict[str, Any]]]) -> None:
        """fetch(round_id): the round's latest decisions (the client's dicts)."""
        self._fetch = fetch
        self._kept: OrderedDict[str, Fetch] = OrderedDict()
        self._lock = threading.Lock()

    def start(self, round_id: str, screened_at: str) -> Fetch:
        """The fetch of the round as of its last screening, started now unless it is kept or under way."""
        with self._lock:
            kept = self._kept.get(round_id)
            if kept is not None and kept.screened_at == screened_at and not kept.error:
                self._kept.move_to_end(round_id)
                return kept
            job = self._kept[round_id] = Fetch(screened_at)
            while len(self._kept) > self.KEEP:
                self._kept.popitem(last=False)
        threading.Thread(target=self._run, args=(round_id, job), daemon=True).start()
        return job

    def _run(self, round_id: str, job: Fetch) -> None:
        try:
            for n, d in enumerate(self._fetch(round_id), 1):
                job.rows.append(Row(n, d["decision_id"], d["township"], d["village"], d["name"], d["id_number"],
                                    tuple(d["positions"]), tuple(sorted(d["verdicts"].items())), d["overall"]))
        except Exception as e:  # noqa: BLE001 (the page says what went wrong, and the next look fetches again)
            said = e.details() if isinstance(e, grpc.RpcError) else ""
            job.error = said or str(e)
        finally:
            job.done.set()

    def under_way(self, round_id: str, wait: float = 0.3) -> Fetch | None:
        """The round's fetch if it is still under way after wait seconds (a page then needs nothing of the server)."""
        with self._lock:
            job = self._kept.get(round_id)
        return job if job is not None and not job.done.wait(wait) else None

    def rows(self, round_id: str, screened_at: str, wait: float = 0.3) -> list[Row] | Fetch:
        """The round's rows as of its last screening, or (still fetching after wait seconds) the fetch under way."""
        job = self.start(round_id, screened_at)
        if job.done.wait(wait) and not job.error:
            return job.rows
        return job


@dataclass
class Fetch:
    """A round's decisions being fetched: the rows so far, whether it is done, what went wrong."""

    screened_at: str
    rows: list[Row] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)
    error: str = ""


def select(rows: list[Row], township: str = "", village: str = "", result: str = "", agency: str = "",
           name: str = "") -> list[Row]:
    """The rows that pass the filters (each "" = any; agency: those whose verdict from that agency is not PASS; name:
    those whose name contains it)."""
    return [r for r in rows if (not township or r.township == township) and (not village or r.village == village)
            and (not result or r.overall == result) and (not agency or r.verdict(agency) != "PASS")
            and (not name or name in r.name)]


def page(rows: list[Row], number: int) -> tuple[list[Row], int, int]:
    """(the rows of page number (from 1), the page shown, the number of pages)."""
    pages = max(1, -(-len(rows) // PAGE))
    number = min(max(1, number), pages)
    return rows[(number - 1) * PAGE:number * PAGE], number, pages
