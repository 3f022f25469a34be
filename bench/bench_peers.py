"""Peer comparison: the project's own rules on the project's own benchmark data, in several engines, in one run.

  python bench/bench_peers.py --candidates 100000 [--flagged 0.05] [--flags-per 8] [--edge-cases 1500]

Each peer's rules are generated from the loaded Ruleset (rules/national-2021/ruleset.yaml): a zen-engine decision
graph, Cedar policies, a durable-rules ruleset declared with its DSL, DuckDB rule tables and one SQL query (see
bench/peers/). Every candidate's answer from every peer is compared with ours (Evaluator.evaluate): the set of
(rule id, flag index) firings, each agency's and the profile check's verdict, and the overall verdict. Prints one
table (candidates per second: evaluation calls only, and with the conversion into the peer's input format), then
any disagreement; exits 1 if there was one. Peer packages: pip install -e '.[bench]'. Never asserts on time.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import orjson
from bench_screen import baseline_rate, durable_floor_rate, eval_inputs, make_data  # also puts tests/ on sys.path
from peers.common import Answer, Clock, Measured, answer_from_firings, answer_of_result, show
from peers.edge_cases import AS_OF_DATES, make_inputs

from eligibility.engine.evaluator import Evaluator
from eligibility.engine.model import EvalInput
from eligibility.engine.reference import reference_matches
from eligibility.rules.schema import Ruleset

PEERS: list[tuple[str, str, str]] = [
    # (peer module under bench/peers, the module it needs, its distribution), in the table's order
    ("zen_peer", "zen", "zen-engine"),
    ("cedar_peer", "cedarpy", "cedarpy"),
    ("durable_peer", "durable", "durable-rules"),
    ("duckdb_peer", "duckdb", "duckdb"),
]
COMPARISON = ("per candidate, the set of (rule id, flag index) firings (index -1: a profile rule), the verdict of "
              "each agency and of the profile check, and the overall verdict, all equal to Evaluator.evaluate's")
SHOW = 3  # disagreements shown per row


@dataclass
class Row:
    """A measured system and how far its answers agree with ours."""

    m: Measured
    agree: int | None = None  # None: nothing compared
    edge: tuple[int, int] | None = None  # (agreeing, compared) on the edge cases
    examples: list[str] = field(default_factory=list)


def ours(ruleset: Ruleset, inputs: list[EvalInput]) -> tuple[Measured, list[Answer]]:
    """Our engine, one process: Evaluator.evaluate on every candidate (eval + trace)."""
    ev = Evaluator()
    flagged = next((inp for inp in inputs if inp.flags), inputs[0])
    ev.evaluate(ruleset, flagged)  # creates the ruleset in durable's core outside the timing
    with Clock() as c:
        results = [ev.evaluate(ruleset, inp) for inp in inputs]
    shared: dict[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]] = {}  # one copy of each: answers stay small
    answers: list[Answer] = []
    for inp, r in zip(inputs, results, strict=True):
        fired, verdicts, overall = answer_of_result(ruleset, inp, r)
        answers.append((fired, shared.setdefault(verdicts, verdicts), overall))
    m = Measured(system="eligibility `Evaluator.evaluate`, one process",
                 does="eval + trace: durable-rules C core, shadowed by the reference evaluator; results with the full trace",
                 n=len(inputs), eval_s=c.wall, eval_cpu_s=c.cpu,
                 notes=[f"engine disagreements: {ev.disagreements}"])
    return m, answers


def plain(ruleset: Ruleset, inputs: list[EvalInput]) -> Measured:
    """The reference evaluator's matching alone (plain Python, no trace)."""
    with Clock() as c:
        fired = [reference_matches(ruleset, inp) for inp in inputs]
    return Measured(system="plain Python, the reference evaluator's matching (`reference_matches`)",
                    does="eval only, no trace: firings; verdicts per agency aggregated afterwards (untimed) to compare",
                    n=len(inputs), eval_s=c.wall, eval_cpu_s=c.cpu,
                    answers=[answer_from_firings(ruleset, inp, f) for inp, f in zip(inputs, fired, strict=True)])


