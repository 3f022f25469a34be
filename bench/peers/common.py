"""What the peers share: the answer compared with ours, timing, and the per-agency aggregation done in Python for
the peers that decide only single firings."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar, cast

from eligibility.engine.model import PROFILE, EvalInput, Result, Verdict, _name_key, overall_of
from eligibility.engine.windows import Match
from eligibility.rules.schema import ProfileRule, Rule, Ruleset, Window

T = TypeVar("T")

Answer = tuple[frozenset[Match], tuple[tuple[str, str], ...], str]
"""What is compared for one candidate: the (rule id, flag index) firings (-1 for a profile rule), the verdict of each
agency and of the profile check (sorted (agency, verdict) pairs), and the overall verdict."""

_SEVERITY: dict[str, int] = {"FAIL": 0, "REVIEW": 1, "PENDING": 2, "PASS": 3}


@dataclass
class Measured:
    """One row of the table: what a system did with the candidates, how long it took, and its answers."""

    system: str
    does: str
    n: int
    eval_s: float
    eval_cpu_s: float
    convert_s: float | None = None  # building the peer's input format from our EvalInputs (None: not applicable)
    answers: list[Answer] | None = None  # None: nothing to compare (our own figures)
    notes: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Candidates per second, evaluation calls only."""
        return self.n / self.eval_s

    @property
    def rate_with_conversion(self) -> float | None:
        """Candidates per second, conversion into the peer's input format included."""
        return None if self.convert_s is None else self.n / (self.eval_s + self.convert_s)


class Clock:
    """Wall and CPU time (all threads of this process) of a block: ``with Clock() as c: ...; c.wall, c.cpu``.

    Before the clock starts, what is already alive (the inputs, earlier rows' answers) is collected and frozen out of
    the garbage collector's sight, so that a row is not charged for rescanning the benchmark's own data.
    """

    wall: float
    cpu: float

    def __enter__(self) -> Clock:
        gc.collect()
        gc.freeze()
        self._w, self._c = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._w
        self.cpu = time.process_time() - self._c


def timed(fn: Callable[[], T]) -> tuple[T, Clock]:
    """Call fn, timing it."""
    with Clock() as c:
        out = fn()
    return out, c


def name_key(name: str) -> str:
    """A person name normalised as our name comparison does (NFKC, middle-dot variants, spaces, case): a peer
    compares these keys for equality; the normalisation itself (Unicode tables) is done in Python."""
    return _name_key(name)


def iso(d: date | None) -> str | None:
    """A date as ISO text (None stays None)."""
    return d.isoformat() if d is not None else None


def common_attestations(inputs: list[EvalInput]) -> dict[str, str]:
    """The attestations every input shares (a round's): the set-based peers take them once, as a table."""
    first = inputs[0].attestations if inputs else {}
    if any(inp.attestations != first for inp in inputs):
        raise ValueError("inputs with different attestations: this peer takes the round's attestations once")
    return first


def agency_verdict(agency: str, found: Iterable[str], attested: bool) -> str:
    """An agency's (or the profile check's) verdict from the verdicts of its firings: the most severe; with none,
    PASS when attested (the profile check always), else PENDING."""
    worst = min(found, key=_SEVERITY.__getitem__, default=None)
    if worst is not None:
        return worst
    return "PASS" if agency == PROFILE or attested else "PENDING"


def aggregate(ruleset: Ruleset, attestations: dict[str, str], firings: Iterable[tuple[str, str]]) -> tuple[
        tuple[tuple[str, str], ...], str]:
    """Per-agency verdicts and the overall verdict from firings given as (rule id, verdict of the firing): what
    verdicts.assemble decides, without the trace."""
    found: dict[str, list[str]] = {a: [] for a in (*ruleset.agencies, PROFILE)}
    for rule_id, verdict in firings:
        rule = ruleset.by_id[rule_id]
        found[PROFILE if isinstance(rule, ProfileRule) else rule.agency].append(verdict)
    verdicts = {a: cast(Verdict, agency_verdict(a, v, bool(attestations.get(a)))) for a, v in found.items()}
    return tuple(sorted(verdicts.items())), overall_of(verdicts)


def firing_verdict(ruleset: Ruleset, inp: EvalInput, match: Match) -> str:
    """The verdict one firing gives (what our trace entry says): a profile rule FAILs; a flag FAILs under a
    disqualifying rule when its name is the candidate's, else it is REVIEW."""
    rule_id, idx = match
    rule = ruleset.by_id[rule_id]
    if isinstance(rule, ProfileRule):
        return "FAIL"
    same = name_key(inp.flags[idx].name) == name_key(inp.candidate.name)
    return "FAIL" if rule.effect == "disqualify" and same else "REVIEW"


def answer_from_firings(ruleset: Ruleset, inp: EvalInput, firings: frozenset[Match]) -> Answer:
    """The answer for a peer that finds firings only: verdicts aggregated in Python."""
    verdicts, overall = aggregate(ruleset, inp.attestations, ((m[0], firing_verdict(ruleset, inp, m)) for m in firings))
    return firings, verdicts, overall


def answer_of_result(ruleset: Ruleset, inp: EvalInput, result: Result) -> Answer:
    """Our answer, read back from a Result: the firings named by its trace, its verdicts and overall."""
    index = {(f.agency, f.reference, f.version): i for i, f in enumerate(inp.flags)}
    firings: set[Match] = set()
    for e in result.trace:
        if e.rule_id not in ruleset.by_id:
            continue  # PASS/PENDING entries (ATTESTED, NOT-ATTESTED, PROFILE-CHECKED), engine disagreements
        if not e.flags:
            firings.add((e.rule_id, -1))
        for f in e.flags:
            firings.add((e.rule_id, index[(f.agency, f.reference, f.version)]))
    return frozenset(firings), tuple(sorted(result.verdicts.items())), result.overall


def show(answer: Answer) -> str:
    """An answer for people: firings, then the verdicts that are not PASS, then overall."""
    firings, verdicts, overall = answer
    shown = ", ".join(f"{r}#{i}" for r, i in sorted(firings)) or "no firing"
    bad = ", ".join(f"{a}={v}" for a, v in verdicts if v != "PASS") or "all PASS"
    return f"{shown}; {bad}; {overall}"


def batches(items: list[T], size: int) -> Iterable[list[T]]:
    """Consecutive slices of at most size items."""
    for i in range(0, len(items), size):
        yield items[i:i + size]


def variants(r: Rule) -> list[tuple[str | None, Window, int | None]]:
    """The (level, window, term) cases a rule decides by: one per level (None: a rule without levels), and per term for
    a window of term plus months."""
    if r.levels is None:
        assert r.window is not None
        return [(None, r.window, None)]
    return [(level, w, term) for level, w in r.levels.items()
            for term in ((w.terms or ()) if w.type == "term_plus_months" else (None,))]
