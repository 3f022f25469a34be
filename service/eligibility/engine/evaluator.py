"""The engine's one entry point: evaluate a candidate (durable-rules, shadow-checked by the reference
evaluator), and the results shared by every candidate with nothing on record."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

from eligibility.engine.durable_adapter import Engine
from eligibility.engine.model import EvalInput, Result
from eligibility.engine.reference import ProfileFacts, profile_matches, reference_matches
from eligibility.engine.verdicts import assemble
from eligibility.engine.windows import Match, countable_flags
from eligibility.rules.schema import Ruleset

log = logging.getLogger(__name__)


class Evaluator:
    """A pure function of (inputs, ruleset, as_of): never reads the clock or the store."""

    def __init__(self, engine: Engine | None = None) -> None:
        """Use the given engine (one per process) or create one."""
        self.engine = engine or Engine()
        self.disagreements = 0
        self._no_flag_results: dict[tuple[object, ...], Result] = {}

    def evaluate(self, ruleset: Ruleset, inp: EvalInput) -> Result:
        """Return the verdicts for one candidate.

        Only firings that the engine and the reference evaluator agree on can FAIL; any
        disagreement (e.g. a firing the engine lost) turns into REVIEW with a trace.
        A candidate with no flag that any rule could match needs no engine: only the profile
        checks apply, and their result depends on nothing else than the round, so identical
        ones are shared (most candidates of a round).
        """
        ref_m = reference_matches(ruleset, inp)
        if not any(True for _ in countable_flags(ruleset, inp)):
            key = (ruleset.hash, inp.as_of, tuple(sorted(inp.attestations.items())), frozenset(ref_m))
            cached = self._no_flag_results.get(key)
            if cached is None:
                if len(self._no_flag_results) > 256:
                    self._no_flag_results.clear()
                cached = self._no_flag_results[key] = assemble(ruleset, inp, ref_m)
            return cached
        engine_m = self.engine.matches(ruleset, inp)
        if engine_m == ref_m:
            return assemble(ruleset, inp, engine_m)
        self.disagreements += 1  # counted in the metrics by the caller
        detail = f"engine={sorted(engine_m)} reference={sorted(ref_m)}"
        log.warning("engine disagreement for %s: %s", inp.candidate.id_masked, detail)
        return assemble(ruleset, inp, engine_m & ref_m, engine_m ^ ref_m, detail)

    def shared_results(self, ruleset: Ruleset, as_of: date) -> SharedResults:
        """The results of a screening's candidates with no flag on record (one round: one as_of, one set of
        attestations)."""
        return SharedResults(self, ruleset, as_of)


class SharedResults:
    """Results of candidates with no flag on record, shared within one screening.

    Such a candidate can only meet the profile checks, whose outcome depends on nothing but the
    round (ruleset, as_of, attestations) and the candidate's birth date, Party membership and
    positions, through the profile rules they fire: the evaluator decides the first candidate for
    each set of profile firings and the others share its result (the same object, so that its
    encoding is made once). The reference evaluator's profile check picks the set.
    """

    def __init__(self, evaluator: Evaluator, ruleset: Ruleset, as_of: date) -> None:
        """For one screening of a round under this ruleset."""
        self._evaluator, self._ruleset, self._as_of = evaluator, ruleset, as_of
        self._by_profile: dict[tuple[date, bool, tuple[str, ...]], Result] = {}
        self._by_matches: dict[frozenset[Match], Result] = {}

    def of(self, cand: ProfileFacts, make_input: Callable[[], EvalInput]) -> Result:
        """The result of a candidate with nothing on record; make_input() is called only for the first
        candidate of each outcome."""
        profile = (cand.birth_date, cand.party_member, cand.positions)
        result = self._by_profile.get(profile)
        if result is None:
            matches = frozenset(profile_matches(self._ruleset, self._as_of, cand))
            result = self._by_matches.get(matches)
            if result is None:
                result = self._by_matches[matches] = self._evaluator.evaluate(self._ruleset, make_input())
            self._by_profile[profile] = result
        return result
