"""Domain types shared by the evaluator, store, screening and replay (pydantic, no protobuf)."""

from __future__ import annotations

import unicodedata
from datetime import date
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict

PROFILE = "profile"
"""The key of the profile check (the district's own, not an agency's) among a result's verdicts."""

Verdict = Literal["PASS", "FAIL", "REVIEW", "PENDING"]
Overall = Literal["ELIGIBLE", "INELIGIBLE", "NEEDS_REVIEW", "PENDING"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CandidateFacts(_Frozen):
    """A candidate as the evaluator reads it (no raw ID number: birth date and a keyed hash only)."""

    person_key: str
    id_masked: str
    birth_date: date
    name: str
    positions: tuple[str, ...]
    party_member: bool
    village: str = ""
    township: str = ""


class FlagFacts(_Frozen):
    """One flag version as the evaluator reads it."""

    agency: str
    reference: str
    version: int
    status: Literal["active", "retracted"]
    name: str
    kind: str
    level: str = ""
    decided_on: date
    end_date: date | None = None
    term_months: int | None = None
    recorded_at: str = ""


class EvalInput(_Frozen):
    """Everything one decision depends on, besides the ruleset: the engine is a pure function of it."""

    as_of: date
    candidate: CandidateFacts
    flags: tuple[FlagFacts, ...]
    attestations: dict[str, str]


class FlagRef(_Frozen):
    """The flag version a trace entry relies on."""

    agency: str
    reference: str
    version: int
    kind: str
    level: str
    decided_on: str
    end_date: str


class TraceEntry(_Frozen):
    """Why an agency (or the profile check) got its verdict."""

    agency: str
    verdict: Verdict
    rule_id: str
    effect: str
    title_zh: str = ""
    title_en: str = ""
    citation: str = ""
    flags: tuple[FlagRef, ...] = ()
    window: str = ""
    window_type: str = ""
    window_start: str = ""
    window_last_day: str = ""
    detail: str = ""
    ruleset_hash: str = ""


class Result(_Frozen):
    """A decision's outcome: per-agency verdicts, profile verdict, overall, sorted trace."""

    overall: Overall
    verdicts: dict[str, Verdict]
    trace: tuple[TraceEntry, ...]


def same_name(a: str, b: str) -> bool:
    """Compare person names ignoring width, spaces and the variants of the middle dot (维吾尔族 names)."""
    return _name_key(a) == _name_key(b)


@lru_cache(maxsize=65536)
def _name_key(name: str) -> str:
    text = unicodedata.normalize("NFKC", name)
    for dot in ("·", "•", "・", "．", ".", "‧", "∙"):
        text = text.replace(dot, "·")
    return "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch) != "Cf").casefold()


def overall_of(verdicts: dict[str, Verdict]) -> Overall:
    """INELIGIBLE if any FAIL, else NEEDS_REVIEW if any REVIEW, else PENDING if any PENDING, else ELIGIBLE."""
    values = set(verdicts.values())
    if "FAIL" in values:
        return "INELIGIBLE"
    if "REVIEW" in values:
        return "NEEDS_REVIEW"
    if "PENDING" in values:
        return "PENDING"
    return "ELIGIBLE"
