"""Candidates that exercise what the benchmark's data does not: every level and term, end dates, term-only open
windows, retracted flags, unknown kinds, a kind under another agency, levels outside the rule's, name conflicts,
flags decided after as_of, candidates under age and Party posts, unattested agencies, dates at month ends.

For an agreement check only (bench_peers.py --edge-cases N): a peer that encodes the rules must agree here too.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from eligibility.engine.model import CandidateFacts, EvalInput, FlagFacts
from eligibility.rules.schema import Ruleset

AS_OF_DATES = (date(2026, 12, 1), date(2026, 1, 31), date(2027, 2, 28), date(2028, 2, 28), date(2028, 2, 29),
               date(2027, 4, 30), date(2030, 3, 31))
"""Round dates, several at a month's end (where calendar-month arithmetic clamps)."""


def _date(rng: random.Random, lo: date, hi: date) -> date:
    d = lo + timedelta(days=rng.randint(0, (hi - lo).days))
    if rng.random() < 0.3:  # one of the last three days of its month
        first_next = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
        d = first_next - timedelta(days=rng.randint(1, 3))
    return d


def make_inputs(ruleset: Ruleset, as_of: date, n: int, seed: int) -> list[EvalInput]:
    """n candidates for a round on as_of (one set of attestations, some agencies not attested)."""
    rng = random.Random(seed)
    kinds = [r.kind for r in ruleset.rules] + ["not_a_kind"]
    agencies = list(ruleset.agencies)
    attested = {a: "t" if rng.random() < 0.8 else "" for a in agencies}
    out = []
    for ci in range(n):
        if rng.random() < 0.3:  # around the age limit
            born = _date(rng, date(as_of.year - 19, 1, 1), date(as_of.year - 17, 12, 31))
        else:
            born = _date(rng, date(1950, 1, 1), date(2000, 1, 1))
        name = f"候选人{ci}"
        flags = []
        for i in range(rng.choice([0, 0, 1, 3, 6])):
            kind = rng.choice(kinds)
            rule = ruleset.by_kind.get(kind)
            agency = rule.agency if rule is not None and rng.random() < 0.95 else rng.choice(agencies)
            level = ""
            if rule is not None and rule.levels:
                level = rng.choice([*rule.levels, *(["not_a_level"] if rng.random() < 0.05 else [])])
            flags.append(FlagFacts(
                agency=agency, reference=f"E-{ci}-{i}", version=1, status="active" if rng.random() < 0.9 else "retracted",
                name=name if rng.random() < 0.85 else f"{name}乙", kind=kind, level=level,
                decided_on=_date(rng, as_of - timedelta(days=3500), as_of + timedelta(days=60)),
                end_date=_date(rng, as_of - timedelta(days=400), as_of + timedelta(days=400)) if rng.random() < 0.3 else None,
                term_months=rng.choice([None, None, 0, 6, 12, 24, 36])))
        out.append(EvalInput(as_of=as_of, candidate=CandidateFacts(
            person_key=str(ci), id_masked="x", birth_date=born, name=name,
            positions=tuple(rng.sample(list(ruleset.positions), rng.randint(1, 2))), party_member=rng.random() < 0.5),
            flags=tuple(flags), attestations=attested))
    return out
