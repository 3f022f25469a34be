"""What a database error means for the caller: a full disk, a database that cannot be read or written, or a bug.

The store's backends raise their drivers' own exceptions (sqlite3, psycopg); storage_error turns the ones an
operator can do something about into domain errors with a plain message (the API maps their codes), so a full
disk is not "UNKNOWN: Exception calling application: database or disk is full".
"""

from __future__ import annotations

import sqlite3

from eligibility.errors import EligibilityError


class StorageFullError(EligibilityError):
    """The server's disk (or the database's quota) is full."""

    code = "RESOURCE_EXHAUSTED"


class StorageUnavailableError(EligibilityError):
    """The database cannot be read or written just now (I/O error, locked too long, server unreachable)."""

    code = "UNAVAILABLE"


_FULL = ("database or disk is full", "no space left on device", "could not extend file", "disk quota exceeded",
         "file too large")
_UNAVAILABLE = ("disk i/o error", "unable to open database file", "database is locked", "connection refused",
                "server closed the connection", "terminating connection", "could not connect")

ROLLED_BACK = "what the call was writing was rolled back (anything it had already returned stays stored)"


def storage_errors() -> tuple[type[BaseException], ...]:
    """The exception types a backend's driver raises."""
    types: list[type[BaseException]] = [sqlite3.Error]
    try:
        import psycopg
        types.append(psycopg.Error)
    except ImportError:  # pragma: no cover - psycopg is a dependency; PostgreSQL may simply be unused
        pass
    return tuple(types)


def storage_error(e: BaseException) -> EligibilityError | None:
    """The domain error for a driver's exception an operator can act on, or None (a defect: let it surface)."""
    text = str(e).lower()
    if any(s in text for s in _FULL):
        return StorageFullError(f"the server's disk is full: {ROLLED_BACK}; free space on the server (`eligibility "
                                "doctor` shows how much is left), then retry")
    if any(s in text for s in _UNAVAILABLE):
        return StorageUnavailableError(f"the server cannot read or write its database ({e}): {ROLLED_BACK}; retry "
                                       "later, and tell the server's operator if it goes on")
    return None
