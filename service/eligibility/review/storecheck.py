"""The tables checked against the log: every row must say exactly what its log entry says.

The tables are an index of the log. This rebuilds, from the log's entries, what each table must
hold (flag versions and which is the latest, rounds, candidates, attestations, resolutions, conclusions, rulesets,
decisions,
shared results) and names every row that differs from its entry, every row with no entry, and every
entry with no row. An edit of the database that is not in the log (a flag's status changed, a
flag version deleted, an attestation inserted by hand, a decision row deleted) is named here by
`eligibility doctor` and `eligibility audit check-store`.

Memory: one digest and position per logged input (about 100 bytes each), read in one pass.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import orjson

from eligibility.ledger.codec import (
    answer_body,
    appeal_body,
    attestation_body,
    candidate_body,
    canonical,
    conclusion_body,
    flag_body,
    resolution_body,
    result_sha256,
    round_body,
    ruleset_body,
)
from eligibility.store import Store
from eligibility.store.log import TALLIED

Key = tuple[str, ...]


def _digest(body: Any) -> bytes:
    return hashlib.sha256(canonical(body)).digest()


_KEYED = ("flag", "candidate", "attestation", "round", "ruleset", "resolution", "conclusion", "appeal", "appeal_answer")
"""The entries whose rows the tables hold, found by key."""


def _key(kind: str, body: dict[str, Any]) -> Key:
    if kind == "flag":
        return ("flag", body["agency"], body["reference"], str(body["version"]))
    if kind == "candidate":
        return ("candidate", body["round_id"], body["person_key"])
    if kind == "attestation":
        return ("attestation", body["round_id"], body["agency"])
    if kind == "round":
        return ("round", body["round_id"])
    if kind == "resolution":
        return ("resolution", body["round_id"], body["person_key"], body["agency"], body["resolved_at"])
    if kind == "conclusion":
        return ("conclusion", body["round_id"], body["at"])
    if kind == "appeal":
        return ("appeal", body["appeal_id"])
    if kind == "appeal_answer":
        return ("appeal_answer", body["appeal_id"], body["agency"])
    return ("ruleset", body["hash"])


def _name(key: Key) -> str:
    kind, *rest = key
    if kind == "flag":
        return f"flag {rest[0]} {rest[1]} v{rest[2]}"
    if kind == "candidate":
        return f"candidate {rest[1][:12]}... of round {rest[0]}"
    if kind == "attestation":
        return f"attestation of round {rest[0]} by {rest[1]}"
    if kind == "resolution":
        return f"resolution by {rest[2]} of candidate {rest[1][:12]}... of round {rest[0]} at {rest[3]}"
    if kind == "conclusion":
        return f"conclusion of round {rest[0]} at {rest[1]}"
    if kind == "appeal_answer":
        return f"answer of {rest[1]} to appeal {rest[0]}"
    return f"{kind} {rest[0]}"


def _fields(row: dict[str, Any], entry: dict[str, Any]) -> str:
    """What differs between a row's body and its entry's, field by field."""
    out = [f"{f} is {row.get(f)!r} in the table, {entry.get(f)!r} in the log" for f in sorted(set(row) | set(entry))
           if row.get(f) != entry.get(f)]
    return "; ".join(out[:4]) or "differs"


class _Logged:
    """What the log says the tables must hold, read in one pass."""

    def __init__(self, store: Store) -> None:
        self.inputs: dict[Key, tuple[int, bytes]] = {}  # key -> (entry position, digest of its body)
        self.latest: dict[tuple[str, str], int] = {}  # (agency, reference) -> latest logged version
        # decision id -> (position, round, person, time, ruleset, the shared result it names or "")
        self.decisions: dict[str, tuple[int, str, str, str, str, str]] = {}
        self.results: dict[int, str] = {}  # position -> the shared result's name
        self.contentless: set[str] = set()  # rulesets logged by hash only (before their content was logged)
        self.tallies: dict[str, tuple[int, int]] = {}  # tallied kind -> (entries, sum of their positions)
        for batch in store.leaves(0):
            for position, data in batch:
                entry = orjson.loads(data)
                kind, body = entry["type"], entry["body"]
                if kind in TALLIED:
                    n, total = self.tallies.get(kind, (0, 0))
                    self.tallies[kind] = (n + 1, total + position)
                if kind in _KEYED:
                    self.inputs[_key(kind, body)] = (position, _digest(body))
                    if kind == "ruleset" and "content" not in body:
                        self.contentless.add(body["hash"])
                    elif kind == "ruleset":  # logged again with its content (an older log, on a later start)
                        self.contentless.discard(body["hash"])
                    if kind == "flag":
                        ref = (body["agency"], body["reference"])
                        self.latest[ref] = max(self.latest.get(ref, 0), int(body["version"]))
                elif kind == "decision":
                    person = body["inputs"]["candidate"]["person_key"]
                    self.decisions[body["decision_id"]] = (position, body["round_id"], person, body["recorded_at"],
                                                           body["ruleset_hash"], body.get("result_sha256", ""))
                elif kind == "result":
                    self.results[position] = result_sha256(canonical(body))


def _rows(store: Store, logged: _Logged) -> Iterator[tuple[Key, dict[str, Any]]]:
    """(key, the body its row says) of every input row, plus the flag rows' latest marks as a separate check."""
    for batch in store.all_flag_versions():
        for f, _ in batch:
            yield ("flag", f.agency, f.reference, str(f.version)), flag_body(f)
    for cands in store.all_candidates():
        for c in cands:
            yield ("candidate", c.round_id, c.person_key), candidate_body(c)
    for round_id, agency, at, note, handler in store.all_attestations():
        yield ("attestation", round_id, agency), attestation_body(round_id, agency, at, note, handler)
    for r in store.list_rounds():
        yield ("round", r.round_id), round_body(r)
    for resolutions in store.all_resolutions():
        for x in resolutions:
            yield ("resolution", x.round_id, x.person_key, x.agency, x.resolved_at), resolution_body(x)
    for concluded, _ in store.conclusions():
        yield ("conclusion", concluded.round_id, concluded.at), conclusion_body(concluded)
    for appeal, _, _ in store.appeals():
        yield ("appeal", appeal.appeal_id), appeal_body(appeal)
    for answer, _ in store.answers():
        yield ("appeal_answer", answer.appeal_id, answer.agency), answer_body(answer)
    for hash_, name, version, loaded_at, content in store.all_rulesets():
        yield ("ruleset", hash_), ruleset_body(name, version, hash_, loaded_at,
                                               None if hash_ in logged.contentless else content)


