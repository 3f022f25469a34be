"""Candidate intake: validate the district's candidate rows for a round."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, ConfigDict

from eligibility.intake import idnumbers
from eligibility.intake.outcomes import FieldProblem, RowOutcome
from eligibility.intake.protect import IdProtector
from eligibility.intake.rows import RowChecker
from eligibility.rules.schema import Ruleset
from eligibility.rules.vocabulary import Vocabulary


@dataclass(frozen=True, slots=True)
class CandidateRow:
    """A candidate row as text (validated by validate_candidate)."""

    row: int
    id_number: str = ""
    name: str = ""
    village: str = ""
    township: str = ""
    position: str = ""
    party_member: str = ""


def parse_positions(raw: str, known: Sequence[str], vocabulary: Vocabulary) -> tuple[list[str], str]:
    """Split "a+b" (or a word for several, e.g. "一肩挑") into known position codes, each given by its code or a
    word of the vocabulary; returns (positions, error message).

    A blank position is accepted (post not yet decided): only the Party-post check depends on it.
    """
    text = raw.strip().replace("＋", "+").replace("（", "(").replace("）", ")")
    if text in vocabulary.position_groups:
        text = "+".join(vocabulary.position_groups[text])
    parts = [p.strip() for p in text.split("+") if p.strip()]
    out: list[str] = []
    words = vocabulary.position_words
    for p in parts:
        code = words.get(p, p.lower())
        if code not in known:
            return [], f"position: unknown position {p!r}; expected {', '.join(known)} (joined with +)"
        if code not in out:
            out.append(code)
    return out, ""


class CandidateFields(BaseModel):
    """A validated candidate row, without its ID number."""

    model_config = ConfigDict(frozen=True)
    name: str
    village: str
    township: str
    positions: tuple[str, ...]
    party_member: bool
    birth_date: date


def validate_candidate(ruleset: Ruleset, vocabulary: Vocabulary,
                       r: CandidateRow) -> tuple[str, CandidateFields] | list[FieldProblem]:
    """Check one candidate row; returns (id_number, fields) or the problems."""
    ck = RowChecker(r.row)
    id_number = ck.id_number(r.id_number)
    name = ck.text(r.name, "name", required=True, limit=100)
    village = ck.text(r.village, "village", required=False)
    township = ck.text(r.township, "township", required=False)
    positions, err = parse_positions(r.position, ruleset.positions, vocabulary)
    if err:
        ck.fail("position", err)
    pm = r.party_member.strip().casefold()
    yes_no = vocabulary.party_member_words
    if pm not in yes_no:
        ck.fail("party_member", f"party_member: expected yes/no (true/false, 是/否), got {r.party_member[:20]!r}")
    if ck.problems:
        return ck.problems
    return id_number, CandidateFields(name=name, village=village, township=township, positions=tuple(positions),
                                      party_member=yes_no[pm], birth_date=idnumbers.birth_date_of(id_number))


Checked = dict[int, tuple[str, str, CandidateFields]]
"""Row position -> (ID number, keyed hash of the person, the row's fields) of each valid row."""


def check_candidates(ruleset: Ruleset, vocabulary: Vocabulary, ids: IdProtector,
                     rows: Sequence[CandidateRow]) -> tuple[dict[int, RowOutcome], Checked]:
    """Check a file's candidate rows, each person once: (rejections by row position, the valid rows)."""
    outcomes: dict[int, RowOutcome] = {}
    valid: Checked = {}
    first: dict[str, int] = {}
    for i, r in enumerate(rows):
        checked = validate_candidate(ruleset, vocabulary, r)
        if isinstance(checked, list):
            key = idnumbers.mask(r.id_number.strip()) if r.id_number.isascii() else "(invalid)"
            outcomes[i] = RowOutcome(row=r.row, key=key, status="REJECTED", errors=tuple(checked))
            continue
        id_number, fields = checked
        pk = ids.person_key(id_number)
        if pk in first:
            outcomes[i] = RowOutcome(row=r.row, key=idnumbers.mask(id_number), status="REJECTED", errors=(FieldProblem(
                field="id_number", message=f"row {r.row}: id_number: same person as row {first[pk]}; list a "
                "person once with all positions joined by +"),))
            continue
        first[pk] = r.row
        valid[i] = (id_number, pk, fields)
    return outcomes, valid
