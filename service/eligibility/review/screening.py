"""Screening: read each candidate's inputs (checked against the log), evaluate, record the decision bound to its
inputs (its body made by the codec)."""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Container, Generator, Iterator, Sequence
from datetime import date
from functools import partial

import orjson

from eligibility.engine.durable_adapter import ENGINE_VERSION
from eligibility.engine.evaluator import Evaluator
from eligibility.engine.holds import Hold, hold
from eligibility.engine.model import CandidateFacts, EvalInput, FlagFacts
from eligibility.engine.resolutions import Resolution, resolve
from eligibility.ledger.codec import (
    DecisionHead,
    FlaglessBatch,
    canonical,
    of_round,
    parse_decision,
    record_body,
    shared_result,
)
from eligibility.ledger.records import (
    Bound,
    DecisionRecord,
    PreparedDecision,
    Ref,
    RoundInfo,
    ScreenRow,
    StoredDecision,
)
from eligibility.review import clock
from eligibility.review.inputs import (
    NO_FLAGS,
    NO_RESOLUTIONS,
    CandidateInput,
    FlagInputs,
    ResolutionInputs,
    RoundContext,
    candidate_input,
    flag_inputs,
    resolution_inputs,
    round_context,
)
from eligibility.review.resolutions import as_applied
from eligibility.rules.schema import Ruleset
from eligibility.store import Store


class Decided:
    """A recorded decision: its sequence number, its entry in the log and the logged bytes (and those
    of the shared result it names, if it names one).

    The record (the parsed model) is kept when the caller already has it, else parsed from the
    logged bytes on first use: batch screening streams the bytes and never needs the model.
    """

    __slots__ = ("stored", "seq", "leaf_index", "data", "result_index", "result", "_record")

    def __init__(self, stored: StoredDecision, record: DecisionRecord | None = None) -> None:
        """A decision as the store returned it."""
        self.stored = stored
        self.seq, self.leaf_index, self.data, self.result_index, self.result = stored
        self._record = record

    @property
    def record(self) -> DecisionRecord:
        """The decision record (parsed from the logged bytes if need be)."""
        if self._record is None:
            self._record = parse_decision(self.data, self.result)
        return self._record


def _counted_from_random() -> Iterator[int]:
    return itertools.count(int.from_bytes(os.urandom(7), "big"))


_ids = [_counted_from_random()]
os.register_at_fork(after_in_child=lambda: _ids.__setitem__(0, _counted_from_random()))  # a forked child counts anew


def new_decision_id() -> str:
    """A fresh decision id: 40 bits of the clock (ms) then 56 bits counted from a random start drawn once per process.

    Ids made close in time sort close together, so a screening appends to the end of the
    decision-id index instead of touching a random page of it for every decision. Counting instead of
    drawing 56 random bits per id saves a system call per decision; two processes collide only if
    their random starts fall within the number of ids they make of each other (some 1e-11 for a
    million decisions each), and within a process the count never repeats.
    """
    return f"dec-{time.time_ns() // 1_000_000 & 0xFF_FFFF_FFFF:010x}{next(_ids[0]) & 0xFF_FFFF_FFFF_FFFF:014x}"


def decide(evaluator: Evaluator, ruleset: Ruleset, round_id: str, inp: EvalInput, recorded_at: str = "",
           bound: Bound | None = None, holds: Sequence[Hold] = (),
           resolutions: Sequence[Resolution] = ()) -> DecisionRecord:
    """Evaluate one candidate's inputs into a decision record (not yet stored); round_id "" for an ad hoc screen;
    resolutions: the agencies' conclusions on REVIEW verdicts (engine/resolutions.py); holds: inputs whose rows
    differ from the log (their verdicts held at REVIEW, after any resolution)."""
    result = resolve(evaluator.evaluate(ruleset, inp), resolutions, ruleset.hash)
    return DecisionRecord(
        decision_id=new_decision_id(), round_id=round_id, recorded_at=recorded_at or clock.utc_now(), as_of=inp.as_of,
        ruleset_name=ruleset.name, ruleset_hash=ruleset.hash, engine_version=ENGINE_VERSION, inputs=inp,
        result=hold(result, holds, ruleset.hash), bound=bound,
    )


def prepared(rec: DecisionRecord) -> PreparedDecision:
    """A decision record ready to be logged."""
    return PreparedDecision(rec.decision_id, rec.round_id, rec.inputs.candidate.person_key, rec.recorded_at,
                            rec.ruleset_hash, orjson.Fragment(canonical(record_body(rec))))


