"""The connection and its transactions, shared by the store's parts.

One connection per process, shared by the server's threads behind a lock. Every write is one
transaction, and write transactions are serialised (SQLite: BEGIN IMMEDIATE; PostgreSQL: an
advisory lock), because the log is a single sequence: each entry names its predecessor's hash.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from eligibility.store.backends import Backend

Row = Any
"""A row with access by column name."""


class SqlBase:
    """A backend connection shared by a process's threads, and its transactions."""

    def __init__(self, backend: Backend) -> None:
        """Open the store on a connected backend, creating the schema if needed."""
        self.backend = backend
        self.path = backend.path
        self._lock = threading.RLock()
        self._depth = 0
        self._reading = False
        with self.transaction():
            backend.create_schema()

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self.backend.close()

    @contextmanager
    def transaction(self) -> Iterator[Backend]:
        """One write transaction (BEGIN IMMEDIATE ... COMMIT, ROLLBACK on error).

        Nested use joins the outer transaction, so a use case can read and write atomically
        (e.g. look up a flag's latest version and append the next one) while helpers stay simple.
        """
        with self._lock:
            if self._reading:
                raise RuntimeError("a write inside a read snapshot")
            if self._depth:
                self._depth += 1
                try:
                    yield self.backend
                finally:
                    self._depth -= 1
                return
            self.backend.begin()
            self._depth = 1
            try:
                yield self.backend
            except BaseException:
                self.backend.rollback()
                raise
            finally:
                self._depth = 0
            self.backend.commit()

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads that all see one state of the database (e.g. the log's size and the rows indexed from it); inside
        a write transaction, that transaction's state. No write may start inside it."""
        with self._lock:
            if self._depth or self._reading:
                yield
                return
            self.backend.begin_read()
            self._reading = True
            try:
                yield
            finally:
                self._reading = False
                self.backend.end_read()

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        with self._lock:
            return self.backend.query(sql, tuple(params))
