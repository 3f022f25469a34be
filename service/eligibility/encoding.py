"""Fast canonical encoding of decision records (the hot path of screening and replay).

`decision_body(record)` returns exactly what `record.model_dump(mode="json")` returns, built by
hand, with the (often shared) result pre-encoded as an orjson Fragment, so that
`orjson.dumps(..., OPT_SORT_KEYS)` gives the same canonical bytes much faster. A test keeps the
two equal for every shape of record.

`flagless_decision_body` is the record of a candidate with no flag on record, whose result is
shared with every candidate of the same profile-check outcome (95% of a round): the record names
that result by the SHA-256 of its canonical JSON ("result_sha256"), and the result itself is
logged once, as an entry of type "result" before the first record that names it. A record is then
~1 KB instead of ~5 KB: less to write, hash, send and parse for every candidate.
"""

from __future__ import annotations

from typing import Any

import orjson

from .domain import CandidateFacts, EvalInput, FlagFacts, Result
from .records import ScreenRow, result_sha256

_RESULTS: dict[int, tuple[Result, bytes, orjson.Fragment]] = {}
_NAMES: dict[int, tuple[Result, str]] = {}


def _encoded(result: Result) -> tuple[Result, bytes, orjson.Fragment]:
    hit = _RESULTS.get(id(result))
    if hit is not None and hit[0] is result:
        return hit
    data = orjson.dumps(result_body(result), option=orjson.OPT_SORT_KEYS)
    if len(_RESULTS) > 1024:
        _RESULTS.clear()
    entry = _RESULTS[id(result)] = (result, data, orjson.Fragment(data))
    return entry


def _name(result: Result) -> str:
    """The hash that records name a shared result by (computed once per shared result)."""
    hit = _NAMES.get(id(result))
    if hit is not None and hit[0] is result:
        return hit[1]
    if len(_NAMES) > 1024:
        _NAMES.clear()
    name = result_sha256(_encoded(result)[1])
    _NAMES[id(result)] = (result, name)
    return name


def result_body(result: Result) -> dict[str, Any]:
    """Result as model_dump(mode="json") gives it (every field of ours is a str, int or a tuple of models)."""
    return {"overall": result.overall, "verdicts": dict(result.verdicts),
            "trace": [{**t.__dict__, "flags": [dict(f.__dict__) for f in t.flags]} for t in result.trace]}


def result_bytes(result: Result) -> bytes:
    """The canonical JSON of a result, cached for results shared by many decisions."""
    return _encoded(result)[1]


def result_fragment(result: Result) -> orjson.Fragment:
    """The same, as a fragment to embed in a larger document."""
    return _encoded(result)[2]


def shared_result(result: Result) -> tuple[str, bytes]:
    """(name, canonical bytes) of a result that records name by hash."""
    return _name(result), _encoded(result)[1]


def _candidate(c: CandidateFacts | ScreenRow) -> dict[str, Any]:
    return {"person_key": c.person_key, "id_masked": c.id_masked, "birth_date": c.birth_date.isoformat(),
            "name": c.name, "positions": list(c.positions), "party_member": c.party_member, "village": c.village,
            "township": c.township}


def _flag(f: FlagFacts) -> dict[str, Any]:
    return {"agency": f.agency, "reference": f.reference, "version": f.version, "status": f.status, "name": f.name,
            "kind": f.kind, "level": f.level, "decided_on": f.decided_on.isoformat(),
            "end_date": f.end_date.isoformat() if f.end_date else None, "term_months": f.term_months,
            "recorded_at": f.recorded_at}


def inputs_body(inp: EvalInput) -> dict[str, Any]:
    """EvalInput as model_dump(mode="json") would give it."""
    return {"as_of": inp.as_of.isoformat(), "candidate": _candidate(inp.candidate),
            "flags": [_flag(f) for f in inp.flags], "attestations": dict(inp.attestations)}


def decision_body(rec: Any) -> dict[str, Any]:
    """DecisionRecord as model_dump(mode="json") would give it (the result as a Fragment)."""
    return {"decision_id": rec.decision_id, "round_id": rec.round_id, "recorded_at": rec.recorded_at,
            "as_of": rec.as_of.isoformat(), "ruleset_name": rec.ruleset_name, "ruleset_hash": rec.ruleset_hash,
            "engine_version": rec.engine_version, "inputs": inputs_body(rec.inputs),
            "result": result_fragment(rec.result)}


def flagless_decision_body(decision_id: str, round_id: str, recorded_at: str, as_of: str, ruleset_name: str,
                           ruleset_hash: str, engine_version: str, cand: ScreenRow, attestations: dict[str, str],
                           result_name: str) -> dict[str, Any]:
    """The record of a candidate with no flag on record, straight from the row (no model objects); it
    names its (shared) result by hash instead of holding it."""
    return {"decision_id": decision_id, "round_id": round_id, "recorded_at": recorded_at, "as_of": as_of,
            "ruleset_name": ruleset_name, "ruleset_hash": ruleset_hash, "engine_version": engine_version,
            "inputs": {"as_of": as_of, "candidate": _candidate(cand), "flags": [], "attestations": attestations},
            "result_sha256": result_name}
