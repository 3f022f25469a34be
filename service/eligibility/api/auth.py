"""Caller identity and default-deny authorization, in one interceptor driven by one table.

Identity: under mTLS, the role is the Subject CN of the client certificate the TLS handshake
verified against the home's CA (parsed from the presented certificate, not gRPC's SAN-based peer
identity), unless its serial is revoked. In loopback plaintext mode, a per-role bearer token.
A call whose method is not in ALLOWED, or whose role the table does not list, is refused before
its handler runs; every refusal is logged with role, method and reason.
"""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

import grpc
import orjson

from eligibility.errors import EligibilityError
from eligibility.home.pki import read_revocation_list, role_of

log = logging.getLogger("eligibility.auth")
ROLE: contextvars.ContextVar[str] = contextvars.ContextVar("role", default="")
T = TypeVar("T")

AGENCY = "agency"
"""In the table: any agency of the vocabulary the server runs with (rules/vocabulary.yaml)."""
AGENCIES = frozenset({AGENCY})
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
    _P + "RoundService/ListCandidates": EVERYONE,
    _P + "RoundService/AttestReview": AGENCIES,
    _P + "RoundService/ScreenRound": frozenset({"district"}),
    _P + "RoundService/ScreenCandidate": frozenset({"district"}),
    _P + "RoundService/ListChanges": frozenset({"district", "auditor"}),
    _P + "RoundService/WatchRound": frozenset({"district", "auditor"}),
    _P + "RoundService/ConcludeRound": frozenset({"district"}),
    _P + "AuditService/GetDecision": frozenset({"district", "auditor"}),
    _P + "AuditService/ReplayDecision": frozenset({"auditor"}),
    _P + "AuditService/ReplayRound": frozenset({"auditor"}),
    _P + "AuditService/ListRoundDecisions": frozenset({"district", "auditor"}),
    _P + "AuditService/CreateCheckpoint": frozenset({"district", "auditor"}),
    _P + "AuditService/GetInclusionProof": frozenset({"district", "auditor"}),
    _P + "AuditService/GetConsistencyProof": frozenset({"district", "auditor"}),
    _P + "AuditService/ExportLog": frozenset({"auditor"}),
    _P + "AuditService/Reevaluate": frozenset({"district", "auditor"}),
    _P + "AppealService/OpenAppeal": frozenset({"district"}),
    _P + "AppealService/ListAppeals": EVERYONE,
    _P + "AppealService/AnswerAppeal": AGENCIES,
    _P + "AppealService/DecideAppeal": frozenset({"district"}),
    _P + "ReviewService/ListReviews": AGENCIES,
    _P + "ReviewService/ResolveReview": AGENCIES,
    _P + "RulesService/ListRulesets": EVERYONE,
    _P + "RulesService/GetRule": EVERYONE,
    "/grpc.health.v1.Health/Check": PUBLIC,
    "/grpc.health.v1.Health/Watch": PUBLIC,
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo": PUBLIC,
    "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo": PUBLIC,
}

Identify = Callable[[grpc.ServicerContext], tuple[str, str]]
"""context -> (role, "") or ("", reason)."""


def allows(allowed: frozenset[str], role: str, agencies: frozenset[str]) -> bool:
    """Whether a table entry lets this role call: named in it, or an agency where it says any agency."""
    return role in allowed or (AGENCY in allowed and role in agencies)


def current_role() -> str:
    """The authenticated role of the call being handled."""
    return ROLE.get()


