"""Screening: read each candidate's inputs, evaluate, record the decision."""

from __future__ import annotations

import os
import time
from collections.abc import Generator
from datetime import date
from typing import Protocol

import orjson

from .domain import CandidateFacts, EvalInput, Result
from .encoding import decision_body, flagless_decision_body, shared_result
from .engine import ENGINE_VERSION
from .evaluator import Evaluator
from .facts import Match
from .records import DecisionRecord, PreparedDecision, RoundInfo, StoredDecision, StoredFlag, canonical, utc_now
from .reference import profile_matches
from .ruleset import Ruleset
from .store import Store


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
            self._record = DecisionRecord.from_entry(self.data, self.result)
        return self._record


def new_decision_id() -> str:
    """A fresh decision id: 40 bits of the clock (ms) then 56 random bits.

    Ids made close in time sort close together, so a screening appends to the end of the
    decision-id index instead of touching a random page of it for every decision.
    """
    return f"dec-{time.time_ns() // 1_000_000 & 0xFF_FFFF_FFFF:010x}{os.urandom(7).hex()}"


def decide(evaluator: Evaluator, ruleset: Ruleset, round_: RoundInfo | None, as_of_round: EvalInput,
           recorded_at: str = "") -> DecisionRecord:
    """Evaluate one prepared input into a decision record (not yet stored)."""
    result = evaluator.evaluate(ruleset, as_of_round)
    return DecisionRecord(
        decision_id=new_decision_id(), round_id=round_.round_id if round_ else "", recorded_at=recorded_at or utc_now(),
        as_of=as_of_round.as_of, ruleset_name=ruleset.name, ruleset_hash=ruleset.hash,
        engine_version=ENGINE_VERSION, inputs=as_of_round, result=result,
    )


def prepared(rec: DecisionRecord) -> PreparedDecision:
    """A decision record ready to be logged."""
    return PreparedDecision(rec.decision_id, rec.round_id, rec.inputs.candidate.person_key, rec.recorded_at,
                            rec.ruleset_hash, orjson.Fragment(canonical(decision_body(rec))))


class HasFacts(Protocol):
    """A stored candidate, in whichever shape the caller read it."""

    def facts(self) -> CandidateFacts: ...  # noqa: D102


def eval_input(round_: RoundInfo, cand: HasFacts, flags: list[StoredFlag], attested: dict[str, str]) -> EvalInput:
    """The exact inputs one decision reads (no raw ID number: birth date and keyed hash only)."""
    return EvalInput(
        as_of=round_.as_of, candidate=cand.facts(),
        flags=tuple(f.facts() for f in sorted(flags, key=lambda f: (f.agency, f.reference))),
        attestations=dict(attested),
    )


def screen_round(store: Store, evaluator: Evaluator, ruleset: Ruleset, round_: RoundInfo, batch: int = 2000,
                 after: int = 0, upto: int | None = None) -> Generator[list[Decided], None, None]:
    """Screen every candidate of a round (or those with after < seq <= upto); each batch is recorded in one
    transaction, then yielded.

    A candidate with flags on record goes through the evaluator (durable-rules, shadow-checked).
    A candidate with none (most of a round) can only meet the profile checks, whose outcome
    depends on nothing but the round (ruleset, as_of, attestations) and the candidate's birth
    date, Party membership and positions, through the profile rules they fire: the evaluator
    decides the first candidate for each set of profile firings and the others share its result
    (the reference evaluator's profile check picks the set); their records are built straight
    from the row and name that result by hash (logged once, see encoding.py).
    """
    attested = store.attestations(round_.round_id)
    as_of = round_.as_of.isoformat()
    by_kind: dict[tuple[date, bool, tuple[str, ...]], Result] = {}
    by_matches: dict[frozenset[Match], Result] = {}
    for rows in store.screen_rows(round_.round_id, batch, after, upto):
        flags = store.flags_for_persons([r.person_key for r in rows])
        now = utc_now()  # one transaction, one time of recording
        out: list[PreparedDecision] = []
        for r in rows:
            on_record = flags.get(r.person_key)
            if on_record:
                out.append(prepared(decide(evaluator, ruleset, round_, eval_input(round_, r, on_record, attested), now)))
                continue
            kind = (r.birth_date, r.party_member, r.positions)
            result = by_kind.get(kind)
            if result is None:
                matches = frozenset(profile_matches(ruleset, round_.as_of, r))
                result = by_matches.get(matches)
                if result is None:
                    result = by_matches[matches] = evaluator.evaluate(ruleset, eval_input(round_, r, [], attested))
                by_kind[kind] = result
            name, result_data = shared_result(result)
            out.append(PreparedDecision(
                new_id := new_decision_id(), round_.round_id, r.person_key, now, ruleset.hash,
                orjson.Fragment(canonical(flagless_decision_body(
                    new_id, round_.round_id, now, as_of, ruleset.name, ruleset.hash, ENGINE_VERSION, r, attested,
                    name))), name, result_data))
        yield [Decided(d) for d in store.append_decisions(out)]

