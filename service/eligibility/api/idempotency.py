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
from typing import Any, TypeVar

import grpc

from ..errors import InvalidInputError
from ..records import utc_now
from ..v1 import eligibility_pb2 as pb
from .auth import current_role

F = TypeVar("F", bound=Callable[..., Any])
METADATA_KEY = "idempotency-key"


def _key(context: grpc.ServicerContext) -> str:
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
        key = _key(context)
        if not key:
            return fn(self, request, context)
        store = self.app.store
        role = current_role()
        method = fn.__name__
        digest = hashlib.sha256(request.SerializeToString(deterministic=True)).hexdigest()
        with store.transaction():
            earlier = store.remembered(role, key)
            if earlier is not None:
                if earlier[0] != method or earlier[1] != digest:
                    raise InvalidInputError(f"idempotency-key {key[:16]}... was used for a different request",
                                            field=METADATA_KEY)
                return _response_type(method).FromString(earlier[2])
            response = fn(self, request, context)
            store.remember(role, key, method, digest, response.SerializeToString(deterministic=True), utc_now())
            return response
    return wrapper  # type: ignore[return-value]


def _response_type(method: str) -> Any:
    return getattr(pb, f"{method}Response")
