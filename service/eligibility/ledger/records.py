"""What is recorded: flag versions, rounds, candidates, decisions, as the store keeps and returns them.

Their logged bytes are made (and parsed back) by codec.py only."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal, NamedTuple

import orjson
from pydantic import BaseModel, ConfigDict

from eligibility.engine.model import CandidateFacts, EvalInput, FlagFacts, Result


class _Rec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StoredFlag(_Rec):
    """One version of a flag on record; the raw ID number only sealed."""

    agency: str
    reference: str
    version: int
    status: Literal["active", "retracted"]
    person_key: str
    id_masked: str
    id_sealed: bytes
    name: str
    kind: str
    level: str = ""
    decided_on: date
    end_date: date | None = None
    term_months: int | None = None
    note: str = ""
    reason: str = ""
    recorded_at: str
    versions: int = 1

    def content(self) -> tuple[Any, ...]:
        """Comparable with FlagDraft.content()."""
        return (self.person_key, self.name, self.kind, self.level, self.decided_on, self.end_date, self.term_months,
                self.note)

    def facts(self) -> FlagFacts:
        """The flag as the evaluator reads it."""
        return flag_facts(self)


class FlagVersion(NamedTuple):
    """A flag version as screening and the store check read it: the columns its log entry holds, no sealed ID number,
    nothing validated or parsed (its dates as the table's text): a plain row, compared with its entry before anything
    reads its values, so that a row edited to what no flag can hold is a difference the check names, not an error."""

    agency: str
    reference: str
    version: int
    status: str
    person_key: str
    id_masked: str
    name: str
    kind: str
    level: str
    decided_on: str
    end_date: str | None
    term_months: int | None
    note: str
    reason: str
    recorded_at: str

    def facts(self) -> FlagFacts:
        """The flag as the evaluator reads it (validated; read only once the row is known to say what its entry
        says)."""
        return flag_facts(self)


def flag_facts(f: StoredFlag | FlagVersion) -> FlagFacts:
    """A flag version, whichever way it was read, as the evaluator reads it."""
    # a FlagVersion's status and dates are the table's text: validated here (ISO dates parsed)
    fields: dict[str, Any] = {"agency": f.agency, "reference": f.reference, "version": f.version, "status": f.status,
                              "name": f.name, "kind": f.kind, "level": f.level, "decided_on": f.decided_on,
                              "end_date": f.end_date, "term_months": f.term_months, "recorded_at": f.recorded_at}
    return FlagFacts(**fields)


def candidate_facts(c: StoredCandidate | ScreenRow) -> CandidateFacts:
    """A stored candidate, whichever way it was read, as the evaluator reads it."""
    return CandidateFacts(
        person_key=c.person_key, id_masked=c.id_masked, birth_date=c.birth_date, name=c.name,
        positions=c.positions, party_member=c.party_member, village=c.village, township=c.township,
    )


class StoredCandidate(_Rec):
    """A candidate of a round."""

    round_id: str
    seq: int
    person_key: str
    id_masked: str
    id_sealed: bytes
    name: str
    village: str = ""
    township: str = ""
    positions: tuple[str, ...]
    party_member: bool
    birth_date: date

    def facts(self) -> CandidateFacts:
        """The candidate as the evaluator reads it."""
        return candidate_facts(self)


class ScreenRow(NamedTuple):
    """A candidate as screening reads it: the columns a decision needs, no sealed ID (the hot path)."""

    seq: int
    person_key: str
    id_masked: str
    name: str
    village: str
    township: str
    positions: tuple[str, ...]
    party_member: bool
    birth_date: date

    def facts(self) -> CandidateFacts:
        """The candidate as the evaluator reads it."""
        return candidate_facts(self)


class PreparedDecision(NamedTuple):
    """A decision ready to be logged: its body (the record's canonical bytes) and the columns indexed.

    A record that names its result by hash (result_sha256) comes with that result's canonical
    bytes, logged as a "result" entry before it unless the log already has it.
    """

    decision_id: str
    round_id: str
    person_key: str
    recorded_at: str
    ruleset_hash: str
    body: orjson.Fragment
    result_sha256: str = ""
    result: bytes = b""


class Context(NamedTuple):
    """What a batch of decisions read besides each candidate and its flags: named by the SHA-256 of its canonical
    body, logged once before the decisions that name it."""

    sha256: str
    body: bytes
    log_size: int = 0
    """The log size its inputs were read at (what it says)."""


class StoredDecision(NamedTuple):
    """A recorded decision as the store returns it."""

    seq: int
    leaf_index: int
    data: bytes
    """Its log entry, exactly as appended."""
    result_index: int = -1
    """The log entry of the shared result its record names by hash (-1: the record holds its result)."""
    result: bytes = b""
    """That entry's bytes."""


class RoundInfo(_Rec):
    """A screening round."""

    round_id: str
    name: str
    as_of: date
    ruleset: str
    created_at: str
    created_by: str
    candidates: int = 0
    attested: dict[str, str] = {}
    last_screened_at: str = ""
    concluded_at: str = ""
    not_attested: tuple[str, ...] = ()
    changed: int = -1
    """Candidates changed since their latest decision (-1: not counted)."""
    attestations: tuple[tuple[str, str, str, str], ...] = ()
    """(agency, time, opinion, handler) of each attestation (filled in only when asked for, with the changes)."""

    @property
    def state(self) -> str:
        """open (never screened), screened or concluded."""
        return "concluded" if self.concluded_at else "screened" if self.last_screened_at else "open"


Ref = tuple[int, str]
"""An entry of the log: (position, leaf hash in hex)."""

RowEntry = tuple[int, bytes, bytes] | None
"""The log entry a table row names, as read with the row: (position, leaf hash, data); None if it names none, or
one the log does not have."""


class Bound(_Rec):
    """Where in the log each input of a decision is: the entries its inputs were read from.

    context names (by SHA-256) the "context" entry logged with the decision's batch: the log size the
    inputs were read at, and the entries of the round, the ruleset and every attestation. candidate is
    the candidate's entry (None for a person screened outside a round), flags the entry of each flag
    version read, in the order of the inputs' flags.
    """

    context: str
    candidate: Ref | None
    flags: tuple[Ref, ...]
    resolutions: tuple[Ref, ...] = ()
    """The entries of the agencies' resolutions (engine/resolutions.py) the decision considered, applied or void."""
    appeal: Ref | None = None
    """The entry of the appeal (复核) the decision was made for, when it was."""


class StoredResolution(_Rec):
    """An agency's conclusion on a REVIEW verdict of a candidate (核实结论), on the decision it resolved and exactly
    the flag versions of that agency the decision read."""

    round_id: str
    person_key: str
    id_masked: str
    name: str
    agency: str
    outcome: Literal["pass", "fail"]
    opinion: str
    handler: str
    resolved_at: str
    decision_id: str
    decision: Ref
    flags: tuple[Ref, ...]


class DecisionRecord(_Rec):
    """A decision as recorded: what was read, under which ruleset version, and the result (and, since
    decisions were bound to the log, where each input is in it)."""

    decision_id: str
    round_id: str
    recorded_at: str
    as_of: date
    ruleset_name: str
    ruleset_hash: str
    engine_version: str
    inputs: EvalInput
    result: Result
    bound: Bound | None = None


class Screened(NamedTuple):
    """A candidate of a round with its latest decision (decision_id "" and read_at -1: never screened)."""

    seq: int
    person_key: str
    id_masked: str
    name: str
    township: str
    village: str
    decision_id: str
    read_at: int
    """The log size the decision's inputs were read at: entries from there on came later."""


class LateInput(NamedTuple):
    """An input entry that concerns candidates of a round (person_key "": all of them): a flag version on the person
    (or of a reference once on them), an attestation of the round, a resolution."""

    person_key: str
    agency: str
    entry_type: str
    what: str
    at: str
    position: int


class StoredConclusion(_Rec):
    """The district's conclusion of a round (资格审查结论), or an amendment of it after an appeal: every candidate's
    final decision, by its log entry, in candidate order."""

    round_id: str
    kind: Literal["conclusion", "amendment"]
    at: str
    by: str
    note: str
    appeal_id: str = ""
    decisions: tuple[int, ...]
    decisions_sha256: str
    """SHA-256 of the leaf hashes of those decisions' entries, in that order."""
    overall: dict[str, int]


class StoredAppeal(_Rec):
    """A candidate's appeal (复核) against the decision of a round, opened by the district: the decision it contests and
    the agencies whose verdicts it contests (those not PASS)."""

    appeal_id: str
    round_id: str
    person_key: str
    id_masked: str
    name: str
    reason: str
    opened_at: str
    by: str
    decision_id: str
    decision: Ref
    agencies: tuple[str, ...]


class StoredAnswer(_Rec):
    """A contested agency's answer to an appeal: uphold its verdict, or revise it (after correcting or retracting its
    record)."""

    appeal_id: str
    agency: str
    answer: Literal["uphold", "revise"]
    opinion: str
    handler: str
    answered_at: str

