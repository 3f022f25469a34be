"""Database backends for the store: the SQL dialect, the schema, transactions and write serialisation.

SQL in the store is written once with `?` placeholders and `ON CONFLICT DO NOTHING` (both dialects);
each backend translates what differs. Write transactions are serialised: SQLite with BEGIN IMMEDIATE
(its single writer), PostgreSQL with a transaction-scoped advisory lock, so that two server
processes on one database append to one log: one sequence, no gaps, no forks.
"""

from __future__ import annotations

import re
import sqlite3
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

# {pk}: SQLite's INTEGER PRIMARY KEY is the table's own row id (no separate index to keep up for the
# log and the decisions, which grow by millions); PostgreSQL gets BIGINT PRIMARY KEY.
_TABLES = """
CREATE TABLE IF NOT EXISTS rulesets (
  hash TEXT PRIMARY KEY, name TEXT NOT NULL, version TEXT NOT NULL, content {blob} NOT NULL,
  first_loaded_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS flags (
  agency TEXT NOT NULL, reference TEXT NOT NULL, version INTEGER NOT NULL, status TEXT NOT NULL,
  person_key TEXT NOT NULL, id_masked TEXT NOT NULL, id_sealed {blob} NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,
  level TEXT NOT NULL, decided_on TEXT NOT NULL, end_date TEXT, term_months INTEGER, note TEXT NOT NULL,
  reason TEXT NOT NULL, recorded_at TEXT NOT NULL, is_latest INTEGER NOT NULL,
  PRIMARY KEY (agency, reference, version));
DROP INDEX IF EXISTS flags_latest_person;
DROP INDEX IF EXISTS flags_person;
CREATE INDEX IF NOT EXISTS flags_person_prefix ON flags (substr(person_key, 1, 16));
CREATE TABLE IF NOT EXISTS rounds (
  round_id TEXT PRIMARY KEY, name TEXT NOT NULL, as_of TEXT NOT NULL, ruleset TEXT NOT NULL,
  created_at TEXT NOT NULL, created_by TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS candidates (
  round_id TEXT NOT NULL REFERENCES rounds(round_id), seq INTEGER NOT NULL, person_key TEXT NOT NULL,
  id_masked TEXT NOT NULL, id_sealed {blob} NOT NULL, name TEXT NOT NULL, village TEXT NOT NULL, township TEXT NOT NULL,
  positions TEXT NOT NULL, party_member INTEGER NOT NULL, birth_date TEXT NOT NULL,
  PRIMARY KEY (round_id, person_key), UNIQUE (round_id, seq));
CREATE TABLE IF NOT EXISTS attestations (
  round_id TEXT NOT NULL REFERENCES rounds(round_id), agency TEXT NOT NULL, attested_at TEXT NOT NULL,
  note TEXT NOT NULL, PRIMARY KEY (round_id, agency));
CREATE TABLE IF NOT EXISTS resolutions (
  round_id TEXT NOT NULL REFERENCES rounds(round_id), person_key TEXT NOT NULL, agency TEXT NOT NULL,
  resolved_at TEXT NOT NULL, id_masked TEXT NOT NULL, name TEXT NOT NULL, outcome TEXT NOT NULL, opinion TEXT NOT NULL,
  handler TEXT NOT NULL, decision_id TEXT NOT NULL, decision TEXT NOT NULL, flags TEXT NOT NULL, leaf_index BIGINT,
  PRIMARY KEY (round_id, person_key, agency, resolved_at));
CREATE TABLE IF NOT EXISTS conclusions (
  round_id TEXT NOT NULL REFERENCES rounds(round_id), at TEXT NOT NULL, kind TEXT NOT NULL, by_role TEXT NOT NULL,
  note TEXT NOT NULL, appeal_id TEXT NOT NULL, decisions TEXT NOT NULL, decisions_sha256 TEXT NOT NULL,
  overall TEXT NOT NULL, leaf_index BIGINT, PRIMARY KEY (round_id, at));
CREATE TABLE IF NOT EXISTS appeals (
  appeal_id TEXT PRIMARY KEY, round_id TEXT NOT NULL REFERENCES rounds(round_id), person_key TEXT NOT NULL,
  id_masked TEXT NOT NULL, name TEXT NOT NULL, reason TEXT NOT NULL, opened_at TEXT NOT NULL, by_role TEXT NOT NULL,
  decision_id TEXT NOT NULL, decision TEXT NOT NULL, agencies TEXT NOT NULL, leaf_index BIGINT, decided_by TEXT);
CREATE TABLE IF NOT EXISTS appeal_answers (
  appeal_id TEXT NOT NULL REFERENCES appeals(appeal_id), agency TEXT NOT NULL, answer TEXT NOT NULL,
  opinion TEXT NOT NULL, handler TEXT NOT NULL, answered_at TEXT NOT NULL, leaf_index BIGINT,
  PRIMARY KEY (appeal_id, agency));
CREATE TABLE IF NOT EXISTS log (
  idx {pk}, type TEXT NOT NULL, data {blob} NOT NULL, hash {blob} NOT NULL);
CREATE INDEX IF NOT EXISTS log_hashes ON log (idx, hash);
CREATE TABLE IF NOT EXISTS log_tallies (
  type TEXT PRIMARY KEY, entries BIGINT NOT NULL, positions BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS decisions (
  seq {pk}, decision_id TEXT NOT NULL UNIQUE, round_id TEXT NOT NULL,
  person_key TEXT NOT NULL, recorded_at TEXT NOT NULL, ruleset_hash TEXT NOT NULL,
  leaf_index BIGINT NOT NULL REFERENCES log(idx), result_leaf BIGINT REFERENCES log(idx));
CREATE TABLE IF NOT EXISTS results (
  sha256 TEXT PRIMARY KEY, leaf_index BIGINT NOT NULL REFERENCES log(idx));
CREATE INDEX IF NOT EXISTS decisions_round ON decisions (round_id, seq);
DROP INDEX IF EXISTS decisions_person;
CREATE TABLE IF NOT EXISTS checkpoints (
  seq {pk}, size BIGINT NOT NULL, root {blob} NOT NULL, body TEXT NOT NULL,
  signature {blob} NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS settings (
  name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS idempotency (
  role TEXT NOT NULL, key TEXT NOT NULL, method TEXT NOT NULL, request_hash TEXT NOT NULL, response {blob} NOT NULL,
  created_at TEXT NOT NULL, PRIMARY KEY (role, key));
"""

