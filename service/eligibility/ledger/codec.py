"""The one codec of what is logged: every entry body is built here, and parsed back here.

Entry bodies, by type: ``ruleset``, ``flag`` (one version), ``round``, ``candidate``,
``attestation``, ``resolution`` (an agency's conclusion on a REVIEW verdict), ``result`` (a result
shared by many decisions) and ``decision``, in two shapes:
holding its result, or naming a shared result by the SHA-256 of its canonical JSON
(``result_sha256``). The bytes are canonical JSON (sorted keys, no whitespace; RFC 8785 for our
records, which have ASCII keys and no floats). The store receives these bodies ready-made and
knows rows, not record formats.

The hot paths build bodies by hand instead of through pydantic's ``model_dump``; each builder
returns exactly what ``model_dump(mode="json")`` returns for its model (tests keep them equal),
and a result shared by many decisions is encoded once and embedded as an orjson Fragment.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, NamedTuple

import orjson

from eligibility.engine.model import CandidateFacts, EvalInput, FlagFacts, Result
from eligibility.errors import RecordError
from eligibility.ledger.records import (
    Bound,
    Context,
    DecisionRecord,
    FlagVersion,
    Ref,
    RoundInfo,
    ScreenRow,
    StoredAnswer,
    StoredAppeal,
    StoredCandidate,
    StoredConclusion,
    StoredFlag,
    StoredResolution,
)

Body = dict[str, Any] | orjson.Fragment
"""An entry's body: a JSON object, or its canonical bytes already made (outside the write lock)."""


def canonical(obj: Any) -> bytes:
    """Canonical JSON: sorted keys, no insignificant whitespace, UTF-8 (no floats in our records)."""
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)


# ---------------------------------------------------------------- inputs
def ruleset_body(name: str, version: str, hash_: str, first_loaded_at: str, content: bytes | None) -> dict[str, Any]:
    """A ruleset version as logged when a server first loads it, with its canonical content (hash_ is its
    SHA-256), so that the log alone can replay the decisions made under it. content None: an entry as logged
    before the content was (by hash only; its content is in the database's rulesets table)."""
    body: dict[str, Any] = {"name": name, "version": version, "hash": hash_, "first_loaded_at": first_loaded_at}
    if content is not None:
        body["content"] = orjson.Fragment(content)
    return body


def flag_body(f: StoredFlag | FlagVersion) -> dict[str, Any]:
    """A flag version as logged (no raw or sealed ID number); equal to model_dump(mode="json") minus those. (A
    FlagVersion holds its dates as the table's text.)"""
    decided, end = f.decided_on, f.end_date
    return {"agency": f.agency, "reference": f.reference, "version": f.version, "status": f.status,
            "person_key": f.person_key, "id_masked": f.id_masked, "name": f.name, "kind": f.kind, "level": f.level,
            "decided_on": decided if isinstance(decided, str) else decided.isoformat(),
            "end_date": end if end is None or isinstance(end, str) else end.isoformat(),
            "term_months": f.term_months, "note": f.note, "reason": f.reason, "recorded_at": f.recorded_at}


PENDING_TIME = "0000-00-00T00:00:00.000000Z"
"""The time of recording of a version made before the write lock: replaced under it (where the time is taken)."""


class FirstVersion(NamedTuple):
    """Version 1 of a new reference, made and encoded before the write lock (with PENDING_TIME)."""

    flag: StoredFlag
    body: bytes
    """flag_body(flag) as canonical JSON."""

    @classmethod
    def of(cls, flag: StoredFlag) -> FirstVersion:
        """Encode a version made with PENDING_TIME."""
        assert flag.recorded_at == PENDING_TIME
        return cls(flag, canonical(flag_body(flag)))

    def logged(self, at: str) -> orjson.Fragment:
        """Its logged body, as recorded at this time."""
        # a name, note or reference cannot hold this text: a quote in them is escaped in JSON
        pending = b'"recorded_at":"' + PENDING_TIME.encode() + b'"'
        assert self.body.count(pending) == 1
        return orjson.Fragment(self.body.replace(pending, b'"recorded_at":"' + at.encode() + b'"'))


