"""Candidate intake: validate the district's candidate rows for a round."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, ConfigDict

from eligibility.intake import idnumbers
from eligibility.intake.outcomes import FieldProblem
from eligibility.intake.rows import RowChecker
from eligibility.rules.schema import Ruleset

POSITION_ALIASES = {
    "党组织书记": "party_secretary", "书记": "party_secretary", "党支部书记": "party_secretary",
    "党组织委员": "party_committee", "支委": "party_committee", "党支部委员": "party_committee",
    "村委会主任": "vc_director", "居委会主任": "vc_director", "村(居)委会主任": "vc_director", "主任": "vc_director",
    "村委会委员": "vc_member", "居委会委员": "vc_member", "村(居)委会委员": "vc_member", "委员": "vc_member",
}
YESNO = {
    "true": True, "yes": True, "y": True, "1": True, "是": True, "党员": True, "中共党员": True, "t": True,
    "false": False, "no": False, "n": False, "0": False, "否": False, "群众": False, "f": False, "": False,
}


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


def parse_positions(raw: str, known: Sequence[str]) -> tuple[list[str], str]:
    """Split "a+b" (或 "一肩挑") into known position codes; returns (positions, error message).

    A blank position is accepted (post not yet decided): only the Party-post check depends on it.
    """
    text = raw.strip().replace("＋", "+").replace("（", "(").replace("）", ")")
    if text == "一肩挑":
        text = "party_secretary+vc_director"
    parts = [p.strip() for p in text.split("+") if p.strip()]
    out: list[str] = []
    for p in parts:
        code = POSITION_ALIASES.get(p, p.lower())
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


def validate_candidate(ruleset: Ruleset, r: CandidateRow) -> tuple[str, CandidateFields] | list[FieldProblem]:
    """Check one candidate row; returns (id_number, fields) or the problems."""
    ck = RowChecker(r.row)
    id_number = ck.id_number(r.id_number)
    name = ck.text(r.name, "name", required=True, limit=100)
    village = ck.text(r.village, "village", required=False)
    township = ck.text(r.township, "township", required=False)
    positions, err = parse_positions(r.position, ruleset.positions)
    if err:
        ck.fail("position", err)
    pm = r.party_member.strip().lower()
    if pm not in YESNO:
        ck.fail("party_member", f"party_member: expected yes/no (true/false, 是/否), got {r.party_member[:20]!r}")
    if ck.problems:
        return ck.problems
    return id_number, CandidateFields(name=name, village=village, township=township, positions=tuple(positions),
                                      party_member=YESNO[pm], birth_date=idnumbers.birth_date_of(id_number))
