"""How records map to table rows: the flag columns, and rows read back as records."""

from __future__ import annotations

from datetime import date
from typing import Any

from eligibility.errors import RecordError
from eligibility.ledger.records import FlagVersion, StoredCandidate, StoredFlag
from eligibility.store.base import Row

FLAG_COLS = ("agency, reference, version, status, person_key, id_masked, id_sealed, name, kind, level, decided_on, "
              "end_date, term_months, note, reason, recorded_at")
INSERT_FLAG = f"INSERT INTO flags ({FLAG_COLS}, leaf_index, is_latest) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,1)"
"""A flag version's row (flag_row) followed by the position of its log entry."""
VERSION_COLS = ("agency, reference, version, status, person_key, id_masked, name, kind, level, decided_on, end_date, "
                "term_months, note, reason, recorded_at")
"""The columns of a FlagVersion, in its order."""




def of_persons(person_keys: list[str]) -> tuple[str, list[str]]:
    """(condition, parameters) selecting the flags on these persons, and perhaps a few others: the
    caller keeps the rows whose person_key is one of these.

    The flags are indexed by the first 16 hex digits (64 bits) of the person's keyed hash: a
    quarter of the index that the whole 64-digit key would make, so more of it stays cached while
    a million flags arrive in random order. (Comparing the whole key in SQL too would let SQLite
    fold a single `person_key = ?` into the prefix and scan the table instead.)
    """
    return f"substr(person_key, 1, 16) IN ({','.join('?' * len(person_keys))})", [k[:16] for k in person_keys]


def flag_row(f: StoredFlag, recorded_at: str) -> tuple[Any, ...]:
    """A flag version's row for INSERT_FLAG, recorded at this time."""
    return (f.agency, f.reference, f.version, f.status, f.person_key, f.id_masked, f.id_sealed, f.name, f.kind, f.level,
            f.decided_on.isoformat(), f.end_date.isoformat() if f.end_date else None, f.term_months, f.note, f.reason,
            recorded_at)


def flag_of(row: Row) -> StoredFlag:
    return StoredFlag(
        agency=row["agency"], reference=row["reference"], version=row["version"], status=row["status"],
        person_key=row["person_key"], id_masked=row["id_masked"], id_sealed=bytes(row["id_sealed"]), name=row["name"],
        kind=row["kind"],
        level=row["level"], decided_on=date.fromisoformat(row["decided_on"]),
        end_date=date.fromisoformat(row["end_date"]) if row["end_date"] else None,
        term_months=row["term_months"], note=row["note"], reason=row["reason"], recorded_at=row["recorded_at"],
        versions=row["version"],
    )


def flag_version_of(r: Row) -> FlagVersion:
    """A row read with VERSION_COLS, as screening and the store check read it (nothing parsed)."""
    return FlagVersion(r["agency"], r["reference"], r["version"], r["status"], r["person_key"], r["id_masked"], r["name"],
                       r["kind"], r["level"], r["decided_on"], r["end_date"] or None, r["term_months"], r["note"],
                       r["reason"], r["recorded_at"])


def birth_date_of(row: Row) -> date:
    """A candidate row's birth date; a RecordError naming the row if the table holds something that is not a date
    (the service never writes one: the table was edited outside it)."""
    try:
        return date.fromisoformat(row["birth_date"])
    except (TypeError, ValueError):
        raise RecordError(f"candidate {row['seq']} ({row['id_masked']}): its birth_date {row['birth_date']!r} in the "
                          "candidates table is not a date: the database was edited outside the service; run "
                          "`eligibility audit check-store`") from None


def candidate_of(row: Row) -> StoredCandidate:
    return StoredCandidate(
        round_id=row["round_id"], seq=row["seq"], person_key=row["person_key"], id_masked=row["id_masked"],
        id_sealed=bytes(row["id_sealed"]),
        name=row["name"], village=row["village"], township=row["township"],
        positions=tuple(row["positions"].split("+")) if row["positions"] else (),
        party_member=bool(row["party_member"]), birth_date=birth_date_of(row),
    )
