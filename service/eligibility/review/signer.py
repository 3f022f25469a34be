"""The checkpoint signer: keeps the tree of the log read so far and signs its size and root."""

from __future__ import annotations

import threading
from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from eligibility.ledger.checkpoint import Checkpoint, checkpoint_body
from eligibility.ledger.merkle import CompactRange
from eligibility.review import clock
from eligibility.store import Store


class Signer:
    """Makes signed checkpoints of a store's log.

    Every method takes the store (a snapshot or a write transaction) before the signer's own lock, never the other way
    round: a request that signs inside its write transaction (a conclusion, an appeal decided) holds the store when it
    asks for the signer, and a screening catching the signer up between its batches on another thread must not hold
    the signer while it waits for the store (the two waited for each other for ever).
    """

    def __init__(self, store: Store, key: Ed25519PrivateKey, origin: str,
                 on_signed: Callable[[Checkpoint], None] = lambda cp: None) -> None:
        """Sign as origin with key; on_signed(checkpoint) after each one is kept."""
        self.store = store
        self.key = key
        self.origin = origin
        self._on_signed = on_signed
        self._range = CompactRange()  # the tree of the entries read so far (the log only grows)
        self._lock = threading.Lock()

    def catch_up(self) -> None:
        """Extend the kept tree with the entries committed since it was last extended.

        Outside any write transaction: committed entries never change and are always a prefix of
        the log (appends are serialised), so a long screening can call this as it goes and the
        checkpoint at its end has only the last entries left to read.
        """
        with self.store.snapshot(), self._lock:
            size = self.store.log_size()
            for h in self.store.iter_leaf_hashes(size, start=self._range.size):
                self._range.append(h)

    def checkpoint(self) -> Checkpoint:
        """Sign the current size and root, keep the checkpoint, return it.

        In one write transaction: with several servers on one database, checkpoints are kept in
        the order of their sizes and times. Only the entries appended since the kept tree was last
        extended are read: the tree of the earlier ones is kept as a compact range.
        """
        with self.store.transaction(), self._lock:
            now = clock.utc_now()
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
            cp = Checkpoint(size, r, body, sig, now)
        self._on_signed(cp)  # committed: the copy outside the database never runs ahead of it
        return cp

    def root_at(self, size: int) -> bytes | None:
        """The root of the log's first size entries (reading them into the kept tree), or None if it has fewer."""
        with self.store.snapshot(), self._lock:
            if self._range.size > size:
                raise ValueError("the kept tree is already past that size")
            for h in self.store.iter_leaf_hashes(min(size, self.store.log_size()), start=self._range.size):
                self._range.append(h)
            return self._range.root() if self._range.size == size else None
