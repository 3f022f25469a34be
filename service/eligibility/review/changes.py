"""Late records: what arrived after a candidate's latest decision read its inputs.

A candidate of a round is *changed* when an input that concerns it was logged at or after the log size
its latest decision read at: a flag version on the person (or a version of a reference once on them: a
correction that moved it to another ID number), an attestation of the round, a resolution; or when it
was added to the round after the round was screened and has no decision yet. `round changes` lists
them, `round screen --changed` screens only them, and a round cannot be concluded while any remain.
"""

from __future__ import annotations

from typing import NamedTuple

from eligibility.ledger.records import LateInput, Screened
from eligibility.store import Store

NOT_SCREENED = "not-screened"


class Change(NamedTuple):
    """One late input of one candidate (entry_type NOT_SCREENED: the candidate has no decision yet)."""

    candidate: Screened
    late: LateInput


def round_changes(store: Store, round_id: str) -> tuple[bool, list[Change]]:
    """(whether the round was ever screened, every change in candidate order then log order), in one snapshot."""
    with store.snapshot():
        candidates = store.screened(round_id)
        read = [c.read_at for c in candidates if c.decision_id]
        if not read:
            return False, []
        late = store.inputs_after(round_id, min(read))
        size = store.log_size()
    by_person: dict[str, list[LateInput]] = {}
    for x in late:
        by_person.setdefault(x.person_key, []).append(x)
    everyone = by_person.get("", [])
    out: list[Change] = []
    for c in candidates:
        if not c.decision_id:
            out.append(Change(c, LateInput(c.person_key, "", NOT_SCREENED, "added after the round was screened; no "
                                           "decision yet", "", size)))
            continue
        mine = sorted((x for x in by_person.get(c.person_key, []) + everyone if x.position >= c.read_at),
                      key=lambda x: x.position)
        out += [Change(c, x) for x in mine]
    return True, out


def changed_persons(changes: list[Change]) -> set[str]:
    """The candidates these changes concern."""
    return {c.candidate.person_key for c in changes}
