"""Re-screen a round without recording: under another ruleset ("what if") and/or with only the
records on file at a past moment ("as known then"), compared with the round as it stands now."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict

from eligibility.engine.evaluator import Evaluator
from eligibility.engine.model import FlagFacts, Overall, Result, TraceEntry, Verdict
from eligibility.errors import InvalidInputError
from eligibility.ledger.records import RoundInfo, StoredFlag
from eligibility.review.screening import eval_input
from eligibility.rules.schema import Ruleset
from eligibility.store import Store


class Comparison(BaseModel):
    """One candidate now and under the variant."""

    model_config = ConfigDict(frozen=True)
    name: str
    id_masked: str
    township: str
    village: str
    before: Overall
    after: Overall
    changes: tuple[tuple[str, Verdict, Verdict], ...]
    rules_added: tuple[str, ...]
    rules_removed: tuple[str, ...]
    after_trace: tuple[TraceEntry, ...]

    @property
    def changed(self) -> bool:
        """True when any verdict or firing rule differs."""
        return bool(self.changes or self.rules_added or self.rules_removed or self.before != self.after)


def known_at_stamp(text: str) -> str:
    """Normalise a moment to the recorded_at format; a bare date means the end of that day (UTC)."""
    text = text.strip()
    try:
        if len(text) == 10:
            return datetime.fromisoformat(text).strftime("%Y-%m-%dT23:59:59.999999Z")
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInputError(f"known_at: expected a date or an RFC 3339 time, got {text[:40]!r}",
                                field="known_at") from None
    if moment.tzinfo is None:
        raise InvalidInputError("known_at: give a time zone (e.g. Z or +08:00)", field="known_at")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _fired(r: Result) -> set[str]:
    return {t.rule_id for t in r.trace if t.verdict in ("FAIL", "REVIEW")}


def _facts(flags: list[StoredFlag]) -> list[FlagFacts]:
    return [f.facts() for f in sorted(flags, key=lambda f: (f.agency, f.reference))]


def reevaluate(store: Store, evaluator: Evaluator, round_: RoundInfo, now_rs: Ruleset, then_rs: Ruleset,
               known_at: str = "") -> Iterator[list[Comparison]]:
    """Compare every candidate of a round: (round's ruleset, current records) vs (then_rs, records at known_at)."""
    attested = store.attestations(round_.round_id)
    attested_then = {a: t for a, t in attested.items() if not known_at or t <= known_at}
    for cands in store.candidates(round_.round_id):
        keys = [c.person_key for c in cands]
        flags_now = store.flags_for_persons(keys)
        flags_then = store.flags_known_at(keys, known_at) if known_at else flags_now
        out = []
        for c in cands:
            facts = c.facts()
            now_in = eval_input(round_.as_of, facts, _facts(flags_now.get(c.person_key, [])), attested)
            before = evaluator.evaluate(now_rs, now_in)
            after = evaluator.evaluate(then_rs, eval_input(round_.as_of, facts, _facts(flags_then.get(c.person_key, [])),
                                                           attested_then))
            changes = tuple((a, before.verdicts[a], after.verdicts.get(a, "PENDING")) for a in before.verdicts
                            if before.verdicts[a] != after.verdicts.get(a, "PENDING"))
            out.append(Comparison(
                name=c.name, id_masked=c.id_masked, township=c.township, village=c.village, before=before.overall,
                after=after.overall, changes=changes, rules_added=tuple(sorted(_fired(after) - _fired(before))),
                rules_removed=tuple(sorted(_fired(before) - _fired(after))), after_trace=after.trace))
        yield out
