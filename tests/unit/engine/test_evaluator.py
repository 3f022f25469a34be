"""The durable-rules engine against the independent reference evaluator, on generated cases."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eligibility.engine.durable_adapter import Engine, compile_ruleset
from eligibility.engine.evaluator import Evaluator
from eligibility.engine.model import CandidateFacts, EvalInput, FlagFacts
from eligibility.engine.reference import reference_matches
from eligibility.engine.windows import Match
from eligibility.rules.loader import REPO_RULES, load_ruleset_file
from eligibility.rules.schema import Ruleset

RS = load_ruleset_file(REPO_RULES / "national-2021" / "ruleset.yaml")
ENGINE = Engine()
AS_OF = date(2026, 12, 1)


@st.composite
def flags(draw: st.DrawFn, rs: Ruleset) -> FlagFacts:
    rule = draw(st.sampled_from(rs.rules))
    level = draw(st.sampled_from(sorted(rule.levels))) if rule.levels else ""
    # dates clustered around window boundaries: D + N months +- a few days, and far away
    decided = AS_OF - timedelta(days=draw(st.one_of(st.integers(-40, 40), st.integers(-5, 3700))))
    end = draw(st.one_of(st.none(), st.dates(min_value=decided, max_value=decided + timedelta(days=2000))))
    if level == "probation":
        term = draw(st.sampled_from([None, 12, 24]))
    elif rule.window is not None and rule.window.type == "open":
        term = draw(st.sampled_from([None, None, 1, 6, 36, 120]))  # a term instead of (or beside) an end_date
    else:
        term = None
    agency = rule.agency if draw(st.integers(0, 20)) else draw(st.sampled_from(list(rs.agencies)))
    return FlagFacts(agency=agency, reference=f"R{draw(st.integers(0, 10**6))}", version=1,
                     status=draw(st.sampled_from(["active", "active", "active", "retracted"])),
                     name=draw(st.sampled_from(["张三", "张三", "李四"])), kind=rule.kind, level=level,
                     decided_on=decided, end_date=end, term_months=term)


@st.composite
def inputs(draw: st.DrawFn, rs: Ruleset = RS) -> EvalInput:
    as_of = AS_OF + timedelta(days=draw(st.integers(-3, 3)))
    born = as_of - timedelta(days=draw(st.one_of(st.integers(365 * 17, 365 * 19), st.integers(365 * 19, 365 * 80))))
    positions = draw(st.lists(st.sampled_from(rs.positions), min_size=1, max_size=2, unique=True))
    cand = CandidateFacts(person_key="k", id_masked="m", birth_date=born, name="张三", positions=tuple(positions),
                          party_member=draw(st.booleans()))
    fl = tuple(draw(st.lists(flags(rs), max_size=8)))
    attested = draw(st.lists(st.sampled_from(list(rs.agencies)), unique=True))
    return EvalInput(as_of=as_of, candidate=cand, flags=fl, attestations={a: "t" for a in attested})


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inputs())
def test_engine_agrees_with_reference(inp: EvalInput) -> None:
    assert ENGINE.matches(RS, inp) == reference_matches(RS, inp)


def test_every_rule_compiles_to_at_least_one_durable_rule() -> None:
    compiled = compile_ruleset(RS)
    assert {rid for rid, _ in compiled.values()} - {"__seen_"} == set(RS.by_id)


def test_many_candidates_do_not_exhaust_state_contexts() -> None:
    # durable holds at most 1,024 live contexts per ruleset; each evaluation deletes its own
    inp = EvalInput(as_of=AS_OF, candidate=CandidateFacts(
        person_key="k", id_masked="m", birth_date=date(1980, 1, 1), name="张三", positions=("vc_member",),
        party_member=False), flags=(FlagFacts(agency="court", reference="c", version=1, status="active", name="张三",
                                              kind="criminal_conviction", decided_on=date(2000, 1, 1)),),
        attestations={})
    for _ in range(3000):
        assert ENGINE.matches(RS, inp) == frozenset({("CRT-CONVICTION", 0)})


class _LossyEngine(Engine):
    """An engine that drops every firing, as the batch API was measured to do."""

    def matches(self, ruleset: Ruleset, inp: EvalInput) -> frozenset[Match]:
        return frozenset()


def test_shadow_check_turns_a_lost_firing_into_review() -> None:
    inp = EvalInput(as_of=AS_OF, candidate=CandidateFacts(
        person_key="k", id_masked="m", birth_date=date(1980, 1, 1), name="张三", positions=("vc_member",),
        party_member=False), flags=(FlagFacts(agency="court", reference="c", version=1, status="active", name="张三",
                                              kind="criminal_conviction", decided_on=date(2000, 1, 1)),),
        attestations={a: "t" for a in RS.agencies})
    ev = Evaluator(_LossyEngine())
    result = ev.evaluate(RS, inp)
    assert result.verdicts["court"] == "REVIEW"
    assert result.overall == "NEEDS_REVIEW"
    assert any(t.rule_id == "ENGINE-DISAGREEMENT" and "CRT-CONVICTION" in t.detail for t in result.trace)
    assert ev.disagreements == 1


def test_two_ruleset_versions_coexist_in_one_engine(tmp_path: Path) -> None:
    text = (REPO_RULES / "national-2021" / "ruleset.yaml").read_text()
    wider = text.replace("administrative_detention\n    effect: disqualify\n    window: {type: months, months: 60}",
                         "administrative_detention\n    effect: disqualify\n    window: {type: months, months: 120}")
    assert wider != text
    (tmp_path / "r.yaml").write_text(wider)
    rs2 = load_ruleset_file(tmp_path / "r.yaml")
    assert rs2.hash != RS.hash
    inp = EvalInput(as_of=AS_OF, candidate=CandidateFacts(
        person_key="k", id_masked="m", birth_date=date(1980, 1, 1), name="张三", positions=("vc_member",),
        party_member=False), flags=(FlagFacts(agency="police", reference="p", version=1, status="active", name="张三",
                                              kind="administrative_detention", decided_on=date(2019, 1, 1)),),
        attestations={})
    assert ENGINE.matches(RS, inp) == frozenset()
    assert ENGINE.matches(rs2, inp) == frozenset({("POL-DETENTION", 0)})
    assert ENGINE.matches(RS, inp) == frozenset()
