"""The independent reference evaluator: the rule data applied directly in plain Python.

It shares no code with the durable-rules adapter beyond the rule data itself; it computes
each flag's window end date and compares dates, where the engine compares whole months
elapsed. The two are checked against each other in tests and, as a shadow, at run time.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from eligibility.engine.calendar import add_months
from eligibility.engine.model import EvalInput
from eligibility.engine.windows import Match, countable_flags, flag_window
from eligibility.rules.schema import Ruleset


class ProfileFacts(Protocol):
    """What the profile checks read of a candidate."""

    @property
    def birth_date(self) -> date: ...  # noqa: D102
    @property
    def party_member(self) -> bool: ...  # noqa: D102
    @property
    def positions(self) -> tuple[str, ...]: ...  # noqa: D102


def profile_matches(ruleset: Ruleset, as_of: date, cand: ProfileFacts) -> set[Match]:
    """The profile rules (age, Party positions) that fire for a candidate on as_of."""
    out: set[Match] = set()
    for p in ruleset.profile:
        if not p.in_effect(as_of):
            continue
        if p.check == "min_age":
            assert p.min_age_years is not None
            if as_of < add_months(cand.birth_date, 12 * p.min_age_years):
                out.add((p.id, -1))
        elif not cand.party_member and any(pos in (p.positions or ()) for pos in cand.positions):
            out.add((p.id, -1))
    return out


def reference_matches(ruleset: Ruleset, inp: EvalInput) -> frozenset[Match]:
    """Return the set of (rule id, flag index) firings for one candidate on inp.as_of."""
    as_of = inp.as_of
    out = profile_matches(ruleset, as_of, inp.candidate)
    for i, flag, rule in countable_flags(ruleset, inp):
        if not rule.in_effect(as_of):
            continue
        window = rule.window_for(flag.level)
        if window.type == "term_plus_months" and (flag.term_months or window.default_term) not in (window.terms or ()):
            continue
        if flag_window(rule, flag.level, flag.term_months, flag.decided_on, flag.end_date).in_force(as_of):
            out.add((rule.id, i))
    return frozenset(out)