class WatchedFile(Generic[T]):
    """A file read again whenever it changes (modification time or size), through parse. While parse fails (the
    file is missing or unreadable) value() is None and the server log says why, once per change of state."""

    def __init__(self, path: Path, parse: Callable[[Path], T], refusing: str) -> None:
        """refusing: what is refused while the file cannot be read ("every client certificate")."""
        self._path, self._parse, self._refusing = path, parse, refusing
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] = (-1, -1)
        self._value: T | None = None
        self._broken = ""

    def value(self) -> T | None:
        """What the file says now, or None while it cannot be read."""
        try:
            st = self._path.stat()
            stamp = (st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = (0, -1)
        with self._lock:
            if stamp != self._stamp:
                try:
                    self._value, broken = self._parse(self._path), ""
                except (EligibilityError, OSError, ValueError) as e:
                    self._value, broken = None, getattr(e, "message", "") or f"{self._path} cannot be read ({e})"
                if broken and broken != self._broken:
                    log.error("refusing %s: %s", self._refusing, broken)
                elif self._broken and not broken:
                    log.warning("%s reads again: %s accepted", self._path, self._refusing)
                self._stamp, self._broken = stamp, broken
            return self._value


class CertificateIdentity:
    """Role from the verified client certificate's Subject CN; revocation list re-read when it changes.

    The list fails closed: while it is missing or unreadable every client certificate is refused, and the server
    log says why (once each time its state changes)."""

    def __init__(self, revoked_path: Path, roles: frozenset[str]) -> None:
        """Watch this revocation list (serial hex -> details); accept these roles."""
        self._roles = roles
        self._revoked = WatchedFile(revoked_path, lambda p: frozenset(read_revocation_list(p)),
                                    "every client certificate")

    def __call__(self, context: grpc.ServicerContext) -> tuple[str, str]:
        """Identify the caller."""
        pems = context.auth_context().get("x509_pem_cert")
        if not pems or not isinstance(pems, list):
            return "", "no client certificate"
        role, serial = role_of(pems[0])
        revoked = self._revoked.value()
        if revoked is None:
            return "", "the server cannot read its revocation list, so it trusts no client certificate (its log says why)"
        if serial in revoked:
            return "", f"certificate {serial} ({role}) is revoked"
        if role not in self._roles:
            return "", f"certificate names no known role ({role[:40]!r})"
        return role, ""


def _token_digests(path: Path) -> dict[str, str]:
    """sha256(token) -> role, from the file of role -> sha256(token)."""
    data = orjson.loads(path.read_bytes())
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a JSON object of role -> token digest")
    return {str(d): str(role) for role, d in data.items()}


class TokenIdentity:
    """Role from a bearer token (loopback plaintext mode only); the tokens' digests re-read when they change (a
    revoked or re-issued token stops working without a restart; a missing or unreadable file: no token works)."""

    def __init__(self, digests: Path) -> None:
        """Watch the file of role -> sha256(token)."""
        self._digests = WatchedFile(digests, _token_digests, "every token")

    def __call__(self, context: grpc.ServicerContext) -> tuple[str, str]:
        """Identify the caller."""
        for key, value in context.invocation_metadata():
            if key == "authorization" and isinstance(value, str) and value.startswith("Bearer "):
                d = hashlib.sha256(value[7:].encode()).hexdigest()
                for known, role in (self._digests.value() or {}).items():
                    if hmac.compare_digest(known, d):
                        return role, ""
                return "", "unknown token"
        return "", "no credential"


class _Unparsable:
    """A request whose bytes did not parse (the handler refuses it once the caller is known)."""

    def __init__(self, why: str) -> None:
        self.why = why


def _lenient(parse: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    """The method's request parser, giving _Unparsable instead of raising."""
    if parse is None:
        return None

    def lenient(data: bytes) -> Any:
        try:
            return parse(data)
        except Exception as e:  # noqa: BLE001 - protobuf's DecodeError and whatever a parser raises on bad bytes
            return _Unparsable(type(e).__name__ + (f": {e}" if str(e) else ""))
    return lenient


def _deny(code: grpc.StatusCode, message: str) -> grpc.RpcMethodHandler[Any, Any]:
    def abort(request: Any, context: grpc.ServicerContext) -> Any:
        context.abort(code, message)
    return grpc.unary_unary_rpc_method_handler(abort)


class Shares:
    """Calls in flight per identity, each capped at a share of the server's slots, so that one credential (a script
    gone wrong, a stolen key) cannot take every slot from the others."""

    def __init__(self, share: int) -> None:
        """At most share calls of one role at once (0: no cap)."""
        self.share = share
        self._lock = threading.Lock()
        self._in_flight: dict[str, int] = {}

    def take(self, role: str) -> bool:
        """Count one more call of this role, unless it already has its share."""
        with self._lock:
            n = self._in_flight.get(role, 0)
            if self.share and n >= self.share:
                return False
            self._in_flight[role] = n + 1
            return True

    def give_back(self, role: str) -> None:
        """The call ended."""
        with self._lock:
            self._in_flight[role] -= 1


class AuthInterceptor(grpc.ServerInterceptor):
    """Authenticate, then allow only what ALLOWED grants; otherwise refuse before the handler runs."""

    def __init__(self, identify: Identify, agencies: frozenset[str], share: int = 0) -> None:
        """Use this way of identifying callers; these roles are the agencies; each role may have at most share calls
        in flight (0: no cap)."""
        self._identify = identify
        self._agencies = agencies
        self._shares = Shares(share)

    def _check(self, method: str, allowed: frozenset[str], context: grpc.ServicerContext) -> str:
        role, why = self._identify(context)
        if not role:
            log.warning("refused: role=- method=%s reason=%s", method, why)
            context.abort(grpc.StatusCode.UNAUTHENTICATED, f"not authenticated: {why}")
        if not allows(allowed, role, self._agencies):
            log.warning("refused: role=%s method=%s reason=role not allowed", role, method)
            context.abort(grpc.StatusCode.PERMISSION_DENIED, f"role {role} may not call {method}")
        return role

    def intercept_service(self, continuation: Callable[[Any], Any], details: Any) -> Any:
        """Wrap the handler so identity and permission are checked before it runs.

        A method the server does not have gets UNIMPLEMENTED (as clients probing for reflection v1 expect); one it
        has but the table does not list is denied. A request whose bytes are not the method's message gets
        INVALID_ARGUMENT (instead of grpcio's INTERNAL and a traceback in the log)."""
        method = details.method
        allowed = ALLOWED.get(method)
        handler = continuation(details)
        if handler is None:
            return None
        if allowed is PUBLIC:
            return handler
        if allowed is None:
            log.warning("refused: role=? method=%s reason=method not in authorization table", method)
            return _deny(grpc.StatusCode.PERMISSION_DENIED, f"{method} is not allowed")
        check = self._check
        shares = self._shares
        parse = _lenient(handler.request_deserializer)

        def begin(request: Any, context: grpc.ServicerContext) -> tuple[contextvars.Token[str], str]:
            """Identify, authorize, count the call against its role's share (given back by the caller)."""
            role = check(method, allowed, context)
            if isinstance(request, _Unparsable):
                log.warning("refused: role=%s method=%s reason=request is not a valid message", role, method)
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"the request is not a valid {method} message: "
                                                                  f"{request.why}")
            if not shares.take(role):
                log.warning("refused: role=%s method=%s reason=its share of %d calls in flight is taken", role, method,
                            shares.share)
                context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, f"{role} already has {shares.share} calls in flight "
                                                                    "(its share of the server); retry when one ends")
            return ROLE.set(role), role

        def end(token: contextvars.Token[str], role: str) -> None:
            shares.give_back(role)
            ROLE.reset(token)

        if handler.unary_unary:
            inner = handler.unary_unary

            def unary(request: Any, context: grpc.ServicerContext) -> Any:
                token, role = begin(request, context)
                try:
                    return inner(request, context)
                finally:
                    end(token, role)
            return grpc.unary_unary_rpc_method_handler(unary, parse, handler.response_serializer)
        if handler.unary_stream:
            inner_s = handler.unary_stream

            def stream(request: Any, context: grpc.ServicerContext) -> Any:
                token, role = begin(request, context)
                try:
                    yield from inner_s(request, context)
                finally:
                    end(token, role)
            return grpc.unary_stream_rpc_method_handler(stream, parse, handler.response_serializer)
        log.warning("refused: method=%s reason=streaming requests are not supported", method)
        return _deny(grpc.StatusCode.PERMISSION_DENIED, f"{method} is not allowed")
