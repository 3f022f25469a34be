"""Requests applied once: the response to the first request with an idempotency key is remembered in the
same transaction as its writes, and given again to every retry (the bytes are the caller's encoding)."""

from __future__ import annotations

from collections.abc import Callable

from eligibility.errors import InvalidInputError
from eligibility.review import clock
from eligibility.store import Store


def run_once(store: Store, role: str, key: str, method: str, digest: str, write: Callable[[], bytes]) -> bytes:
    """The serialized response to the first request with this key: write() runs for it, in one transaction
    with the remembered response; a later request with the key gets that response, unless it differs."""
    with store.transaction():
        earlier = store.remembered(role, key)
        if earlier is not None:
            if earlier[0] != method or earlier[1] != digest:
                raise InvalidInputError(f"idempotency-key {key[:16]}... was used for a different request",
                                        field="idempotency-key")
            return earlier[2]
        data = write()
        store.remember(role, key, method, digest, data, clock.utc_now())
        return data
