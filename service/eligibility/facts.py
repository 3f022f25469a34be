"""Which inputs count: active (not retracted) flags whose kind has a rule in this ruleset."""

from __future__ import annotations

from collections.abc import Iterator

from .domain import EvalInput, FlagFacts
from .ruleset import Rule, Ruleset

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
