"""One place that maps domain errors to gRPC status codes with google.rpc BadRequest details."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from eligibility.errors import EligibilityError
from eligibility.store.errors import storage_error, storage_errors

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])


def abort_with(context: grpc.ServicerContext, err: EligibilityError) -> None:
    """Abort the call with the error's code, message and a BadRequest field violation."""
    code = getattr(code_pb2, err.code)
    detail = any_pb2.Any()
    violation = error_details_pb2.BadRequest.FieldViolation(field=err.field, description=err.message)
    detail.Pack(error_details_pb2.BadRequest(field_violations=[violation]))
    status = status_pb2.Status(code=code, message=err.message, details=[detail])
    context.abort_with_status(rpc_status.to_status(status))


_STORAGE = storage_errors()


def _storage(context: grpc.ServicerContext, e: BaseException) -> None:
    """Abort with what a database error means (disk full, database unavailable), or let a defect surface."""
    err = storage_error(e)
    if err is None:
        raise e
    log.error("storage: %s (%s)", err.message, e)
    abort_with(context, err)


def mapped(fn: F) -> F:
    """Decorate a unary servicer method: domain errors and storage errors become statuses; the server stays up."""
    @functools.wraps(fn)
    def wrapper(self: Any, request: Any, context: grpc.ServicerContext) -> Any:
        try:
            return fn(self, request, context)
        except EligibilityError as e:
            abort_with(context, e)
        except _STORAGE as e:
            _storage(context, e)
    return wrapper  # type: ignore[return-value]


def mapped_stream(fn: F) -> F:
    """Decorate a streaming servicer method the same way."""
    @functools.wraps(fn)
    def wrapper(self: Any, request: Any, context: grpc.ServicerContext) -> Any:
        try:
            yield from fn(self, request, context)
        except EligibilityError as e:
            abort_with(context, e)
        except _STORAGE as e:
            _storage(context, e)
    return wrapper  # type: ignore[return-value]
