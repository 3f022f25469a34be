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


def test_a_checkpoint_inside_a_write_and_a_catch_up_on_another_thread_do_not_wait_for_each_other(tmp_path: Path) -> None:
    """A round concluded (its checkpoint signed inside the request's write transaction) while another round's
    screening catches the signer up between its batches: both finish (the signer takes the store before its own
    lock, in every path, so neither can hold what the other waits for)."""
    import threading
    import time

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from eligibility.review.signer import Signer
    from eligibility.store import SqliteStore
    from tests.helpers import stuck_together
    store = SqliteStore(tmp_path / "s.db")
    stuck = False
    try:
        signer = Signer(store, Ed25519PrivateKey.generate(), "test")
        inside, asked = threading.Event(), threading.Event()
        signed: list[int] = []

        def conclude() -> None:  # as ConcludeRound does: an idempotent write that signs a checkpoint at its end
            with store.transaction() as c:
                store._log(c, [("note", {"n": 1})])
                inside.set()
                asked.wait(10)
                time.sleep(0.2)  # the screening thread is now inside catch_up
                signed.append(signer.checkpoint().size)

        def screening() -> None:
            inside.wait(10)
            asked.set()
            signer.catch_up()

        stuck = stuck_together(conclude, screening)
        assert not stuck, "the two threads wait for each other"
        assert signed == [1] and signer.checkpoint().size == 1
    finally:
        if not stuck:  # (closing takes the store, which a stuck thread holds)
            store.close()
