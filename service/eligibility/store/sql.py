"""The store: flags with versions, rounds, candidates, attestations, rulesets, decisions, the log.

One implementation in portable SQL over two backends (backends.py): SQLite, the embedded default,
and PostgreSQL, for several server replicas on one database. Every write is one transaction, and
write transactions are serialised (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock), because
the log is a single sequence: each entry names its predecessor's hash. Reads run concurrently.
One connection per process, shared by the server's threads behind a lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

import orjson

from eligibility.ledger.codec import Body
from eligibility.ledger.records import (
    Context,
    FlagVersion,
    LateInput,
    PreparedDecision,
    RoundInfo,
    RowEntry,
    Screened,
    ScreenRow,
    StoredAnswer,
    StoredAppeal,
    StoredCandidate,
    StoredConclusion,
    StoredDecision,
    StoredFlag,
    StoredResolution,
)
from eligibility.store.backends import Backend
from eligibility.store.base import Row
from eligibility.store.log import LogTables
from eligibility.store.rows import (
    FLAG_COLS,
    INSERT_FLAG,
    VERSION_COLS,
    birth_date_of,
    candidate_of,
    flag_of,
    flag_row,
    flag_version_of,
    of_persons,
)

_TALLIED = "log_tallies"
"""The setting saying the log's input entries are tallied (a new database, or an older one once tallied)."""

_INDEXED = "leaf_indexes"
"""The setting saying every input row names its log entry (a new database, or an older one once indexed)."""

# how an input entry's body finds its row: (table, key columns, body fields)
_INPUT_ROWS = {
    "ruleset": ("rulesets", ("hash",), ("hash",)),
    "flag": ("flags", ("agency", "reference", "version"), ("agency", "reference", "version")),
    "round": ("rounds", ("round_id",), ("round_id",)),
    "candidate": ("candidates", ("round_id", "person_key"), ("round_id", "person_key")),
    "attestation": ("attestations", ("round_id", "agency"), ("round_id", "agency")),
    "resolution": ("resolutions", ("round_id", "person_key", "agency", "resolved_at"),
                   ("round_id", "person_key", "agency", "resolved_at")),
    "conclusion": ("conclusions", ("round_id", "at"), ("round_id", "at")),
    "appeal": ("appeals", ("appeal_id",), ("appeal_id",)),
    "appeal_answer": ("appeal_answers", ("appeal_id", "agency"), ("appeal_id", "agency")),
}


def _entry(row: Row) -> RowEntry:
    """The log entry joined to a row (as l_idx, l_hash, l_data)."""
    return None if row["l_idx"] is None else (int(row["l_idx"]), bytes(row["l_hash"]), bytes(row["l_data"]))


_WITH_ENTRY = "l.idx AS l_idx, l.hash AS l_hash, l.data AS l_data"
_SCREEN_COLS = ("c.seq, c.person_key, c.id_masked, c.name, c.village, c.township, c.positions, c.party_member, "
                "c.birth_date, " + _WITH_ENTRY)


def _conclusion_row(c: StoredConclusion) -> tuple[Any, ...]:
    return (c.round_id, c.at, c.kind, c.by, c.note, c.appeal_id, orjson.dumps(list(c.decisions)).decode(),
            c.decisions_sha256, orjson.dumps(c.overall, option=orjson.OPT_SORT_KEYS).decode())


def _conclusion_of(row: Row) -> StoredConclusion:
    return StoredConclusion(round_id=row["round_id"], at=row["at"], kind=row["kind"], by=row["by_role"],
                            note=row["note"], appeal_id=row["appeal_id"], decisions=tuple(orjson.loads(row["decisions"])),
                            decisions_sha256=row["decisions_sha256"], overall=orjson.loads(row["overall"]))


def _resolution_row(r: StoredResolution) -> tuple[Any, ...]:
    return (r.round_id, r.person_key, r.agency, r.resolved_at, r.id_masked, r.name, r.outcome, r.opinion, r.handler,
            r.decision_id, orjson.dumps(list(r.decision)).decode(), orjson.dumps([list(f) for f in r.flags]).decode())


def _resolution_of(row: Row) -> StoredResolution:
    return StoredResolution(
        round_id=row["round_id"], person_key=row["person_key"], agency=row["agency"], resolved_at=row["resolved_at"],
        id_masked=row["id_masked"], name=row["name"], outcome=row["outcome"], opinion=row["opinion"],
        handler=row["handler"], decision_id=row["decision_id"], decision=tuple(orjson.loads(row["decision"])),
        flags=tuple(tuple(f) for f in orjson.loads(row["flags"])))


def _screen_row(r: Row) -> ScreenRow:
    return ScreenRow(r["seq"], r["person_key"], r["id_masked"], r["name"], r["village"], r["township"],
                     tuple(r["positions"].split("+")) if r["positions"] else (), bool(r["party_member"]),
                     birth_date_of(r))


