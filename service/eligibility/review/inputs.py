"""What a decision reads, checked against the log and bound to it.

The tables are an index of the log. Screening reads each input row together with the log entry it
names, in one snapshot with the log's size, and checks that the entry says what the row says:

- the round and the ruleset: a row that differs refuses the screening (RecordError);
- a candidate, a flag version, an attestation that differs: the decision is computed from what the
  log says, and the verdicts that input feeds are held at REVIEW with a STORE-MISMATCH trace entry
  (engine/holds.py); a row naming no entry is not the log's at all: a flag or attestation without one
  is not counted, a candidate without one is screened as the row says, every verdict held;
- a flag whose latest row is not marked the latest (or an older one is): a later version may have
  been deleted; the agency's verdict is held.

Each decision then names where its inputs are (ledger.records.Bound): the entries of its candidate and
flags, and the batch's context (the log size read at, the round's, ruleset's and attestations' entries).
A row deleted from (or added to) the flags, candidates or attestations table cannot be seen row by row:
before a screening, each table is tallied against the log (check_tallies: rows and the sum of the entries
they name), and a screening on tables that lost or gained rows is refused. Doctor and `audit check-store`
name the row; `audit verify --replay` finds any decision that did not read an input the log holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, NamedTuple

import orjson

from eligibility.engine.holds import EVERY, Hold
from eligibility.engine.model import FlagFacts
from eligibility.errors import RecordError
from eligibility.ledger.codec import (
    attestation_body,
    candidate_bytes,
    candidate_entry_holds,
    context,
    entry_holds,
    flag_body,
    of_round,
    ref,
    resolution_body,
    round_body,
    screen_row_body,
)
from eligibility.ledger.records import Context, FlagVersion, Ref, RoundInfo, RowEntry, ScreenRow, StoredResolution
from eligibility.rules.schema import Ruleset
from eligibility.store import Store

_EDITED = "the database was edited outside the service: run `eligibility audit check-store`"


class RoundContext(NamedTuple):
    """The inputs every decision of a batch shares, as the log says them, and the holds they cause."""

    context: Context
    attested: dict[str, str]
    holds: list[Hold]


class CandidateInput(NamedTuple):
    """One candidate as the log says it, where it is, the holds its rows cause, and its canonical bytes as a
    decision holds them (when its row says what its entry says: b"" otherwise)."""

    row: ScreenRow
    ref: Ref | None
    holds: Sequence[Hold]
    encoded: bytes = b""


_NO_HOLDS: tuple[Hold, ...] = ()


class FlagInputs(NamedTuple):
    """The flag versions a decision reads (by agency, reference), where each is, and the holds they cause."""

    flags: list[FlagFacts]
    refs: list[Ref]
    holds: list[Hold]


NO_FLAGS = FlagInputs([], [], [])


def differences(row: dict[str, Any], entry: dict[str, Any]) -> str:
    """What differs between a row's body and its entry's, field by field."""
    out = [f"{f} is {row.get(f)!r} in the table, {entry.get(f)!r} in the log" for f in sorted(set(row) | set(entry))
           if row.get(f) != entry.get(f)]
    return "; ".join(out[:4]) or "differs"


def _logged(entry: RowEntry, kind: str, **key: Any) -> dict[str, Any] | None:
    """The body of the entry a row names, if it is an entry of this kind for this key."""
    if entry is None:
        return None
    parsed = orjson.loads(entry[2])
    body: dict[str, Any] = parsed.get("body") or {}
    if parsed.get("type") != kind or any(body.get(k) != v for k, v in key.items()):
        return None
    return body


_RULESET_ENTRIES: dict[tuple[int, bytes, str], tuple[bytes, bool]] = {}


def _is_ruleset_entry(entry: RowEntry, hash_: str) -> bool:
    """Whether the entry a ruleset's row names is the entry of that ruleset version.

    Read for every screening batch and every single screen: the answer for each (entry, version) is kept with
    the bytes it was found for and given again only for the same bytes (parsing the ~15 KB entry again was
    about 40 us of a 0.9 ms screen of one candidate)."""
    if entry is None:
        return False
    position, leaf, data = entry
    kept = _RULESET_ENTRIES.get((position, leaf, hash_))
    if kept is None or kept[0] != data:
        if len(_RULESET_ENTRIES) > 64:
            _RULESET_ENTRIES.clear()
        kept = _RULESET_ENTRIES[(position, leaf, hash_)] = (data, _logged(entry, "ruleset", hash=hash_) is not None)
    return kept[1]


def entries_ref(entry: RowEntry) -> Ref | None:
    """The ref of the entry a row names."""
    return None if entry is None else ref(entry[0], entry[1])


_TALLY_NAMES = {"flag": ("flags table", "flag versions"), "candidate": ("candidates table", "candidates"),
                "attestation": ("attestations table", "attestations"),
                "resolution": ("resolutions table", "resolutions"),
                "conclusion": ("conclusions table", "conclusions"), "appeal": ("appeals table", "appeals"),
                "appeal_answer": ("appeal_answers table", "answers to appeals")}


def check_tallies(store: Store) -> None:
    """Refuse to screen on tables that lost or gained rows outside the service (a deleted flag version would be a
    verdict computed without it, which no row can show): each table's rows, and the entries they name, are
    tallied against the log's entries of that kind."""
    for kind, ((rows, named), (entries, positions)) in store.input_tallies().items():
        if (rows, named) != (entries, positions):
            table, what = _TALLY_NAMES[kind]
            how = (f"has {rows:,} rows but the log holds {entries:,} {what}" if rows != entries else
                   f"has as many rows as the log holds {what} ({rows:,}), but they do not name the same entries")
            raise RecordError(f"the {table} {how}: rows were deleted, added or changed outside the service, so no "
                              "screening can be trusted on it; run `eligibility audit check-store` to see which")


