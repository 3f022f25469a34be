"""A round's latest decisions kept compact in the console, so that a results page of a 100,000-candidate round is a
filter and a slice in memory, not a stream of every decision per page. Fetched again when the round's last
screening changes."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

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
    """The latest decisions of the rounds looked at, by round, each as of its last screening."""

    def __init__(self, fetch: Callable[[str], Iterable[dict[str, Any]]]) -> None:
        """fetch(round_id): the round's latest decisions (the client's dicts)."""
        self._fetch = fetch
        self._kept: dict[str, tuple[str, list[Row]]] = {}
        self._lock = threading.Lock()

    def rows(self, round_id: str, screened_at: str) -> list[Row]:
        """The round's rows as of its last screening (fetched once per screening)."""
        with self._lock:
            kept = self._kept.get(round_id)
            if kept is not None and kept[0] == screened_at:
                return kept[1]
        rows = [Row(n, d["decision_id"], d["township"], d["village"], d["name"], d["id_number"], tuple(d["positions"]),
                    tuple(sorted(d["verdicts"].items())), d["overall"])
                for n, d in enumerate(self._fetch(round_id), 1)]
        with self._lock:
            self._kept[round_id] = (screened_at, rows)
        return rows


def select(rows: list[Row], township: str = "", village: str = "", result: str = "", agency: str = "") -> list[Row]:
    """The rows that pass the filters (each "" = any; agency: those whose verdict from that agency is not PASS)."""
    return [r for r in rows if (not township or r.township == township) and (not village or r.village == village)
            and (not result or r.overall == result) and (not agency or r.verdict(agency) != "PASS")]


def page(rows: list[Row], number: int) -> tuple[list[Row], int, int]:
    """(the rows of page number (from 1), the page shown, the number of pages)."""
    pages = max(1, -(-len(rows) // PAGE))
    number = min(max(1, number), pages)
    return rows[(number - 1) * PAGE:number * PAGE], number, pages
