"""Concluding a round (资格审查结论): what blocks it, and the logged conclusion naming every final decision.

A round is complete when every agency its ruleset asks has attested, every candidate has a decision
that is neither NEEDS_REVIEW nor PENDING, and no candidate changed since its latest decision
(review/changes.py). The conclusion is a log entry naming each candidate's latest decision by its
entry, in candidate order, with the SHA-256 of their leaf hashes; a signed checkpoint follows it. From
then on the round refuses attestations, screenings and new candidates. An appeal (复核) that changes a
candidate's decision amends the conclusion with a new entry of the same shape; nothing is rewritten.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from typing import Literal

from eligibility.errors import ConflictError
from eligibility.ledger.records import RoundInfo, StoredConclusion
from eligibility.review.changes import NOT_SCREENED, Change

OPEN_OVERALLS = ("NEEDS_REVIEW", "PENDING")


def refuse_if_concluded(info: RoundInfo, act: str) -> None:
    """ConflictError if the round is concluded (what the district's act froze)."""
    if info.concluded_at:
        raise ConflictError(f"round {info.round_id} is concluded (at {info.concluded_at}): it takes no more {act}; "
                            "a disputed decision goes through an appeal (`appeal open`)")


def blockers(info: RoundInfo, overalls: Iterable[tuple[str, str, str]], changes: list[Change]) -> list[str]:
    """Why the round cannot be concluded yet, each in words ([] if it can). overalls: (name, masked ID, overall) of
    each candidate's latest decision."""
    out = [f"{a} has not attested the round" for a in info.not_attested]
    if not info.last_screened_at:
        out.append("the round has not been screened")
    out += [f"{name} ({masked}) is {overall}" for name, masked, overall in overalls if overall in OPEN_OVERALLS]
    seen: set[tuple[str, str, str]] = set()
    for c in changes:
        who = f"{c.candidate.name} ({c.candidate.id_masked})"
        if c.late.entry_type == NOT_SCREENED:
            out.append(f"{who} has not been screened")
        elif (c.candidate.person_key, c.late.entry_type, c.late.agency) not in seen:
            out.append(f"{who} changed since decision {c.candidate.decision_id}: {c.late.agency} "
                       f"{c.late.entry_type} {c.late.what} (entry {c.late.position}) arrived after it")
        seen.add((c.candidate.person_key, c.late.entry_type, c.late.agency))
    return out


def conclusion(info: RoundInfo, kind: Literal["conclusion", "amendment"], at: str, by: str, note: str,
               leaves: list[tuple[int, bytes]], overalls: Iterable[str], appeal_id: str = "") -> StoredConclusion:
    """The conclusion entry of a round: its candidates' latest decisions (entry, leaf hash) in candidate order."""
    digest = hashlib.sha256(b"".join(h for _, h in leaves)).hexdigest()
    return StoredConclusion(round_id=info.round_id, kind=kind, at=at, by=by, note=note, appeal_id=appeal_id,
                            decisions=tuple(p for p, _ in leaves), decisions_sha256=digest,
                            overall=dict(sorted(Counter(overalls).items())))
