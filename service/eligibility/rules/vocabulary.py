"""The vocabulary: agencies, positions and the words people use for them, read from rules/vocabulary.yaml.

Every list of agencies or positions the service shows or checks comes from here (or from a
ruleset, which must use this vocabulary); the roles are the agencies plus the service's own two,
the district office and the auditor.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import cached_property, lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from eligibility.errors import RulesetError
from eligibility.rules.loader import REPO_RULES
from eligibility.rules.schema import Ruleset

FILE = "vocabulary.yaml"


def fold(word: str) -> str:
    """A word as it is compared with the vocabulary: NFKC (full-width letters, digits and brackets folded), trimmed,
    case-folded, inner spaces removed."""
    if word.isascii():  # (most cells: no folding to do beyond case and spaces)
        return "".join(word.lower().split())
    return "".join(unicodedata.normalize("NFKC", word).casefold().split())
SERVICE_ROLES = ("district", "auditor")
"""The roles that are not agencies: the district office (rounds, screening) and the auditor."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Label(_Model):
    """A name in Chinese and English, and a short column head."""

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)
    short: str = Field(min_length=1, max_length=4)


class Position(_Model):
    """A position candidates stand for, and the words files use for it."""

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()


class Kind(_Model):
    """A kind of flag as people name it: its label and the other words agencies write for it."""

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()

    @property
    def words(self) -> tuple[str, ...]:
        """Every word that names the kind: the Chinese label, then the aliases."""
        return (self.zh, *self.aliases)


class PartyMemberWords(_Model):
    """The words that say yes or no in a party-member column."""

    yes: tuple[str, ...]
    no: tuple[str, ...]


