"""The gRPC client used by the CLI and the demo: credentials, deadlines, stubs."""

from __future__ import annotations

import random
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import grpc

from eligibility._gen.v1 import eligibility_pb2 as pb
from eligibility._gen.v1 import eligibility_pb2_grpc as pbg
from eligibility.home.config import Config

MAX_MESSAGE = 64 * 1024 * 1024
METADATA_KEY = "idempotency-key"
RETRYABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.DEADLINE_EXCEEDED}
T = TypeVar("T")


def connect(config: Config, role: str, server: str = "", plaintext: bool = False, timeout: float = 60.0) -> Client:
    """A client for a home's server acting as role (mTLS unless the home or caller says plaintext)."""
    target = server or config.listen
    if plaintext or config.transport == "plaintext":
        return Client(target, token=config.token_for(role), timeout=timeout)
    return Client(target, config.channel_credentials(role), timeout=timeout)


def _references_span_chunks(parts: list[list[pb.FlagInput]]) -> bool:
    seen: dict[str, int] = {}
    for n, part in enumerate(parts):
        for r in part:
            if seen.setdefault(r.reference.strip(), n) != n:
                return True
    return False


class Client:
    """A connection to the service acting as one role."""

    def __init__(self, target: str, credentials: grpc.ChannelCredentials | None = None, token: str = "",
                 timeout: float = 60.0) -> None:
        """Connect to target (host:port) with a role's mTLS credential, or plaintext with its token (loopback)."""
        options = [("grpc.max_receive_message_length", MAX_MESSAGE), ("grpc.max_send_message_length", MAX_MESSAGE)]
        self.channel = (grpc.secure_channel(target, credentials, options=options) if credentials is not None
                        else grpc.insecure_channel(target, options=options))
        self.metadata = (("authorization", f"Bearer {token}"),) if token else ()
        self.timeout = timeout
        self.flags = pbg.FlagServiceStub(self.channel)
        self.rounds = pbg.RoundServiceStub(self.channel)
        self.audit = pbg.AuditServiceStub(self.channel)
        self.rules = pbg.RulesServiceStub(self.channel)
        self.reviews = pbg.ReviewServiceStub(self.channel)
        self.appeals = pbg.AppealServiceStub(self.channel)

    def close(self) -> None:
        """Close the channel."""
        self.channel.close()

    def health(self, timeout: float = 3.0) -> str:
        """The server's answer to the standard health check ("SERVING"), or grpc.RpcError when none comes."""
        from grpc_health.v1 import health_pb2, health_pb2_grpc
        stub = health_pb2_grpc.HealthStub(self.channel)
        answer = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=timeout, metadata=self.metadata)
        return str(health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status))

    def __enter__(self) -> Client:
        """Use as a context manager."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close on exit."""
        self.close()

    def call(self, method: Any, request: Any, timeout: float | None = None, attempts: int = 5) -> Any:
        """A unary call with the credential and a deadline, retried with exponential backoff.

        Every call carries a fresh idempotency key reused on its retries, so a retried write is
        applied once. Only transient failures are retried (UNAVAILABLE, RESOURCE_EXHAUSTED, and
        DEADLINE_EXCEEDED, which is safe because of the key); each attempt has its own deadline.
        """
        metadata = (*self.metadata, (METADATA_KEY, uuid.uuid4().hex))
        for attempt in range(attempts):
            try:
                return method(request, metadata=metadata, timeout=timeout or self.timeout)
            except grpc.RpcError as e:
                if e.code() not in RETRYABLE or attempt == attempts - 1:
                    raise
                time.sleep(min(0.1 * 2 ** attempt, 2.0) * (0.5 + random.random()))
        raise AssertionError("unreachable")

    def stream(self, method: Any, request: Any, timeout: float | None = None) -> Iterator[Any]:
        """A server-streaming call with the credential and a deadline."""
        return iter(method(request, metadata=self.metadata, timeout=timeout or self.timeout * 60))

    def submit_flags(self, rows: list[pb.FlagInput], correction: bool = False, reason: str = "",
                     chunk: int = 5000, in_flight: int = 3, dry_run: bool = False) -> Iterator[list[pb.RowResult]]:
        """Submit flags in chunks; yields the results of each chunk (one per row), in order.

        Up to in_flight chunks are sent before the first answer is read, so the server checks one
        chunk while it writes the one before (each chunk is its own transaction either way). When a
        reference appears in more than one chunk, the chunks go one at a time, so that the later
        row is always the one judged against the earlier, as with a single submission.
        """
        parts = [rows[i:i + chunk] for i in range(0, len(rows), chunk)]
        if in_flight > 1 and _references_span_chunks(parts):
            in_flight = 1
        with ThreadPoolExecutor(max_workers=max(1, in_flight)) as pool:
            pending: deque[Future[Any]] = deque()
            for part in parts:
                pending.append(pool.submit(self.call, self.flags.SubmitFlags, pb.SubmitFlagsRequest(
                    flags=part, correction=correction, reason=reason, dry_run=dry_run)))
                if len(pending) >= in_flight:
                    yield list(pending.popleft().result().results)
            while pending:
                yield list(pending.popleft().result().results)

    def create_round(self, name: str, as_of: str, candidates: list[pb.CandidateInput], ruleset: str = "",
                     chunk: int = 5000, on_chunk: Callable[[int], None] | None = None, dry_run: bool = False,
                     allow_same_name: bool = False) -> tuple[pb.Round, list[pb.RowResult]]:
        """Create a round and upload its candidates in chunks (on_chunk(rows) after each). A dry run sends every
        chunk as a checked-only CreateRound (nothing is created; the round returned has no id)."""
        resp = self.call(self.rounds.CreateRound, pb.CreateRoundRequest(
            name=name, as_of=as_of, ruleset=ruleset, candidates=candidates[:chunk], dry_run=dry_run,
            allow_same_name=allow_same_name))
        results = list(resp.results)
        if on_chunk:
            on_chunk(len(resp.results))
        if dry_run:
            for i in range(chunk, len(candidates), chunk):
                more = self.call(self.rounds.CreateRound, pb.CreateRoundRequest(
                    name=name, as_of=as_of, ruleset=ruleset, candidates=candidates[i:i + chunk], dry_run=True,
                    allow_same_name=allow_same_name))
                results.extend(more.results)
                if on_chunk:
                    on_chunk(len(more.results))
            return resp.round, results
        results.extend(self.add_candidates(resp.round.round_id, candidates[chunk:], chunk, on_chunk))
        rnd = self.call(self.rounds.GetRound, pb.GetRoundRequest(round_id=resp.round.round_id)).round
        return rnd, results

    def add_candidates(self, round_id: str, candidates: list[pb.CandidateInput], chunk: int = 5000,
                       on_chunk: Callable[[int], None] | None = None, dry_run: bool = False) -> list[pb.RowResult]:
        """Add candidates to a round in chunks (on_chunk(rows) after each): every row's result."""
        results: list[pb.RowResult] = []
        for i in range(0, len(candidates), chunk):
            more = self.call(self.rounds.AddCandidates, pb.AddCandidatesRequest(
                round_id=round_id, candidates=candidates[i:i + chunk], dry_run=dry_run))
            results.extend(more.results)
            if on_chunk:
                on_chunk(len(more.results))
        return results