def compare(row: Row, answers: list[Answer], want: list[Answer], inputs: list[EvalInput]) -> None:
    """Count the candidates whose answer is ours; keep the first few that are not."""
    row.agree = 0
    for i, (got, exp) in enumerate(zip(answers, want, strict=True)):
        if got == exp:
            row.agree += 1
        elif len(row.examples) < SHOW:
            row.examples.append(f"candidate {i} ({len(inputs[i].flags)} flags): peer: {show(got)}\n"
                                f"      ours: {show(exp)}")


def load_peer(module: str, needs: str, dist: str) -> ModuleType | None:
    """The peer's module, or None (with a line saying how to install it) when its package is not installed."""
    if importlib.util.find_spec(needs) is None:
        print(f"skipped: {dist} is not installed (pip install -e '.[bench]', or pip install {dist})")
        return None
    return importlib.import_module(f"peers.{module}")


Measure = Callable[[Ruleset, list[EvalInput]], Measured]


def edge_cases(ruleset: Ruleset, peers: list[tuple[Measure, Row]], n: int) -> None:
    """Agreement (not timed) on n generated candidates per round date of edge_cases.AS_OF_DATES."""
    agree = {id(row): 0 for _, row in peers}
    total = 0
    ev = Evaluator()
    for k, as_of in enumerate(AS_OF_DATES):
        inputs = make_inputs(ruleset, as_of, n, seed=k)
        want = [answer_of_result(ruleset, inp, ev.evaluate(ruleset, inp)) for inp in inputs]
        total += len(inputs)
        for measure, row in peers:
            got = measure(ruleset, inputs).answers
            assert got is not None
            for i, (a, b) in enumerate(zip(got, want, strict=True)):
                if a == b:
                    agree[id(row)] += 1
                elif len(row.examples) < SHOW:
                    row.examples.append(f"edge case {as_of} #{i}: peer: {show(a)}\n      ours: {show(b)}")
    for _, row in peers:
        row.edge = (agree[id(row)], total)


def screened_rows(path: Path, n: int) -> list[Row]:
    """Our end-to-end figures for the same candidates, as bench_screen.py measured them (its --figures-out file)."""
    figures = orjson.loads(path.read_bytes())
    if figures.get("candidates") != n:
        raise SystemExit(f"{path}: its figures are for {figures.get('candidates'):,} candidates, not {n:,}")
    rows = [
        ("eligibility end to end (`bench_screen.py`: client, server, 2 workers), median of its screenings",
         "eval + trace + bound to its inputs + durable log + stream, JSON made", figures["screen_per_s"]),
        ("eligibility `App.screen_round`, 2 worker processes, no gRPC (`bench_screen.py`)",
         "eval + trace + bound to its inputs + durable log", figures.get("app_screen_per_s", 0.0)),
        ("eligibility CLI `round screen --format json` (`bench_screen.py`), process start included",
         "the same, JSON lines written out (through a pipe)", figures.get("cli_screen_per_s", 0.0)),
    ]
    return [Row(Measured(system=system, does=does, n=n, eval_s=n / rate, eval_cpu_s=0.0)) for system, does, rate in rows
            if rate]


def table(rows: list[Row], compared_with: Row) -> None:
    """The one table, markdown."""
    print("| system | what it does | candidates/s | with conversion | CPU/wall | agrees |")
    print("|---|---|---:|---:|---:|---|")
    for r in rows:
        m = r.m
        conv = m.rate_with_conversion
        agrees = ("— (the answers compared with)" if r is compared_with else "—") if r.agree is None \
            else f"agrees on {r.agree:,} of {m.n:,}"
        if r.edge is not None:
            agrees += f" (+ edge cases: {r.edge[0]:,} of {r.edge[1]:,})"
        cpu = f"{m.eval_cpu_s / m.eval_s:.2f}" if m.eval_cpu_s > 0 else ""
        print(f"| {m.system} | {m.does} | {m.rate:,.0f} | {'' if conv is None else f'{conv:,.0f}'} | {cpu} | {agrees} |")


