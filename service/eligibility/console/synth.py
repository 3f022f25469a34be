"""Synthetic but realistic district data: townships, villages, candidates and agency flags."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from eligibility.engine.calendar import add_months
from eligibility.intake.idnumbers import check_digit
from eligibility.rules.schema import Ruleset

TOWNSHIPS = ["城关街道", "东城街道", "西城街道", "南湖街道", "北山镇", "青石镇", "白沙镇", "临河镇", "桃源乡", "松林乡",
             "大坪乡", "石门乡"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉兰海燕德文春梅小龙金凤晓东俊峰"
REGIONS = ["330102", "330105", "330106", "330108", "330109", "330110"]


@dataclass
class Person:
    """A synthetic person."""

    id_number: str
    name: str
    village: str = ""
    township: str = ""
    position: str = ""
    party_member: bool = False


@dataclass
class District:
    """A synthetic district: candidates, and flags per agency."""

    candidates: list[Person]
    flags: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    retract: dict[str, list[str]] = field(default_factory=dict)


def make_id(rng: random.Random, born: date, seq: int | None = None) -> str:
    """A valid 18-digit ID number for a birth date."""
    body = f"{rng.choice(REGIONS)}{born:%Y%m%d}{seq if seq is not None else rng.randrange(1000):03d}"
    return body + check_digit(body)


def villages(n_villages: int = 62, n_communities: int = 65) -> list[tuple[str, str]]:
    """(township, village) pairs: villages go to towns and townships, communities to sub-districts first."""
    out = []
    for i in range(n_villages):
        out.append((TOWNSHIPS[4 + i % 8], f"{GIVEN[i % len(GIVEN)]}{SURNAMES[(i * 7) % len(SURNAMES)]}村"))
    for i in range(n_communities):
        out.append((TOWNSHIPS[i % 4] if i < 52 else TOWNSHIPS[4 + i % 4], f"{SURNAMES[(i * 3) % len(SURNAMES)]}"
                    f"{GIVEN[(i * 5) % len(GIVEN)]}社区"))
    return out


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def district(ruleset: Ruleset, as_of: date, per_village: int = 4, flagged_share: float = 0.08,
             seed: int = 2026) -> District:
    """Build a district whose flags exercise every agency, in force and lapsed, plus a few conflicts."""
    rng = random.Random(seed)
    # the ruleset's positions (party secretary, party committee, committee director, member): an 一肩挑, a Party
    # post, a committee post, and a Party and a committee post together
    p = ruleset.positions
    posts = [f"{p[0]}+{p[2]}", p[1], p[-1], f"{p[1]}+{p[-1]}"]
    people: list[Person] = []
    used: set[str] = set()
    for township, village in villages():
        for k in range(per_village):
            born = date(rng.randint(1962, 2000), rng.randint(1, 12), rng.randint(1, 28))
            pid = make_id(rng, born)
            while pid in used:
                pid = make_id(rng, born)
            used.add(pid)
            position = posts[k % len(posts)]
            people.append(Person(pid, _name(rng), village, township, position, party_member=k != 2))
    # profile problems: one under 18 on as_of, one Party post without membership
    young = people[5]
    young.id_number = make_id(rng, add_months(as_of, -12 * 18) + timedelta(days=3))
    people[9].party_member = False
    flags: dict[str, list[dict[str, str]]] = {a: [] for a in ruleset.agencies}
    retract: dict[str, list[str]] = {a: [] for a in ruleset.agencies}
    n = 0
    for person in rng.sample(people, int(len(people) * flagged_share)):
        for _ in range(rng.choice((1, 1, 1, 2))):
            rule = rng.choice(ruleset.rules)
            n += 1
            level, term = "", ""
            if rule.levels:
                level = rng.choice(list(rule.levels))
                if rule.levels[level].type == "term_plus_months":
                    term = str(rng.choice(rule.levels[level].terms or (24,)))
            decided = as_of - timedelta(days=rng.randint(30, 365 * 7))
            end = ""
            if rule.window and rule.window.type == "open" and rng.random() < 0.4:
                end = (decided + timedelta(days=rng.randint(60, 900))).isoformat()
            name = person.name if rng.random() > 0.05 else _name(rng)
            ref = f"{rule.agency[:3].upper()}-{as_of.year}-{n:04d}"
            flags[rule.agency].append({"id_number": person.id_number, "name": name, "kind": rule.kind,
                                       "reference": ref, "decided_on": decided.isoformat(), "end_date": end,
                                       "level": level, "term_months": term, "note": "synthetic"})
            if rng.random() < 0.1:
                retract[rule.agency].append(ref)
    # records about people who are not candidates (agencies export all they have)
    for _ in range(len(people) // 5):
        rule = rng.choice(ruleset.rules)
        born = date(rng.randint(1950, 2000), rng.randint(1, 12), rng.randint(1, 28))
        n += 1
        level = next(iter(rule.levels)) if rule.levels else ""
        flags[rule.agency].append({"id_number": make_id(rng, born), "name": _name(rng), "kind": rule.kind,
                                   "reference": f"{rule.agency[:3].upper()}-{as_of.year}-{n:04d}",
                                   "decided_on": (as_of - timedelta(days=rng.randint(1, 2000))).isoformat(),
                                   "end_date": "", "level": level, "term_months": "", "note": "not a candidate"})
    return District(people, flags, retract)