# Columns added after a release: (table, column, type), added to an older database when it is opened.
_ADDED_COLUMNS = [
    ("decisions", "result_leaf", "BIGINT REFERENCES log(idx)"),  # the shared result a record names by hash
    # the log entry of each input row (the tables are an index of the log): set on write, filled in for
    # the rows of an older database when it is first opened (SqlStore.index_old_rows)
    ("rulesets", "leaf_index", "BIGINT"),
    ("flags", "leaf_index", "BIGINT"),
    ("rounds", "leaf_index", "BIGINT"),
    ("candidates", "leaf_index", "BIGINT"),
    ("attestations", "leaf_index", "BIGINT"),
    ("attestations", "handler", "TEXT NOT NULL DEFAULT ''"),  # the officer who attested (older rows: none)
    ("decisions", "read_at", "BIGINT"),  # the log size the decision's inputs were read at (older rows: NULL)
]

_SQLITE_GUARDS = [
    "CREATE TRIGGER IF NOT EXISTS log_append_only_u BEFORE UPDATE ON log "
    "BEGIN SELECT RAISE(ABORT, 'the decision log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS log_append_only_d BEFORE DELETE ON log "
    "BEGIN SELECT RAISE(ABORT, 'the decision log is append-only'); END",
]
_PG_GUARDS = [
    "CREATE OR REPLACE FUNCTION log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'the decision log is append-only'; END $$",
    "CREATE OR REPLACE TRIGGER log_append_only BEFORE UPDATE OR DELETE ON log "
    "FOR EACH ROW EXECUTE FUNCTION log_append_only()",
]


def _statements(text: str) -> list[str]:
    return [s.strip() for s in text.split(";") if s.strip()]


