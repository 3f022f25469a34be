"""Offline replay from an exported log alone: every decision checked against the inputs the log holds, and
re-evaluated with the shipped engine under the ruleset the log holds.

One pass over the entries, in order, keeping what the log says at each position: every ruleset's
content (by hash), every flag version, the latest version of each reference, each round's
candidates and attestations, every shared result. For each decision at position P:

- its ruleset version is in the log (its content, hashed to the version the decision names);
- the candidate it read is the candidate logged for that round, field for field (ad hoc screens
  name a person that is not a candidate of any round: nothing to compare);
- every flag version it read is logged, field for field, and was the latest version of its
  reference before P; and no flag logged on that person before P is missing from what it read;
- the attestations it read are exactly the round's attestations logged before P;
- evaluating its inputs again gives its result byte for byte (or the shared result it names).

Any difference names the decision and the input (e.g. "decision dec-...: flag court X v1 is
'active' in entry 812, the decision read 'retracted'").

Decisions are checked against the log as of their own position. A flag logged by a concurrent
submission in the instant between a screening reading its inputs and recording its decisions
would be reported as missing: binding each decision to the log size it read at is the next step
(see the README's audit section).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from eligibility.engine.evaluator import Evaluator
from eligibility.engine.model import EvalInput
from eligibility.errors import EligibilityError
from eligibility.ledger.codec import canonical, result_bytes, result_sha256
from eligibility.rules.loader import load_ruleset_json
from eligibility.rules.schema import Ruleset

_FLAG_FIELDS = ("status", "name", "kind", "level", "decided_on", "end_date", "term_months", "recorded_at")
_CANDIDATE_FIELDS = ("person_key", "id_masked", "birth_date", "name", "positions", "party_member", "village", "township")

Ref = tuple[str, str]
"""(agency, reference) of a flag."""


class _State:
    """What the log says, up to the entry being read."""

    def __init__(self) -> None:
        self.rulesets: dict[str, Ruleset] = {}
        self.contentless: set[str] = set()
        self.flags: dict[tuple[str, str, int], tuple[int, dict[str, Any]]] = {}
        self.latest: dict[Ref, tuple[int, str]] = {}  # reference -> (latest version, its person)
        self.on_person: dict[str, set[Ref]] = {}  # person -> references that ever had a version on them
        self.candidates: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
        self.attestations: dict[str, dict[str, tuple[int, str]]] = {}  # round -> agency -> (entry, time)
        self.results: dict[str, bytes] = {}

    def add(self, position: int, kind: str, body: dict[str, Any]) -> list[str]:
        """Take in an input entry; problems it has on its own."""
        if kind == "ruleset":
            if "content" not in body:
                self.contentless.add(body["hash"])
                return []
            self.contentless.discard(body["hash"])
            content = canonical(body["content"])
            if hashlib.sha256(content).hexdigest() != body["hash"]:
                return []  # reported by the log's verification
            try:
                self.rulesets[body["hash"]] = load_ruleset_json(content)
            except EligibilityError as e:
                return [f"entry {position}: ruleset {body.get('name')} cannot be loaded: {e.message}"]
        elif kind == "flag":
            key = (body["agency"], body["reference"], int(body["version"]))
            self.flags[key] = (position, body)
            ref = key[:2]
            if key[2] >= self.latest.get(ref, (0, ""))[0]:
                self.latest[ref] = (key[2], body["person_key"])
            self.on_person.setdefault(body["person_key"], set()).add(ref)
        elif kind == "candidate":
            self.candidates[(body["round_id"], body["person_key"])] = (position, body)
        elif kind == "attestation":
            self.attestations.setdefault(body["round_id"], {})[body["agency"]] = (position, body["attested_at"])
        elif kind == "result":
            data = canonical(body)
            self.results[result_sha256(data)] = data
        return []


def _flag_problems(state: _State, what: str, person: str, flags: list[dict[str, Any]]) -> list[str]:
    problems = []
    read: set[Ref] = set()
    for f in flags:
        ref = (f["agency"], f["reference"])
        read.add(ref)
        name = f"flag {f['agency']} {f['reference']} v{f['version']}"
        found = state.flags.get((*ref, int(f["version"])))
        if found is None:
            problems.append(f"{what}: {name} is not in the log (the decision read a version no agency submitted)")
            continue
        position, logged = found
        for field in _FLAG_FIELDS:
            if logged.get(field) != f.get(field):
                problems.append(f"{what}: {name} is {logged.get(field)!r} in entry {position}, the decision read "
                                f"{f.get(field)!r} ({field})")
        latest = state.latest[ref][0]
        if latest != int(f["version"]):
            entry = state.flags[(*ref, latest)][0]
            problems.append(f"{what}: read {name}, but v{latest} (entry {entry}) was logged before it")
    for ref in sorted(state.on_person.get(person, set()) - read):
        version, on = state.latest[ref]
        if on == person:
            entry = state.flags[(*ref, version)][0]
            problems.append(f"{what}: flag {ref[0]} {ref[1]} v{version} on this person (entry {entry}) was logged "
                            "before the decision, which did not read it")
    return problems


def _input_problems(state: _State, what: str, body: dict[str, Any]) -> list[str]:
    inputs = body["inputs"]
    cand = inputs["candidate"]
    person = cand["person_key"]
    problems = []
    round_id = body["round_id"]
    if round_id:
        found = state.candidates.get((round_id, person))
        if found is None:
            problems.append(f"{what}: its candidate is not a candidate of round {round_id} in the log")
        else:
            position, logged = found
            for field in _CANDIDATE_FIELDS:
                if logged.get(field) != cand.get(field):
                    problems.append(f"{what}: the candidate's {field} is {logged.get(field)!r} in entry {position}, "
                                    f"the decision read {cand.get(field)!r}")
    problems += _flag_problems(state, what, person, inputs["flags"])
    logged_att = {a: at for a, (_, at) in state.attestations.get(round_id, {}).items()} if round_id else {}
    read_att = inputs["attestations"]
    for agency in sorted(set(logged_att) | set(read_att)):
        if logged_att.get(agency) != read_att.get(agency):
            entry = state.attestations.get(round_id, {}).get(agency, (None,))[0]
            logged_text = f"attested at {logged_att[agency]} in entry {entry}" if agency in logged_att else "not attested"
            problems.append(f"{what}: {agency} is {logged_text} in the log, the decision read "
                            f"{read_att.get(agency, 'not attested')!r}")
    return problems


def replay_log(entries: Callable[[], Iterable[bytes]]) -> tuple[list[str], dict[str, int]]:
    """(problems, figures) of replaying every decision of a log from its entries alone (entries() gives them in
    order; it is called twice: first for the rulesets, which an older log holds after the decisions made under
    them, logged again with their content by a newer server)."""
    state = _State()
    evaluator = Evaluator()
    problems: list[str] = []
    for position, data in enumerate(entries()):
        if data.endswith(b'"type":"ruleset"}'):
            problems += state.add(position, "ruleset", orjson.loads(data)["body"])
    decisions = replayed = 0
    for position, data in enumerate(entries()):
        try:
            entry = orjson.loads(data)
            kind, body = entry["type"], entry["body"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            continue  # reported by the log's verification
        if kind == "ruleset":
            continue  # taken in by the first pass
        if kind != "decision":
            problems += state.add(position, kind, body)
            continue
        decisions += 1
        what = f"decision {body.get('decision_id')} (entry {position})"
        ruleset = state.rulesets.get(body["ruleset_hash"])
        if ruleset is None:
            why = ("is logged by hash only (logged before rulesets held their content)"
                   if body["ruleset_hash"] in state.contentless else "is not in the log")
            problems.append(f"{what}: its ruleset version {body['ruleset_hash'][:12]} {why}: it cannot be replayed "
                            "from the log alone")
            continue
        problems += _input_problems(state, what, body)
        inputs = EvalInput.model_validate(body["inputs"])
        again = result_bytes(evaluator.evaluate(ruleset, inputs))
        if "result" in body:
            same = canonical(body["result"]) == again
        else:
            same = body.get("result_sha256") == result_sha256(again) and body["result_sha256"] in state.results
        if not same:
            problems.append(f"{what}: evaluating its inputs again under {ruleset.label} does not give the result it "
                            "records")
        replayed += 1
    return problems, {"decisions": decisions, "replayed": replayed}
