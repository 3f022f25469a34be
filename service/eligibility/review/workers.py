"""Worker processes for the CPU-bound use cases: screening a large round, storing a large flag submission.

One Python process runs one thread at a time, and both are CPU-bound (checking rows, evaluation,
canonical encoding, hashing). The workers run the same code the server runs in-process, each
over its own store connection; the store's write lock serialises their commits exactly as it
does for several replicas on one database, so the log stays one sequence.

Flags: a submission of at least `intake_parallel_from` rows is checked and stored by a worker
(one transaction, with its idempotency key and response when it has one), so the chunks an
agency's client sends together are checked in parallel.

Candidates: a request adding at least `intake_parallel_from` candidates to a round has its rows checked (and ID
numbers sealed) by the workers in parallel, a part at a time; the server adds the parts in row order, in the
request's one transaction (review/rounds.py).

Screening: a round of at least `screen_parallel_from` candidates is cut into slices of
consecutive candidates; a worker screens and records each slice (screening.screen_round, one
transaction per slice) under the ruleset version the server chose (by hash), and the server
streams each slice's logged bytes back in candidate order as the slices finish.

Workers are spawned (not forked: the server has gRPC threads) on first use. They ignore
SIGINT/SIGTERM (the server decides when to stop, and a stream in flight finishes during its
grace period) and exit on their own within a second if the server process disappears.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

from eligibility.engine.evaluator import Evaluator
from eligibility.home.config import Config
from eligibility.intake.candidates import CandidateRow
from eligibility.intake.flags import FlagRow, prepare_submission
from eligibility.intake.outcomes import RowOutcome, decode_outcomes, encode_outcomes
from eligibility.intake.protect import IdProtector
from eligibility.ledger.records import StoredDecision
from eligibility.review.flags import Idempotency, Tally, store_submission_once, tally
from eligibility.review.gctuning import tune_for_throughput
from eligibility.review.observability import DISAGREEMENTS, configure_logging
from eligibility.review.registry import Registry
from eligibility.review.rounds import CheckedChunk, Checking, check_chunk
from eligibility.review.screening import Decided, screen_round
from eligibility.store import Store, open_store
from eligibility.store.errors import storage_errors

log = logging.getLogger("eligibility.parallel")

Slice = tuple[int, int]
"""Candidates of a round with after < seq <= upto."""

SLICE = 1000
"""Candidates per slice (one transaction): small enough that the slices in flight stay well inside the memory
budget (each decision record is ~5 KB, held by a worker, the pipe and the server), large enough to commit rarely."""

CANDIDATE_PART = 1000
"""Candidate rows a worker checks at a time: the server adds one part while the workers check the next ones."""

_worker: tuple[Store, Registry, Evaluator, IdProtector] | None = None


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:  # the server is gone: nobody will read what we would record
            os._exit(0)


def _open_waiting(database: str | Path, patience: float = 600) -> Store:
    """The store, opened once the write lock is free (opening takes it for a moment): a worker starting while the
    server writes a long transaction (a large request) waits for it, up to ten minutes, where the driver alone gives
    up after 30 seconds and the whole pool would break."""
    deadline = time.monotonic() + patience
    while True:
        try:
            return open_store(database)
        except storage_errors() as e:
            if "locked" not in str(e).lower() or time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _init_worker(config: Config, parent: int, started: Any) -> None:
    global _worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="watch-server").start()
    configure_logging()
    store = _open_waiting(config.database)
    _worker = (store, Registry(store, list(config.rules_dirs), config.default_ruleset, config.vocabulary()), Evaluator(),
               config.id_protector())
    tune_for_throughput()
    with started.get_lock():  # this worker holds no lock of the store and will take none to check candidates
        started.value += 1
    log.info("worker %d ready", os.getpid())


def _screen_slice(round_id: str, ruleset_hash: str, part: Slice) -> tuple[list[StoredDecision], int]:
    """In a worker: screen and record one slice; each decision as stored, and the disagreements.

    (Decisions naming one shared result hold the same bytes object for it: pickled once.)
    """
    assert _worker is not None, "worker not initialised"
    store, registry, evaluator, _ = _worker
    info = store.get_round(round_id, count=False)
    assert info is not None, f"round {round_id} vanished"
    before = evaluator.disagreements
    out: list[StoredDecision] = []
    for batch in screen_round(store, evaluator, registry.by_hash(ruleset_hash), info, after=part[0], upto=part[1]):
        out.extend(d.stored for d in batch)
    return out, evaluator.disagreements - before


def _check_candidates(ruleset_hash: str, rows: Sequence[CandidateRow]) -> CheckedChunk:
    """In a worker: check a part of a request's candidate rows (nothing stored)."""
    assert _worker is not None, "worker not initialised"
    _, registry, _, ids = _worker
    return check_chunk(registry.by_hash(ruleset_hash), registry.vocabulary, ids, rows)