class Backend(ABC):
    """What the store needs from a database."""

    path: str

    @abstractmethod
    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        """Run one statement; returns a cursor (fetchone, fetchall, rowcount)."""

    @abstractmethod
    def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        """Run one statement for many rows."""

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """Rows of a read (mapping access by column name)."""
        return list(self.execute(sql, params).fetchall())

    @abstractmethod
    def begin(self) -> None:
        """Start a serialised write transaction."""

    def data_version(self) -> int | None:
        """A number that changes when another connection commits a change to the database (None: not known)."""
        return None

    @abstractmethod
    def begin_read(self) -> None:
        """Start a read-only transaction whose reads all see one state of the database."""

    def end_read(self) -> None:
        """End it."""
        self.execute("COMMIT")

    def commit(self) -> None:
        """Commit it."""
        self.execute("COMMIT")

    def rollback(self) -> None:
        """Roll it back."""
        self.execute("ROLLBACK")

    @abstractmethod
    def create_schema(self) -> None:
        """Create tables, indexes and the log's append-only guard (inside a transaction)."""

    @abstractmethod
    def columns(self, table: str) -> set[str]:
        """The columns a table has."""

    def add_missing_columns(self) -> None:
        """Bring a database made by an earlier version up to the current tables."""
        for table, column, type_ in _ADDED_COLUMNS:
            if column not in self.columns(table):
                self.execute(f"ALTER TABLE {table} ADD COLUMN {column} {type_}")

    @abstractmethod
    def close(self) -> None:
        """Close the connection."""


class SqliteBackend(Backend):
    """SQLite: WAL, synchronous=FULL, BEGIN IMMEDIATE."""

    def __init__(self, path: Path) -> None:
        """Open the database file."""
        self.path = str(path)
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        self._conn.row_factory = sqlite3.Row
        # a new database gets 16 KiB pages (decision records are ~5 KB: fewer overflow pages); no effect later
        self._conn.execute("PRAGMA page_size=16384")
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.execute("PRAGMA cache_size=-32768")  # 32 MiB of pages (default 2 MiB): hot index pages stay cached

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        """Run one statement."""
        return self._conn.execute(sql, params)

    def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        """Run one statement for many rows."""
        self._conn.executemany(sql, rows)

    def begin(self) -> None:
        """SQLite's single writer."""
        self._conn.execute("BEGIN IMMEDIATE")

    def data_version(self) -> int | None:
        """SQLite's data_version: changes when another connection (a worker, a replica, the sqlite3 shell) commits."""
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def begin_read(self) -> None:
        """A deferred transaction: its first read takes a snapshot of the WAL that its later reads see too
        (writers go on meanwhile)."""
        self._conn.execute("BEGIN")

    def create_schema(self) -> None:
        """Create what is missing."""
        for stmt in [*_statements(_TABLES.format(blob="BLOB", pk="INTEGER PRIMARY KEY")), *_SQLITE_GUARDS]:
            self._conn.execute(stmt)
        self.add_missing_columns()

    def columns(self, table: str) -> set[str]:
        """The columns a table has."""
        return {r["name"] for r in self._conn.execute(f"PRAGMA table_info({table})")}

    def close(self) -> None:
        """Close."""
        self._conn.close()


_LOCK_ID = 727_2026  # pg_advisory_xact_lock key: "the writer of this database"
_PLACEHOLDER = re.compile(r"\?")


class PostgresBackend(Backend):
    """PostgreSQL (psycopg 3): autocommit reads, explicit write transactions under an advisory lock."""

    def __init__(self, dsn: str) -> None:
        """Connect to the database."""
        import psycopg
        from psycopg.rows import dict_row
        self.path = re.sub(r"password=\S+|:[^:@/]+@", "****@" if "@" in dsn else "password=****", dsn)
        self._conn = psycopg.connect(dsn, autocommit=True, row_factory=dict_row)

    @staticmethod
    def _sql(sql: str) -> str:
        return _PLACEHOLDER.sub("%s", sql)

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        """Run one statement."""
        return self._conn.execute(self._sql(sql), params)

    def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        """Run one statement for many rows."""
        with self._conn.cursor() as cur:
            cur.executemany(self._sql(sql), rows)

    def begin(self) -> None:
        """One writer at a time across every process on this database."""
        self._conn.execute("BEGIN")
        self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))

    def begin_read(self) -> None:
        """A snapshot for every read until it ends."""
        self._conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")

    def create_schema(self) -> None:
        """Create what is missing (serialised by the advisory lock, so replicas may start together)."""
        for stmt in [*_statements(_TABLES.format(blob="BYTEA", pk="BIGINT PRIMARY KEY")), *_PG_GUARDS]:
            self._conn.execute(stmt)
        self.add_missing_columns()

    def columns(self, table: str) -> set[str]:
        """The columns a table has."""
        return {r["column_name"] for r in self._conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = %s", (table,))}

    def close(self) -> None:
        """Close."""
        self._conn.close()