def round_body(r: RoundInfo) -> dict[str, Any]:
    """A round as logged when it is opened (its candidates and attestations are entries of their own)."""
    return {"round_id": r.round_id, "name": r.name, "as_of": r.as_of.isoformat(), "ruleset": r.ruleset,
            "created_at": r.created_at, "created_by": r.created_by}


def candidate_body(c: StoredCandidate) -> dict[str, Any]:
    """A candidate of a round as logged (no raw or sealed ID number)."""
    return screen_row_body(c.round_id, c)


def screen_row_body(round_id: str, c: StoredCandidate | ScreenRow) -> dict[str, Any]:
    """A candidate of a round as logged, from the row screening reads."""
    return {"round_id": round_id, "seq": c.seq, "person_key": c.person_key, "id_masked": c.id_masked,
            "name": c.name, "village": c.village, "township": c.township, "positions": list(c.positions),
            "party_member": c.party_member, "birth_date": c.birth_date.isoformat()}


def attestation_body(round_id: str, agency: str, attested_at: str, note: str, handler: str = "") -> dict[str, Any]:
    """An agency's attestation that it reviewed a round against its records: its opinion (note) and, when given, the
    officer who handled it (an attestation logged before handlers were recorded has none, and says the same)."""
    body = {"round_id": round_id, "agency": agency, "attested_at": attested_at, "note": note}
    if handler:
        body["handler"] = handler
    return body


# ---------------------------------------------------------------- entries and what a decision read
_BODY = b'{"body":'
_AFTER_BODY = b',"index":'


def entry_holds(data: bytes, body: dict[str, Any]) -> bool:
    """Whether a logged entry's body is exactly this body (its canonical bytes begin the entry's)."""
    content = canonical(body)
    return data.startswith(_BODY) and data.startswith(content, 8) and data.startswith(_AFTER_BODY, 8 + len(content))


def ref(position: int, leaf: bytes) -> Ref:
    """An entry named by position and leaf hash."""
    return position, leaf.hex()


def context(log_size: int, round_: Ref | None, ruleset: Ref, attestations: dict[str, Ref]) -> Context:
    """The context of a batch of decisions: the log size its inputs were read at, and the entries of its round,
    ruleset and attestations (logged as a "context" entry, named by hash by every decision of the batch)."""
    body = canonical({"log_size": log_size, "round": round_, "ruleset": ruleset, "attestations": attestations})
    return Context(hashlib.sha256(body).hexdigest(), body, log_size)


def bound_body(b: Bound) -> dict[str, Any]:
    """Bound as model_dump(mode="json") gives it (resolutions only when there are some: a record without any is
    as it was before they existed)."""
    body: dict[str, Any] = {"context": b.context, "candidate": list(b.candidate) if b.candidate else None,
                            "flags": [list(f) for f in b.flags]}
    if b.resolutions:
        body["resolutions"] = [list(r) for r in b.resolutions]
    if b.appeal:
        body["appeal"] = list(b.appeal)
    return body


def appeal_body(a: StoredAppeal) -> dict[str, Any]:
    """An appeal as logged (model_dump(mode="json") of it)."""
    return {"appeal_id": a.appeal_id, "round_id": a.round_id, "person_key": a.person_key, "id_masked": a.id_masked,
            "name": a.name, "reason": a.reason, "opened_at": a.opened_at, "by": a.by, "decision_id": a.decision_id,
            "decision": list(a.decision), "agencies": list(a.agencies)}


def answer_body(a: StoredAnswer) -> dict[str, Any]:
    """An agency's answer to an appeal as logged."""
    return {"appeal_id": a.appeal_id, "agency": a.agency, "answer": a.answer, "opinion": a.opinion,
            "handler": a.handler, "answered_at": a.answered_at}


def conclusion_body(c: StoredConclusion) -> dict[str, Any]:
    """A round's conclusion (or an amendment of it) as logged (model_dump(mode="json") of it)."""
    return {"round_id": c.round_id, "kind": c.kind, "at": c.at, "by": c.by, "note": c.note, "appeal_id": c.appeal_id,
            "decisions": list(c.decisions), "decisions_sha256": c.decisions_sha256, "overall": dict(c.overall)}


