"""Audit over a store: verify its log and checkpoints in place, the same way as an export."""

from __future__ import annotations

import base64

from eligibility.ledger.verify import verify_log
from eligibility.store import Store


def verify_store(store: Store, public_key: str,
                 trusted: list[dict[str, str]] | None = None) -> tuple[list[str], dict[str, int]]:
    """Verify a store's log and checkpoints in place (doctor, tests) the same way as an export, and that the log
    extends the trusted checkpoints (e.g. the one the server kept outside the database)."""
    cps = [{"body": body, "signature": base64.b64encode(sig).decode()} for _, _, body, sig, _ in store.checkpoints()]
    return verify_log((data for batch in store.leaves(0) for _, data in batch), cps, public_key, trusted)
