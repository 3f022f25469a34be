"""The application: one object per server holding store, rulesets and engine; one method per use case.

Servicers call exactly one of these methods. Roles are checked by the authorization interceptor;
the checks here are the data-level ones (an agency acts on its own flags and attestations only).
"""

from __future__ import annotations

import functools
import logging
import secrets
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from typing import Any, TypeVar

from eligibility.engine.evaluator import Evaluator
from eligibility.engine.model import CandidateFacts
from eligibility.errors import AlreadyExistsError, ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from eligibility.home.config import Config
from eligibility.home.keys import bind_keys
from eligibility.intake import idnumbers
from eligibility.intake.candidates import CandidateRow, validate_candidate
from eligibility.intake.dates import check_plausible, parse_iso
from eligibility.intake.flags import FlagRow, prepare_submission
from eligibility.intake.outcomes import RowOutcome
from eligibility.intake.rows import MAX_TEXT
from eligibility.intake.text import NOTE_LIMIT, clean_text
from eligibility.ledger import merkle
from eligibility.ledger.checkpoint import Checkpoint, public_key_text
from eligibility.ledger.codec import (
    answer_body,
    appeal_body,
    attestation_body,
    conclusion_body,
    entry_body,
    resolution_body,
    round_body,
)
from eligibility.ledger.records import (
    PreparedDecision,
    Ref,
    RoundInfo,
    RowEntry,
    ScreenRow,
    StoredAnswer,
    StoredAppeal,
    StoredCandidate,
    StoredDecision,
    StoredFlag,
    StoredResolution,
)
from eligibility.review import clock, witness
from eligibility.review.appeals import answer_for, answers_as_logged, as_logged, new_appeal, unanswered
from eligibility.review.changes import NOT_SCREENED, Change, changed_persons, round_changes
from eligibility.review.conclusion import blockers, conclusion, refuse_if_concluded
from eligibility.review.flags import Repeats, Tally, check_submission, retract_flag, store_submission_once, tally
from eligibility.review.inputs import (
    NO_FLAGS,
    NO_RESOLUTIONS,
    CandidateInput,
    RoundContext,
    candidate_input,
    check_tallies,
    flag_inputs,
    resolution_inputs,
    round_context,
)
from eligibility.review.observability import DISAGREEMENTS, FLAGS, SCREENED
from eligibility.review.registry import Registry
from eligibility.review.replay import ReplayOutcome, replay, replay_entry
from eligibility.review.resolutions import ReviewItem, resolution_for, review_item
from eligibility.review.rounds import CHUNK, CheckChunks, Emit, add_candidates, check_candidate_rows, check_chunk
from eligibility.review.screening import Decided, bound_decision, screen_round
from eligibility.review.signer import Signer
from eligibility.review.whatif import Comparison, known_at_stamp, reevaluate
from eligibility.review.workers import CANDIDATE_PART, SLICE, WorkerPool
from eligibility.rules.schema import Rule, Ruleset
from eligibility.store import open_store

log = logging.getLogger("eligibility.app")


def _overall(d: StoredDecision) -> tuple[str, str, str]:
    """(name, masked ID, overall) of a recorded decision, read from its entry (and its shared result's)."""
    body = entry_body(d.data)
    overall = body["result"]["overall"] if "result" in body else entry_body(d.result)["overall"]
    c = body["inputs"]["candidate"]
    return c["name"], c["id_masked"], overall


_Act = TypeVar("_Act", bound=Callable[..., Any])


def one_at_a_time(act: _Act) -> _Act:
    """The joint review's acts (resolve, appeal open / answer / decide, conclude) run one at a time: each checks
    the state it changes (already answered, already decided, still REVIEW) and then records, so two at once (a
    double-clicked button, two clerks) could both pass the check.

    In one write transaction taken before the acts' lock, as a request with an idempotency key runs it anyway (its
    write around the act): a request without a key took the lock first and then waited for the store, which a keyed
    one on another thread held while it waited for the lock."""
    @functools.wraps(act)
    def run(self: App, *args: Any, **kwargs: Any) -> Any:
        with self.store.transaction(), self._acts:
            return act(self, *args, **kwargs)
    return run  # type: ignore[return-value]