def resolution_body(r: StoredResolution) -> dict[str, Any]:
    """An agency's resolution of a REVIEW verdict as logged (model_dump(mode="json") of it)."""
    return {"round_id": r.round_id, "person_key": r.person_key, "id_masked": r.id_masked, "name": r.name,
            "agency": r.agency, "outcome": r.outcome, "opinion": r.opinion, "handler": r.handler,
            "resolved_at": r.resolved_at, "decision_id": r.decision_id, "decision": list(r.decision),
            "flags": [list(f) for f in r.flags]}


# ---------------------------------------------------------------- results
_RESULTS: dict[int, tuple[Result, bytes, orjson.Fragment]] = {}
_NAMES: dict[int, tuple[Result, str]] = {}


def result_body(result: Result) -> dict[str, Any]:
    """Result as model_dump(mode="json") gives it (every field of ours is a str, int or a tuple of models)."""
    return {"overall": result.overall, "verdicts": dict(result.verdicts),
            "trace": [{**t.__dict__, "flags": [dict(f.__dict__) for f in t.flags]} for t in result.trace]}


def _encoded(result: Result) -> tuple[Result, bytes, orjson.Fragment]:
    """A result's canonical bytes, cached for results shared by many decisions (keyed by identity)."""
    hit = _RESULTS.get(id(result))
    if hit is not None and hit[0] is result:
        return hit
    data = canonical(result_body(result))
    if len(_RESULTS) > 1024:
        _RESULTS.clear()
    entry = _RESULTS[id(result)] = (result, data, orjson.Fragment(data))
    return entry


def result_sha256(result_canonical: bytes) -> str:
    """The name of a shared result: the SHA-256 of its canonical JSON, hex."""
    return hashlib.sha256(result_canonical).hexdigest()


def result_bytes(result: Result) -> bytes:
    """The canonical JSON of a result (the body of its "result" entry when shared)."""
    return _encoded(result)[1]


def shared_result(result: Result) -> tuple[str, bytes]:
    """(name, canonical bytes) of a result that records name by hash (the name computed once per result)."""
    hit = _NAMES.get(id(result))
    if hit is None or hit[0] is not result:
        if len(_NAMES) > 1024:
            _NAMES.clear()
        hit = _NAMES[id(result)] = (result, result_sha256(_encoded(result)[1]))
    return hit[1], _encoded(result)[1]


# ---------------------------------------------------------------- decisions
class DecisionHead(NamedTuple):
    """What every decision record says besides its inputs and its result."""

    decision_id: str
    round_id: str
    recorded_at: str
    as_of: str
    ruleset_name: str
    ruleset_hash: str
    engine_version: str


def _candidate(c: CandidateFacts | ScreenRow) -> dict[str, Any]:
    return {"person_key": c.person_key, "id_masked": c.id_masked, "birth_date": c.birth_date.isoformat(),
            "name": c.name, "positions": list(c.positions), "party_member": c.party_member, "village": c.village,
            "township": c.township}


def _flag(f: FlagFacts) -> dict[str, Any]:
    return {"agency": f.agency, "reference": f.reference, "version": f.version, "status": f.status, "name": f.name,
            "kind": f.kind, "level": f.level, "decided_on": f.decided_on.isoformat(),
            "end_date": f.end_date.isoformat() if f.end_date else None, "term_months": f.term_months,
            "recorded_at": f.recorded_at}


def candidate_bytes(c: CandidateFacts | ScreenRow) -> bytes:
    """The canonical JSON of a candidate as a decision's inputs hold it."""
    return canonical(_candidate(c))


_BEFORE_TOWNSHIP = b',"township":'


def of_round(round_id: str) -> bytes:
    """What candidate_entry_holds puts before a candidate's place: its round."""
    return b',"round_id":' + canonical(round_id) + b',"seq":'


def candidate_entry_holds(data: bytes, of_round_: bytes, seq: int, candidate: bytes) -> bool:
    """Whether a logged candidate entry is exactly this candidate (its canonical bytes as a decision holds them)
    of this round (of_round(round_id)) at this place: the entry's body is those bytes with the round and place put
    in their sorted place, before "township" (a quote inside a name is escaped, so the first unescaped "township"
    key is it)."""
    i = candidate.find(_BEFORE_TOWNSHIP)
    return data.startswith(b'{"body":%b%b%d%b,"index":' % (candidate[:i], of_round_, seq, candidate[i:]))


