"""Evaluate one candidate: durable-rules engine, shadow-checked by the reference evaluator."""

from __future__ import annotations

import logging

from .domain import EvalInput, Result
from .engine import Engine
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

    def evaluate(self, ruleset: Ruleset, inp: EvalInput) -> Result:
        """Return the verdicts for one candidate.

        Only firings that the engine and the reference evaluator agree on can FAIL; any
        disagreement (e.g. a firing the engine lost) turns into REVIEW with a trace.
        """
        engine_m = self.engine.matches(ruleset, inp)
        ref_m = reference_matches(ruleset, inp)
        if engine_m == ref_m:
            return assemble(ruleset, inp, engine_m)
        self.disagreements += 1
        DISAGREEMENTS.inc()
        detail = f"engine={sorted(engine_m)} reference={sorted(ref_m)}"
        log.warning("engine disagreement for %s: %s", inp.candidate.id_masked, detail)
        return assemble(ruleset, inp, engine_m & ref_m, engine_m ^ ref_m, detail)
