"""The wall clock, read only to say when something was recorded (never to evaluate anything)."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> str:
    """The wall-clock time as RFC 3339 UTC with microseconds (only ever *recorded*, never evaluated)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