def check_store(store: Store) -> tuple[list[str], dict[str, int]]:
    """(problems, figures): every row of the tables that differs from, or is missing in, the log, and back."""
    logged = _Logged(store)
    problems: list[str] = []
    seen: set[Key] = set()
    rows = 0
    for key, body in _rows(store, logged):
        rows += 1
        seen.add(key)
        found = logged.inputs.get(key)
        if found is None:
            problems.append(f"{_name(key)}: a row with no log entry (added to the table by hand)")
        elif found[1] != _digest(body):
            entry = store.leaf(found[0])
            logged_body = orjson.loads(entry)["body"] if entry else {}
            problems.append(f"{_name(key)}: the row differs from log entry {found[0]}: {_fields(body, logged_body)}")
    problems += [f"{_name(k)}: log entry {pos} has no row (deleted from the table)"
                 for k, (pos, _) in logged.inputs.items() if k not in seen]
    for batch in store.all_flag_versions():
        for f, is_latest in batch:
            should = logged.latest.get((f.agency, f.reference)) == f.version
            if is_latest != should:
                problems.append(f"flag {f.agency} {f.reference} v{f.version}: marked {'' if is_latest else 'not '}"
                                f"the latest version, but the log's latest is v{logged.latest.get((f.agency, f.reference))}")
    for kind, key_values, leaf in store.all_leaf_indexes():
        key = (kind, *key_values)
        found = logged.inputs.get(key)
        if found is not None and leaf != found[0]:
            problems.append(f"{_name(key)}: the row names log entry {leaf}, but its entry is {found[0]}")
    for hash_, _, _, _, content in store.all_rulesets():
        if hashlib.sha256(content).hexdigest() != hash_:
            problems.append(f"ruleset {hash_}: its kept content does not hash to its name")
    tallied = store.log_tallies()
    for kind in TALLIED:
        if tallied.get(kind, (0, 0)) != logged.tallies.get(kind, (0, 0)):
            problems.append(f"the log's tally of {kind} entries says {tallied.get(kind, (0, 0))[0]} (positions summing "
                            f"to {tallied.get(kind, (0, 0))[1]}), the log holds {logged.tallies.get(kind, (0, 0))[0]} "
                            f"(summing to {logged.tallies.get(kind, (0, 0))[1]}): the tally table was edited")
    problems += _decisions(store, logged)
    return problems, {"rows": rows, "inputs logged": len(logged.inputs), "decisions logged": len(logged.decisions)}


def _decisions(store: Store, logged: _Logged) -> list[str]:
    problems = []
    seen: set[str] = set()
    for batch in store.all_decision_rows():
        for decision_id, round_id, person, at, ruleset, leaf, result_leaf in batch:
            seen.add(decision_id)
            found = logged.decisions.get(decision_id)
            if found is None or found[0] != leaf:
                problems.append(f"decision {decision_id}: its row points at entry {leaf}, which does not hold it")
            elif found[1:5] != (round_id, person, at, ruleset):
                problems.append(f"decision {decision_id}: the row's round, person, time or ruleset differ from entry {leaf}")
            elif (result_leaf is not None or found[5]) and logged.results.get(result_leaf or -1) != found[5]:
                problems.append(f"decision {decision_id}: its row names entry {result_leaf} as its shared result, which "
                                "does not hold the result the decision names")
    problems += [f"decision {d}: log entry {pos} has no row (deleted from the table)"
                 for d, (pos, *_rest) in logged.decisions.items() if d not in seen]
    for sha, leaf in store.all_results():
        if logged.results.get(leaf) != sha:
            problems.append(f"shared result {sha[:16]}...: the table says entry {leaf} holds it, which it does not")
    return problems
