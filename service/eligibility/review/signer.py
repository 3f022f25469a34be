"""The checkpoint signer: keeps the tree of the log read so far and signs its size and root."""

from __future__ import annotations

import threading

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from eligibility.ledger.checkpoint import Checkpoint, checkpoint_body
from eligibility.ledger.merkle import CompactRange
from eligibility.review import clock
from eligibility.store import Store


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
        with self._lock, self.store.transaction():
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
            return Checkpoint(size, r, body, sig, now)
