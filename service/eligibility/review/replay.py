"""Replay: re-evaluate a recorded decision's inputs under its recorded ruleset version and compare (the agencies'
resolutions it applied applied again: engine/resolutions.py; the verdicts it held for a store mismatch held again:
engine/holds.py)."""

from __future__ import annotations

import orjson
from pydantic import BaseModel, ConfigDict

from eligibility.engine.durable_adapter import ENGINE_VERSION
from eligibility.engine.evaluator import Evaluator
from eligibility.engine.holds import hold, holds_in
from eligibility.engine.resolutions import resolutions_in, resolve
from eligibility.errors import RecordError
from eligibility.ledger.codec import (
    canonical,
    entry_body,
    logged_result,
    parse_decision,
    parse_inputs,
    result_bytes,
    shared_result,
)
from eligibility.ledger.records import DecisionRecord
from eligibility.review.registry import Registry


class ReplayOutcome(BaseModel):
    """MATCH, or the differences between the recorded and the recomputed result."""

    model_config = ConfigDict(frozen=True)
    decision_id: str
    name: str
    ruleset_hash: str
    match: bool
    differences: tuple[str, ...] = ()


_NAMED: dict[bytes, str] = {}


def _logged_result_name(result_entry: bytes) -> str:
    """The hash of the result a "result" log entry holds (computed once per distinct entry)."""
    name = _NAMED.get(result_entry)
    if name is None:
        if len(_NAMED) > 256:
            _NAMED.clear()
        name = _NAMED[result_entry] = logged_result(result_entry)[0]
    return name


def replay_entry(registry: Registry, evaluator: Evaluator, entry: bytes, result_entry: bytes = b"") -> ReplayOutcome:
    """Replay a decision from its logged entry (and that of the shared result it names, if it names one):
    parse only the inputs, compare the result's canonical bytes, or their hash, directly."""
    body = entry_body(entry)
    inputs = parse_inputs(body)
    again = evaluator.evaluate(registry.by_hash(body["ruleset_hash"]), inputs)
    if "result" in body:
        trace = body["result"]["trace"]
        again = hold(resolve(again, resolutions_in(trace), body["ruleset_hash"]), holds_in(trace), body["ruleset_hash"])
        same = orjson.dumps(body["result"], option=orjson.OPT_SORT_KEYS) == result_bytes(again)
    else:
        same = bool(result_entry) and body["result_sha256"] == shared_result(again)[0] == _logged_result_name(
            result_entry)
    if same:
        return ReplayOutcome(decision_id=body["decision_id"], name=inputs.candidate.name,
                             ruleset_hash=body["ruleset_hash"], match=True)
    try:
        record = parse_decision(entry, result_entry)
    except RecordError as e:  # the result it names is not what the log holds: a finding, not a failure
        return ReplayOutcome(decision_id=body["decision_id"], name=inputs.candidate.name,
                             ruleset_hash=body["ruleset_hash"], match=False, differences=(e.message,))
    return replay(registry, evaluator, record)


def replay(registry: Registry, evaluator: Evaluator, record: DecisionRecord) -> ReplayOutcome:
    """Re-run the engine on exactly the recorded inputs; the result must be identical byte for byte."""
    ruleset = registry.by_hash(record.ruleset_hash)
    trace = record.result.trace
    again = hold(resolve(evaluator.evaluate(ruleset, record.inputs), resolutions_in(trace), ruleset.hash),
                 holds_in(trace), ruleset.hash)
    before = canonical(record.result.model_dump(mode="json"))
    after = result_bytes(again)
    diffs: list[str] = []
    if before != after:
        if record.result.overall != again.overall:
            diffs.append(f"overall: recorded {record.result.overall}, replayed {again.overall}")
        for agency in sorted(set(record.result.verdicts) | set(again.verdicts)):
            a, b = record.result.verdicts.get(agency), again.verdicts.get(agency)
            if a != b:
                diffs.append(f"{agency}: recorded {a}, replayed {b}")
        old = {canonical(t.model_dump(mode="json")) for t in record.result.trace}
        new = {canonical(t.model_dump(mode="json")) for t in again.trace}
        diffs += [f"trace only in record: {t.decode()}" for t in sorted(old - new)]
        diffs += [f"trace only in replay: {t.decode()}" for t in sorted(new - old)]
        if not diffs:
            diffs.append("trace order differs")
    if diffs and record.engine_version != ENGINE_VERSION:
        diffs_note = f"(recorded with {record.engine_version})"
        diffs = [f"{d} {diffs_note}" for d in diffs]
    return ReplayOutcome(decision_id=record.decision_id, name=record.inputs.candidate.name,
                         ruleset_hash=record.ruleset_hash, match=not diffs, differences=tuple(diffs))

