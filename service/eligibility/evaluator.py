"""Evaluate one candidate: durable-rules engine, shadow-checked by the reference evaluator."""

from __future__ import annotations

import logging

from .domain import EvalInput, Result
from .engine import Engine
from .facts import countable_flags
from .observability import DISAGREEMENTS
from .reference import reference_matches
from .ruleset import Ruleset
from .verdicts import assemble

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
        self.disagreements += 1
        DISAGREEMENTS.inc()
        detail = f"engine={sorted(engine_m)} reference={sorted(ref_m)}"
        log.warning("engine disagreement for %s: %s", inp.candidate.id_masked, detail)
        return assemble(ruleset, inp, engine_m & ref_m, engine_m ^ ref_m, detail)