def round_context(store: Store, info: RoundInfo | None, ruleset: Ruleset, log_size: int) -> RoundContext:
    """In a snapshot: the round's, ruleset's and attestations' entries (info None: a person screened outside a round,
    with no attestations); a round or ruleset row that differs from its entry refuses the screening."""
    ruleset_entry = store.ruleset_row_entry(ruleset.hash)
    if ruleset_entry is None or not _is_ruleset_entry(ruleset_entry, ruleset.hash):
        raise RecordError(f"ruleset {ruleset.label}: its row names no log entry of this version; {_EDITED}")
    if info is None:
        return RoundContext(context(log_size, None, ref(ruleset_entry[0], ruleset_entry[1]), {}), {}, [])
    round_entry = store.round_entry(info.round_id)
    body = round_body(info)
    if round_entry is None or not entry_holds(round_entry[2], body):
        logged = _logged(round_entry, "round", round_id=info.round_id)
        why = ("names no log entry" if round_entry is None or logged is None else
               f"differs from log entry {round_entry[0]}: " + differences(body, logged))
        raise RecordError(f"round {info.round_id}: its row {why}; {_EDITED}")
    attested: dict[str, str] = {}
    refs: dict[str, Ref] = {}
    holds: list[Hold] = []
    for agency, at, note, handler, entry in store.attestation_rows(info.round_id):
        row = attestation_body(info.round_id, agency, at, note, handler)
        if entry is not None and entry_holds(entry[2], row):
            attested[agency], refs[agency] = at, ref(entry[0], entry[1])
            continue
        logged = _logged(entry, "attestation", round_id=info.round_id, agency=agency)
        if logged is None:
            holds.append(Hold(agency, f"the attestation by {agency} in the table names no log entry: not counted; "
                                      + _EDITED))
            continue
        assert entry is not None
        attested[agency], refs[agency] = logged["attested_at"], ref(entry[0], entry[1])
        holds.append(Hold(agency, f"the attestation by {agency}: {differences(row, logged)} (entry {entry[0]}); "
                                  f"read as the log says; {_EDITED}"))
    ctx = context(log_size, ref(round_entry[0], round_entry[1]), ref(ruleset_entry[0], ruleset_entry[1]), refs)
    return RoundContext(ctx, attested, holds)


def candidate_input(round_id: str, row: ScreenRow, entry: RowEntry, in_round: bytes = b"") -> CandidateInput:
    """A candidate as its entry says it (checked against its row); in_round: codec.of_round(round_id), if made."""
    encoded = candidate_bytes(row)
    if entry is not None and candidate_entry_holds(entry[2], in_round or of_round(round_id), row.seq, encoded):
        return CandidateInput(row, (entry[0], entry[1].hex()), _NO_HOLDS, encoded)
    body = screen_row_body(round_id, row)
    logged = _logged(entry, "candidate", round_id=round_id, seq=row.seq)
    what = f"candidate {row.seq} ({row.id_masked})"
    if logged is None:
        return CandidateInput(row, None, [Hold(EVERY, f"{what}: the table's row names no log entry: screened as the "
                                                      f"row says, which the log cannot prove; {_EDITED}")])
    assert entry is not None
    logged_row = ScreenRow(int(logged["seq"]), logged["person_key"], logged["id_masked"], logged["name"],
                           logged["village"], logged["township"], tuple(logged["positions"]),
                           bool(logged["party_member"]), date.fromisoformat(logged["birth_date"]))
    return CandidateInput(logged_row, ref(entry[0], entry[1]), [
        Hold(EVERY, f"{what}: {differences(body, logged)} (entry {entry[0]}); read as the log says; {_EDITED}")])