class App:
    """Use cases of the joint review."""

    def __init__(self, config: Config, accept_restored_log: bool = False) -> None:
        """Open the store and load the rulesets of a home; refuse a log that does not extend the checkpoint this
        server signed last, unless the operator accepts a restored backup."""
        self.config = config
        self._acts = threading.Lock()  # see one_at_a_time
        self.store = open_store(config.database)
        for name in bind_keys(self.store, config.keys()):  # a database made before keys were bound to it
            log.warning("recorded the fingerprint of key %s in the database (first start with this version)", name)
        self.vocabulary = config.vocabulary()
        self.registry = Registry(self.store, list(config.rules_dirs), config.default_ruleset, self.vocabulary)
        self.evaluator = Evaluator()
        self._disagreements_counted = 0
        self.ids = config.id_protector()
        self.signer = Signer(self.store, config.signing_key(), config.log_origin,
                             on_signed=lambda cp: witness.save(config.home, cp))
        self._check_not_rolled_back(accept_restored_log)
        self._tallied_at: int | None = None  # the database's data version when its tables last tallied with the log
        self.pool = WorkerPool(config, config.workers) if config.workers > 0 else None

    def close(self) -> None:
        """Stop the worker processes, release the store."""
        if self.pool is not None:
            self.pool.close()
        self.store.close()

    # ---- flags (agencies) ----
    def submit_flags(self, agency: str, rows: Sequence[FlagRow], correction: bool, reason: str,
                     idempotency: tuple[str, str] | None = None, emit: Emit | None = None,
                     dry_run: bool = False) -> list[RowOutcome]:
        """Check and store an agency's flags, once per idempotency key ((key, request digest) when the request
        carries one); valid rows are kept whatever happens to the others. The outcomes go to emit a chunk at a
        time when given (and are not returned), else they are returned.

        The rows are taken CHUNK at a time (each chunk once per key: chunk n > 0 is remembered under "KEY#n"), so
        a request of a million rows holds one chunk's objects, not a million. A large chunk is checked and stored by
        a worker process; a small one here, checked before its transaction (concurrent submissions overlap there).
        A dry run checks every row and says what storing it would do now, and stores nothing.
        """
        self._agency_only(agency)
        kept: list[RowOutcome] = []
        out = emit or kept.extend
        repeats = Repeats()
        for n, lo in enumerate(range(0, max(len(rows), 1), CHUNK)):
            chunk = rows[lo:lo + CHUNK]
            fresh, merge = repeats.split(chunk) if len(rows) > CHUNK else (chunk, None)
            once = (agency, idempotency[0] if n == 0 else f"{idempotency[0]}#{n}", idempotency[1]) \
                if idempotency else None
            if dry_run:
                outcomes = check_submission(self.store, prepare_submission(
                    self.registry.default, self.vocabulary, self.ids, agency, fresh, correction=correction, reason=reason))
            else:
                outcomes = self._submit_chunk(agency, fresh, correction, reason, once)
            out(merge(outcomes) if merge else outcomes)
        return kept

    def _submit_chunk(self, agency: str, rows: Sequence[FlagRow], correction: bool, reason: str,
                      once: tuple[str, str, str] | None) -> list[RowOutcome]:
        if self.pool is not None and len(rows) >= self.config.intake_parallel_from:
            outcomes, counted = self.pool.submit_flags(agency, list(rows), correction, reason, once)
        else:
            sub = prepare_submission(self.registry.default, self.vocabulary, self.ids, agency, rows,
                                     correction=correction, reason=reason)
            outcomes, stored = store_submission_once(self.store, sub, once)
            counted = tally(outcomes) if stored else None
        if counted is not None:
            self._count(agency, counted)
        return outcomes

    def _check_not_rolled_back(self, accept: bool) -> None:
        kept = witness.load(self.config.home, self.signer.key.public_key())
        if kept is None:
            return
        size, root, signed_at = kept
        have = self.store.log_size()
        if self.signer.root_at(size) == root:
            return
        what = (f"has {have} entries, but this server signed a checkpoint of {size} at {signed_at}" if have < size else
                f"differs in its first {size} entries from the checkpoint this server signed at {signed_at}")
        problem = (f"the log in {self.store.path} {what} ({self.config.home / witness.FILE}): the database was rolled "
                   "back, restored from an older copy or rewritten")
        if not accept:
            raise witness.RolledBackError(problem + "; if you restored a backup on purpose, start once with "
                                          "`eligibility serve --accept-restored-log`")
        log.warning("started on a restored log, as the operator said (--accept-restored-log): %s", problem)
        self.checkpoint()  # the kept copy now says what this log is

    def _check_tallies(self) -> None:
        """Refuse to screen on tables that lost or gained rows outside the service (review.inputs.check_tallies).

        Tallied again only when another connection (a worker, a replica, the sqlite3 shell) has committed since
        the last tally: this server's own writes keep every row and its entry together."""
        version = self.store.data_version()
        if version is not None and version == self._tallied_at:
            return
        check_tallies(self.store)
        self._tallied_at = version

    def _agency_only(self, role: str) -> None:
        if role not in self.vocabulary.agencies:
            raise PermissionDeniedError(f"role {role} is not an agency")

    def _count_disagreements(self) -> None:
        """Count in the metrics the engine disagreements of in-process evaluations since the last count."""
        seen, self._disagreements_counted = self._disagreements_counted, self.evaluator.disagreements
        if self.evaluator.disagreements > seen:
            DISAGREEMENTS.inc(self.evaluator.disagreements - seen)

    @staticmethod
    def _count(agency: str, counted: Tally) -> None:
        for status, n in counted.statuses.items():
            FLAGS.labels(agency, status).inc(n)
        for reference, message in counted.refused:
            log.warning("refused: role=%s method=SubmitFlags reference=%s reason=%s", agency, reference, message)

    def retract_flag(self, agency: str, reference: str, reason: str) -> tuple[StoredFlag, bool]:
        """Retract one of the agency's flags."""
        self._agency_only(agency)
        return retract_flag(self.store, agency, reference.strip(), reason)

    def list_flags(self, agency: str, kind: str, all_versions: bool) -> Iterator[StoredFlag]:
        """The agency's own flags."""
        self._agency_only(agency)
        return self.store.list_flags(agency, kind, all_versions)

    # ---- rounds (district; agencies list and attest) ----
    def create_round(self, role: str, name: str, as_of: str, ruleset: str, rows: Sequence[CandidateRow],
                     emit: Emit | None = None, dry_run: bool = False,
                     allow_same_name: bool = False) -> tuple[RoundInfo, list[RowOutcome]]:
        """Open a round with its reference date and (a first chunk of) candidates. The row outcomes go to emit a
        chunk at a time when given (and are not returned), else they are returned. A second round of a name is
        refused unless allow_same_name; a dry run checks everything and creates nothing (the round it returns has
        no id)."""
        name = clean_text(name, "name", limit=MAX_TEXT)
        if not name:
            raise InvalidInputError("name: a round needs a name", field="name")
        as_of_date = parse_iso(as_of.strip(), field="as_of")
        check_plausible(as_of_date, "as_of")
        rs = self.registry.by_name(ruleset)
        same = [r for r in self.store.list_rounds() if r.name == name]
        if same and not allow_same_name:
            raise AlreadyExistsError(f"a round named {name!r} exists ({same[0].round_id}, as of {same[0].as_of}); add "
                                     "candidates to it, or give the new round another name (or ask for a second round "
                                     "of that name)", field="name")
        info = RoundInfo(round_id="" if dry_run else "R-" + secrets.token_hex(5), name=name, as_of=as_of_date,
                         ruleset=rs.name, created_at=clock.utc_now(), created_by=role)
        kept: list[RowOutcome] = []
        if dry_run:
            check_candidate_rows(None, rs, self.vocabulary, self.ids, "", rows, emit or kept.extend)
            return info, kept
        self.store.create_round(info, round_body(info))
        add_candidates(self.store, rs, self.vocabulary, self.ids, info.round_id, rows, emit or kept.extend,
                       *self._candidate_checks(rs, len(rows)))
        self._expect_screening(info.round_id)
        return self.get_round(info.round_id), kept

    def add_candidates(self, round_id: str, rows: Sequence[CandidateRow],
                       emit: Emit | None = None, dry_run: bool = False) -> list[RowOutcome]:
        """Add candidates to a round (outcomes to emit, or returned, as for create_round; a dry run adds nothing)."""
        info = self.get_round(round_id, count=False)
        refuse_if_concluded(info, "candidates")
        kept: list[RowOutcome] = []
        if dry_run:
            check_candidate_rows(self.store, self.registry.by_name(info.ruleset), self.vocabulary, self.ids, round_id,
                                 rows, emit or kept.extend)
            return kept
        rs = self.registry.by_name(info.ruleset)
        add_candidates(self.store, rs, self.vocabulary, self.ids, round_id, rows, emit or kept.extend,
                       *self._candidate_checks(rs, len(rows)))
        self._expect_screening(round_id)
        return kept

    def expect_candidates(self, rows: int) -> None:
        """A request adding this many candidates is coming: start the workers, if they are not, for the requests
        after it (not waited for: they take about a second to start, what checking some 70,000 rows in parallel
        saves; call it before the write transaction, which a worker opening its store waits for)."""
        if self.pool is not None and rows >= self.config.intake_parallel_from:
            self.pool.warm()

    def _candidate_checks(self, ruleset: Ruleset, rows: int) -> tuple[CheckChunks | None, int]:
        """How a request's candidate rows are checked, and how many at a time: by the workers, in parts checked in
        parallel, for a large request (here, while they start: WorkerPool.check_candidates); else here (None), a chunk
        at a time."""
        if self.pool is None or rows < self.config.intake_parallel_from:
            return None, CHUNK
        here = functools.partial(check_chunk, ruleset, self.vocabulary, self.ids)
        return functools.partial(self.pool.check_candidates, ruleset.hash, here=here), CANDIDATE_PART

    def _expect_screening(self, round_id: str) -> None:
        """A round large enough for the workers will be screened soon: start them while it is being filled."""
        if self.pool is not None and self.store.next_candidate_seq(round_id) > self.config.screen_parallel_from:
            self.pool.warm()

    def get_round(self, round_id: str, count: bool = True, with_changes: bool = False) -> RoundInfo:
        """A round with its state and the agencies that have not attested (with_changes: and how many candidates
        changed since their latest decision), or NotFoundError."""
        info = self.store.get_round(round_id.strip(), count)
        if info is None:
            raise NotFoundError(f"no round {round_id!r}", field="round_id")
        asked = self.registry.by_name(info.ruleset).agencies
        update: dict[str, object] = {"not_attested": tuple(a for a in asked if a not in info.attested)}
        if with_changes:
            update["changed"] = len(changed_persons(round_changes(self.store, info.round_id)[1]))
            update["attestations"] = tuple(self.attestations(info.round_id))
        return info.model_copy(update=update)

    def list_rounds(self) -> list[RoundInfo]:
        """All rounds."""
        return [self.get_round(r.round_id) for r in self.store.list_rounds()]

    # ---- late records, and concluding a round ----
    def round_changes(self, round_id: str) -> tuple[bool, list[Change]]:
        """(whether the round was ever screened, what arrived after each candidate's latest decision)."""
        return round_changes(self.store, self.get_round(round_id, count=False).round_id)

    def watch_round(self, round_id: str, still_wanted: Callable[[], bool], every: float = 0.5) -> Iterator[list[Change]]:
        """The round's changes now, then each change not seen before as it arrives, until still_wanted() is false."""
        info = self.get_round(round_id, count=False)
        seen: set[tuple[str, str, int]] = set()
        size = -1
        while still_wanted():
            now = self.store.log_size()
            if now != size:
                _, changes = round_changes(self.store, info.round_id)
                new = []
                for c in changes:
                    key = (c.candidate.person_key, c.late.entry_type,
                           c.candidate.read_at if c.late.entry_type == NOT_SCREENED else c.late.position)
                    if key not in seen:
                        seen.add(key)
                        new.append(c)
                if new or size < 0:
                    yield new
                size = now
            time.sleep(every)

    @one_at_a_time
    def conclude_round(self, role: str, round_id: str, note: str) -> tuple[RoundInfo, list[str], int, Checkpoint | None]:
        """Conclude a round once nothing blocks it: (round, blockers, the conclusion's entry, the checkpoint signed
        after it). With blockers nothing is recorded."""
        info = self.get_round(round_id)
        refuse_if_concluded(info, "conclusion")
        note = clean_text(note, "note", limit=NOTE_LIMIT)
        self._check_tallies()
        with self.store.snapshot():
            rows = self.store.latest_round_decisions(info.round_id)
            leaves = self.store.decision_leaves(info.round_id)
            _, changes = round_changes(self.store, info.round_id)
        overalls = [_overall(d) for d in rows]
        problems = blockers(info, overalls, changes)
        if problems:
            return info, problems, -1, None
        done = conclusion(info, "conclusion", clock.utc_now(), role, note, leaves, (o for _, _, o in overalls))
        at = self.store.add_conclusion(done, conclusion_body(done))
        return self.get_round(info.round_id), [], at, self.checkpoint()

    def list_candidates(self, round_id: str) -> Iterator[list[StoredCandidate]]:
        """A round's candidates in batches."""
        self.get_round(round_id, count=False)
        return self.store.candidates(round_id.strip())

    def reveal(self, candidate: StoredCandidate) -> str:
        """The full ID number of a candidate (for agencies checking their records)."""
        return self.ids.unseal(candidate.id_sealed)

    def attest(self, agency: str, round_id: str, note: str, handler: str = "") -> tuple[RoundInfo, bool]:
        """Record that the agency reviewed the round against its records: its opinion (note) and the officer who
        handled it."""
        self._agency_only(agency)
        refuse_if_concluded(self.get_round(round_id, count=False), "attestations")
        at, round_id, note = clock.utc_now(), round_id.strip(), clean_text(note, "note", limit=NOTE_LIMIT)
        handler = clean_text(handler, "handler", limit=MAX_TEXT)
        changed = self.store.attest(round_id, agency, at, note, handler,
                                    attestation_body(round_id, agency, at, note, handler))
        return self.get_round(round_id), changed

    def attestations(self, round_id: str) -> list[tuple[str, str, str, str]]:
        """A round's attestations as the report shows them: (agency, time, opinion, handler)."""
        return [(agency, at, note, handler) for agency, at, note, handler, _ in self.store.attestation_rows(round_id)]

    def screen_round(self, round_id: str, still_wanted: Callable[[], bool] = lambda: True,
                     changed_only: bool = False) -> Iterator[list[Decided]]:
        """Screen every candidate (changed_only: those changed since their latest decision); batches of recorded
        decisions; a signed checkpoint at the end.

        Stops between batches once still_wanted() is false (client gone or deadline passed); every
        batch already recorded stays recorded and is covered by the checkpoint made then.
        """
        info = self.get_round(round_id, count=self.pool is not None)
        refuse_if_concluded(info, "screenings")
        ruleset = self.registry.by_name(info.ruleset)
        self._check_tallies()
        batches: Generator[list[Decided], None, None]
        if changed_only:
            screened, changes = round_changes(self.store, info.round_id)
            only = changed_persons(changes) if screened else None
            batches = screen_round(self.store, self.evaluator, ruleset, info, only=only)
        elif self.pool is not None and info.candidates >= self.config.screen_parallel_from:
            batches = self.pool.screen(info.round_id, ruleset.hash, self.store.seq_slices(info.round_id, SLICE), still_wanted)
        else:
            batches = screen_round(self.store, self.evaluator, ruleset, info)
        try:
            for batch in batches:
                SCREENED.inc(len(batch))
                self._count_disagreements()
                yield batch
                self.signer.catch_up()  # the final checkpoint then only reads the last entries
                if not still_wanted():
                    log.info("screening of %s stopped: the caller went away or its deadline passed", info.round_id)
                    return
        finally:
            batches.close()  # workers finish the slices they started before the checkpoint covers them
            self.checkpoint()

    def reevaluate(self, round_id: str, ruleset: str, known_at: str) -> tuple[Ruleset, Ruleset, Iterator[list[Comparison]]]:
        """What-if / as-known-then comparison of a round (nothing is recorded)."""
        info = self.get_round(round_id, count=False)
        now_rs = self.registry.by_name(info.ruleset)
        then_rs = self.registry.by_name(ruleset) if ruleset.strip() else now_rs
        stamp = known_at_stamp(known_at) if known_at.strip() else ""
        return now_rs, then_rs, reevaluate(self.store, self.evaluator, info, now_rs, then_rs, stamp)

    # ---- the log ----
    def checkpoint(self) -> Checkpoint:
        """Sign the log's current size and root."""
        return self.signer.checkpoint()

    def latest_checkpoint(self, covering: int = 0) -> Checkpoint:
        """The newest checkpoint (made now if none covers `covering` entries)."""
        cps = self.store.checkpoints()
        if not cps or cps[-1][0] < covering:
            return self.checkpoint()
        return Checkpoint(*cps[-1])

    def inclusion_proof(self, leaf_index: int, tree_size: int) -> tuple[Checkpoint | None, int, bytes, list[bytes]]:
        """(checkpoint or None, tree size, leaf data, audit path) for one entry."""
        cp: Checkpoint | None = None
        if tree_size <= 0:
            cp = self.latest_checkpoint(leaf_index + 1)
            tree_size = cp.size
        if not 0 <= leaf_index < tree_size <= self.store.log_size():
            raise InvalidInputError(f"entry {leaf_index} is not in a tree of size {tree_size}", field="leaf_index")
        data = self.store.leaf(leaf_index)
        assert data is not None
        return cp, tree_size, data, merkle.inclusion_proof(self.store.leaf_hashes(tree_size), leaf_index)

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        """RFC 6962 consistency proof between two tree sizes."""
        if not 0 < first <= second <= self.store.log_size():
            raise InvalidInputError(f"no consistency proof from {first} to {second}", field="first")
        return merkle.consistency_proof(self.store.leaf_hashes(second), first)

    def export_log(self) -> tuple[Iterator[list[tuple[int, bytes]]], list[Checkpoint], str]:
        """(entries in batches, checkpoints with a fresh one last, public key): everything verify needs."""
        self.checkpoint()
        cps = [Checkpoint(*c) for c in self.store.checkpoints()]
        return self.store.leaves(0), cps, public_key_text(self.signer.key.public_key())

    def screen_candidate(self, round_id: str, row: CandidateRow, as_of: str, ruleset: str) -> Decided:
        """Screen one person, as a candidate of a round or ad hoc; the decision is recorded, bound to its inputs."""
        if round_id.strip():
            info = self.get_round(round_id, count=False)
            refuse_if_concluded(info, "screenings")
            id_number = idnumbers.normalize(row.id_number)
            return self._screen_in_round(info, self.ids.person_key(id_number), idnumbers.mask(id_number))
        rs = self.registry.by_name(ruleset)
        checked = validate_candidate(rs, self.vocabulary, row)
        if isinstance(checked, list):  # (one person, not a file: no row to name)
            raise InvalidInputError("; ".join(p.message.removeprefix(f"row {row.row}: ") for p in checked),
                                    field=checked[0].field)
        id_number, fields = checked
        day = check_plausible(parse_iso(as_of.strip(), field="as_of"), "as_of")
        person_key = self.ids.person_key(id_number)
        facts = CandidateFacts(person_key=person_key, id_masked=idnumbers.mask(id_number), **fields._asdict())
        self._check_tallies()
        with self.store.snapshot():
            ctx = round_context(self.store, None, rs, self.store.log_size())
            flags = flag_inputs(self.store.flag_versions([person_key]), [person_key]).get(person_key, NO_FLAGS)
        cand = CandidateInput(ScreenRow(0, person_key, facts.id_masked, facts.name, facts.village, facts.township,
                                        facts.positions, facts.party_member, facts.birth_date), None, [])
        return self._record(bound_decision(self.evaluator, rs, "", day, ctx, cand, facts, flags, clock.utc_now()), ctx)

    def _screen_in_round(self, info: RoundInfo, person_key: str, masked: str, appeal: Ref | None = None) -> Decided:
        """Screen one candidate of a round (for an appeal: naming its entry); the decision recorded."""
        rs = self.registry.by_name(info.ruleset)
        self._check_tallies()
        with self.store.snapshot():
            ctx = round_context(self.store, info, rs, self.store.log_size())
            found = self.store.screen_one(info.round_id, person_key)
            if found is None:
                raise NotFoundError(f"{masked} is not a candidate of round {info.round_id}", field="id_number")
            cand = candidate_input(info.round_id, *found)
            person_key = cand.row.person_key
            resolved = resolution_inputs(self.store, info.round_id, [person_key]).get(person_key, NO_RESOLUTIONS)
            flags = flag_inputs(self.store.flag_versions([person_key]), [person_key]).get(person_key, NO_FLAGS)
        return self._record(bound_decision(self.evaluator, rs, info.round_id, info.as_of, ctx, cand, cand.row.facts(),
                                           flags, clock.utc_now(), resolved, appeal), ctx)

    def _record(self, prepared_: PreparedDecision, ctx: RoundContext) -> Decided:
        self._count_disagreements()
        (stored,) = self.store.append_decisions([prepared_], [ctx.context])
        return Decided(stored)

    # ---- verification by the responsible agency (核实) ----
    def review_list(self, agency: str, round_id: str, all_: bool) -> Iterator[list[ReviewItem]]:
        """The agency's REVIEW verdicts in each candidate's latest decision of a round (all_: also those it
        resolved), in candidate order."""
        self._agency_only(agency)
        info = self.get_round(round_id, count=False)
        rows = self.store.latest_round_decisions(info.round_id)
        unconcerned: set[int] = set()  # shared results without anything for this agency: most candidates
        for i in range(0, len(rows), 1000):
            items = []
            for d in rows[i:i + 1000]:
                if d.result_index in unconcerned:
                    continue
                item = review_item(Decided(d).record, agency, all_)
                if item is not None:
                    items.append(item)
                elif d.result_index >= 0:
                    unconcerned.add(d.result_index)
            if items:
                yield items

    @one_at_a_time
    def resolve_review(self, agency: str, round_id: str, id_number: str, outcome: str, opinion: str,
                       handler: str) -> tuple[StoredResolution, int, Decided]:
        """Record the agency's conclusion on its REVIEW verdict in the candidate's latest decision, then screen the
        candidate again, applying it: (resolution, its log entry, the new decision)."""
        self._agency_only(agency)
        info = self.get_round(round_id, count=False)
        refuse_if_concluded(info, "resolutions")
        id_number = idnumbers.normalize(id_number)
        opinion = clean_text(opinion, "opinion", limit=NOTE_LIMIT, required=True)
        handler = clean_text(handler, "handler", limit=MAX_TEXT)
        person_key = self.ids.person_key(id_number)
        self._check_tallies()
        masked = idnumbers.mask(id_number)
        with self.store.snapshot():
            latest = self._latest_decision(info, person_key, masked, "there is no verdict to resolve yet")
            current = flag_inputs(self.store.flag_versions([person_key]), [person_key]).get(person_key, NO_FLAGS)
        resolution = resolution_for(latest, agency, outcome.strip().lower(), opinion, handler, clock.utc_now(),
                                    current)
        at = self.store.add_resolution(resolution, resolution_body(resolution))
        return resolution, at, self._screen_in_round(info, person_key, masked)

    # ---- appeals (复核) ----
    @one_at_a_time
    def open_appeal(self, role: str, round_id: str, id_number: str, reason: str) -> tuple[StoredAppeal, int]:
        """Open an appeal against a candidate's latest decision in a round (open or concluded): (appeal, its entry)."""
        info = self.get_round(round_id, count=False)
        id_number = idnumbers.normalize(id_number)
        reason = clean_text(reason, "reason", limit=NOTE_LIMIT, required=True)
        person_key, masked = self.ids.person_key(id_number), idnumbers.mask(id_number)
        with self.store.snapshot():
            latest = self._latest_decision(info, person_key, masked, "there is no decision to appeal yet")
            pending = [a.appeal_id for a, _, decided in self.store.appeals(info.round_id)
                       if a.person_key == person_key and not decided]
        if pending:
            raise ConflictError(f"{masked} already has an appeal in round {info.round_id} that is not decided "
                                f"({pending[0]}): answer and decide it first")
        appeal = new_appeal(latest, reason, role, clock.utc_now())
        return appeal, self.store.add_appeal(appeal, appeal_body(appeal))

    def _latest_decision(self, info: RoundInfo, person_key: str, masked: str, so: str) -> StoredDecision:
        """A candidate's latest decision in a round; NotFoundError if not a candidate, ConflictError (saying so) if
        never screened."""
        if self.store.screen_one(info.round_id, person_key) is None:
            raise NotFoundError(f"{masked} is not a candidate of round {info.round_id}", field="id_number")
        latest = self.store.latest_decision(info.round_id, person_key)
        if latest is None:
            raise ConflictError(f"{masked} has not been screened in round {info.round_id}: {so}")
        return latest

    def _appeal(self, appeal_id: str) -> tuple[StoredAppeal, RowEntry, str]:
        found = self.store.appeals(appeal_id=appeal_id.strip()) if appeal_id.strip() else []
        if not found:
            raise NotFoundError(f"no appeal {appeal_id!r} (`appeal list` lists them)", field="appeal_id")
        return found[0]

    def get_appeal(self, appeal_id: str) -> tuple[StoredAppeal, int, str, list[StoredAnswer]]:
        """An appeal, its entry, the decision made for it ("" while undecided) and its answers."""
        appeal, entry, decided = self._appeal(appeal_id)
        return appeal, entry[0] if entry else -1, decided, [a for a, _ in self.store.answers(appeal.appeal_id)]

    def decision_appeals(self, decided: Decided) -> tuple[tuple[StoredAppeal, int, str, list[StoredAnswer]] | None,
                                                          list[tuple[StoredAppeal, int, str, list[StoredAnswer]]]]:
        """The appeal a decision was made for (the one whose entry its record names), and those opened against it."""
        record = decided.record
        named = record.bound.appeal[0] if record.bound is not None and record.bound.appeal is not None else -1
        found = {a.appeal_id: (a, entry[0] if entry else -1, by)
                 for a, entry, by in self.store.appeals(about=(record.decision_id, named))}
        answers: dict[str, list[StoredAnswer]] = {}
        for appeal_id in found:
            answers[appeal_id] = [a for a, _ in self.store.answers(appeal_id)]
        made_for = [(*x, answers[i]) for i, x in found.items() if x[1] == named >= 0]
        against = [(*x, answers[i]) for i, x in found.items() if x[0].decision_id == record.decision_id]
        return (made_for[0] if made_for else None), against

    def appeal_list(self, role: str, round_id: str) -> list[tuple[StoredAppeal, int, str, list[StoredAnswer]]]:
        """Appeals of a round (or of every round), in the order opened, each with its entry, the decision made for it
        ("" while undecided) and its answers; an agency sees those contesting its verdicts."""
        if round_id.strip():
            self.get_round(round_id, count=False)
        answers: dict[str, list[StoredAnswer]] = {}
        for a, _ in self.store.answers():
            answers.setdefault(a.appeal_id, []).append(a)
        return [(a, entry[0] if entry else -1, decided, answers.get(a.appeal_id, []))
                for a, entry, decided in self.store.appeals(round_id.strip())
                if role not in self.vocabulary.agencies or role in a.agencies]

    @one_at_a_time
    def answer_appeal(self, agency: str, appeal_id: str, answer: str, opinion: str,
                      handler: str) -> tuple[StoredAppeal, StoredAnswer, int]:
        """A contested agency's answer to an appeal: (appeal, answer, its entry)."""
        self._agency_only(agency)
        appeal, _, decided = self._appeal(appeal_id)
        opinion = clean_text(opinion, "opinion", limit=NOTE_LIMIT, required=True)
        handler = clean_text(handler, "handler", limit=MAX_TEXT)
        given = [a for a, _ in self.store.answers(appeal.appeal_id)]
        answered = answer_for(appeal, decided, given, agency, answer.strip().lower(), opinion, handler, clock.utc_now())
        return appeal, answered, self.store.add_answer(answered, answer_body(answered))

    @one_at_a_time
    def decide_appeal(self, role: str, appeal_id: str) -> tuple[StoredAppeal, Decided, int]:
        """Once every contested agency answered: screen the candidate again, the decision naming the appeal; amend a
        concluded round's conclusion with it: (appeal, the new decision, the amendment's entry or -1)."""
        appeal, entry, decided = self._appeal(appeal_id)
        if decided:
            raise ConflictError(f"appeal {appeal.appeal_id} was decided already (decision {decided})")
        where = as_logged(appeal, entry)
        answers = answers_as_logged(self.store.answers(appeal.appeal_id))
        waiting = unanswered(appeal, answers)
        if waiting:
            raise ConflictError(f"appeal {appeal.appeal_id} waits for the answer of {', '.join(waiting)}")
        info = self.get_round(appeal.round_id, count=False)
        new = self._screen_in_round(info, appeal.person_key, appeal.id_masked, appeal=where)
        self.store.appeal_decided(appeal.appeal_id, new.record.decision_id)
        amended = -1
        if info.concluded_at:
            with self.store.snapshot():
                rows = self.store.latest_round_decisions(info.round_id)
                leaves = self.store.decision_leaves(info.round_id)
            done = conclusion(info, "amendment", clock.utc_now(), role, f"appeal {appeal.appeal_id}: decision "
                              f"{new.record.decision_id} replaces {appeal.decision_id}", leaves,
                              (_overall(d)[2] for d in rows), appeal_id=appeal.appeal_id)
            amended = self.store.add_conclusion(done, conclusion_body(done))
            self.checkpoint()
        return appeal, new, amended

    # ---- audit ----
    def get_decision(self, decision_id: str) -> Decided:
        """A recorded decision."""
        found = self.store.get_decision(decision_id.strip())
        if found is None:
            raise NotFoundError(f"no decision {decision_id!r}", field="decision_id")
        return Decided(found)

    def lineage(self, decision_id: str) -> tuple[str, str]:
        """The decisions of the same candidate and round just before (superseded) and after (superseding) one."""
        return self.store.neighbour_decisions(decision_id.strip())

    def round_decisions(self, round_id: str, all_: bool, id_number: str = "") -> Iterator[list[Decided]]:
        """Decisions recorded for a round: the latest per candidate, or all in log order (id_number: only that
        candidate's, all of them, in log order)."""
        self.get_round(round_id, count=False)
        if all_ or id_number.strip():
            person = self.ids.person_key(idnumbers.normalize(id_number)) if id_number.strip() else None
            for batch in self.store.round_decisions(round_id.strip(), person_key=person):
                yield [Decided(d) for d in batch]
            return
        rows = self.store.latest_round_decisions(round_id.strip())
        for i in range(0, len(rows), 1000):
            yield [Decided(d) for d in rows[i:i + 1000]]

    def replay_decision(self, decision_id: str) -> ReplayOutcome:
        """Replay one decision."""
        outcome = replay(self.registry, self.evaluator, self.get_decision(decision_id).record)
        self._count_disagreements()
        return outcome

    def replay_round(self, round_id: str) -> Iterator[list[ReplayOutcome]]:
        """Replay every decision recorded for a round."""
        self.get_round(round_id, count=False)
        for batch in self.store.round_decisions(round_id.strip()):
            outcomes = [replay_entry(self.registry, self.evaluator, d.data, d.result) for d in batch]
            self._count_disagreements()
            yield outcomes

    # ---- rules ----
    def rulesets(self) -> list[Ruleset]:
        """Loaded rulesets."""
        return self.registry.all()

    def rule(self, rule_id: str, ruleset: str) -> tuple[Ruleset, Rule | object]:
        """A rule by id."""
        rs = self.registry.by_name(ruleset)
        rule = rs.by_id.get(rule_id.strip())
        if rule is None:
            raise NotFoundError(f"no rule {rule_id!r} in {rs.label}", field="rule_id")
        return rs, rule





