"""The durable-rules adapter: the only module that imports durable.

Rule data is compiled into durable's JSON ruleset format, one durable rule per (rule, level,
term) variant, registered as ``<name>@<hash>`` so that several versions coexist. Each
candidate is evaluated in its own state context (sid) whose state is deleted afterwards.
Pitfalls handled here (see ARCHITECTURE.md): the Host's timer threads are disabled (they race
with batch assertion and lose firings); actions take one parameter; the C core has no locks,
so every call is serialised. Measured here: a batch ``assert_facts`` in which one fact matches
nothing raises MessageNotHandledException and drops the firings of the facts that did match,
and ``delete_state`` on a context that saw an unhandled fact crashes the process (SIGSEGV).
So every fact type has a sentinel rule that always matches (its firing is ignored): no call is
ever "not handled", and a candidate's facts go in one batch call;
exceptions inside actions would land in the state, so our actions catch everything and the errors are
checked after each call; there are no
dates, so facts carry integer day numbers and whole months elapsed.
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

from durable import engine as durable_engine

from .dates import months_elapsed
from .domain import EvalInput
from .errors import EngineError
from .facts import Match, countable_flags
from .ruleset import Rule, Ruleset, Window

ENGINE_VERSION = f"eligibility-engine/2 durable-rules/{version('durable-rules')}"
_NO_END = 10**9  # days_left for a flag with no end_date: "still open"
SENTINEL = "__seen_"  # rules that match every fact, so no assertion is ever "not handled"


class _QuietHost(durable_engine.Host):  # type: ignore[misc]
    """A Host without the background dispatch/timer threads (they race with the caller)."""

    def _run(self) -> None:
        return None


def _window_conditions(w: Window, term: int | None) -> list[dict[str, Any]]:
    if w.type == "open":
        return [{"$gt": {"days_left": 0}}, {"$gt": {"term_left": 0}}]
    if w.type == "permanent":
        return []
    assert w.months is not None
    months = w.months + (term or 0)
    return [{"$lt": {"elapsed_months": months}}]


def _effective(rule_from: int, rule_to: int | None) -> list[dict[str, Any]]:
    cond: list[dict[str, Any]] = [{"$gte": {"as_of_day": rule_from}}]
    if rule_to is not None:
        cond.append({"$lt": {"as_of_day": rule_to}})
    return cond


def compile_ruleset(ruleset: Ruleset) -> dict[str, tuple[str, dict[str, Any]]]:
    """Compile rule data to durable rules: durable rule name -> (rule id, condition)."""
    out: dict[str, tuple[str, dict[str, Any]]] = {
        f"{SENTINEL}candidate": (SENTINEL, {"type": "candidate"}),
        f"{SENTINEL}flag": (SENTINEL, {"type": "flag"}),
    }
    for p in ruleset.profile:
        eff = _effective(p.effective_from.toordinal(), p.effective_to.toordinal() if p.effective_to else None)
        if p.check == "min_age":
            cond: list[dict[str, Any]] = [{"type": "candidate"}, {"$lt": {"age_years": p.min_age_years}}, *eff]
        else:
            held = [{f"pos_{pos}": 1} for pos in p.positions or ()]
            cond = [{"type": "candidate"}, {"party_member": 0}, held[0] if len(held) == 1 else {"$or": held}, *eff]
        out[f"{p.id}__0"] = (p.id, {"$and": cond})
    for r in ruleset.rules:
        for n, (base, window, term) in enumerate(_variants(r)):
            eff = _effective(r.effective_from.toordinal(), r.effective_to.toordinal() if r.effective_to else None)
            cond = [{"type": "flag"}, {"agency": r.agency}, {"kind": r.kind}, *base,
                    {"$gte": {"days_since": 0}}, *_window_conditions(window, term), *eff]
            out[f"{r.id}__{n}"] = (r.id, {"$and": cond})
    return out


def _variants(r: Rule) -> list[tuple[list[dict[str, Any]], Window, int | None]]:
    if r.levels is None:
        assert r.window is not None
        return [([], r.window, None)]
    out: list[tuple[list[dict[str, Any]], Window, int | None]] = []
    for level, w in r.levels.items():
        if w.type == "term_plus_months":
            for term in w.terms or ():
                out.append(([{"level": level}, {"term": term}], w, term))
        else:
            out.append(([{"level": level}], w, None))
    return out


class Engine:
    """Evaluates candidates with durable-rules; one instance per process, calls serialised."""

    def __init__(self) -> None:
        """Create a host with no rulesets; they are registered on first use."""
        self._host = _QuietHost()
        self._lock = threading.Lock()
        self._registered: dict[str, Ruleset] = {}
        self._fired: list[Match] = []
        self._action_errors: list[str] = []
        self._sids = itertools.count(1)

    def _action(self, rule_id: str) -> Callable[[Any], None]:
        fired = self._fired
        errors = self._action_errors

        def act(c: Any) -> None:  # one parameter: two would make durable treat it as async
            try:
                if rule_id != SENTINEL:
                    fired.append((rule_id, int(c.m["idx"])))
            except Exception as e:  # noqa: BLE001 - surfaced by matches()
                errors.append(f"{rule_id}: {e!r}")
        return act

    def _ensure(self, ruleset: Ruleset) -> str:
        name = f"{ruleset.name}@{ruleset.hash}"
        if name not in self._registered:
            compiled = compile_ruleset(ruleset)
            definition = {
                rule_name: {"all": [{"m": cond}], "run": self._action(rule_id)}
                for rule_name, (rule_id, cond) in compiled.items()
            }
            self._host.set_rulesets({name: copy.deepcopy(definition)})  # set_rulesets mutates its argument
            self._registered[name] = ruleset
        return name

    @staticmethod
    def facts(ruleset: Ruleset, inp: EvalInput, sid: str) -> list[dict[str, Any]]:
        """The facts asserted for one candidate: the candidate, and each countable flag."""
        day = inp.as_of.toordinal()
        cand = inp.candidate
        out: list[dict[str, Any]] = [{
            "sid": sid, "id": "c", "idx": -1, "type": "candidate", "as_of_day": day,
            "age_years": months_elapsed(cand.birth_date, inp.as_of) // 12 if inp.as_of >= cand.birth_date else -1,
            "party_member": 1 if cand.party_member else 0,
            **{f"pos_{p}": 1 if p in cand.positions else 0 for p in ruleset.positions},
        }]
        for i, flag, rule in countable_flags(ruleset, inp):
            window = rule.window_for(flag.level)
            fact: dict[str, Any] = {
                "sid": sid, "id": f"f{i}", "idx": i, "type": "flag", "as_of_day": day,
                "agency": flag.agency, "kind": flag.kind, "level": flag.level,
                "days_since": day - flag.decided_on.toordinal(),
                "elapsed_months": months_elapsed(flag.decided_on, inp.as_of),
                "days_left": (flag.end_date.toordinal() - day) if flag.end_date else _NO_END,
                # an open window with only a term: whole months of the term still to run
                "term_left": (flag.term_months - months_elapsed(flag.decided_on, inp.as_of))
                if window.type == "open" and flag.term_months and not flag.end_date else _NO_END,
            }
            if window.type == "term_plus_months":
                fact["term"] = flag.term_months or window.default_term
            out.append(fact)
        return out

    def matches(self, ruleset: Ruleset, inp: EvalInput) -> frozenset[Match]:
        """Return the (rule id, flag index) firings for one candidate."""
        with self._lock:
            name = self._ensure(ruleset)
            sid = f"s{next(self._sids)}"
            self._fired.clear()
            self._action_errors.clear()
            try:
                # one call for all of the candidate's facts: safe here because every fact type has a
                # sentinel rule (nothing is ever "not handled") and the Host's timer threads are off
                self._host.assert_facts(name, self.facts(ruleset, inp, sid))
            except Exception as e:  # includes MessageNotHandledException, impossible with the sentinels
                raise EngineError(f"rule engine failed: {e!r}") from e
            finally:
                self._host.delete_state(name, sid)
            if self._action_errors:  # our actions catch everything, so nothing reaches durable's state
                raise EngineError(f"rule action failed: {self._action_errors}")
            return frozenset(self._fired)
