"""Row outcomes travel between processes and are remembered for idempotency keys in one compact encoding."""

from __future__ import annotations

from eligibility.intake.outcomes import FieldProblem, RowOutcome, decode_outcomes, encode_outcomes


def test_outcomes_round_trip() -> None:
    outcomes = [RowOutcome(row=2, key="A-1", status="CREATED", version=1),
                RowOutcome(row=3, key="A-2", status="REJECTED", errors=(
                    FieldProblem(field="kind", message="row 3: kind: \"x\" is unknown", code="PERMISSION_DENIED"),
                    FieldProblem(field="decided_on", message="row 3: decided_on: missing"))),
                RowOutcome(row=4, key="A-3", status="UNCHANGED", version=7)]
    assert decode_outcomes(encode_outcomes(outcomes)) == outcomes
    assert decode_outcomes(encode_outcomes([])) == []
