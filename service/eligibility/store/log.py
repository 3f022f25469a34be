"""The log's storage: entries appended in the caller's transaction, leaf hashes, entries, checkpoints.

The entries' bytes come ready-made (bodies from the ledger's codec, the envelope from its entry
module); this part only keeps them in order: one sequence, no gap, append-only (a trigger refuses
any UPDATE or DELETE of the log).
"""

from __future__ import annotations

from collections.abc import Iterator

from eligibility.ledger.codec import Body
from eligibility.ledger.entry import LogEntry, chain_entries
from eligibility.store.backends import Backend
from eligibility.store.base import SqlBase

TALLIED = ("flag", "candidate", "attestation", "resolution", "conclusion", "appeal", "appeal_answer")
"""The input entries tallied as they are appended (how many, and the sum of their positions), so that a screening
can tell at once whether those tables lost or gained rows."""


class LogTables(SqlBase):
    """The log and its checkpoints."""

    def _log(self, c: Backend, items: list[tuple[str, Body]]) -> list[LogEntry]:
        """Append entries inside the caller's transaction (the write lock makes the index unique)."""
        if not items:
            return []
        last = c.execute("SELECT idx, hash FROM log ORDER BY idx DESC LIMIT 1").fetchone()
        start, prev = (last["idx"] + 1, bytes(last["hash"])) if last else (0, b"")
        entries = chain_entries(start, prev, items)
        c.executemany("INSERT INTO log (idx, type, data, hash) VALUES (?,?,?,?)",
                      [(e.position, e.type, e.data, e.hash) for e in entries])
        tallies: dict[str, list[int]] = {}
        for e in entries:
            if e.type in TALLIED:
                t = tallies.setdefault(e.type, [0, 0])
                t[0] += 1
                t[1] += e.position
        if tallies:
            c.executemany("INSERT INTO log_tallies (type, entries, positions) VALUES (?,?,?) ON CONFLICT (type) DO "
                          "UPDATE SET entries = log_tallies.entries + excluded.entries, "
                          "positions = log_tallies.positions + excluded.positions",
                          [(kind, n, total) for kind, (n, total) in tallies.items()])
        return entries

    def log_tallies(self) -> dict[str, tuple[int, int]]:
        """type -> (entries, sum of their positions), as tallied when they were appended."""
        return {r["type"]: (int(r["entries"]), int(r["positions"]))
                for r in self._query("SELECT type, entries, positions FROM log_tallies")}

    def count_log(self) -> dict[str, tuple[int, int]]:
        """type -> (entries, sum of their positions) of the tallied kinds, counted in the log itself (a full scan)."""
        return {r["type"]: (int(r["n"]), int(r["s"] or 0)) for r in self._query(
            f"SELECT type, count(*) AS n, sum(idx) AS s FROM log WHERE type IN ({','.join('?' * len(TALLIED))}) "
            "GROUP BY type", TALLIED)}

    def log_size(self) -> int:
        """Number of entries in the log: its last position + 1 (positions run from 0 without a gap, which
        every checkpoint checks as it reads them), found in the key's index instead of counting millions."""
        return int(self._query("SELECT coalesce(max(idx), -1) + 1 AS n FROM log")[0]["n"])

    def leaf_hashes(self, size: int) -> list[bytes]:
        """The first size leaf hashes, in order."""
        return [bytes(r["hash"]) for r in self._query("SELECT hash FROM log WHERE idx < ? ORDER BY idx", (size,))]

    def iter_leaf_hashes(self, size: int, batch: int = 50_000, start: int = 0) -> Iterator[bytes]:
        """The leaf hashes of entries start..size-1, in order, read in batches (constant memory)."""
        while start < size:
            rows = self._query("SELECT idx, hash FROM log WHERE idx >= ? AND idx < ? ORDER BY idx LIMIT ?",
                               (start, size, batch))
            if not rows:
                return
            for r in rows:
                yield bytes(r["hash"])
            start = rows[-1]["idx"] + 1

    def leaves(self, start: int = 0, batch: int = 5000) -> Iterator[list[tuple[int, bytes]]]:
        """(index, data) of every entry from start, in batches."""
        while True:
            rows = self._query("SELECT idx, data FROM log WHERE idx >= ? ORDER BY idx LIMIT ?", (start, batch))
            if not rows:
                return
            yield [(r["idx"], bytes(r["data"])) for r in rows]
            start = rows[-1]["idx"] + 1

    def leaf(self, index: int) -> bytes | None:
        """One entry's data."""
        rows = self._query("SELECT data FROM log WHERE idx = ?", (index,))
        return bytes(rows[0]["data"]) if rows else None

    def add_checkpoint(self, size: int, root: bytes, body: str, signature: bytes, created_at: str) -> None:
        """Keep a signed checkpoint."""
        with self.transaction() as c:
            c.execute("INSERT INTO checkpoints (seq, size, root, body, signature, created_at) "
                      "SELECT coalesce(max(seq), 0) + 1, ?, ?, ?, ?, ? FROM checkpoints",
                      (size, root, body, signature, created_at))

    def checkpoints(self) -> list[tuple[int, bytes, str, bytes, str]]:
        """Every checkpoint, oldest first: (size, root, body, signature, created_at)."""
        return [(r["size"], bytes(r["root"]), r["body"], bytes(r["signature"]), r["created_at"])
                for r in self._query("SELECT * FROM checkpoints ORDER BY seq")]
