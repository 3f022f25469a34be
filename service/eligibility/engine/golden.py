"""Golden cases: data files of (as_of, candidate, flags, expected verdicts) run through the real evaluator."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from eligibility.engine.evaluator import Evaluator
from eligibility.engine.model import CandidateFacts, EvalInput, FlagFacts, Overall, Verdict
from eligibility.rules.schema import Rule, Ruleset


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CaseCandidate(_M):
    """The candidate of a case (defaults: an adult non-member village-committee member named 张三)."""

    name: str = "张三"
    birth_date: date = date(1980, 1, 1)
    positions: tuple[str, ...] = ("vc_member",)
    party_member: bool = False


class CaseFlag(_M):
    """A flag of a case; name defaults to the candidate's."""

    agency: str
    kind: str
    decided_on: date
    level: str = ""
    end_date: date | None = None
    term_months: int | None = None
    name: str | None = None
    reference: str | None = None
    status: Literal["active", "retracted"] = "active"


class Expect(_M):
    """Expected outcome: the verdicts listed (others are not checked), overall, and the firing rule ids."""

    overall: Overall | None = None
    verdicts: dict[str, Verdict] = {}
    rules: list[str] = Field(default_factory=list)


class Case(_M):
    """One golden case; `rule` names the rule under test (for coverage)."""

    name: str
    rule: str
    as_of: date
    candidate: CaseCandidate = CaseCandidate()
    attested: Literal["all"] | list[str] = "all"
    flags: list[CaseFlag] = []
    expect: Expect


class CaseFile(_M):
    """A golden case file."""

    ruleset: str
    cases: list[Case]


def load_cases(path: Path) -> CaseFile:
    """Parse a case file."""
    return CaseFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def case_input(ruleset: Ruleset, case: Case) -> EvalInput:
    """The evaluator input a case describes."""
    c = case.candidate
    cand = CandidateFacts(person_key="golden", id_masked="golden", birth_date=c.birth_date, name=c.name,
                          positions=c.positions, party_member=c.party_member)
    flags = tuple(FlagFacts(
        agency=f.agency, reference=f.reference or f"{f.agency}-{i + 1}", version=1, status=f.status,
        name=f.name if f.name is not None else c.name, kind=f.kind, level=f.level, decided_on=f.decided_on,
        end_date=f.end_date, term_months=f.term_months) for i, f in enumerate(case.flags))
    agencies = list(ruleset.agencies) if case.attested == "all" else case.attested
    return EvalInput(as_of=case.as_of, candidate=cand, flags=flags,
                     attestations={a: "2000-01-01T00:00:00Z" for a in agencies})


def run_case(ruleset: Ruleset, evaluator: Evaluator, case: Case) -> list[str]:
    """Run one case; return the list of failures (empty = pass)."""
    result = evaluator.evaluate(ruleset, case_input(ruleset, case))
    problems: list[str] = []
    if case.expect.overall and result.overall != case.expect.overall:
        problems.append(f"overall: expected {case.expect.overall}, got {result.overall}")
    for agency, want in case.expect.verdicts.items():
        got = result.verdicts.get(agency)
        if got != want:
            problems.append(f"{agency}: expected {want}, got {got}")
    fired = sorted({t.rule_id for t in result.trace if t.verdict in ("FAIL", "REVIEW")})
    if sorted(set(case.expect.rules)) != fired:
        problems.append(f"rules: expected {sorted(set(case.expect.rules))}, got {fired}")
    return problems


def coverage_problems(ruleset: Ruleset, cases: list[Case]) -> list[str]:
    """Every rule needs a case; every rule whose window can end needs a case where it fires and one where it lapses."""
    problems = []
    for rule_id, rule in ruleset.by_id.items():
        mine = [c for c in cases if c.rule == rule_id]
        if not mine:
            problems.append(f"{rule_id}: no golden case")
            continue
        fires = any(rule_id in c.expect.rules for c in mine)
        quiet = any(rule_id not in c.expect.rules for c in mine)
        if not fires:
            problems.append(f"{rule_id}: no case where it fires")
        windows: list[Any] = []
        if isinstance(rule, Rule):
            windows = list(rule.levels.values()) if rule.levels else [rule.window]
        if any(w.type != "permanent" for w in windows) and not quiet:
            problems.append(f"{rule_id}: no case where its window has lapsed or not begun")
    unknown = sorted({c.rule for c in cases} - set(ruleset.by_id))
    problems += [f"case names unknown rule {r}" for r in unknown]
    return problems
