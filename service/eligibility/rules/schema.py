"""Rule data: the rule-file format, loading and linting, the content hash, and rule windows.

A ruleset is data (YAML under rules/<name>/ruleset.yaml). Nothing in Python names a rule id,
a window length or a legal date; everything below reads them from the file.
"""

from __future__ import annotations

import hashlib
from datetime import date
from functools import cached_property
from typing import Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Title(_Model):
    """A title in Chinese and English."""

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Window(_Model):
    """How long a flag stays in force, counted from its decided_on."""

    type: Literal["open", "permanent", "months", "term_plus_months"]
    months: int | None = Field(default=None, gt=0)
    terms: tuple[int, ...] | None = None
    default_term: int | None = None

    @model_validator(mode="after")
    def _check(self) -> Window:
        if self.type in ("months", "term_plus_months") and self.months is None:
            raise ValueError(f"window type {self.type} needs months")
        if self.type in ("open", "permanent") and self.months is not None:
            raise ValueError(f"window type {self.type} takes no months")
        if self.type == "term_plus_months":
            if not self.terms or self.default_term not in self.terms:
                raise ValueError("term_plus_months needs terms and a default_term among them")
        elif self.terms is not None or self.default_term is not None:
            raise ValueError("terms/default_term only apply to term_plus_months")
        return self

    def describe(self) -> str:
        """Say the window in words."""
        if self.type == "open":
            return ("while open (until end_date, exclusive; without one, term_months from decided_on if given; "
                    "otherwise still open)")
        if self.type == "permanent":
            return "no end"
        if self.type == "months":
            return f"{self.months} months from decided_on"
        return f"term_months ({'/'.join(map(str, self.terms or ()))}, default {self.default_term}) + {self.months} months"


class Rule(_Model):
    """One row of the negative list: a flag kind of one agency and its effect."""

    id: str = Field(pattern=r"^[A-Z][A-Z0-9-]+$")
    agency: str
    kind: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    effect: Literal["disqualify", "review"]
    title: Title
    citation: str = Field(min_length=1)
    effective_from: date
    effective_to: date | None = None
    window: Window | None = None
    levels: dict[str, Window] | None = None
    level_aliases: dict[str, str] | None = None

    @model_validator(mode="after")
    def _check(self) -> Rule:
        if (self.window is None) == (self.levels is None):
            raise ValueError(f"rule {self.id}: give exactly one of window or levels")
        for alias, level in (self.level_aliases or {}).items():
            if not self.levels or level not in self.levels:
                raise ValueError(f"rule {self.id}: level alias {alias!r} names no level ({level!r})")
        if self.effective_to is not None and self.effective_to <= self.effective_from:
            raise ValueError(f"rule {self.id}: effective_to must be after effective_from")
        return self

    def in_effect(self, as_of: date) -> bool:
        """True when the rule applies to a round with this as_of (effective_to exclusive)."""
        return self.effective_from <= as_of and (self.effective_to is None or as_of < self.effective_to)

    def window_for(self, level: str) -> Window:
        """The window that applies to a flag of this level."""
        if self.levels is not None:
            return self.levels[level]
        assert self.window is not None
        return self.window

    def describe_window(self) -> str:
        """Say the rule's window(s) in words."""
        if self.levels is not None:
            return "; ".join(f"{lv}: {w.describe()}" for lv, w in self.levels.items())
        assert self.window is not None
        return self.window.describe()


class ProfileRule(_Model):
    """A check of the district's own (not an agency's) on the candidate's profile."""

    id: str = Field(pattern=r"^[A-Z][A-Z0-9-]+$")
    check: Literal["min_age", "party_membership"]
    title: Title
    citation: str = Field(min_length=1)
    effective_from: date
    effective_to: date | None = None
    min_age_years: int | None = Field(default=None, gt=0)
    positions: tuple[str, ...] | None = None

    @model_validator(mode="after")
    def _check(self) -> ProfileRule:
        if self.check == "min_age" and self.min_age_years is None:
            raise ValueError(f"profile rule {self.id}: min_age needs min_age_years")
        if self.check == "party_membership" and not self.positions:
            raise ValueError(f"profile rule {self.id}: party_membership needs positions")
        return self

    def in_effect(self, as_of: date) -> bool:
        """True when the check applies on as_of."""
        return self.effective_from <= as_of and (self.effective_to is None or as_of < self.effective_to)


