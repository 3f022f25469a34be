"""Caller identity and default-deny authorization, in one interceptor driven by one table."""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import logging
from collections.abc import Callable
from typing import Any

import grpc

from ..domain import AGENCY_ORDER

log = logging.getLogger("eligibility.auth")
ROLE: contextvars.ContextVar[str] = contextvars.ContextVar("role", default="")

AGENCIES = frozenset(AGENCY_ORDER)
EVERYONE = AGENCIES | {"district", "auditor"}
PUBLIC = frozenset({"*"})
_P = "/eligibility.v1."

# method -> roles allowed. A method missing from this table is denied.
ALLOWED: dict[str, frozenset[str]] = {
    _P + "FlagService/SubmitFlags": AGENCIES,
    _P + "FlagService/RetractFlag": AGENCIES,
    _P + "FlagService/ListFlags": AGENCIES,
    _P + "RoundService/CreateRound": frozenset({"district"}),
    _P + "RoundService/AddCandidates": frozenset({"district"}),
    _P + "RoundService/GetRound": EVERYONE,
    _P + "RoundService/ListRounds": EVERYONE,
    _P + "RoundService/ListCandidates": AGENCIES | {"district", "auditor"},
    _P + "RoundService/AttestReview": AGENCIES,
    _P + "RoundService/ScreenRound": frozenset({"district"}),
    _P + "RoundService/ScreenCandidate": frozenset({"district"}),
    _P + "AuditService/GetDecision": frozenset({"district", "auditor"}),
    _P + "AuditService/ReplayDecision": frozenset({"auditor"}),
    _P + "AuditService/ReplayRound": frozenset({"auditor"}),
    _P + "RulesService/ListRulesets": EVERYONE,
    _P + "RulesService/GetRule": EVERYONE,
    "/grpc.health.v1.Health/Check": PUBLIC,
    "/grpc.health.v1.Health/Watch": PUBLIC,
    "/grpc.health.v1.Health/List": PUBLIC,
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo": PUBLIC,
}


def current_role() -> str:
    """The authenticated role of the call being handled."""
    return ROLE.get()


def _deny(code: grpc.StatusCode, message: str) -> grpc.RpcMethodHandler[Any, Any]:
    def abort(request: Any, context: grpc.ServicerContext) -> Any:
        context.abort(code, message)
    return grpc.unary_unary_rpc_method_handler(abort)


def _with_role(handler: grpc.RpcMethodHandler[Any, Any], role: str) -> grpc.RpcMethodHandler[Any, Any]:
    """Wrap a handler so the role is set in a context variable while it runs."""
    def unary(fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
        def run(request: Any, context: Any) -> Any:
            token = ROLE.set(role)
            try:
                return fn(request, context)
            finally:
                ROLE.reset(token)
        return run

    def stream(fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
        def run(request: Any, context: Any) -> Any:
            token = ROLE.set(role)
            try:
                yield from fn(request, context)
            finally:
                ROLE.reset(token)
        return run

    if handler.unary_unary:
        return grpc.unary_unary_rpc_method_handler(
            unary(handler.unary_unary), handler.request_deserializer, handler.response_serializer)
    if handler.unary_stream:
        return grpc.unary_stream_rpc_method_handler(
            stream(handler.unary_stream), handler.request_deserializer, handler.response_serializer)
    return handler


class AuthInterceptor(grpc.ServerInterceptor):
    """Authenticate the caller from its bearer credential; allow only what ALLOWED grants."""

    def __init__(self, digests: dict[str, str]) -> None:
        """digests: sha256(token) -> role."""
        self._digests = digests

    def _role(self, metadata: tuple[tuple[str, str | bytes], ...]) -> str:
        for key, value in metadata:
            if key == "authorization" and isinstance(value, str) and value.startswith("Bearer "):
                d = hashlib.sha256(value[7:].encode()).hexdigest()
                for known, role in self._digests.items():
                    if hmac.compare_digest(known, d):
                        return role
        return ""

    def intercept_service(self, continuation: Callable[[Any], Any], details: Any) -> Any:
        """Refuse before any handler runs unless the table allows the caller's role."""
        method = details.method
        allowed = ALLOWED.get(method)
        if allowed is PUBLIC:
            return continuation(details)
        role = self._role(details.invocation_metadata or ())
        if not role:
            log.warning("refused: unauthenticated call to %s", method)
            return _deny(grpc.StatusCode.UNAUTHENTICATED, "no valid credential; pass --as ROLE with a home's credential")
        if allowed is None or role not in allowed:
            log.warning("refused: role=%s method=%s reason=%s", role, method,
                        "method not in authorization table" if allowed is None else "role not allowed")
            return _deny(grpc.StatusCode.PERMISSION_DENIED, f"role {role} may not call {method}")
        handler = continuation(details)
        return _with_role(handler, role) if handler is not None else None