_FACT_FIELDS = ("agency", "reference", "version", "status", "name", "kind", "level", "decided_on", "end_date",
                "term_months", "recorded_at")


def flag_inputs(versions: Iterable[tuple[FlagVersion, bool, RowEntry]], persons: Iterable[str]) -> dict[str, FlagInputs]:
    """For each of these persons with flags on record, the latest version of each (as the log says it, checked
    against its row), by agency and reference. versions: rows by reference, then version."""
    by_ref: dict[tuple[str, str], list[tuple[FlagVersion, bool, RowEntry]]] = {}
    for v in versions:
        by_ref.setdefault((v[0].agency, v[0].reference), []).append(v)
    wanted = set(persons)
    out: dict[str, FlagInputs] = {}
    for (agency, reference), rows in sorted(by_ref.items()):
        top, top_latest, entry = rows[-1]
        what = f"flag {agency} {reference} v{top.version}"
        holds: list[Hold] = []
        if not top_latest or any(latest for _, latest, _ in rows[:-1]):
            holds.append(Hold(agency, f"{what}: the table does not mark its latest version as the latest (a later "
                                      f"version may have been deleted); {_EDITED}"))
        body = flag_body(top)
        person, where = top.person_key, entries_ref(entry)
        facts: FlagFacts | None = None
        if entry is not None and entry_holds(entry[2], body):
            facts = top.facts()  # the row is its entry: what the evaluator reads is what the log says
        else:
            logged = _logged(entry, "flag", agency=agency, reference=reference, version=top.version)
            if logged is None:
                holds.append(Hold(agency, f"{what}: the table's row names no log entry: not counted; {_EDITED}"))
                facts = where = None
            else:
                person, facts = logged["person_key"], FlagFacts.model_validate({f: logged[f] for f in _FACT_FIELDS})
                holds.append(Hold(agency, f"{what}: {differences(body, logged)} (entry {where[0]}); "  # type: ignore[index]
                                          f"read as the log says; {_EDITED}"))
        if person not in wanted:
            continue
        found = out.setdefault(person, FlagInputs([], [], []))
        if facts is not None and where is not None:
            found.flags.append(facts)
            found.refs.append(where)
        found.holds.extend(holds)
    return out


class ResolutionInputs(NamedTuple):
    """The agencies' latest resolutions on one candidate (as the log says them), where each is, the holds they cause."""

    resolutions: list[tuple[StoredResolution, Ref]]
    holds: list[Hold]


NO_RESOLUTIONS = ResolutionInputs([], [])


def resolution_inputs(store: Store, round_id: str, persons: list[str]) -> dict[str, ResolutionInputs]:
    """In a snapshot: each agency's latest resolution on each of these candidates, as its log entry says it (checked
    against its row: a row naming no entry is not counted, one that differs is read as the log says, and the agency's
    verdict held)."""
    out: dict[str, ResolutionInputs] = {}
    for person, found in store.resolutions(round_id, persons).items():
        got = out.setdefault(person, ResolutionInputs([], []))
        for row, entry in found:
            what = f"the resolution by {row.agency} of {row.resolved_at}"
            if entry is not None and entry_holds(entry[2], resolution_body(row)):
                got.resolutions.append((row, ref(entry[0], entry[1])))
                continue
            logged = _logged(entry, "resolution", round_id=round_id, person_key=person, agency=row.agency)
            if logged is None:
                got.holds.append(Hold(row.agency, f"{what}: the table's row names no log entry: not counted; {_EDITED}"))
                continue
            assert entry is not None
            got.resolutions.append((StoredResolution.model_validate(logged), ref(entry[0], entry[1])))
            got.holds.append(Hold(row.agency, f"{what}: {differences(resolution_body(row), logged)} (entry {entry[0]}); "
                                              f"read as the log says; {_EDITED}"))
    return out
