"""Idempotency keys for write RPCs: a retried request gets the stored response of the first one.

The client sends `idempotency-key` metadata (one key per logical request, reused on every retry).
The check, the handler's writes and the stored response commit in one transaction, so ten
concurrent identical requests yield one set of writes and ten identical responses. The same key
with a different request is refused (INVALID_ARGUMENT), as a reused key is a client bug.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import grpc

from eligibility._gen.v1 import eligibility_pb2 as pb
from eligibility.api.auth import current_role
from eligibility.errors import InvalidInputError
from eligibility.review.idempotency import run_once

if TYPE_CHECKING:
    from eligibility.store import Store

F = TypeVar("F", bound=Callable[..., Any])
R = TypeVar("R")
METADATA_KEY = "idempotency-key"


def idempotency_key(context: grpc.ServicerContext) -> str:
    """The request's idempotency key, or an empty string."""
    for k, v in context.invocation_metadata():
        if k == METADATA_KEY and isinstance(v, str):
            if not 8 <= len(v) <= 128:
                raise InvalidInputError("idempotency-key must have 8 to 128 characters", field=METADATA_KEY)
            return v
    return ""


def idempotent(fn: F) -> F:
    """Decorate a unary write servicer method (inside @mapped) of a servicer with `.app`."""
    @functools.wraps(fn)
    def wrapper(self: Any, request: Any, context: grpc.ServicerContext) -> Any:
        return once(self.app.store, fn.__name__, request, context, lambda: fn(self, request, context))
    return wrapper  # type: ignore[return-value]


def once(store: Store, method: str, request: Any, context: grpc.ServicerContext, write: Callable[[], R]) -> R:
    """Run write() (a method's writes, returning its response) once per idempotency key.

    For a method that first does work needing no store (e.g. checking rows), do that work before
    calling this: only write() runs inside the transaction, so concurrent requests overlap there.
    """
    key = idempotency_key(context)
    if not key:
        return write()
    made: list[R] = []

    def produce() -> bytes:
        made.append(write())
        return made[0].SerializeToString(deterministic=True)  # type: ignore[attr-defined, no-any-return]
    data = run_once(store, current_role(), key, method, request_digest(request), produce)
    return made[0] if made else _response_type(method).FromString(data)


def request_digest(request: Any) -> str:
    """What identifies a request's content."""
    return hashlib.sha256(request.SerializeToString(deterministic=True)).hexdigest()


def _response_type(method: str) -> Any:
    return getattr(pb, f"{method}Response")
