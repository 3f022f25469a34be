"""DuckDB: one set-based SQL query over tables of candidates and flags, the rules as tables generated from the Ruleset.

The query selects each flag's rule variant by join (agency, kind, level, term), decides windows with DuckDB's date
arithmetic (``decided_on + to_months(n)`` clamps to the month's end, as our add_months does), runs the profile
checks, and groups the firings into each agency's verdict, the profile verdict and the overall verdict. Python
normalises names and loads the tables (the round's attestations once, as a table).
"""

from __future__ import annotations

from datetime import date
from importlib.metadata import version
from typing import Any

import duckdb

from eligibility.engine.model import PROFILE, EvalInput
from eligibility.rules.schema import Ruleset

from .common import Answer, Clock, Measured, common_attestations, name_key, timed

SCHEMA = """
CREATE TABLE cand (ci INTEGER, birth DATE, party_member BOOLEAN, positions VARCHAR[], name_key VARCHAR);
CREATE TABLE flag (ci INTEGER, fi INTEGER, agency VARCHAR, kind VARCHAR, level VARCHAR, status VARCHAR,
                   decided_on DATE, end_date DATE, term_months INTEGER, name_key VARCHAR);
CREATE TABLE attested (agency VARCHAR);
CREATE TABLE agency (agency VARCHAR, ord INTEGER);
CREATE TABLE rule_variant (rule_id VARCHAR, agency VARCHAR, kind VARCHAR, level VARCHAR, wtype VARCHAR, months INTEGER,
                           term INTEGER, default_term INTEGER, effect VARCHAR, eff_from DATE, eff_to DATE);
CREATE TABLE profile_rule (rule_id VARCHAR, chk VARCHAR, min_months INTEGER, positions VARCHAR[], eff_from DATE,
                           eff_to DATE);
"""

QUERY = """
WITH hit AS (
  SELECT f.ci, f.fi, v.rule_id, v.agency,
         CASE WHEN v.effect = 'disqualify' AND f.name_key = c.name_key THEN 'FAIL' ELSE 'REVIEW' END AS verdict
  FROM flag f
  JOIN rule_variant v ON v.agency = f.agency AND v.kind = f.kind AND (v.level IS NULL OR v.level = f.level)
  JOIN cand c ON c.ci = f.ci
  WHERE f.status = 'active' AND f.decided_on <= $as_of
    AND v.eff_from <= $as_of AND (v.eff_to IS NULL OR $as_of < v.eff_to)
    AND CASE v.wtype
          WHEN 'permanent' THEN TRUE
          WHEN 'months' THEN $as_of < f.decided_on + to_months(v.months)
          WHEN 'term_plus_months' THEN coalesce(nullif(f.term_months, 0), v.default_term) = v.term
                                       AND $as_of < f.decided_on + to_months(v.term + v.months)
          ELSE CASE WHEN f.end_date IS NOT NULL THEN $as_of < f.end_date                        -- open
                    WHEN coalesce(f.term_months, 0) <> 0 THEN $as_of < f.decided_on + to_months(f.term_months)
                    ELSE TRUE END
        END
  UNION ALL
  SELECT c.ci, -1, p.rule_id, '{profile}', 'FAIL'
  FROM cand c JOIN profile_rule p ON p.eff_from <= $as_of AND (p.eff_to IS NULL OR $as_of < p.eff_to)
  WHERE CASE p.chk WHEN 'min_age' THEN $as_of < c.birth + to_months(p.min_months)
                   ELSE NOT c.party_member AND list_has_any(c.positions, p.positions) END
),
fired AS (SELECT ci, list(rule_id || ':' || fi) AS firings FROM hit GROUP BY ci),
worst AS (SELECT ci, agency, min(CASE verdict WHEN 'FAIL' THEN 0 ELSE 1 END) AS sev FROM hit GROUP BY ci, agency),
per_agency AS (
  SELECT c.ci, a.agency, a.ord,
         CASE w.sev WHEN 0 THEN 'FAIL' WHEN 1 THEN 'REVIEW'
                    ELSE CASE WHEN a.agency = '{profile}' OR a.agency IN (SELECT agency FROM attested) THEN 'PASS'
                              ELSE 'PENDING' END END AS verdict
  FROM cand c CROSS JOIN agency a LEFT JOIN worst w ON w.ci = c.ci AND w.agency = a.agency
)
SELECT p.ci, list(p.verdict ORDER BY p.ord) AS verdicts,
       CASE WHEN bool_or(p.verdict = 'FAIL') THEN 'INELIGIBLE' WHEN bool_or(p.verdict = 'REVIEW') THEN 'NEEDS_REVIEW'
            WHEN bool_or(p.verdict = 'PENDING') THEN 'PENDING' ELSE 'ELIGIBLE' END AS overall,
       any_value(f.firings) AS firings
FROM per_agency p LEFT JOIN fired f ON f.ci = p.ci
GROUP BY p.ci ORDER BY p.ci
""".replace("{profile}", PROFILE)