class Agency(_Model):
    """An agency's display names."""

    zh: str
    en: str


class Ruleset(_Model):
    """A named, versioned set of rules; identified by the hash of its canonical content."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    version: str
    title: Title
    description: str = ""
    agencies: dict[str, Agency]
    positions: tuple[str, ...]
    rules: tuple[Rule, ...]
    profile: tuple[ProfileRule, ...]

    @model_validator(mode="before")
    @classmethod
    def _agency_order(cls, data: object) -> object:
        """The agencies in the order of their first rule (any without a rule after them, by code): results list
        agencies in this order, and it must not depend on how the file was written (YAML order) or read
        back (a kept ruleset's canonical JSON sorts keys), or a decision would not replay under its own ruleset."""
        if isinstance(data, dict) and isinstance(data.get("agencies"), dict) and isinstance(data.get("rules"), list | tuple):
            agencies = data["agencies"]
            first = [r.get("agency") for r in data["rules"] if isinstance(r, dict)]
            order = [a for a in dict.fromkeys(first) if a in agencies] + sorted(a for a in agencies if a not in first)
            data = {**data, "agencies": {a: agencies[a] for a in order}}
        return data

    @model_validator(mode="after")
    def _check(self) -> Ruleset:
        ids = [r.id for r in self.rules] + [p.id for p in self.profile]
        dupes = {i for i in ids if ids.count(i) > 1}
        if dupes:
            raise ValueError(f"duplicate rule ids: {sorted(dupes)}")
        seen: dict[str, str] = {}
        for r in self.rules:
            if r.agency not in self.agencies:
                raise ValueError(f"rule {r.id}: unknown agency {r.agency!r}")
            if r.kind in seen:
                raise ValueError(f"rule {r.id}: kind {r.kind!r} already used by {seen[r.kind]}")
            seen[r.kind] = r.id
        for p in self.profile:
            for pos in p.positions or ():
                if pos not in self.positions:
                    raise ValueError(f"profile rule {p.id}: unknown position {pos!r}")
        return self

    def canonical_bytes(self) -> bytes:
        """The canonical JSON of the content (sorted keys, no whitespace); what the hash covers."""
        return orjson.dumps(self.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)

    @cached_property
    def hash(self) -> str:
        """SHA-256 of the canonical content: the ruleset version recorded in every decision."""
        return hashlib.sha256(self.canonical_bytes()).hexdigest()

    @property
    def label(self) -> str:
        """name@shorthash, for people."""
        return f"{self.name}@{self.hash[:12]}"

    @cached_property
    def by_kind(self) -> dict[str, Rule]:
        """Flag kind -> the rule for it."""
        return {r.kind: r for r in self.rules}

    @cached_property
    def by_id(self) -> dict[str, Rule | ProfileRule]:
        """Rule id -> rule (agency and profile rules)."""
        out: dict[str, Rule | ProfileRule] = {r.id: r for r in self.rules}
        out.update({p.id: p for p in self.profile})
        return out

    @cached_property
    def membership_positions(self) -> frozenset[str]:
        """The positions a Party-membership check looks at: a candidate for one of them must say whether he or she
        is a Party member (the answer decides a verdict, so it is never assumed)."""
        return frozenset(p for r in self.profile if r.check == "party_membership" for p in (r.positions or ()))

    def kinds_of(self, agency: str) -> list[str]:
        """The flag kinds in an agency's vocabulary."""
        return [r.kind for r in self.rules if r.agency == agency]