def inputs_body(as_of: str, candidate: CandidateFacts | ScreenRow, flags: Sequence[FlagFacts],
                attestations: dict[str, str]) -> dict[str, Any]:
    """The inputs a decision read (EvalInput as model_dump(mode="json") gives it), from the model or straight
    from a screened row."""
    return {"as_of": as_of, "candidate": _candidate(candidate), "flags": [_flag(f) for f in flags],
            "attestations": dict(attestations)}


def decision_body(head: DecisionHead, inputs: dict[str, Any], result: Result | None = None,
                  result_name: str = "", bound: dict[str, Any] | None = None) -> dict[str, Any]:
    """A decision record: holding its result, or naming a shared result by hash (logged before it); bound (as
    bound_body gives it) says where each input is in the log."""
    body: dict[str, Any] = {**head._asdict(), "inputs": inputs}
    if bound is not None:
        body["bound"] = bound
    if result is not None:
        body["result"] = _encoded(result)[2]
    else:
        assert result_name, "a decision holds its result or names one"
        body["result_sha256"] = result_name
    return body


class FlaglessBatch:
    """The records of a batch's candidates with nothing on record, made with what they share encoded once (their
    head but the id, their attestations, their context): each is exactly decision_body's bytes for it."""

    def __init__(self, head: DecisionHead, attestations: dict[str, str], context_sha256: str) -> None:
        """For decisions with this head (its decision_id is each one's own), these attestations, this context."""
        self._head = {k: v for k, v in head._asdict().items() if k != "decision_id"}
        self._as_of = head.as_of
        self._attestations = orjson.Fragment(canonical(attestations))
        self._context = context_sha256

    def body(self, decision_id: str, candidate: bytes, candidate_ref: Ref | None, result_name: str) -> bytes:
        """The canonical record of one (candidate: candidate_bytes of it) naming its shared result."""
        return canonical({
            **self._head, "decision_id": decision_id,
            "inputs": {"as_of": self._as_of, "candidate": orjson.Fragment(candidate), "flags": [],
                       "attestations": self._attestations},
            "bound": {"context": self._context, "candidate": candidate_ref, "flags": []},
            "result_sha256": result_name})


def record_body(rec: DecisionRecord) -> dict[str, Any]:
    """A decision record (the model) holding its result."""
    inp = rec.inputs
    head = DecisionHead(rec.decision_id, rec.round_id, rec.recorded_at, rec.as_of.isoformat(), rec.ruleset_name,
                        rec.ruleset_hash, rec.engine_version)
    return decision_body(head, inputs_body(inp.as_of.isoformat(), inp.candidate, inp.flags, inp.attestations),
                         rec.result, bound=bound_body(rec.bound) if rec.bound else None)


# ---------------------------------------------------------------- parsing
def entry_body(data: bytes) -> dict[str, Any]:
    """The body of a logged entry."""
    body: dict[str, Any] = orjson.loads(data)["body"]
    return body


def logged_result(result_entry: bytes) -> tuple[str, Any]:
    """(name, result) of a "result" log entry: the hash that records name it by, and the result itself."""
    result = entry_body(result_entry)
    return result_sha256(canonical(result)), result


def named_result(body: dict[str, Any], result_entry: bytes) -> Any:
    """The result a decision record names by hash, from that result's log entry (checked against the name)."""
    name = body.get("result_sha256", "")
    if not result_entry:
        raise RecordError(f"decision {body.get('decision_id')} names result {name[:16]}... but its entry is missing")
    logged_name, result = logged_result(result_entry)
    if logged_name != name:
        raise RecordError(f"decision {body.get('decision_id')} names result {name[:16]}..., "
                          "which is not the result logged for it")
    return result


def parse_decision(data: bytes, result_entry: bytes = b"") -> DecisionRecord:
    """A decision from its logged entry bytes (and those of the result it names, if it names one)."""
    body = entry_body(data)
    if "result" not in body:
        body["result"] = named_result(body, result_entry)
        del body["result_sha256"]
    return DecisionRecord.model_validate(body)


def parse_inputs(body: dict[str, Any]) -> EvalInput:
    """The inputs of a parsed decision body."""
    return EvalInput.model_validate(body["inputs"])