def rule_tables(con: duckdb.DuckDBPyConnection, ruleset: Ruleset) -> None:
    """The rule data as tables: one row per rule variant (rule, level, term), one per profile rule."""
    rows: list[tuple[Any, ...]] = []
    for r in ruleset.rules:
        windows = [(None, r.window)] if r.levels is None else list(r.levels.items())
        for level, w in windows:
            assert w is not None
            for term in (w.terms or ()) if w.type == "term_plus_months" else (None,):
                rows.append((r.id, r.agency, r.kind, level, w.type, w.months, term, w.default_term, r.effect,
                             r.effective_from, r.effective_to))
    con.executemany("INSERT INTO rule_variant VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
    con.executemany("INSERT INTO profile_rule VALUES (?,?,?,?,?,?)", [
        (p.id, p.check, 12 * p.min_age_years if p.min_age_years else None, list(p.positions or ()), p.effective_from,
         p.effective_to) for p in ruleset.profile])
    con.executemany("INSERT INTO agency VALUES (?,?)", [(a, i) for i, a in enumerate((*ruleset.agencies, PROFILE))])


def load(con: duckdb.DuckDBPyConnection, inputs: list[EvalInput]) -> None:
    """The candidates and flags as tables (whole columns passed as lists and unnested: no row-by-row insert)."""
    cols: list[list[Any]] = [[] for _ in range(5)]
    fcols: list[list[Any]] = [[] for _ in range(10)]
    for ci, inp in enumerate(inputs):
        c = inp.candidate
        for col, v in zip(cols, (ci, c.birth_date, c.party_member, list(c.positions), name_key(c.name)), strict=True):
            col.append(v)
        for i, f in enumerate(inp.flags):
            for col, v in zip(fcols, (ci, i, f.agency, f.kind, f.level, f.status, f.decided_on, f.end_date, f.term_months,
                                      name_key(f.name)), strict=True):
                col.append(v)
    con.execute("INSERT INTO cand SELECT " + ", ".join(f"unnest(${k + 1})" for k in range(5)), cols)
    if fcols[0]:
        con.execute("INSERT INTO flag SELECT " + ", ".join(f"unnest(${k + 1})" for k in range(10)), fcols)
    con.executemany("INSERT INTO attested VALUES (?)", [(a,) for a, t in common_attestations(inputs).items() if t])


def answer(ruleset: Ruleset, row: tuple[Any, ...]) -> Answer:
    """One result row as an Answer."""
    _, verdicts, overall, firings = row
    fired = frozenset((r, int(i)) for r, i in (s.rsplit(":", 1) for s in firings or ()))
    return fired, tuple(sorted(zip((*ruleset.agencies, PROFILE), verdicts, strict=True))), overall


def measure(ruleset: Ruleset, inputs: list[EvalInput]) -> Measured:
    """Load the tables, then run the one query and fetch its rows (both with DuckDB's default threads)."""
    con = duckdb.connect()
    con.execute(SCHEMA)
    rule_tables(con, ruleset)
    as_of: date = inputs[0].as_of
    if any(inp.as_of != as_of for inp in inputs):
        raise ValueError("the query takes one as_of (a round's)")
    _, conv = timed(lambda: load(con, inputs))
    with Clock() as run:
        rows = con.execute(QUERY, {"as_of": as_of}).fetchall()
    threads = con.execute("SELECT current_setting('threads')").fetchone()
    return Measured(
        system=f"DuckDB {version('duckdb')}, one set-based SQL query over tables of candidates and flags",
        does="eval only, no trace: rule selection (joins), windows (DuckDB date arithmetic), verdicts per agency "
             "and overall (GROUP BY), in the query",
        n=len(inputs), eval_s=run.wall, eval_cpu_s=run.cpu, convert_s=conv.wall,
        answers=[answer(ruleset, r) for r in rows],
        notes=[f"threads={threads[0] if threads else '?'}; timed: the query and fetching its {len(rows):,} rows; "
               "precomputed in Python: name keys only"])