class Vocabulary(_Model):
    """The agencies (in display order), the profile check's label, positions, and their words."""

    agencies: dict[str, Label]
    profile: Label
    positions: dict[str, Position]
    position_groups: dict[str, tuple[str, ...]] = {}
    position_separators: str = "+"
    party_member: PartyMemberWords
    kinds: dict[str, Kind] = {}

    @model_validator(mode="after")
    def _check(self) -> Vocabulary:
        for word, group in self.position_groups.items():
            unknown = [p for p in group if p not in self.positions]
            if unknown:
                raise ValueError(f"position group {word!r} names unknown positions {unknown}")
        both = {fold(w) for w in self.party_member.yes} & {fold(w) for w in self.party_member.no}
        if both:
            raise ValueError(f"party_member words mean both yes and no: {sorted(both)}")
        if "" in {w.strip() for w in (*self.party_member.yes, *self.party_member.no)}:
            raise ValueError("party_member words: a blank cell must not mean yes or no (it is asked for)")
        return self

    @cached_property
    def roles(self) -> tuple[str, ...]:
        """Every role a credential can name: the agencies, then the district office and the auditor."""
        return (*self.agencies, *SERVICE_ROLES)

    @cached_property
    def position_words(self) -> dict[str, str]:
        """Folded word (fold: the code, the Chinese name, an alias) -> position code."""
        out = {fold(code): code for code in self.positions}
        for code, p in self.positions.items():
            out.update((fold(w), code) for w in (p.zh, *p.aliases))
        return out

    @cached_property
    def group_words(self) -> dict[str, tuple[str, ...]]:
        """Folded word -> the positions it stands for (position_groups)."""
        return {fold(w): g for w, g in self.position_groups.items()}

    @cached_property
    def position_split(self) -> re.Pattern[str]:
        """What splits a position cell into positions (position_separators, after NFKC)."""
        return re.compile("|".join(map(re.escape, unicodedata.normalize("NFKC", self.position_separators))))

    @cached_property
    def party_member_words(self) -> dict[str, bool]:
        """Folded word (fold) -> whether it says the candidate is a Party member."""
        return {**{fold(w): True for w in self.party_member.yes}, **{fold(w): False for w in self.party_member.no}}

    @cached_property
    def columns(self) -> tuple[str, ...]:
        """The verdict columns of every table and report: the agencies, then the profile check."""
        return (*self.agencies, "profile")

    @cached_property
    def _kind_words(self) -> dict[tuple[str, str], dict[str, str]]:
        return {}

    def kind_words(self, rs: Ruleset, agency: str) -> dict[str, str]:
        """Word (fold) -> kind code, for the kinds of one agency in a ruleset (codes included); made once per
        ruleset and agency (it is looked up for every flag row)."""
        key = (rs.hash, agency)
        found = self._kind_words.get(key)
        if found is None:
            found = {}
            for kind in rs.kinds_of(agency):
                found[fold(kind)] = kind
                k = self.kinds.get(kind)
                found.update((fold(w), kind) for w in (k.words if k else ()))
            self._kind_words[key] = found
        return found

    def kind_label(self, code: str, lang: str) -> str:
        """A kind's name in zh or en; an unknown code as it is."""
        k = self.kinds.get(code)
        return code if k is None else (k.zh if lang == "zh" else k.en)

    def agency_labels(self, lang: str) -> dict[str, str]:
        """Agency (and profile check) code -> name in zh or en."""
        return {code: self.agency_label(code, lang) for code in self.columns}

    def position_labels(self, lang: str) -> dict[str, str]:
        """Position code -> name in zh or en."""
        return {code: self.position_label(code, lang) for code in self.positions}

    def agency_label(self, code: str, lang: str) -> str:
        """An agency's (or the profile check's) name in zh or en; an unknown code as it is."""
        label = self.profile if code == "profile" else self.agencies.get(code)
        return code if label is None else (label.zh if lang == "zh" else label.en)

    def short(self, code: str) -> str:
        """An agency's (or the profile check's) column head."""
        label = self.profile if code == "profile" else self.agencies.get(code)
        return code[:3].upper() if label is None else label.short

    def position_label(self, code: str, lang: str) -> str:
        """A position's name in zh or en; an unknown code as it is."""
        p = self.positions.get(code)
        return code if p is None else (p.zh if lang == "zh" else p.en)

    def check_ruleset(self, rs: Ruleset, source: str) -> None:
        """A ruleset may only name agencies and positions of this vocabulary."""
        agencies = [a for a in rs.agencies if a not in self.agencies]
        positions = [p for p in rs.positions if p not in self.positions]
        if agencies or positions:
            raise RulesetError(f"{source}: names what the vocabulary ({FILE}) does not have: "
                               + ", ".join([*(f"agency {a}" for a in agencies), *(f"position {p}" for p in positions)]))
        for agency in rs.agencies:
            seen: dict[str, str] = {}
            for kind in rs.kinds_of(agency):
                k = self.kinds.get(kind)
                for w in {fold(kind), *(fold(x) for x in (k.words if k else ()))}:
                    if seen.setdefault(w, kind) != kind:
                        raise RulesetError(f"{source}: the word {w!r} ({FILE}) names two kinds of {agency}: "
                                           f"{seen[w]} and {kind}")


def load_vocabulary_file(path: Path) -> Vocabulary:
    """Load and validate a vocabulary file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return Vocabulary.model_validate(data)
    except (OSError, yaml.YAMLError) as e:
        raise RulesetError(f"{path}: {e}") from None
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors())
        raise RulesetError(f"{path}: {problems}") from None


@lru_cache(maxsize=16)
def _cached(path: Path, stamp: int) -> Vocabulary:
    return load_vocabulary_file(path)


def load_vocabulary(rules_dirs: Sequence[Path]) -> Vocabulary:
    """The vocabulary of the first rule directory that has one (the shipped one if none has)."""
    for d in (*rules_dirs, REPO_RULES):
        path = Path(d) / FILE
        if path.is_file():
            return _cached(path.resolve(), path.stat().st_mtime_ns)
    raise RulesetError(f"no {FILE} under {', '.join(map(str, rules_dirs))} or {REPO_RULES}")
