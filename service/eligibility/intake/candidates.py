"""Candidate intake: validate the district's candidate rows for a round."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from eligibility.intake import idnumbers
from eligibility.intake.outcomes import FieldProblem, RowOutcome
from eligibility.intake.protect import IdProtector
from eligibility.intake.rows import RowChecker
from eligibility.rules.schema import Ruleset
from eligibility.rules.vocabulary import Vocabulary, fold


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
    """Split "a+b" (or "a、b", or a word for several, e.g. "一肩挑") into known position codes, each given by its
    code, its Chinese name or a word of the vocabulary; returns (positions, error message).

    A blank position is accepted (post not yet decided): only the Party-post check depends on it.
    """
    text = (raw if raw.isascii() else unicodedata.normalize("NFKC", raw)).strip()
    parts = vocabulary.position_split.split(text)
    out: list[str] = []
    words = vocabulary.position_words
    groups = vocabulary.group_words
    for p in (p.strip() for p in parts):
        if not p:
            continue
        for code in groups.get(fold(p)) or (words.get(fold(p), p),):
            if code not in known:
                return [], (f"position: unknown position {p!r}; expected one of "
                            f"{', '.join(vocabulary.position_label(k, 'zh') for k in known)} "
                            f"(several joined with {' '.join(vocabulary.position_separators)})")
            if code not in out:
                out.append(code)
    return out, ""


def party_member(raw: str, positions: Sequence[str], needs: frozenset[str], vocabulary: Vocabulary,
                 ck: RowChecker) -> bool:
    """Whether the candidate is a Party member, from a 是否党员 or 政治面貌 cell. A blank cell is asked for when a
    position needs the answer (it is never taken as "no"), an unknown word is always a row error."""
    words = vocabulary.party_member_words
    word = fold(raw)
    if word in words:
        return words[word]
    if not word:
        needed = [p for p in positions if p in needs]
        if needed:
            ck.fail("party_member", f"party_member: missing; the position {vocabulary.position_label(needed[0], 'zh')} "
                    "needs it (e.g. 中共党员, 中共预备党员, 群众; or 是/否)")
        return False  # not asked for by any check of this candidate's positions
    ck.fail("party_member", f"party_member: unknown value {raw.strip()[:20]!r}; expected 是/否 or a 政治面貌 such as "
            "中共党员, 中共预备党员, 共青团员, 群众")
    return False


class CandidateFields(NamedTuple):
    """A validated candidate row, without its ID number (checked field by field by validate_candidate: a plain
    value, as every row of a province's round makes one)."""

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
    member = party_member(r.party_member, positions, ruleset.membership_positions, vocabulary, ck)
    if ck.problems:
        return ck.problems
    return id_number, CandidateFields(name=name, village=village, township=township, positions=tuple(positions),
                                      party_member=member, birth_date=idnumbers.birth_date_of(id_number))


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
