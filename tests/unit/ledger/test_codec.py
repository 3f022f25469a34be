"""The fast record encoder gives exactly the canonical bytes of the pydantic model, for every shape."""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson
from hypothesis import given, settings

from eligibility.engine.evaluator import Evaluator
from eligibility.ledger.codec import record_body
from eligibility.ledger.records import Bound, DecisionRecord
from eligibility.review.screening import new_decision_id
from tests.unit.engine.test_evaluator import RS, inputs

EV = Evaluator()


@settings(max_examples=300, deadline=None)
@given(inputs())
def test_fast_encoding_matches_the_model(inp) -> None:  # type: ignore[no-untyped-def]
    unbound = DecisionRecord(decision_id=new_decision_id(), round_id="R-x", recorded_at="2026-11-26T00:00:00.000000Z",
                             as_of=inp.as_of, ruleset_name=RS.name, ruleset_hash=RS.hash, engine_version="e",
                             inputs=inp, result=EV.evaluate(RS, inp))
    bound = unbound.model_copy(update={"bound": Bound(context="c" * 64, candidate=(3, "ab" * 32),
                                                      flags=tuple((10 + i, "cd" * 32) for i in range(len(inp.flags))))})
    resolved = bound.model_copy(update={"bound": bound.bound.model_copy(  # type: ignore[union-attr]
        update={"resolutions": ((40, "ef" * 32),)})})
    appealed = resolved.model_copy(update={"bound": resolved.bound.model_copy(  # type: ignore[union-attr]
        update={"appeal": (50, "aa" * 32)})})
    for rec in (unbound, bound, resolved, appealed):  # (a decision recorded before decisions were bound has no "bound"
        # at all; one that considered no resolution has no "resolutions" in it, one not made for an appeal no "appeal")
        fast = orjson.dumps(record_body(rec), option=orjson.OPT_SORT_KEYS)
        omitted = {f for f in ("resolutions", "appeal") if rec.bound is not None and not getattr(rec.bound, f)}
        exclude: Any = {"bound"} if rec.bound is None else {"bound": omitted} if omitted else set()
        slow = orjson.dumps(rec.model_dump(mode="json", exclude=exclude), option=orjson.OPT_SORT_KEYS)
        assert fast == slow
        assert DecisionRecord.model_validate(orjson.loads(fast)) == rec


def test_shared_results_are_shared_only_when_equal() -> None:
    from eligibility.engine.model import CandidateFacts, EvalInput
    a = EvalInput(as_of=date(2026, 12, 1), candidate=CandidateFacts(
        person_key="a", id_masked="a", birth_date=date(1980, 1, 1), name="甲", positions=("vc_member",),
        party_member=False), flags=(), attestations={"court": "t"})
    b = a.model_copy(update={"candidate": a.candidate.model_copy(update={"person_key": "b", "name": "乙"})})
    young = a.model_copy(update={"candidate": a.candidate.model_copy(update={"birth_date": date(2010, 1, 1)})})
    other_attest = a.model_copy(update={"attestations": {"court": "t", "police": "u"}})
    assert EV.evaluate(RS, a) is EV.evaluate(RS, b)
    assert EV.evaluate(RS, young).verdicts["profile"] == "FAIL"
    assert EV.evaluate(RS, other_attest).verdicts["police"] == "PASS" and EV.evaluate(RS, a).verdicts["police"] == "PENDING"


def test_flag_entries_match_the_model() -> None:
    from eligibility.ledger.codec import flag_body
    from eligibility.ledger.records import StoredFlag
    for end, term in ((None, None), (date(2027, 1, 1), 12)):
        f = StoredFlag(agency="discipline", reference="D-1", version=2, status="retracted", person_key="k",
                       id_masked="m", id_sealed=b"x", name="甲", kind="party_sanction", level="probation",
                       decided_on=date(2025, 1, 1), end_date=end, term_months=term, note="n", reason="r",
                       recorded_at="t", versions=2)
        assert flag_body(f) == f.model_dump(mode="json", exclude={"id_sealed", "versions"})


def test_round_and_candidate_entries_match_the_model() -> None:
    from eligibility.ledger.codec import candidate_body, round_body
    from eligibility.ledger.records import RoundInfo, StoredCandidate
    r = RoundInfo(round_id="R-1", name="n", as_of=date(2026, 12, 1), ruleset="national-2021", created_at="t",
                  created_by="district", candidates=3, attested={"court": "t"})
    derived = {"candidates", "attested", "last_screened_at", "concluded_at", "not_attested", "changed", "attestations"}
    assert round_body(r) == r.model_dump(mode="json", exclude=derived)
    c = StoredCandidate(round_id="R-1", seq=2, person_key="k", id_masked="m", id_sealed=b"s", name="甲", village="v",
                        township="t", positions=("party_secretary", "vc_director"), party_member=True,
                        birth_date=date(1980, 1, 1))
    assert candidate_body(c) == c.model_dump(mode="json", exclude={"id_sealed"})


def test_a_candidate_entry_is_recognised_from_the_decision_s_bytes_whatever_the_name() -> None:
    import orjson

    from eligibility.ledger.codec import candidate_bytes, candidate_entry_holds, canonical, of_round, screen_row_body
    from eligibility.ledger.entry import encode_entry
    from eligibility.ledger.records import ScreenRow
    for name in ("张三", 'a,"township":"x', "\\", "", "阿卜杜·热合曼"):
        row = ScreenRow(12, "k" * 64, "110101********0012", name, "村,\"township\":1", "乡", ("vc_member", "party_secretary"),
                        True, date(1980, 1, 31))
        data = encode_entry(7, b"\x01" * 32, "candidate",
                            orjson.Fragment(canonical(screen_row_body("R-0123456789", row))))
        assert candidate_entry_holds(data, of_round("R-0123456789"), 12, candidate_bytes(row)), name
        assert not candidate_entry_holds(data, of_round("R-0123456780"), 12, candidate_bytes(row))
        assert not candidate_entry_holds(data, of_round("R-0123456789"), 13, candidate_bytes(row))
        for changed in (row._replace(party_member=False), row._replace(name=name + "x"), row._replace(township="")):
            assert not candidate_entry_holds(data, of_round("R-0123456789"), 12, candidate_bytes(changed))
