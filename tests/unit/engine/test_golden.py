"""The golden cases of every shipped ruleset, through the real engine (durable-rules) and shadow check."""

from __future__ import annotations

from pathlib import Path

import pytest

from eligibility.engine.evaluator import Evaluator
from eligibility.engine.golden import Case, Expect, coverage_problems, load_cases, run_case
from eligibility.rules.loader import REPO_RULES, discover, load_ruleset_file
from eligibility.rules.schema import Ruleset

RULESETS = [(load_ruleset_file(p), load_cases(p.parent / "cases.yaml")) for p in discover(REPO_RULES)]
EVALUATOR = Evaluator()
ALL_CASES = [(rs, c) for rs, cf in RULESETS for c in cf.cases]


def test_every_shipped_ruleset_has_cases() -> None:
    assert RULESETS and all(cf.cases for _, cf in RULESETS)
    assert all(cf.ruleset == rs.name for rs, cf in RULESETS)


@pytest.mark.parametrize("rs, case", ALL_CASES, ids=[f"{rs.name}:{c.name}" for rs, c in ALL_CASES])
def test_golden_case(rs: Ruleset, case: Case) -> None:
    assert run_case(rs, EVALUATOR, case) == []


@pytest.mark.parametrize("rs, cf", RULESETS, ids=[rs.name for rs, _ in RULESETS])
def test_every_rule_has_cases_at_its_boundaries(rs: Ruleset, cf) -> None:  # type: ignore[no-untyped-def]
    assert coverage_problems(rs, cf.cases) == []


def test_a_rule_without_a_case_fails_coverage() -> None:
    rs, cf = RULESETS[0]
    without = [c for c in cf.cases if c.rule != "POL-CULT"]
    assert coverage_problems(rs, without) == ["POL-CULT: no golden case"]


def test_a_wrong_expectation_is_caught() -> None:
    rs, cf = RULESETS[0]
    case = next(c for c in cf.cases if c.expect.overall == "INELIGIBLE")
    wrong = case.model_copy(update={"expect": Expect(overall="ELIGIBLE", verdicts={}, rules=[])})
    assert run_case(rs, EVALUATOR, wrong)


def test_rules_test_command_passes(capsys: pytest.CaptureFixture[str]) -> None:
    from eligibility.console.main import main
    assert main(["rules", "test", str(REPO_RULES)]) == 0
    assert "0 failure(s)" in capsys.readouterr().out


def test_rules_lint_rejects_a_broken_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from eligibility.console.main import main
    d = tmp_path / "broken"
    d.mkdir()
    text = (REPO_RULES / "national-2021" / "ruleset.yaml").read_text().replace("effect: disqualify", "effect: maybe", 1)
    (d / "ruleset.yaml").write_text(text)
    assert main(["rules", "lint", str(tmp_path)]) == 1
    assert "effect" in capsys.readouterr().out
