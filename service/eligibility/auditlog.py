"""The append-only log: canonical entries chained by hash, an RFC 6962 tree over them, signed checkpoints.

Each entry is the canonical JSON (RFC 8785; our records have ASCII keys and no floats, where
orjson's sorted output is exactly RFC 8785) of {"index", "prev", "type", "body"}: its position and
the leaf hash of the entry before it are inside the signed bytes, so a changed, removed,
reordered or inserted entry is located by position even before the tree root is compared.
Every input a decision can depend on (rulesets, rounds, candidates, flag versions, attestations)
and every decision is an entry, written in the same transaction as the record it describes.
"""

from __future__ import annotations

import base64
import threading
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .merkle import CompactRange, leaf_hash

if TYPE_CHECKING:
    from .records import StoredFlag
    from .store import Store


class LogEntry(NamedTuple):
    """One appended entry."""

    position: int
    type: str
    data: bytes
    hash: bytes


Body = dict[str, Any] | orjson.Fragment
"""An entry's body: a JSON object, or its canonical bytes already made (outside the write lock)."""


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


def flag_body(f: StoredFlag) -> dict[str, Any]:
    """A flag version as logged (no raw or sealed ID number); equal to model_dump(mode="json") minus those."""
    return {"agency": f.agency, "reference": f.reference, "version": f.version, "status": f.status,
            "person_key": f.person_key, "id_masked": f.id_masked, "name": f.name, "kind": f.kind, "level": f.level,
            "decided_on": f.decided_on.isoformat(), "end_date": f.end_date.isoformat() if f.end_date else None,
            "term_months": f.term_months, "note": f.note, "reason": f.reason, "recorded_at": f.recorded_at}


PENDING_TIME = "0000-00-00T00:00:00.000000Z"
"""The time of recording of a version made before the write lock: replaced under it (where the time is taken)."""


class FirstVersion(NamedTuple):
    """Version 1 of a new reference, made and encoded before the write lock (with PENDING_TIME)."""

    flag: StoredFlag
    body: bytes
    """flag_body(flag) as canonical JSON."""

    @classmethod
    def of(cls, flag: StoredFlag) -> FirstVersion:
        """Encode a version made with PENDING_TIME."""
        assert flag.recorded_at == PENDING_TIME
        return cls(flag, orjson.dumps(flag_body(flag), option=orjson.OPT_SORT_KEYS))

    def logged(self, at: str) -> orjson.Fragment:
        """Its logged body, as recorded at this time."""
        # a name, note or reference cannot hold this text: a quote in them is escaped in JSON
        pending = b'"recorded_at":"' + PENDING_TIME.encode() + b'"'
        assert self.body.count(pending) == 1
        return orjson.Fragment(self.body.replace(pending, b'"recorded_at":"' + at.encode() + b'"'))


def entry_body(data: bytes) -> dict[str, Any]:
    """The body of a logged entry."""
    body: dict[str, Any] = orjson.loads(data)["body"]
    return body


class Checkpoint(NamedTuple):
    """A signed statement: this log (origin) had this many entries with this root."""

    size: int
    root: bytes
    body: str
    signature: bytes
    created_at: str


def checkpoint_body(origin: str, size: int, root_hash: bytes, created_at: str) -> str:
    """The signed text (C2SP checkpoint layout, with the time as an extension line)."""
    return f"{origin}\n{size}\n{base64.b64encode(root_hash).decode()}\ntime {created_at}\n"


def parse_checkpoint_body(body: str) -> tuple[str, int, bytes]:
    """(origin, size, root) from a checkpoint text."""
    lines = body.split("\n")
    if len(lines) < 4 or not lines[1].isdigit():
        raise ValueError("not a checkpoint")
    return lines[0], int(lines[1]), base64.b64decode(lines[2], validate=True)


def public_key_text(key: Ed25519PublicKey) -> str:
    """The public key as base64 of its 32 raw bytes."""
    from cryptography.hazmat.primitives import serialization
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def load_public_key(text: str) -> Ed25519PublicKey:
    """Inverse of public_key_text."""
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(text.strip(), validate=True))


class Signer:
    """Makes signed checkpoints of a store's log."""

    def __init__(self, store: Store, key: Ed25519PrivateKey, origin: str) -> None:
        """Sign as origin with key."""
        self.store = store
        self.key = key
        self.origin = origin
        self._range = CompactRange()  # the tree of the entries read so far (the log only grows)
        self._lock = threading.Lock()

    def catch_up(self) -> None:
        """Extend the kept tree with the entries committed since it was last extended.

        Outside any write transaction: committed entries never change and are always a prefix of
        the log (appends are serialised), so a long screening can call this as it goes and the
        checkpoint at its end has only the last entries left to read.
        """
        with self._lock:
            size = self.store.log_size()
            for h in self.store.iter_leaf_hashes(size, start=self._range.size):
                self._range.append(h)

    def checkpoint(self) -> Checkpoint:
        """Sign the current size and root, keep the checkpoint, return it.

        In one write transaction: with several servers on one database, checkpoints are kept in
        the order of their sizes and times. Only the entries appended since the kept tree was last
        extended are read: the tree of the earlier ones is kept as a compact range.
        """
        from .records import utc_now
        with self._lock, self.store.transaction():
            now = utc_now()
            size = self.store.log_size()
            tree = self._range.copy()
            for h in self.store.iter_leaf_hashes(size, start=tree.size):
                tree.append(h)
            assert tree.size == size, f"log has a gap: {tree.size} entries below {size}"
            r = tree.root()
            body = checkpoint_body(self.origin, size, r, now)
            sig = self.key.sign(body.encode())
            self.store.add_checkpoint(size, r, body, sig, now)
            self._range = tree
            return Checkpoint(size, r, body, sig, now)
