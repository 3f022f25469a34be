"""Storage behind one interface; SQLite is the embedded default."""

from .sqlite import SqliteStore

__all__ = ["SqliteStore"]
