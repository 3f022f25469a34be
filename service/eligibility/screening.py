"""Screening: read each candidate's inputs, evaluate, record the decision."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import NamedTuple

from .domain import EvalInput
from .engine import ENGINE_VERSION
from .evaluator import Evaluator
from .records import DecisionRecord, RoundInfo, StoredCandidate, StoredFlag, utc_now
from .ruleset import Ruleset
from .store import Store


class Decided(NamedTuple):
    """A recorded decision: its sequence number, its entry in the log, the record and the logged bytes."""

    seq: int
    leaf_index: int
    record: DecisionRecord
    data: bytes


def new_decision_id() -> str:
    """A fresh, unguessable decision id."""
    return "dec-" + uuid.uuid4().hex[:20]


def decide(evaluator: Evaluator, ruleset: Ruleset, round_: RoundInfo | None, as_of_round: EvalInput) -> DecisionRecord:
    """Evaluate one prepared input into a decision record (not yet stored)."""
    result = evaluator.evaluate(ruleset, as_of_round)
    return DecisionRecord.model_construct(
        decision_id=new_decision_id(), round_id=round_.round_id if round_ else "", recorded_at=utc_now(),
        as_of=as_of_round.as_of, ruleset_name=ruleset.name, ruleset_hash=ruleset.hash,
        engine_version=ENGINE_VERSION, inputs=as_of_round, result=result,
    )


def eval_input(round_: RoundInfo, cand: StoredCandidate, flags: list[StoredFlag], attested: dict[str, str]) -> EvalInput:
    """The exact inputs one decision reads (no raw ID number: birth date and keyed hash only)."""
    return EvalInput.model_construct(
        as_of=round_.as_of, candidate=cand.facts(),
        flags=tuple(f.facts() for f in sorted(flags, key=lambda f: (f.agency, f.reference))),
        attestations=dict(attested),
    )


def screen_round(store: Store, evaluator: Evaluator, ruleset: Ruleset, round_: RoundInfo,
                 batch: int = 2000) -> Iterator[list[Decided]]:
    """Screen every candidate of a round; each batch is recorded in one transaction, then yielded."""
    attested = store.attestations(round_.round_id)
    for cands in store.candidates(round_.round_id, batch):
        flags = store.flags_for_persons([c.person_key for c in cands])
        records = [decide(evaluator, ruleset, round_, eval_input(round_, c, flags.get(c.person_key, []), attested))
                   for c in cands]
        stored = store.append_decisions(records)
        yield [Decided(seq, leaf, rec, data) for (seq, leaf, data), rec in zip(stored, records, strict=True)]
