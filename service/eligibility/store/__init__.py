"""Storage behind one interface: SQLite (embedded default) or PostgreSQL (several replicas)."""

from __future__ import annotations

from pathlib import Path

from eligibility.store.backends import Backend, PostgresBackend, SqliteBackend
from eligibility.store.sql import SqlStore

Store = SqlStore


def SqliteStore(path: Path) -> SqlStore:  # noqa: N802 - reads as the class it used to be
    """The embedded default."""
    return SqlStore(SqliteBackend(path))


def PostgresStore(dsn: str) -> SqlStore:  # noqa: N802
    """PostgreSQL, for several server processes on one database."""
    return SqlStore(PostgresBackend(dsn))


def open_store(database: str | Path) -> SqlStore:
    """A store for a config's database: a postgresql:// URL or a SQLite file path."""
    text = str(database)
    if text.startswith(("postgresql://", "postgres://")) or text.startswith("host="):
        return PostgresStore(text)
    return SqliteStore(Path(text))


__all__ = ["Backend", "PostgresStore", "SqlStore", "SqliteStore", "Store", "open_store"]