def eval_input(as_of: date, candidate: CandidateFacts, flags: Sequence[FlagFacts], attested: dict[str, str]) -> EvalInput:
    """The exact inputs one decision reads (no raw ID number: birth date and keyed hash only); flags by agency and
    reference."""
    return EvalInput(as_of=as_of, candidate=candidate, flags=tuple(flags), attestations=dict(attested))


def _flagless_input(as_of: date, row: ScreenRow, attested: dict[str, str]) -> EvalInput:
    return eval_input(as_of, row.facts(), [], attested)


def bound_decision(evaluator: Evaluator, ruleset: Ruleset, round_id: str, as_of: date, ctx: RoundContext,
                   cand: CandidateInput, candidate: CandidateFacts, flags: FlagInputs, now: str,
                   resolved: ResolutionInputs = NO_RESOLUTIONS, appeal: Ref | None = None) -> PreparedDecision:
    """A decision that goes through the evaluator (flags on record, a resolution, or an input held), bound to its
    inputs (and to the appeal it is made for, if it is)."""
    bound = Bound(context=ctx.context.sha256, candidate=cand.ref, flags=tuple(flags.refs),
                  resolutions=tuple(where for _, where in resolved.resolutions), appeal=appeal)
    return prepared(decide(evaluator, ruleset, round_id, eval_input(as_of, candidate, flags.flags, ctx.attested), now,
                           bound, [*ctx.holds, *cand.holds, *flags.holds, *resolved.holds],
                           as_applied(resolved, flags)))


def screen_round(store: Store, evaluator: Evaluator, ruleset: Ruleset, round_: RoundInfo, batch: int = 2000,
                 after: int = 0, upto: int | None = None,
                 only: Container[str] | None = None) -> Generator[list[Decided], None, None]:
    """Screen every candidate of a round (or those with after < seq <= upto; only: those of these persons); each
    batch is read in one snapshot (checked against the log and bound to it: review/inputs.py), recorded in one
    transaction, then yielded.

    A candidate with flags on record goes through the evaluator (durable-rules, shadow-checked) and
    its record holds its result. A candidate with none (most of a round) gets the result it shares
    with every candidate of the same profile-check outcome (Evaluator.shared_results); its record is
    built straight from the row and names that result by hash (logged once, before it).
    """
    as_of = round_.as_of.isoformat()
    shared = evaluator.shared_results(ruleset, round_.as_of)
    round_id = round_.round_id
    in_round = of_round(round_id)
    last = after
    while True:
        with store.snapshot():
            ctx = round_context(store, round_, ruleset, store.log_size())
            page = store.screen_page(round_id, last, upto, batch)
            if not page:
                return
            last = page[-1][0].seq
            if only is not None:
                page = [p for p in page if p[0].person_key in only]
                if not page:
                    continue
            cands = [candidate_input(round_id, row, entry, in_round) for row, entry in page]
            persons = [c.row.person_key for c in cands]
            flags = flag_inputs(store.flag_versions(persons), persons)
            resolved = resolution_inputs(store, round_id, persons) if store.has_resolutions(round_id) else {}
        now = clock.utc_now()  # one transaction, one time of recording
        out: list[PreparedDecision] = []
        attested = ctx.attested
        flagless = FlaglessBatch(DecisionHead("", round_id, now, as_of, ruleset.name, ruleset.hash, ENGINE_VERSION),
                                 attested, ctx.context.sha256)
        for c in cands:
            r = c.row
            on_record = flags.get(r.person_key, NO_FLAGS)
            if on_record.flags or on_record.holds or c.holds or ctx.holds or r.person_key in resolved:
                out.append(bound_decision(evaluator, ruleset, round_id, round_.as_of, ctx, c, r.facts(), on_record, now,
                                          resolved.get(r.person_key, NO_RESOLUTIONS)))
                continue
            result = shared.of(r, partial(_flagless_input, round_.as_of, r, attested))
            name, result_data = shared_result(result)
            decision_id = new_decision_id()
            out.append(PreparedDecision(decision_id, round_id, r.person_key, now, ruleset.hash,
                                        orjson.Fragment(flagless.body(decision_id, c.encoded, c.ref, name)), name,
                                        result_data))
        yield [Decided(d) for d in store.append_decisions(out, [ctx.context])]