class SqlStore(LogTables):
    """The store over a backend (SQLite or PostgreSQL): the tables indexed from the log, and the log."""

    def __init__(self, backend: Backend) -> None:
        """Open the store (creating the schema if needed) and index an older database's rows by log entry."""
        super().__init__(backend)
        if self.setting(_INDEXED) is None:
            self.index_old_rows()
        if self.setting(_TALLIED) is None:
            self.tally_old_log()

    def tally_old_log(self) -> None:
        """Tally the input entries of a log written before they were tallied as appended (once per database)."""
        with self.transaction() as c:
            if self.setting(_TALLIED) is not None:  # another replica did it first
                return
            c.execute("DELETE FROM log_tallies")
            c.executemany("INSERT INTO log_tallies (type, entries, positions) VALUES (?,?,?)",
                          [(kind, n, total) for kind, (n, total) in self.count_log().items()])
            c.execute("INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT DO NOTHING", (_TALLIED, "1"))

    def index_old_rows(self, batch: int = 5000) -> int:
        """Give every input row written before rows named their log entry the position of that entry (found by
        the row's key in one pass over the log's input entries); the number of entries looked up. Once per database."""
        done = 0
        with self.transaction() as c:
            if self.setting(_INDEXED) is not None:  # another replica did it first
                return 0
            start = 0
            types = tuple(_INPUT_ROWS)
            while True:
                rows = c.query(f"SELECT idx, type, data FROM log WHERE idx >= ? AND type IN ({','.join('?' * len(types))}) "
                               "ORDER BY idx LIMIT ?", (start, *types, batch))
                if not rows:
                    break
                by_table: dict[str, list[tuple[Any, ...]]] = {}
                for r in rows:
                    table, cols, fields = _INPUT_ROWS[r["type"]]
                    body = orjson.loads(bytes(r["data"]))["body"]
                    by_table.setdefault(r["type"], []).append((r["idx"], *(body[f] for f in fields)))
                for kind, params in by_table.items():
                    table, cols, _ = _INPUT_ROWS[kind]
                    where = " AND ".join(f"{col} = ?" for col in cols)
                    c.executemany(f"UPDATE {table} SET leaf_index = ? WHERE {where} AND leaf_index IS NULL", params)
                    done += len(params)
                start = rows[-1]["idx"] + 1
            c.execute("INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT DO NOTHING", (_INDEXED, "1"))
        return done

    # ---- rulesets ----
    def save_ruleset(self, name: str, version: str, hash_: str, content: bytes, now: str, body: Body) -> None:
        """Keep a ruleset's canonical content by hash (replay needs old versions); log body the first time."""
        with self.transaction() as c:
            cur = c.execute("INSERT INTO rulesets (hash, name, version, content, first_loaded_at) VALUES (?,?,?,?,?) "
                            "ON CONFLICT DO NOTHING", (hash_, name, version, content, now))
            if cur.rowcount == 1:
                (entry,) = self._log(c, [("ruleset", body)])
                c.execute("UPDATE rulesets SET leaf_index = ? WHERE hash = ?", (entry.position, hash_))

    def ruleset_entry(self, hash_: str) -> tuple[str, bytes | None]:
        """(first loaded at, the data of the log entry its row names, or None) of a ruleset kept."""
        rows = self._query("SELECT r.first_loaded_at, l.data FROM rulesets r LEFT JOIN log l ON l.idx = r.leaf_index "
                           "WHERE r.hash = ?", (hash_,))
        if not rows:
            return "", None
        return rows[0]["first_loaded_at"], None if rows[0]["data"] is None else bytes(rows[0]["data"])

    def relog_ruleset(self, hash_: str, body: Body) -> None:
        """Log a kept ruleset again (an older log held it by hash only; body holds its content): its row names the
        new entry."""
        with self.transaction() as c:
            (entry,) = self._log(c, [("ruleset", body)])
            c.execute("UPDATE rulesets SET leaf_index = ? WHERE hash = ?", (entry.position, hash_))

    def ruleset_content(self, hash_: str) -> bytes | None:
        """The canonical content of a ruleset version, or None."""
        rows = self._query("SELECT content FROM rulesets WHERE hash = ?", (hash_,))
        return bytes(rows[0]["content"]) if rows else None

    # ---- flags ----
    def flag_heads(self, agency: str, references: Iterable[str]) -> dict[str, StoredFlag]:
        """The latest version of each of the agency's references that exists."""
        refs = list(references)
        out: dict[str, StoredFlag] = {}
        for i in range(0, len(refs), 500):
            part = refs[i:i + 500]
            rows = self._query(
                f"SELECT {FLAG_COLS} FROM flags WHERE agency = ? AND is_latest = 1 AND reference IN "
                f"({','.join('?' * len(part))})", [agency, *part])
            out.update((r["reference"], flag_of(r)) for r in rows)
        return out

    def append_flag_versions(self, flags: list[StoredFlag], bodies: list[Body]) -> None:
        """Store new versions (each becomes the latest of its reference) with their logged bodies, in one
        transaction."""
        if not flags:
            return
        with self.transaction() as c:
            older = [(f.agency, f.reference) for f in flags if f.version > 1]  # a first version has nothing before it
            if older:
                c.executemany("UPDATE flags SET is_latest = 0 WHERE agency = ? AND reference = ? AND is_latest = 1", older)
            entries = self._log(c, [("flag", b) for b in bodies])
            c.executemany(INSERT_FLAG, [(*flag_row(f, f.recorded_at), e.position)
                                        for f, e in zip(flags, entries, strict=True)])

    def append_first_versions(self, flags: list[StoredFlag], bodies: list[Body], recorded_at: str) -> None:
        """Store version 1 of new references, made before the write lock, as recorded at this time (the
        bodies say that time; the versions were made before it was taken)."""
        if not flags:
            return
        with self.transaction() as c:
            entries = self._log(c, [("flag", b) for b in bodies])
            c.executemany(INSERT_FLAG, [(*flag_row(f, recorded_at), e.position) for f, e in zip(flags, entries, strict=True)])

    def list_flags(self, agency: str, kind: str = "", all_versions: bool = False) -> Iterator[StoredFlag]:
        """The agency's flags (latest versions unless all_versions), by reference then version."""
        sql = f"SELECT {FLAG_COLS} FROM flags WHERE agency = ?"
        params: list[Any] = [agency]
        if not all_versions:
            sql += " AND is_latest = 1"
        if kind:
            sql += " AND kind = ?"
            params.append(kind)
        for row in self._query(sql + " ORDER BY reference, version", params):
            yield flag_of(row)

    def flags_for_persons(self, person_keys: list[str]) -> dict[str, list[StoredFlag]]:
        """Latest versions (including retracted ones) of every agency's flags on these persons."""
        out: dict[str, list[StoredFlag]] = {}
        wanted = set(person_keys)
        for i in range(0, len(person_keys), 500):
            where, params = of_persons(person_keys[i:i + 500])
            rows = self._query(f"SELECT {FLAG_COLS} FROM flags WHERE is_latest = 1 AND {where} ORDER BY agency, reference",
                               params)
            for r in rows:
                if r["person_key"] in wanted:
                    out.setdefault(r["person_key"], []).append(flag_of(r))
        return out

    def flags_known_at(self, person_keys: list[str], known_at: str) -> dict[str, list[StoredFlag]]:
        """For each person, the version of each flag that was the latest on record at known_at."""
        out: dict[str, list[StoredFlag]] = {}
        for i in range(0, len(person_keys), 500):
            part = person_keys[i:i + 500]
            where, params = of_persons(part)
            rows = self._query(
                f"SELECT {FLAG_COLS} FROM flags WHERE recorded_at <= ? AND (agency, reference) IN "
                f"(SELECT agency, reference FROM flags WHERE {where}) ORDER BY agency, reference, version",
                [known_at, *params])
            latest: dict[tuple[str, str], StoredFlag] = {}
            for r in rows:
                latest[(r["agency"], r["reference"])] = flag_of(r)
            wanted = set(part)
            for f in latest.values():
                if f.person_key in wanted:
                    out.setdefault(f.person_key, []).append(f)
        return out

    # ---- rounds, candidates, attestations ----
    def create_round(self, info: RoundInfo, body: Body) -> None:
        """Store a new round and log its body."""
        with self.transaction() as c:
            (entry,) = self._log(c, [("round", body)])
            c.execute("INSERT INTO rounds (round_id, name, as_of, ruleset, created_at, created_by, leaf_index) "
                      "VALUES (?,?,?,?,?,?,?)", (info.round_id, info.name, info.as_of.isoformat(), info.ruleset,
                                                 info.created_at, info.created_by, entry.position))

    def get_round(self, round_id: str, count: bool = True) -> RoundInfo | None:
        """A round with its attestations and (unless count=False, which is cheaper) its candidate count."""
        rows = self._query("SELECT * FROM rounds WHERE round_id = ?", (round_id,))
        if not rows:
            return None
        r = rows[0]
        n = self._query("SELECT count(*) AS n FROM candidates WHERE round_id = ?", (round_id,))[0]["n"] if count else 0
        last = self._query("SELECT recorded_at FROM decisions WHERE round_id = ? ORDER BY seq DESC LIMIT 1", (round_id,))
        concluded = self._query("SELECT at FROM conclusions WHERE round_id = ? AND kind = 'conclusion' ORDER BY at "
                                "LIMIT 1", (round_id,))
        return RoundInfo(
            round_id=r["round_id"], name=r["name"], as_of=date.fromisoformat(r["as_of"]), ruleset=r["ruleset"],
            created_at=r["created_at"], created_by=r["created_by"], candidates=n,
            attested=self.attestations(round_id), last_screened_at=last[0]["recorded_at"] if last else "",
            concluded_at=concluded[0]["at"] if concluded else "",
        )

    def list_rounds(self) -> list[RoundInfo]:
        """All rounds, newest first."""
        ids = [r["round_id"] for r in self._query("SELECT round_id FROM rounds ORDER BY created_at DESC")]
        return [r for r in (self.get_round(i) for i in ids) if r is not None]

    def existing_candidates(self, round_id: str, person_keys: list[str]) -> dict[str, int]:
        """Which of these persons are already candidates of the round: person key -> their sequence number."""
        out: dict[str, int] = {}
        for i in range(0, len(person_keys), 500):
            part = person_keys[i:i + 500]
            rows = self._query(
                f"SELECT person_key, seq FROM candidates WHERE round_id = ? AND person_key IN "
                f"({','.join('?' * len(part))})", [round_id, *part])
            out.update((r["person_key"], int(r["seq"])) for r in rows)
        return out

    def next_candidate_seq(self, round_id: str) -> int:
        """The next free sequence number in a round."""
        return int(self._query("SELECT coalesce(max(seq), 0) + 1 AS n FROM candidates WHERE round_id = ?",
                               (round_id,))[0]["n"])

    def add_candidates(self, candidates: list[StoredCandidate], bodies: list[Body]) -> None:
        """Store candidates and log their bodies in one transaction."""
        with self.transaction() as c:
            entries = self._log(c, [("candidate", b) for b in bodies])
            c.executemany(
                "INSERT INTO candidates (round_id, seq, person_key, id_masked, id_sealed, name, village, township, "
                "positions, party_member, birth_date, leaf_index) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", [
                    (x.round_id, x.seq, x.person_key, x.id_masked, x.id_sealed, x.name, x.village, x.township,
                     "+".join(x.positions), int(x.party_member), x.birth_date.isoformat(), e.position)
                    for x, e in zip(candidates, entries, strict=True)])

    def candidates(self, round_id: str, batch: int = 1000) -> Iterator[list[StoredCandidate]]:
        """A round's candidates in order, in batches."""
        last = 0
        while True:
            rows = self._query("SELECT * FROM candidates WHERE round_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                               (round_id, last, batch))
            if not rows:
                return
            yield [candidate_of(r) for r in rows]
            last = rows[-1]["seq"]

    def screen_page(self, round_id: str, after: int, upto: int | None, limit: int) -> list[tuple[ScreenRow, RowEntry]]:
        """Up to limit candidates of a round with after < seq <= upto, in order, as screening reads them (no sealed
        ID), each with the log entry its row names."""
        rows = self._query(
            f"SELECT {_SCREEN_COLS} FROM candidates c LEFT JOIN log l ON l.idx = c.leaf_index "
            "WHERE c.round_id = ? AND c.seq > ? AND c.seq <= ? ORDER BY c.seq LIMIT ?",
            (round_id, after, upto if upto is not None else 2**62, limit))
        return [(_screen_row(r), _entry(r)) for r in rows]

    def screen_one(self, round_id: str, person_key: str) -> tuple[ScreenRow, RowEntry] | None:
        """One candidate of a round as screening reads it, with its log entry; or None."""
        rows = self._query(f"SELECT {_SCREEN_COLS} FROM candidates c LEFT JOIN log l ON l.idx = c.leaf_index "
                           "WHERE c.round_id = ? AND c.person_key = ?", (round_id, person_key))
        return (_screen_row(rows[0]), _entry(rows[0])) if rows else None

    def flag_versions(self, person_keys: list[str]) -> list[tuple[FlagVersion, bool, RowEntry]]:
        """Every version on record of every flag with a version on one of these persons (and perhaps a few others):
        is it marked the latest, the entry it names; by reference, then version."""
        out: list[tuple[FlagVersion, bool, RowEntry]] = []
        select = f"SELECT {VERSION_COLS}, is_latest, {_WITH_ENTRY} FROM flags LEFT JOIN log l ON l.idx = flags.leaf_index "
        for i in range(0, len(person_keys), 500):
            where, params = of_persons(person_keys[i:i + 500])
            out += [(flag_version_of(r), bool(r["is_latest"]), _entry(r))
                    for r in self._query(select + "WHERE " + where, params)]
        # a reference whose last version here is not its latest: its later versions are on another person (a
        # correction of the ID number), or were deleted; read them all
        top: dict[tuple[str, str], tuple[int, bool]] = {}
        for f, latest, _ in out:
            if f.version > top.get((f.agency, f.reference), (0, False))[0]:
                top[(f.agency, f.reference)] = (f.version, latest)
        elsewhere = [ref for ref, (_, latest) in top.items() if not latest]
        if elsewhere:
            have = {(f.agency, f.reference, f.version) for f, _, _ in out}
            for agency, reference in elsewhere:
                out += [(flag_version_of(r), bool(r["is_latest"]), _entry(r)) for r in self._query(
                    select + "WHERE agency = ? AND reference = ?", (agency, reference))
                        if (agency, reference, r["version"]) not in have]
        out.sort(key=lambda v: (v[0].agency, v[0].reference, v[0].version))
        return out

    def attestation_rows(self, round_id: str) -> list[tuple[str, str, str, str, RowEntry]]:
        """(agency, time, note, handler, the entry it names) of each attestation of a round."""
        rows = self._query(f"SELECT a.agency, a.attested_at, a.note, a.handler, {_WITH_ENTRY} FROM attestations a "
                           "LEFT JOIN log l ON l.idx = a.leaf_index WHERE a.round_id = ? ORDER BY a.agency", (round_id,))
        return [(r["agency"], r["attested_at"], r["note"], r["handler"], _entry(r)) for r in rows]

    def round_entry(self, round_id: str) -> RowEntry:
        """The log entry a round's row names."""
        rows = self._query(f"SELECT {_WITH_ENTRY} FROM rounds r LEFT JOIN log l ON l.idx = r.leaf_index "
                           "WHERE r.round_id = ?", (round_id,))
        return _entry(rows[0]) if rows else None

    def ruleset_row_entry(self, hash_: str) -> RowEntry:
        """The log entry a kept ruleset's row names."""
        rows = self._query(f"SELECT {_WITH_ENTRY} FROM rulesets r LEFT JOIN log l ON l.idx = r.leaf_index "
                           "WHERE r.hash = ?", (hash_,))
        return _entry(rows[0]) if rows else None

    def seq_slices(self, round_id: str, size: int) -> Iterator[tuple[int, int]]:
        """(after, upto) bounds of consecutive slices of at most size candidates of a round, in order."""
        after = 0
        while True:
            rows = self._query("SELECT seq FROM candidates WHERE round_id = ? AND seq > ? ORDER BY seq LIMIT 1 OFFSET ?",
                               (round_id, after, size - 1))
            if rows:
                yield after, int(rows[0]["seq"])
                after = int(rows[0]["seq"])
                continue
            last = self._query("SELECT max(seq) AS n FROM candidates WHERE round_id = ? AND seq > ?", (round_id, after))
            if last and last[0]["n"] is not None:
                yield after, int(last[0]["n"])
            return

    def candidate(self, round_id: str, person_key: str) -> StoredCandidate | None:
        """One candidate of a round, or None."""
        rows = self._query("SELECT * FROM candidates WHERE round_id = ? AND person_key = ?", (round_id, person_key))
        return candidate_of(rows[0]) if rows else None

    def attest(self, round_id: str, agency: str, at: str, note: str, handler: str, body: Body) -> bool:
        """Record an agency's attestation; False if it had already attested (the first one stands)."""
        with self.transaction() as c:
            cur = c.execute("INSERT INTO attestations (round_id, agency, attested_at, note, handler) VALUES (?,?,?,?,?) "
                            "ON CONFLICT DO NOTHING", (round_id, agency, at, note, handler))
            added = bool(cur.rowcount == 1)
            if added:
                (entry,) = self._log(c, [("attestation", body)])
                c.execute("UPDATE attestations SET leaf_index = ? WHERE round_id = ? AND agency = ?",
                          (entry.position, round_id, agency))
            return added

    def attestations(self, round_id: str) -> dict[str, str]:
        """Agency -> attestation time for a round."""
        rows = self._query("SELECT agency, attested_at FROM attestations WHERE round_id = ?", (round_id,))
        return {r["agency"]: r["attested_at"] for r in rows}

    # ---- resolutions (an agency's conclusion on a REVIEW verdict) ----
    def add_resolution(self, r: StoredResolution, body: Body) -> int:
        """Record a resolution with its log entry; the entry's position."""
        with self.transaction() as c:
            (entry,) = self._log(c, [("resolution", body)])
            c.execute("INSERT INTO resolutions (round_id, person_key, agency, resolved_at, id_masked, name, outcome, "
                      "opinion, handler, decision_id, decision, flags, leaf_index) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                      (*_resolution_row(r), entry.position))
            return entry.position

    def has_resolutions(self, round_id: str) -> bool:
        """Whether any agency resolved a verdict in this round (most rounds: none, and screening skips the look)."""
        return bool(self._query("SELECT 1 AS x FROM resolutions WHERE round_id = ? LIMIT 1", (round_id,)))

    def resolutions(self, round_id: str, person_keys: list[str]) -> dict[str, list[tuple[StoredResolution, RowEntry]]]:
        """For these candidates of a round: each agency's latest resolution, with the entry its row names."""
        latest: dict[tuple[str, str], tuple[StoredResolution, RowEntry]] = {}
        for i in range(0, len(person_keys), 500):
            part = person_keys[i:i + 500]
            for row in self._query(
                    f"SELECT r.*, {_WITH_ENTRY} FROM resolutions r LEFT JOIN log l ON l.idx = r.leaf_index WHERE "
                    f"r.round_id = ? AND r.person_key IN ({','.join('?' * len(part))}) ORDER BY r.resolved_at",
                    [round_id, *part]):
                latest[(row["person_key"], row["agency"])] = (_resolution_of(row), _entry(row))
        out: dict[str, list[tuple[StoredResolution, RowEntry]]] = {}
        for (person, _), found in sorted(latest.items()):
            out.setdefault(person, []).append(found)
        return out

    def all_resolutions(self) -> Iterator[list[StoredResolution]]:
        """Every resolution on record."""
        for rows in self._all("SELECT * FROM resolutions ORDER BY round_id, person_key, agency, resolved_at"):
            yield [_resolution_of(r) for r in rows]

    def latest_decision(self, round_id: str, person_key: str) -> StoredDecision | None:
        """A candidate's latest decision in a round."""
        rows = self._query(self._DECISION + "WHERE d.round_id = ? AND d.person_key = ? ORDER BY d.seq DESC LIMIT 1",
                           (round_id, person_key))
        return self._decision(rows[0]) if rows else None

    # ---- conclusions of rounds (and their amendments after appeals) ----
    def add_conclusion(self, c: StoredConclusion, body: Body) -> int:
        """Record a conclusion with its log entry; the entry's position."""
        with self.transaction() as t:
            (entry,) = self._log(t, [("conclusion", body)])
            t.execute("INSERT INTO conclusions (round_id, at, kind, by_role, note, appeal_id, decisions, "
                      "decisions_sha256, overall, leaf_index) VALUES (?,?,?,?,?,?,?,?,?,?)",
                      (*_conclusion_row(c), entry.position))
            return entry.position

    def conclusions(self, round_id: str | None = None) -> list[tuple[StoredConclusion, int | None]]:
        """A round's conclusions and amendments (or every round's), in order, with the entry each row names."""
        where, params = ("WHERE round_id = ? ", (round_id,)) if round_id is not None else ("", ())
        return [(_conclusion_of(r), r["leaf_index"]) for r in
                self._query(f"SELECT * FROM conclusions {where}ORDER BY round_id, at", params)]

    def decision_leaves(self, round_id: str) -> list[tuple[int, bytes]]:
        """(entry, leaf hash) of each candidate's latest decision in a round, in candidate order."""
        rows = self._query(
            "SELECT d.leaf_index, l.hash FROM candidates c JOIN (SELECT person_key, max(seq) AS seq FROM decisions "
            "WHERE round_id = ? GROUP BY person_key) m ON m.person_key = c.person_key JOIN decisions d ON d.seq = m.seq "
            "JOIN log l ON l.idx = d.leaf_index WHERE c.round_id = ? ORDER BY c.seq", (round_id, round_id))
        return [(int(r["leaf_index"]), bytes(r["hash"])) for r in rows]

    # ---- appeals (复核) ----
    def add_appeal(self, a: StoredAppeal, body: Body) -> int:
        """Record an appeal with its log entry; the entry's position."""
        with self.transaction() as t:
            (entry,) = self._log(t, [("appeal", body)])
            t.execute("INSERT INTO appeals (appeal_id, round_id, person_key, id_masked, name, reason, opened_at, by_role, "
                      "decision_id, decision, agencies, leaf_index) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                      (a.appeal_id, a.round_id, a.person_key, a.id_masked, a.name, a.reason, a.opened_at, a.by,
                       a.decision_id, orjson.dumps(list(a.decision)).decode(), "+".join(a.agencies), entry.position))
            return entry.position

    def appeals(self, round_id: str = "", appeal_id: str = "", about: tuple[str, int] | None = None,
                ) -> list[tuple[StoredAppeal, RowEntry, str]]:
        """Appeals (of a round, or one, or those about (decision id, entry): against that decision or at that entry, or
        all), in the order opened: (appeal, the entry its row names, the decision made for it or "")."""
        where, params = ("WHERE a.appeal_id = ? ", (appeal_id,)) if appeal_id else (
            ("WHERE a.round_id = ? ", (round_id,)) if round_id else (
                ("WHERE a.decision_id = ? OR a.leaf_index = ? ", about) if about else ("", ())))
        return [(StoredAppeal(appeal_id=r["appeal_id"], round_id=r["round_id"], person_key=r["person_key"],
                              id_masked=r["id_masked"], name=r["name"], reason=r["reason"], opened_at=r["opened_at"],
                              by=r["by_role"], decision_id=r["decision_id"], decision=tuple(orjson.loads(r["decision"])),
                              agencies=tuple(r["agencies"].split("+")) if r["agencies"] else ()),
                 _entry(r), r["decided_by"] or "")
                for r in self._query(f"SELECT a.*, {_WITH_ENTRY} FROM appeals a LEFT JOIN log l ON l.idx = a.leaf_index "
                                     f"{where}ORDER BY a.opened_at, a.appeal_id", params)]

    def add_answer(self, a: StoredAnswer, body: Body) -> int:
        """Record an agency's answer to an appeal with its log entry; the entry's position."""
        with self.transaction() as t:
            (entry,) = self._log(t, [("appeal_answer", body)])
            t.execute("INSERT INTO appeal_answers (appeal_id, agency, answer, opinion, handler, answered_at, leaf_index) "
                      "VALUES (?,?,?,?,?,?,?)", (a.appeal_id, a.agency, a.answer, a.opinion, a.handler, a.answered_at,
                                                 entry.position))
            return entry.position

    def answers(self, appeal_id: str = "") -> list[tuple[StoredAnswer, RowEntry]]:
        """The agencies' answers to an appeal (or to every appeal), in the order given, with the entry each row names."""
        where, params = ("WHERE a.appeal_id = ? ", (appeal_id,)) if appeal_id else ("", ())
        return [(StoredAnswer(appeal_id=r["appeal_id"], agency=r["agency"], answer=r["answer"], opinion=r["opinion"],
                              handler=r["handler"], answered_at=r["answered_at"]), _entry(r))
                for r in self._query(f"SELECT a.*, {_WITH_ENTRY} FROM appeal_answers a LEFT JOIN log l ON "
                                     f"l.idx = a.leaf_index {where}ORDER BY a.appeal_id, a.answered_at", params)]

    def appeal_decided(self, appeal_id: str, decision_id: str) -> None:
        """Note the decision made for an appeal (the decision names the appeal's entry: this is its index)."""
        with self.transaction() as t:
            t.execute("UPDATE appeals SET decided_by = ? WHERE appeal_id = ?", (decision_id, appeal_id))

    # ---- what arrived after a round's decisions (review/changes.py) ----
    def screened(self, round_id: str) -> list[Screened]:
        """Every candidate of a round with its latest decision and the log size that decision read at."""
        rows = self._query(
            "SELECT c.seq, c.person_key, c.id_masked, c.name, c.township, c.village, d.decision_id, "
            "coalesce(d.read_at, d.leaf_index) AS read_at FROM candidates c LEFT JOIN (SELECT person_key, max(seq) AS "
            "seq FROM decisions WHERE round_id = ? GROUP BY person_key) m ON m.person_key = c.person_key "
            "LEFT JOIN decisions d ON d.seq = m.seq WHERE c.round_id = ? ORDER BY c.seq", (round_id, round_id))
        return [Screened(r["seq"], r["person_key"], r["id_masked"], r["name"], r["township"], r["village"],
                         r["decision_id"] or "", -1 if r["read_at"] is None else int(r["read_at"])) for r in rows]

    def inputs_after(self, round_id: str, position: int) -> list[LateInput]:
        """The input entries at or after a log position that concern candidates of a round, in log order."""
        out = [LateInput(r["person"], r["agency"], "flag",
                         f"{r['kind']} {r['reference']} v{r['version']} {r['status']}", r["recorded_at"],
                         int(r["leaf_index"]))
               for r in self._query(
                   "SELECT DISTINCT c.person_key AS person, f.agency, f.reference, f.version, f.kind, f.status, "
                   "f.recorded_at, f.leaf_index FROM flags f JOIN flags o ON o.agency = f.agency AND o.reference = "
                   "f.reference JOIN candidates c ON c.person_key = o.person_key AND c.round_id = ? "
                   "WHERE f.leaf_index >= ?", (round_id, position))]
        out += [LateInput("", r["agency"], "attestation", "attestation", r["attested_at"], int(r["leaf_index"]))
                for r in self._query("SELECT agency, attested_at, leaf_index FROM attestations WHERE round_id = ? AND "
                                     "leaf_index >= ?", (round_id, position))]
        out += [LateInput(r["person_key"], r["agency"], "resolution", f"resolution {r['outcome']}", r["resolved_at"],
                          int(r["leaf_index"]))
                for r in self._query("SELECT person_key, agency, outcome, resolved_at, leaf_index FROM resolutions "
                                     "WHERE round_id = ? AND leaf_index >= ?", (round_id, position))]
        return sorted(out, key=lambda x: x.position)

    # ---- decisions ----
    def append_decisions(self, decisions: list[PreparedDecision], contexts: Iterable[Context] = ()) -> list[StoredDecision]:
        """Append decisions to the log in one transaction, each shared result they name logged first
        unless the log has it already, then the contexts they name; each decision as stored."""
        contexts = list(contexts)
        with self.transaction() as c:
            named = {d.result_sha256: d.result for d in decisions if d.result_sha256}
            results: dict[str, tuple[int, bytes]] = {}
            if named:
                rows = c.query("SELECT r.sha256, r.leaf_index, l.data FROM results r JOIN log l ON l.idx = r.leaf_index "
                               f"WHERE r.sha256 IN ({','.join('?' * len(named))})", tuple(named))
                results = {r["sha256"]: (r["leaf_index"], bytes(r["data"])) for r in rows}
            new = [(sha, data) for sha, data in named.items() if sha not in results]
            items: list[tuple[str, Body]] = [("result", orjson.Fragment(data)) for _, data in new]
            items += [("context", orjson.Fragment(ctx.body)) for ctx in contexts]
            entries = self._log(c, items + [("decision", d.body) for d in decisions])
            for (sha, _), e in zip(new, entries, strict=False):
                results[sha] = (e.position, e.data)
            if new:
                c.executemany("INSERT INTO results (sha256, leaf_index) VALUES (?,?)",
                              [(sha, results[sha][0]) for sha, _ in new])
            first = int(c.execute("SELECT coalesce(max(seq), 0) + 1 AS n FROM decisions").fetchone()["n"])
            out = [StoredDecision(first + i, e.position, e.data, *results.get(d.result_sha256, (-1, b"")))
                   for i, (d, e) in enumerate(zip(decisions, entries[len(items):], strict=True))]
            read_at = min((ctx.log_size for ctx in contexts), default=None)
            c.executemany(
                "INSERT INTO decisions (seq, decision_id, round_id, person_key, recorded_at, ruleset_hash, leaf_index, "
                "result_leaf, read_at) VALUES (?,?,?,?,?,?,?,?,?)",
                [(s.seq, d.decision_id, d.round_id, d.person_key, d.recorded_at, d.ruleset_hash, s.leaf_index,
                  s.result_index if s.result_index >= 0 else None, read_at) for d, s in zip(decisions, out, strict=True)])
        return out

    # a decision's entry, and the entry of the shared result it names (if any)
    _DECISION = ("SELECT d.seq, d.leaf_index, l.data, d.result_leaf, r.data AS result FROM decisions d "
                 "JOIN log l ON l.idx = d.leaf_index LEFT JOIN log r ON r.idx = d.result_leaf ")

    @staticmethod
    def _decision(row: Row) -> StoredDecision:
        if row["result_leaf"] is None:
            return StoredDecision(row["seq"], row["leaf_index"], bytes(row["data"]))
        return StoredDecision(row["seq"], row["leaf_index"], bytes(row["data"]), row["result_leaf"],
                              bytes(row["result"]))

    def decision_count(self) -> int:
        """How many decisions are recorded (a probe that the database answers)."""
        return int(self._query("SELECT count(*) AS n FROM decisions")[0]["n"])

    def get_decision(self, decision_id: str) -> StoredDecision | None:
        """A decision as stored, or None."""
        rows = self._query(self._DECISION + "WHERE d.decision_id = ?", (decision_id,))
        return self._decision(rows[0]) if rows else None

    def round_decisions(self, round_id: str, batch: int = 1000,
                        person_key: str | None = None) -> Iterator[list[StoredDecision]]:
        """Every decision recorded for a round (or for one of its candidates), in log order, in batches."""
        last = 0
        person = "" if person_key is None else "AND d.person_key = ? "
        while True:
            rows = self._query(self._DECISION + f"WHERE d.round_id = ? {person}AND d.seq > ? ORDER BY d.seq LIMIT ?",
                               (round_id, *([] if person_key is None else [person_key]), last, batch))
            if not rows:
                return
            yield [self._decision(r) for r in rows]
            last = rows[-1]["seq"]

    def neighbour_decisions(self, decision_id: str) -> tuple[str, str]:
        """The decisions of the same candidate and round recorded just before and just after this one ("" if none)."""
        rows = self._query(
            "SELECT (SELECT p.decision_id FROM decisions p WHERE p.round_id = d.round_id AND p.person_key = d.person_key "
            "AND p.seq < d.seq ORDER BY p.seq DESC LIMIT 1) AS before, (SELECT n.decision_id FROM decisions n WHERE "
            "n.round_id = d.round_id AND n.person_key = d.person_key AND n.seq > d.seq ORDER BY n.seq LIMIT 1) AS after "
            "FROM decisions d WHERE d.decision_id = ? AND d.round_id <> ''", (decision_id,))
        return (rows[0]["before"] or "", rows[0]["after"] or "") if rows else ("", "")

    def latest_round_decisions(self, round_id: str) -> list[StoredDecision]:
        """The latest decision of each candidate of a round, in candidate order."""
        # one pass over the round's decisions (no per-person index to keep up while screening)
        rows = self._query(
            "SELECT d.seq, d.leaf_index, l.data, d.result_leaf, r.data AS result FROM candidates c "
            "JOIN (SELECT person_key, max(seq) AS seq FROM decisions WHERE round_id = ? GROUP BY person_key) m "
            "ON m.person_key = c.person_key JOIN decisions d ON d.seq = m.seq JOIN log l ON l.idx = d.leaf_index "
            "LEFT JOIN log r ON r.idx = d.result_leaf WHERE c.round_id = ? ORDER BY c.seq", (round_id, round_id))
        return [self._decision(r) for r in rows]

    # ---- every row, for checking the tables against the log (doctor, audit check-store) ----
    _TALLY_TABLES = {"flag": "flags", "candidate": "candidates", "attestation": "attestations",
                     "resolution": "resolutions", "conclusion": "conclusions", "appeal": "appeals",
                     "appeal_answer": "appeal_answers"}

    def data_version(self) -> int | None:
        """A number that changes when another connection commits a change to the database (None: not known)."""
        with self._lock:
            return self.backend.data_version()

    def input_tallies(self) -> dict[str, tuple[tuple[int, int], tuple[int, int]]]:
        """For flags, candidates and attestations: ((rows, sum of the entries they name), (entries, sum of their
        positions, as tallied when appended)): equal when no row was deleted or added outside the service (read in
        one snapshot). (The tallies are checked against the log itself by `audit check-store`.)"""
        with self.snapshot():
            logged = self.log_tallies()
            out = {}
            for kind, table in self._TALLY_TABLES.items():
                r = self._query(f"SELECT count(*) AS n, sum(leaf_index) AS s FROM {table}")[0]
                out[kind] = ((int(r["n"]), int(r["s"] or 0)), logged.get(kind, (0, 0)))
        return out


    def _all(self, sql: str, batch: int = 10_000) -> Iterator[list[Row]]:
        offset = 0
        while True:
            rows = self._query(f"{sql} LIMIT ? OFFSET ?", (batch, offset))
            if not rows:
                return
            yield rows
            offset += len(rows)

    def all_flag_versions(self) -> Iterator[list[tuple[FlagVersion, bool]]]:
        """Every flag version on record (as its row says it, nothing parsed), with whether the table marks it the
        latest of its reference."""
        for rows in self._all(f"SELECT {VERSION_COLS}, is_latest FROM flags ORDER BY agency, reference, version"):
            yield [(flag_version_of(r), bool(r["is_latest"])) for r in rows]

    def all_candidates(self) -> Iterator[list[StoredCandidate]]:
        """Every candidate of every round."""
        for rows in self._all("SELECT * FROM candidates ORDER BY round_id, seq"):
            yield [candidate_of(r) for r in rows]

    def all_attestations(self) -> list[tuple[str, str, str, str, str]]:
        """Every attestation: (round, agency, time, note, handler)."""
        return [(r["round_id"], r["agency"], r["attested_at"], r["note"], r["handler"]) for batch in self._all(
            "SELECT round_id, agency, attested_at, note, handler FROM attestations ORDER BY round_id, agency")
            for r in batch]

    def all_rulesets(self) -> list[tuple[str, str, str, str, bytes]]:
        """Every ruleset kept: (hash, name, version, first loaded at, canonical content)."""
        return [(r["hash"], r["name"], r["version"], r["first_loaded_at"], bytes(r["content"])) for batch in self._all(
            "SELECT hash, name, version, first_loaded_at, content FROM rulesets ORDER BY hash") for r in batch]

    def all_decision_rows(self) -> Iterator[list[tuple[str, str, str, str, str, int, int | None]]]:
        """Every decision row: (id, round, person key, recorded at, ruleset hash, its entry, its shared result's entry)."""
        for rows in self._all("SELECT decision_id, round_id, person_key, recorded_at, ruleset_hash, leaf_index, result_leaf "
                              "FROM decisions ORDER BY seq"):
            yield [(r["decision_id"], r["round_id"], r["person_key"], r["recorded_at"], r["ruleset_hash"],
                    int(r["leaf_index"]), None if r["result_leaf"] is None else int(r["result_leaf"])) for r in rows]

    def all_leaf_indexes(self) -> Iterator[tuple[str, tuple[str, ...], int | None]]:
        """(type, key, the log entry it names) of every input row: the key as the log's body gives it."""
        for kind, (table, cols, _) in _INPUT_ROWS.items():
            for rows in self._all(f"SELECT {', '.join(cols)}, leaf_index FROM {table} ORDER BY {', '.join(cols)}"):
                for r in rows:
                    yield kind, tuple(str(r[c]) for c in cols), None if r["leaf_index"] is None else int(r["leaf_index"])

    def all_results(self) -> list[tuple[str, int]]:
        """Every shared result the table names: (sha256, its entry)."""
        return [(r["sha256"], int(r["leaf_index"])) for batch in self._all(
            "SELECT sha256, leaf_index FROM results ORDER BY sha256") for r in batch]

    # ---- settings of the database itself (e.g. the fingerprints of the keys it was made with) ----
    def setting(self, name: str) -> str | None:
        """A setting's value, or None."""
        rows = self._query("SELECT value FROM settings WHERE name = ?", (name,))
        return str(rows[0]["value"]) if rows else None

    def set_setting(self, name: str, value: str) -> None:
        """Record a setting unless it is already recorded (the first value stands)."""
        with self.transaction() as c:
            c.execute("INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT DO NOTHING", (name, value))

    # ---- idempotent requests ----
    def remembered(self, role: str, key: str) -> tuple[str, str, bytes] | None:
        """(method, request hash, response) of an earlier request with this idempotency key."""
        rows = self._query("SELECT method, request_hash, response FROM idempotency WHERE role = ? AND key = ?",
                           (role, key))
        return (rows[0]["method"], rows[0]["request_hash"], bytes(rows[0]["response"])) if rows else None

    def remember(self, role: str, key: str, method: str, request_hash: str, response: bytes, now: str) -> None:
        """Keep a response for its idempotency key (inside the request's transaction)."""
        with self.transaction() as c:
            c.execute("INSERT INTO idempotency VALUES (?,?,?,?,?,?)", (role, key, method, request_hash, response, now))
