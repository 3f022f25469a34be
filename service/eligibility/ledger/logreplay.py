"""Offline replay from an exported log alone: every decision checked against the inputs the log holds, and
re-evaluated with the shipped engine under the ruleset the log holds.

One pass over the entries, in order, keeping what the log says: every ruleset's content (by hash),
every input entry (flag versions, rounds, candidates, attestations) by position with its leaf hash,
the versions of each flag reference, every shared result and every context. A decision bound to its
inputs (ledger.records.Bound) names the context it was computed in: the log size N its inputs were
read at, and the entries of its round, ruleset and attestations; and the entries of its candidate and
of each flag version it read. For each such decision:

- every entry it names is before N, is the entry of the input the decision read (its kind, key and
  leaf hash), and says field for field what the decision read;
- every flag version it read was the latest of its reference before N, and no flag on that person
  logged before N is missing from what it read; its attestations are exactly the round's logged
  before N;
- evaluating its inputs again (holding what it held for a store mismatch: engine/holds.py) gives its
  result byte for byte (or the shared result it names); a decision with nothing on record is evaluated
  through the engine's shared results, exactly as the screening that made it.

A round's conclusion (and each amendment after an appeal) must name every candidate's latest decision
logged before it, in candidate order, none of them NEEDS_REVIEW or PENDING (ledger/records.StoredConclusion).
A resolution a decision names (an agency's conclusion on its REVIEW verdict) must be the latest of that
agency on the candidate before N, and the decision must apply it exactly where it applies.

What the decisions of a batch share (their context: round, ruleset, attestations) is checked once.

A decision recorded before decisions were bound is checked the same way by key, as of its own position.
Any difference names the decision and the input (e.g. "decision dec-... (entry 905): flag court X v1 is
'active' in entry 812, the decision read 'retracted' (status)").
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any, NamedTuple

import orjson

from eligibility.engine.evaluator import Evaluator, SharedResults
from eligibility.engine.holds import hold, holds_in
from eligibility.engine.model import EvalInput, Result
from eligibility.engine.resolutions import describe, resolutions_in, resolvable, resolve
from eligibility.errors import EligibilityError
from eligibility.ledger.codec import canonical, result_bytes, result_sha256, shared_result
from eligibility.ledger.merkle import leaf_hash
from eligibility.rules.loader import load_ruleset_json
from eligibility.rules.schema import Ruleset

_FLAG_FIELDS = ("status", "name", "kind", "level", "decided_on", "end_date", "term_months", "recorded_at")
_CANDIDATE_FIELDS = ("person_key", "id_masked", "birth_date", "name", "positions", "party_member", "village", "township")
_INPUTS = ("flag", "round", "candidate", "attestation", "resolution", "appeal", "appeal_answer")

FlagKey = tuple[str, str]
"""(agency, reference) of a flag."""


class _State:
    """What the log says, up to the entry being read."""

    def __init__(self) -> None:
        self.rulesets: dict[str, Ruleset] = {}
        self.contentless: set[str] = set()
        self.ruleset_at: dict[int, tuple[str, str]] = {}  # position -> (its version, leaf hash hex)
        self.at: dict[int, tuple[str, dict[str, Any], str]] = {}  # input entries: position -> (kind, body, leaf hex)
        self.flags: dict[tuple[str, str, int], int] = {}  # (agency, reference, version) -> position
        self.versions: dict[FlagKey, list[tuple[int, int, str]]] = {}  # reference -> [(version, position, person)]
        self.on_person: dict[str, set[FlagKey]] = {}  # person -> references that ever had a version on them
        self.candidates: dict[tuple[str, str], int] = {}  # (round, person) -> position
        self.attestations: dict[str, dict[str, int]] = {}  # round -> agency -> position
        self.resolutions: dict[tuple[str, str], dict[str, list[int]]] = {}  # (round, person) -> agency -> positions
        self.results: dict[str, bytes] = {}
        self.in_round: dict[str, list[str]] = {}  # round -> its candidates (persons), in order
        self.decided: dict[tuple[str, str], tuple[int, bytes, str]] = {}  # (round, person) -> latest (entry, leaf, overall)
        self._overall: dict[str, str] = {}  # shared result -> its overall
        self.contexts: dict[str, tuple[int, dict[str, Any]]] = {}  # sha256 -> (position, body)
        self.appeals: dict[str, int] = {}  # appeal id -> its entry
        self.answered: dict[int, dict[str, int]] = {}  # an appeal's entry -> agency -> its answer's entry
        self.appeal_decided: dict[int, int] = {}  # an appeal's entry -> the decision made for it

    def add_ruleset(self, position: int, body: dict[str, Any], data: bytes) -> list[str]:
        """Take in a ruleset entry (the first pass); problems it has on its own."""
        self.ruleset_at[position] = (str(body.get("hash")), leaf_hash(data).hex())
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
        return []

    def add(self, position: int, kind: str, body: dict[str, Any], data: bytes) -> None:
        """Take in an entry that is not a decision."""
        if kind in _INPUTS:
            self.at[position] = (kind, body, leaf_hash(data).hex())
        if kind == "flag":
            key = (body["agency"], body["reference"])
            self.flags[(*key, int(body["version"]))] = position
            self.versions.setdefault(key, []).append((int(body["version"]), position, body["person_key"]))
            self.on_person.setdefault(body["person_key"], set()).add(key)
        elif kind == "candidate":
            if (body["round_id"], body["person_key"]) not in self.candidates:
                self.in_round.setdefault(body["round_id"], []).append(body["person_key"])
            self.candidates[(body["round_id"], body["person_key"])] = position
        elif kind == "attestation":
            self.attestations.setdefault(body["round_id"], {})[body["agency"]] = position
        elif kind == "resolution":
            self.resolutions.setdefault((body["round_id"], body["person_key"]), {}).setdefault(
                body["agency"], []).append(position)
        elif kind == "appeal":
            self.appeals[str(body.get("appeal_id"))] = position
            self.answered[position] = {}
        elif kind == "appeal_answer" and body.get("appeal_id") in self.appeals:
            self.answered[self.appeals[body["appeal_id"]]][str(body.get("agency"))] = position
        elif kind == "result":
            data = canonical(body)
            self.results[result_sha256(data)] = data
        elif kind == "context":
            self.contexts[hashlib.sha256(canonical(body)).hexdigest()] = (position, body)

    def decision(self, position: int, body: dict[str, Any], data: bytes) -> None:
        """Take in a decision: the latest of its candidate in its round."""
        if not body.get("round_id"):
            return
        if "result" in body:
            overall = body["result"]["overall"]
        else:
            name = body.get("result_sha256", "")
            if name not in self._overall:
                self._overall[name] = orjson.loads(self.results[name])["overall"] if name in self.results else "?"
            overall = self._overall[name]
        person = body["inputs"]["candidate"]["person_key"]
        self.decided[(body["round_id"], person)] = (position, leaf_hash(data), overall)

    def conclusion(self, position: int, body: dict[str, Any]) -> list[str]:
        """Problems of a round's conclusion (or amendment): it must name, in candidate order, every candidate's latest
        decision logged before it, none NEEDS_REVIEW or PENDING, with the digest of their leaf hashes."""
        round_id = body.get("round_id", "")
        what = f"the {body.get('kind', 'conclusion')} of round {round_id} (entry {position})"
        persons = self.in_round.get(round_id, [])
        latest = [self.decided.get((round_id, p)) for p in persons]
        if any(x is None for x in latest):
            return [f"{what}: {sum(x is None for x in latest)} candidate(s) of the round have no decision before it"]
        found = [x for x in latest if x is not None]
        problems = []
        if list(body.get("decisions", [])) != [x[0] for x in found]:
            problems.append(f"{what}: the decisions it names are not the latest of each candidate before it")
        if body.get("decisions_sha256") != hashlib.sha256(b"".join(x[1] for x in found)).hexdigest():
            problems.append(f"{what}: the digest of its decisions' leaf hashes does not match the log")
        appealed = ""
        if body.get("kind") == "amendment":
            at = self.appeals.get(str(body.get("appeal_id")))
            if at is None or at not in self.appeal_decided or self.at[at][1].get("round_id") != round_id:
                problems.append(f"{what}: it names appeal {body.get('appeal_id')!r}, which is not an appeal of the round "
                                "decided before it")
            else:  # the appealed candidate's new decision may itself need verifying again: the amendment says so
                appealed = self.at[at][1].get("person_key", "")
        still = sum(1 for p, x in zip(persons, latest, strict=True)
                    if x is not None and x[2] in ("NEEDS_REVIEW", "PENDING") and p != appealed)
        if still:
            problems.append(f"{what}: {still} of the decisions it concludes are NEEDS_REVIEW or PENDING")
        return problems

    def appeal(self, position: int, kind: str, body: dict[str, Any]) -> list[str]:
        """Problems of an appeal (it contests its candidate's latest decision in the round, logged before it) or of an
        answer (to an appeal logged before it, by an agency it contests, once)."""
        if kind == "appeal":
            what = f"appeal {body.get('appeal_id')} (entry {position})"
            if body.get("appeal_id") in self.appeals:
                return [f"{what}: an appeal of that id is logged before it (entry {self.appeals[body['appeal_id']]})"]
            latest = self.decided.get((body.get("round_id", ""), body.get("person_key", "")))
            named = body.get("decision")
            if latest is None or not isinstance(named, list) or [latest[0], latest[1].hex()] != named:
                return [f"{what}: it does not contest its candidate's latest decision in round {body.get('round_id')} "
                        "logged before it"]
            return []
        what = f"the answer of {body.get('agency')} to appeal {body.get('appeal_id')} (entry {position})"
        at = self.appeals.get(str(body.get("appeal_id")))
        if at is None:
            return [f"{what}: no such appeal is logged before it"]
        if body.get("agency") not in self.at[at][1].get("agencies", []):
            return [f"{what}: the appeal does not contest that agency's verdict"]
        if body.get("agency") in self.answered[at]:
            return [f"{what}: that agency answered it before (entry {self.answered[at][body['agency']]})"]
        if at in self.appeal_decided:
            return [f"{what}: the appeal was decided before it (entry {self.appeal_decided[at]})"]
        return []

    def latest_before(self, key: FlagKey, size: int) -> tuple[int, int, str] | None:
        """(version, position, person) of a reference's latest version among the first size entries."""
        for found in reversed(self.versions.get(key, [])):
            if found[1] < size:
                return found
        return None


class _Decision:
    """Checks one decision's inputs against the log as of the log size it read at."""

    def __init__(self, state: _State, what: str, body: dict[str, Any], size: int) -> None:
        self.state, self.what, self.body, self.size = state, what, body, size
        self.problems: list[str] = []

    def problem(self, text: str) -> None:
        self.problems.append(f"{self.what}: {text}")

    def entry(self, ref: Any, kind: str, name: str) -> dict[str, Any] | None:
        """The body of the input entry a bound ref names, if it is one of this kind, before the log size read at,
        with the leaf hash the ref names."""
        if not (isinstance(ref, list) and len(ref) == 2 and isinstance(ref[0], int)):
            self.problem(f"{name}: its entry is named as {ref!r}, not as [position, leaf hash]")
            return None
        position, leaf = ref
        found = self.state.at.get(position)
        if position >= self.size:
            self.problem(f"{name}: it names entry {position}, which is not before the log size {self.size} it read at")
        elif found is None or found[0] != kind:
            self.problem(f"{name}: it names entry {position}, which is not a {kind} entry")
        elif found[2] != leaf:
            self.problem(f"{name}: it names entry {position} with leaf hash {str(leaf)[:16]}..., which is not that "
                         "entry's")
        else:
            return found[1]
        return None

    def fields(self, name: str, position: int, logged: dict[str, Any], read: dict[str, Any],
               names: tuple[str, ...], by_field: bool = False) -> None:
        """Each of these fields that the entry and what the decision read disagree on ("flag X v1 is 'active' ...
        (status)", or by_field: "the candidate's party_member is ...")."""
        if tuple(map(logged.get, names)) == tuple(map(read.get, names)):
            return
        for field in names:
            if logged.get(field) != read.get(field):
                what, why = (f"{name}'s {field}", "") if by_field else (name, f" ({field})")
                self.problem(f"{what} is {logged.get(field)!r} in entry {position}, the decision read "
                             f"{read.get(field)!r}{why}")

    def candidate(self, bound: dict[str, Any] | None) -> None:
        cand, round_id = self.body["inputs"]["candidate"], self.body["round_id"]
        if not round_id:
            return  # a person screened outside a round: not a candidate the log holds
        if bound is None:  # recorded before decisions were bound: look it up by key
            position = self.state.candidates.get((round_id, cand["person_key"]), -1)
            logged = self.state.at[position][1] if 0 <= position < self.size else None
            if logged is None:
                self.problem(f"its candidate is not a candidate of round {round_id} in the log")
                return
        else:
            ref = bound.get("candidate")
            if ref is None:
                self.problem(f"its candidate names no entry: it is not a candidate of round {round_id} in the log")
                return
            logged = self.entry(ref, "candidate", "its candidate")
            if logged is None:
                return
            position = ref[0]
            if logged.get("round_id") != round_id:
                self.problem(f"its candidate names entry {position}, a candidate of round {logged.get('round_id')}")
                return
        self.fields("the candidate", position, logged, cand, _CANDIDATE_FIELDS, by_field=True)

    def flags(self, bound: dict[str, Any] | None) -> None:
        flags = self.body["inputs"]["flags"]
        refs = bound.get("flags") if bound is not None else None
        if refs is not None and (not isinstance(refs, list) or len(refs) != len(flags)):
            self.problem(f"it names {len(refs) if isinstance(refs, list) else refs!r} flag entries for the "
                         f"{len(flags)} flag versions it read")
            return
        read: set[FlagKey] = set()
        for i, f in enumerate(flags):
            key = (f["agency"], f["reference"])
            read.add(key)
            name = f"flag {f['agency']} {f['reference']} v{f['version']}"
            if refs is None:
                position = self.state.flags.get((*key, int(f["version"])), -1)
                logged = self.state.at[position][1] if 0 <= position < self.size else None
                if logged is None:
                    self.problem(f"{name} is not in the log (the decision read a version no agency submitted)")
                    continue
            else:
                position = refs[i][0] if isinstance(refs[i], list) and refs[i] else -1
                logged = self.entry(refs[i], "flag", name)
                if logged is None:
                    continue
                if (logged.get("agency"), logged.get("reference"), logged.get("version")) != (*key, f["version"]):
                    self.problem(f"{name}: it names entry {position}, which holds flag {logged.get('agency')} "
                                 f"{logged.get('reference')} v{logged.get('version')}")
                    continue
            self.fields(name, position, logged, f, _FLAG_FIELDS)
            latest = self.state.latest_before(key, self.size)
            if latest is not None and latest[0] > int(f["version"]):
                self.problem(f"read {name}, but v{latest[0]} (entry {latest[1]}) was logged before it read")
        person = self.body["inputs"]["candidate"]["person_key"]
        for key in sorted(self.state.on_person.get(person, set()) - read):
            latest = self.state.latest_before(key, self.size)
            if latest is not None and latest[2] == person:
                self.problem(f"flag {key[0]} {key[1]} v{latest[0]} on this person (entry {latest[1]}) was logged "
                             "before the decision read its inputs, and it did not read it")

    def resolutions(self, bound: dict[str, Any] | None, evaluated: Result) -> None:
        """The resolutions it names are the latest of each agency on this candidate logged before the size read at,
        none is missing, and its trace applies each where it applies to what it read (else notes it void)."""
        person, round_id = self.body["inputs"]["candidate"]["person_key"], self.body["round_id"]
        named: dict[str, tuple[int, dict[str, Any]]] = {}
        for r in (bound or {}).get("resolutions") or []:
            found = self.entry(r, "resolution", "a resolution")
            if found is None:
                continue
            if (found.get("round_id"), found.get("person_key")) != (round_id, person):
                self.problem(f"it names resolution entry {r[0]}, which is not on this candidate of round {round_id}")
            elif found["agency"] in named:
                self.problem(f"it names two resolutions by {found['agency']} (entries {named[found['agency']][0]} "
                             f"and {r[0]})")
            else:
                named[found["agency"]] = (r[0], found)
        for agency, positions in sorted(self.state.resolutions.get((round_id, person), {}).items()):
            before = [p for p in positions if p < self.size]
            if before and named.get(agency, (-1,))[0] != before[-1]:
                self.problem(f"the resolution by {agency} on this candidate (entry {before[-1]}) was logged before the "
                             f"decision read its inputs, and it did not read it"
                             + (f" (it read entry {named[agency][0]})" if agency in named else ""))
        trace = self.body["result"]["trace"] if "result" in self.body else []
        applied = {r.agency: r for r in resolutions_in(trace)}
        if set(applied) != set(named):
            self.problem(f"its result applies resolutions by {sorted(applied)}, but it read those by {sorted(named)}")
            return
        refs = (bound or {}).get("flags") or []
        for agency, (position, found) in sorted(named.items()):
            saw = sorted((int(p), str(h)) for p, h in found["flags"])
            reads = sorted((int(r[0]), str(r[1])) for f, r in zip(self.body["inputs"]["flags"], refs, strict=False)
                           if f["agency"] == agency)
            should = saw == reads and not resolvable(evaluated, agency)
            said = describe(agency, found["handler"], found["resolved_at"], found["decision_id"], found["outcome"],
                            found["opinion"])
            r = applied[agency]
            if r.applies != should:
                self.problem(f"the resolution by {agency} (entry {position}) {'applies' if should else 'does not apply'}"
                             f" to what it read, but its result {'applies' if r.applies else 'does not apply'} it")
            elif r.applies and (r.outcome != found["outcome"].upper() or r.detail != said):
                self.problem(f"its result says the resolution by {agency} (entry {position}) is {r.outcome} "
                             f"({r.detail!r}); the log says {found['outcome'].upper()} ({said!r})")
            elif not r.applies and not r.detail.startswith(said + "; void:"):
                self.problem(f"its result notes a void resolution by {agency} that is not the one of entry {position}")

    def appeal(self, ref: Any, position: int) -> None:
        """The appeal it names is one of this candidate in this round, every contested agency answered it before the
        size read at, and no decision was made for it before."""
        found = self.entry(ref, "appeal", "its appeal")
        if found is None:
            return
        if (found.get("round_id"), found.get("person_key")) != (self.body["round_id"],
                                                                self.body["inputs"]["candidate"]["person_key"]):
            self.problem(f"it names appeal entry {ref[0]}, which is not an appeal of this candidate in this round")
            return
        answered = [a for a, at in self.state.answered.get(ref[0], {}).items() if at < self.size]
        waiting = [a for a in found.get("agencies", []) if a not in answered]
        if waiting:
            self.problem(f"it was made for appeal {found.get('appeal_id')} before {', '.join(waiting)} answered it")
        before = self.state.appeal_decided.get(ref[0])
        if before is not None:
            self.problem(f"appeal {found.get('appeal_id')} was decided before, by the decision of entry {before}")
        else:
            self.state.appeal_decided[ref[0]] = position

    def logged_attestations(self) -> dict[str, tuple[int, str]]:
        """The round's attestations logged before the size read at: agency -> (entry, time)."""
        round_id = self.body["round_id"]
        logged: dict[str, tuple[int, str]] = {}
        for agency, position in (self.state.attestations.get(round_id, {}) if round_id else {}).items():
            if position < self.size:
                logged[agency] = (position, self.state.at[position][1]["attested_at"])
        return logged

    def attestations(self, logged: dict[str, tuple[int, str]], times: dict[str, str] | None = None) -> None:
        """The attestations the decision read are exactly these (times: agency -> time of each, if known)."""
        read = self.body["inputs"]["attestations"]
        if read == (times if times is not None else {a: at for a, (_, at) in logged.items()}):
            return
        for agency in sorted(set(logged) | set(read)):
            if agency not in logged or logged[agency][1] != read.get(agency):
                text = (f"attested at {logged[agency][1]} in entry {logged[agency][0]}" if agency in logged
                        else "not attested")
                self.problem(f"{agency} is {text} in the log, the decision read {read.get(agency, 'not attested')!r}")

    def context_attestations(self, ctx: dict[str, Any]) -> None:
        """The attestation entries a context names are the round's."""
        round_id = self.body["round_id"]
        named = ctx.get("attestations") or {}
        for agency in sorted(named):
            body = self.entry(named[agency], "attestation", f"the attestation by {agency}")
            if body is not None and (body.get("round_id"), body.get("agency")) != (round_id, agency):
                self.problem(f"the attestation by {agency}: it names entry {named[agency][0]}, which is "
                             f"{body.get('agency')}'s for round {body.get('round_id')}")
        logged = {a for a, (position, _) in self.logged_attestations().items()}
        if set(named) != logged:
            self.problem(f"it names the attestations of {sorted(named)}, but the log holds those of {sorted(logged)} "
                         "before the size read at")

    def context_entries(self, ctx: dict[str, Any]) -> None:
        """The round and ruleset entries a context names."""
        round_id = self.body["round_id"]
        if round_id:
            body = self.entry(ctx.get("round"), "round", f"its round {round_id}")
            if body is not None and body.get("round_id") != round_id:
                self.problem(f"its context names round {body.get('round_id')}'s entry, not round {round_id}'s")
            elif body is not None and body.get("as_of") != self.body["as_of"]:
                self.problem(f"round {round_id} is as of {body.get('as_of')} in the log, the decision was made as of "
                             f"{self.body['as_of']}")
        ref = ctx.get("ruleset")
        found = self.state.ruleset_at.get(ref[0]) if isinstance(ref, list) and ref else None
        if found is None or found[0] != self.body["ruleset_hash"] or found[1] != ref[1] or ref[0] >= self.size:  # type: ignore[index]
            self.problem(f"its context names {ref!r} as the entry of ruleset version {self.body['ruleset_hash'][:12]}, "
                         "which it is not (or not before the log size read at)")


class _Checker:
    """Checks every decision against the log; what a batch's decisions share (their context) once per batch."""

    def __init__(self, state: _State) -> None:
        self.state = state
        # (context, round, as of, ruleset) -> the round's attestations logged before the size read at
        self._contexts: dict[tuple[str, str, str, str], tuple[dict[str, tuple[int, str]], dict[str, str]]] = {}

    def check(self, what: str, position: int, body: dict[str, Any], evaluated: Result | None = None) -> list[str]:
        """Problems of one decision (the problems of a context it shares with others: with the first); evaluated:
        its inputs evaluated again (before any resolution or hold), to check the resolutions it applies."""
        state = self.state
        bound = body.get("bound")
        if bound is None:  # recorded before decisions were bound: by key, as of its own position
            d = _Decision(state, what, body, position)
            d.candidate(None)
            d.flags(None)
            d.attestations(d.logged_attestations())
            return d.problems
        sha = bound.get("context", "") if isinstance(bound, dict) else ""
        found = state.contexts.get(sha) if isinstance(sha, str) else None
        if found is None:
            return [f"{what}: it names context {str(sha)[:16]}..., which the log does not hold before it"]
        ctx = found[1]
        size = ctx.get("log_size")
        if not isinstance(size, int) or not 0 <= size <= found[0]:
            return [f"{what}: its context says it read the log at size {size!r}, but the context is entry {found[0]}"]
        d = _Decision(state, what, body, size)
        key = (sha, body["round_id"], body["as_of"], body["ruleset_hash"])
        known = self._contexts.get(key)
        if known is None:
            d.context_entries(ctx)
            d.context_attestations(ctx)
            logged = d.logged_attestations()
            known = self._contexts[key] = (logged, {a: at for a, (_, at) in logged.items()})
        d.candidate(bound)
        d.flags(bound)
        d.attestations(*known)
        if bound.get("appeal") is not None:
            d.appeal(bound["appeal"], position)
        if evaluated is not None and (bound.get("resolutions") or state.resolutions.get(
                (body["round_id"], body["inputs"]["candidate"]["person_key"]))):
            d.resolutions(bound, evaluated)
        return d.problems


class _Profile(NamedTuple):
    """What the profile checks read of a candidate (engine.reference.ProfileFacts)."""

    birth_date: date
    party_member: bool
    positions: tuple[str, ...]


class _Results:
    """Results evaluated again: a decision with nothing on record through the engine's shared results, exactly as a
    screening decides it (one evaluation per profile-check outcome of a round and moment); any other in full."""

    def __init__(self) -> None:
        self.evaluator = Evaluator()
        self._shared: dict[tuple[str, str, tuple[tuple[str, str], ...]], SharedResults] = {}
        # the same inputs screened again (a round is screened more than once): the engine is a pure function
        self._same: dict[tuple[str, bytes], Result] = {}

    def again(self, ruleset: Ruleset, inputs: dict[str, Any]) -> Result:
        if inputs["flags"]:
            same = (ruleset.hash, canonical(inputs))
            result = self._same.get(same)
            if result is None:
                if len(self._same) > 8192:
                    self._same.clear()
                result = self._same[same] = self.evaluator.evaluate(ruleset, EvalInput.model_validate(inputs))
            return result
        key = (ruleset.hash, inputs["as_of"], tuple(sorted(inputs["attestations"].items())))
        shared = self._shared.get(key)
        if shared is None:
            if len(self._shared) > 64:
                self._shared.clear()
            shared = self._shared[key] = self.evaluator.shared_results(ruleset, date.fromisoformat(inputs["as_of"]))
        c = inputs["candidate"]
        profile = _Profile(date.fromisoformat(c["birth_date"]), bool(c["party_member"]), tuple(c["positions"]))
        return shared.of(profile, lambda: EvalInput.model_validate(inputs))


Deferred = Callable[[list[tuple[int, str, bytes]]], Callable[[], list[tuple[int, str]]]]
"""Evaluating a batch of decisions elsewhere: given (position, what, entry bytes) of each, a function that waits for
and returns the (position, problem) of each it finds (evaluate_batch run in another process)."""

Deferral = Callable[[list[bytes]], Deferred]
"""Given the log's ruleset entries (what evaluate_batch needs besides the batch), the Deferred to use."""

_DEFER_BATCH = 500
"""Decisions with flags on record handed over at once to a deferred evaluation."""

_DEFER_IN_FLIGHT = 8
"""Batches handed over and not yet answered, at most (their entries are held until they are)."""

_AGREED_AT_MOST = 1_000_000
"""Decisions whose evaluation elsewhere agreed, remembered (by a 32-byte digest each) at most; then forgotten."""


def _evaluation_key(body: dict[str, Any]) -> bytes:
    """What a decision's evaluation check depends on: its ruleset version, its inputs and the result it records (the
    engine is a pure function of the first two; the resolutions and holds it applies are in the third)."""
    return hashlib.sha256(b"\0".join((body["ruleset_hash"].encode(), canonical(body["inputs"]),
                                      canonical(body["result"])))).digest()


class _Deferred:
    """Decisions with flags on record evaluated elsewhere, in batches; one that reads exactly what a decision already
    found to agree read, and records exactly its result (a round screened again with nothing changed), is not
    evaluated again: its evaluation would be the same."""

    def __init__(self, submit: Deferred) -> None:
        self._submit = submit
        self._batch: list[tuple[int, str, bytes]] = []
        self._keys: list[tuple[int, bytes]] = []
        self._waiting: deque[tuple[Callable[[], list[tuple[int, str]]], list[tuple[int, bytes]]]] = deque()
        self._agreed: set[bytes] = set()

    def add(self, position: int, what: str, data: bytes, body: dict[str, Any]) -> list[tuple[int, str]]:
        """Hand a decision over (or not, if its evaluation would be one that agreed); the problems of batches
        answered meanwhile."""
        key = _evaluation_key(body)
        if key in self._agreed:
            return []
        self._batch.append((position, what, data))
        self._keys.append((position, key))
        if len(self._batch) < _DEFER_BATCH:
            return []
        self._waiting.append((self._submit(self._batch), self._keys))
        self._batch, self._keys = [], []
        return self._answer() if len(self._waiting) > _DEFER_IN_FLIGHT else []

    def _answer(self) -> list[tuple[int, str]]:
        wait, keys = self._waiting.popleft()
        found = wait()
        wrong = {position for position, _ in found}
        if len(self._agreed) > _AGREED_AT_MOST:
            self._agreed.clear()
        self._agreed.update(key for position, key in keys if position not in wrong)
        return found

    def finish(self) -> list[tuple[int, str]]:
        """The problems of every batch not answered yet."""
        if self._batch:
            self._waiting.append((self._submit(self._batch), self._keys))
            self._batch, self._keys = [], []
        found: list[tuple[int, str]] = []
        while self._waiting:
            found += self._answer()
        return found


def _evaluated_problem(results: _Results, ruleset: Ruleset, what: str, body: dict[str, Any], data: bytes,
                       again: Result | None = None) -> str | None:
    """Whether evaluating a decision's inputs again (again, if already done) gives the result it records: the
    problem, or None."""
    if again is None:
        again = results.again(ruleset, body["inputs"])
    if "result" in body:
        trace = body["result"]["trace"]
        again = resolve(again, resolutions_in(trace), ruleset.hash)
        # (the entry is canonical JSON, keys sorted: its result's bytes are followed by its round_id)
        same = b'"result":' + result_bytes(hold(again, holds_in(trace), ruleset.hash)) + b',"round_id":' in data
    else:
        same = body.get("result_sha256") == shared_result(again)[0]
    if same:
        return None
    return f"{what}: evaluating its inputs again under {ruleset.label} does not give the result it records"


def _resolves(state: _State, body: dict[str, Any]) -> bool:
    """Whether a decision names a resolution, or one is logged for its candidate (its check needs it evaluated)."""
    bound = body.get("bound")
    return bool((isinstance(bound, dict) and bound.get("resolutions")) or state.resolutions.get(
        (body["round_id"], body["inputs"]["candidate"]["person_key"])))


_evaluation: tuple[list[bytes], dict[str, Ruleset], _Results] | None = None


def evaluate_batch(ruleset_entries: list[bytes], batch: list[tuple[int, str, bytes]]) -> list[tuple[int, str]]:
    """(position, problem) of each decision of the batch whose inputs evaluated again (under the log's rulesets,
    from their entries) do not give its result: what replay_log defers, run in another process."""
    global _evaluation
    if _evaluation is None or _evaluation[0] != ruleset_entries:
        state = _State()
        for data in ruleset_entries:
            state.add_ruleset(0, orjson.loads(data)["body"], data)
        _evaluation = (ruleset_entries, state.rulesets, _Results())
    _, rulesets, results = _evaluation
    out = []
    for position, what, data in batch:
        body = orjson.loads(data)["body"]
        problem = _evaluated_problem(results, rulesets[body["ruleset_hash"]], what, body, data)
        if problem:
            out.append((position, problem))
    return out


def replay_log(entries: Callable[[], Iterable[bytes]],
               defer: Deferral | None = None) -> tuple[list[str], list[str], dict[str, int]]:
    """(problems, notes, figures) of replaying every decision of a log from its entries alone (entries() gives them in
    order; it is called twice: first for the rulesets, which an older log holds after the decisions made under
    them, logged again with their content by a newer server).

    defer: evaluate decisions with flags on record (the costly ones; none that applies a resolution) elsewhere, in
    batches, while this pass goes on; the problems are the same, in the same order. (One that reads and records exactly
    what an earlier one found to agree read and recorded, a round screened again with nothing changed, is not
    evaluated again: the engine is a pure function of its inputs.)

    Figures: decisions, replayed, bound (to the log size they read at), held (holding a verdict for a store
    mismatch: the server found a table row that differs from the log, and said so). Notes: what those decisions
    held, once per finding."""
    state = _State()
    checker, results = _Checker(state), _Results()
    found: list[tuple[int, str]] = []  # (position, problem): sorted by position at the end (deferred ones come late)
    rulesets: list[bytes] = []
    for position, data in enumerate(entries()):
        if data.endswith(b'"type":"ruleset"}'):
            found += [(position, p) for p in state.add_ruleset(position, orjson.loads(data)["body"], data)]
            rulesets.append(data)
    deferred = _Deferred(defer(rulesets)) if defer is not None else None
    figures = {"decisions": 0, "replayed": 0, "bound": 0, "held": 0, "conclusions": 0, "appeals": 0}
    held: dict[str, list[str]] = {}  # a finding -> the decisions that held a verdict for it
    for position, data in enumerate(entries()):
        try:
            entry = orjson.loads(data)
            kind, body = entry["type"], entry["body"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            continue  # reported by the log's verification
        if kind == "ruleset":
            continue  # taken in by the first pass
        if kind == "conclusion":
            found += [(position, p) for p in state.conclusion(position, body)]
            figures["conclusions"] += 1
        elif kind in ("appeal", "appeal_answer"):
            found += [(position, p) for p in state.appeal(position, kind, body)]
            figures["appeals"] += kind == "appeal"
        if kind != "decision":
            state.add(position, kind, body, data)
            continue
        state.decision(position, body, data)
        figures["decisions"] += 1
        what = f"decision {body.get('decision_id')} (entry {position})"
        ruleset = state.rulesets.get(body["ruleset_hash"])
        if ruleset is None:
            why = ("is logged by hash only (logged before rulesets held their content)"
                   if body["ruleset_hash"] in state.contentless else "is not in the log")
            found.append((position, f"{what}: its ruleset version {body['ruleset_hash'][:12]} {why}: it cannot be "
                                    "replayed from the log alone"))
            continue
        figures["bound"] += "bound" in body
        figures["replayed"] += 1
        if "result" in body:
            holds = holds_in(body["result"]["trace"])
            figures["held"] += bool(holds)
            for h in dict.fromkeys(h.detail for h in holds):
                held.setdefault(h, []).append(str(body.get("decision_id")))
        if deferred is not None and "result" in body and body["inputs"]["flags"] and not _resolves(state, body):
            found += [(position, p) for p in checker.check(what, position, body)]  # (evaluated only for resolutions)
            found += deferred.add(position, what, data, body)
            continue
        again = results.again(ruleset, body["inputs"])
        found += [(position, p) for p in checker.check(what, position, body, again)]
        if "result" not in body and body.get("result_sha256") not in state.results:
            found.append((position, f"{what}: evaluating its inputs again under {ruleset.label} does not give the "
                                    "result it records"))
            continue
        problem = _evaluated_problem(results, ruleset, what, body, data, again)
        if problem:
            found.append((position, problem))
    if deferred is not None:
        found += deferred.finish()
    found.sort(key=lambda f: f[0])  # stable: a decision's own problems in the order they were found
    notes = [f"{len(ids)} decision(s) ({', '.join(ids[:3])}{', ...' if len(ids) > 3 else ''}) held verdicts at REVIEW "
             f"because the server found: {finding}" for finding, ids in held.items()]
    return [p for _, p in found], notes, figures
