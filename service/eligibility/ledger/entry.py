"""The entry envelope of the append-only log: canonical entries chained by hash (the tree over them is
merkle.py, the signed checkpoints checkpoint.py, every body codec.py).

Each entry is the canonical JSON (RFC 8785; our records have ASCII keys and no floats, where
orjson's sorted output is exactly RFC 8785) of {"index", "prev", "type", "body"}: its position and
the leaf hash of the entry before it are inside the signed bytes, so a changed, removed,
reordered or inserted entry is located by position even before the tree root is compared.
Every input a decision can depend on (rulesets, rounds, candidates, flag versions, attestations)
and every decision is an entry, written in the same transaction as the record it describes.
"""

from __future__ import annotations

from typing import NamedTuple

import orjson

from eligibility.ledger.codec import Body
from eligibility.ledger.merkle import leaf_hash


class LogEntry(NamedTuple):
    """One appended entry."""

    position: int
    type: str
    data: bytes
    hash: bytes


def encode_entry(index: int, prev: bytes, type_: str, body: Body) -> bytes:
    """The canonical bytes of an entry."""
    return orjson.dumps({"index": index, "prev": prev.hex(), "type": type_, "body": body}, option=orjson.OPT_SORT_KEYS)


def chain_entries(start: int, prev: bytes, items: list[tuple[str, Body]]) -> list[LogEntry]:
    """Encode consecutive entries from position start, each naming its predecessor's leaf hash."""
    out = []
    for i, (type_, body) in enumerate(items):
        data = encode_entry(start + i, prev, type_, body)
        prev = leaf_hash(data)
        out.append(LogEntry(start + i, type_, data, prev))
    return out