def main() -> None:
    """Measure every system on the same candidates, compare every answer with ours, print the table."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--candidates", type=int, default=100_000)
    ap.add_argument("--flagged", type=float, default=0.05)
    ap.add_argument("--flags-per", type=int, default=8)
    ap.add_argument("--edge-cases", type=int, default=1500, metavar="N",
                    help="also check agreement (untimed) on N generated edge-case candidates per round date "
                         f"({len(AS_OF_DATES)} dates); 0: skip")
    ap.add_argument("--screen-figures", type=Path, metavar="FILE",
                    help="the figures bench_screen.py --figures-out wrote for the same candidates in this run (make bench): "
                         "its end-to-end rows head the table")
    a = ap.parse_args()
    cands, flags = make_data(a.candidates, a.flagged, a.flags_per)
    ruleset, inputs = eval_inputs(cands, flags)
    n_flags = sum(len(inp.flags) for inp in inputs)
    print(f"{len(inputs):,} candidates, {a.flagged:.0%} flagged x {a.flags_per} = {n_flags:,} flags; ruleset "
          f"{ruleset.label}; as_of {inputs[0].as_of}")
    mine, want = ours(ruleset, inputs)
    rows = [Row(mine)]
    head = screened_rows(a.screen_figures, len(inputs)) if a.screen_figures else []
    checked: list[tuple[Measure, Row]] = []
    for module, needs, dist in PEERS:
        mod = load_peer(module, needs, dist)
        if module == "duckdb_peer":  # the plain-Python row sits before DuckDB's, as in the table
            row = Row(plain(ruleset, inputs))
            compare(row, row.m.answers or [], want, inputs)
            row.m.answers = None
            rows.append(row)
            checked.append((plain, row))
        if mod is None:
            continue
        row = Row(mod.measure(ruleset, inputs))
        compare(row, row.m.answers or [], want, inputs)
        row.m.answers = None  # compared: let it go
        rows.append(row)
        checked.append((mod.measure, row))
    with tempfile.TemporaryDirectory() as tmp:
        floor = durable_floor_rate(cands, flags, Path(tmp))
    rows.append(Row(Measured(system="plain-Python durable floor, one core (`bench_screen.durable_floor_rate`)",
                             does="eval + trace + canonical record, hash chain, SQLite (WAL, synchronous=FULL)",
                             n=len(inputs), eval_s=len(inputs) / floor, eval_cpu_s=0.0)))
    base = baseline_rate(cands, flags)
    rows.append(Row(Measured(system="plain-Python baseline (`bench_screen.baseline_rate`)",
                             does="eval + trace: reference_matches + verdict assembly, in process",
                             n=len(inputs), eval_s=len(inputs) / base, eval_cpu_s=0.0)))
    if a.edge_cases:
        edge_cases(ruleset, checked, a.edge_cases)
    print()
    table(head + rows, compared_with=rows[0])
    print()
    print(f"agreement: {COMPARISON}.")
    print("candidates/s: the evaluation calls only (each peer's rules compiled beforehand); 'with conversion' adds building "
          "the peer's input (contexts, requests, facts, tables) from the same EvalInputs; CPU/wall > 1: the peer used "
          "more than one thread (2 cores here). The end-to-end, floor and baseline rows are timed inside bench_screen (no CPU "
          "figure; the end-to-end ones earlier in the same make bench run).")
    for r in rows:
        for note in r.m.notes:
            print(f"  {r.m.system.split(' ', 1)[0]}: {note}")
    bad = [r for r in rows if r.examples]
    for r in bad:
        print(f"\nDISAGREEMENT: {r.m.system}")
        for e in r.examples:
            print(f"  {e}")
    if bad:
        sys.exit(1)


if __name__ == "__main__":
    main()