def _ready() -> None:
    """Nothing: submitted to start a worker."""


def _submit_flags(agency: str, rows: list[FlagRow], correction: bool, reason: str,
                  idempotency: Idempotency | None) -> tuple[bytes, Tally | None]:
    """In a worker: check and store a submission; (its row outcomes, encoded, and its tally if stored now).

    With an idempotency key, a request seen before gets its remembered outcomes (and no tally).
    """
    assert _worker is not None, "worker not initialised"
    store, registry, _, ids = _worker
    sub = prepare_submission(registry.default, registry.vocabulary, ids, agency, rows, correction=correction, reason=reason)
    outcomes, stored = store_submission_once(store, sub, idempotency)
    return encode_outcomes(outcomes), tally(outcomes) if stored else None


class WorkerPool:
    """Worker processes for large screenings and submissions, started on first use."""

    def __init__(self, config: Config, workers: int) -> None:
        """Up to `workers` processes for this home's configuration."""
        self.config = config
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._warmed = False
        self._context = multiprocessing.get_context("spawn")
        self._started = self._context.Value("i", 0)
        """How many workers have finished starting (opening the store takes its write lock for a moment)."""

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self.workers, mp_context=self._context,
                    initializer=_init_worker, initargs=(self.config, os.getpid(), self._started))
            return self._pool

    def warm(self) -> None:
        """Start the workers now, without waiting for them (a large screening is coming): each loads the
        server's code, rulesets and connection (about a second) while the caller does something else."""
        if self._warmed:
            return
        self._warmed = True
        pool = self._executor()
        for _ in range(self.workers):
            pool.submit(_ready)

    def screen(self, round_id: str, ruleset_hash: str, slices: Iterator[Slice],
               still_wanted: Callable[[], bool]) -> Generator[list[Decided], None, None]:
        """Screen the slices in the workers, two per worker in flight; recorded decisions in slice order.

        Once still_wanted() is false no further slice is started; slices already started finish
        (they are recorded either way) before this returns, so a checkpoint made then covers them.
        """
        pool = self._executor()
        pending: deque[Future[tuple[list[StoredDecision], int]]] = deque()
        try:
            for part in slices:
                pending.append(pool.submit(_screen_slice, round_id, ruleset_hash, part))
                if len(pending) >= 2 * self.workers:
                    yield self._collect(pending.popleft())
                    if not still_wanted():
                        return
            while pending:
                yield self._collect(pending.popleft())
                if not still_wanted():
                    return
        finally:
            for f in pending:
                f.cancel()
            for f in pending:
                if not f.cancelled():
                    try:
                        f.result()
                    except Exception:  # noqa: BLE001 - reported by the slice that was collected, if any
                        log.exception("a screening slice failed after its caller went away")

    def ready(self) -> bool:
        """Whether every worker has started (opened its store)."""
        return bool(self._started.value >= self.workers)

    def check_candidates(self, ruleset_hash: str, parts: Iterable[Sequence[CandidateRow]],
                         here: Callable[[Sequence[CandidateRow]], CheckedChunk]) -> Checking:
        """Check parts of a request's candidate rows in the workers, two per worker in flight; each part with its
        checks, in the order given (review/rounds.CheckChunks).

        The caller adds the parts under the store's write lock as they come, so the workers must have started
        before (ready()): if one has not, the parts are checked here (here(part)), one after the other, rather
        than wait for a worker that waits for the lock.
        """
        if not self.ready():  # (a fresh server's first requests, while the workers start)
            log.info("candidates checked in the server: the workers are starting")
            yield from ((part, here(part)) for part in parts)
            return
        pool = self._executor()
        pending: deque[tuple[Sequence[CandidateRow], Future[CheckedChunk]]] = deque()
        try:
            for part in parts:
                pending.append((part, pool.submit(_check_candidates, ruleset_hash, part)))
                if len(pending) >= 2 * self.workers:
                    rows, done = pending.popleft()
                    yield rows, done.result()
            while pending:
                rows, done = pending.popleft()
                yield rows, done.result()
        finally:
            for _, f in pending:
                f.cancel()

    def submit_flags(self, agency: str, rows: list[FlagRow], correction: bool, reason: str,
                     idempotency: Idempotency | None) -> tuple[list[RowOutcome], Tally | None]:
        """Check and store a submission in a worker: its row outcomes, and its tally if it was stored now."""
        data, counted = self._executor().submit(_submit_flags, agency, rows, correction, reason, idempotency).result()
        return decode_outcomes(data), counted

    @staticmethod
    def _collect(f: Future[tuple[list[StoredDecision], int]]) -> list[Decided]:
        rows, disagreements = f.result()
        if disagreements:
            DISAGREEMENTS.inc(disagreements)
        return [Decided(d) for d in rows]

    def close(self) -> None:
        """Stop the workers (after the slices they are screening)."""
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None
                self._warmed = False  # workers started after this are new ones
                self._started.value = 0
