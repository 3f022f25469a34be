"""Which flags count, and when: active flags whose kind has a rule here, and each one's in-force window."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from eligibility.engine.calendar import add_months
from eligibility.engine.model import EvalInput, FlagFacts
from eligibility.rules.schema import Rule, Ruleset

Match = tuple[str, int]
"""A rule firing: (rule id, index of the flag in EvalInput.flags, or -1 for a profile rule)."""


def countable_flags(ruleset: Ruleset, inp: EvalInput) -> Iterator[tuple[int, FlagFacts, Rule]]:
    """Yield (index, flag, rule) for each active flag whose agency and kind have a rule here.

    Retracted versions never count; a kind this ruleset does not know has no rule to match.
    """
    for i, flag in enumerate(inp.flags):
        if flag.status != "active":
            continue
        rule = ruleset.by_kind.get(flag.kind)
        if rule is None or rule.agency != flag.agency:
            continue
        if rule.levels is not None and flag.level not in rule.levels:
            continue
        yield i, flag, rule


@dataclass(frozen=True, slots=True)
class FlagWindow:
    """The computed in-force interval of one flag under one rule: [start, end) (a plain value: made for every
    flag a screening counts, from dates already checked)."""

    start: date
    end: date | None
    type: str

    def in_force(self, as_of: date) -> bool:
        """True when as_of lies in [start, end)."""
        return self.start <= as_of and (self.end is None or as_of < self.end)

    def text(self) -> str:
        """The window as people read it: last day in force is shown inclusive."""
        if self.end is None:
            if self.type == "open":
                return f"in force from {self.start} while open (no end date)"
            return f"in force from {self.start}, no end"
        if self.end <= self.start:
            return f"never in force (ends {self.end} on or before it starts {self.start})"
        return f"in force {self.start} .. {self.end - timedelta(days=1)}"


def flag_window(rule: Rule, level: str, term_months: int | None, decided_on: date, end_date: date | None) -> FlagWindow:
    """Compute a flag's window from its dates and the rule's window data."""
    w = rule.window_for(level)
    end: date | None
    if w.type == "open":  # until end_date; with only a term (e.g. a sentence), for term_months from decided_on
        end = end_date if end_date else (add_months(decided_on, term_months) if term_months else None)
    elif w.type == "permanent":
        end = None
    elif w.type == "months":
        assert w.months is not None
        end = add_months(decided_on, w.months)
    else:
        assert w.months is not None and w.default_term is not None
        end = add_months(decided_on, (term_months or w.default_term) + w.months)
    return FlagWindow(decided_on, end, w.type)
