"""The checkpoint signer: a tree caught up while a screening appends signs the same root as the whole log."""

from __future__ import annotations

from pathlib import Path

from eligibility.ledger import merkle


def test_a_signer_caught_up_during_appends_signs_the_same_root(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from eligibility.review.signer import Signer
    from eligibility.store import SqliteStore
    store = SqliteStore(tmp_path / "s.db")
    try:
        signer = Signer(store, Ed25519PrivateKey.generate(), "test")

        def append(n: int) -> None:
            with store.transaction() as c:
                store._log(c, [("note", {"n": i}) for i in range(n)])

        append(5)
        signer.checkpoint()
        for n in (1, 7, 0, 30):  # as a screening does between its batches
            append(n)
            signer.catch_up()
        append(4)  # not yet read when the checkpoint is made
        cp = signer.checkpoint()
        assert cp.size == store.log_size() == 47
        assert cp.root == merkle.root(store.leaf_hashes(47))
    finally:
        store.close()
