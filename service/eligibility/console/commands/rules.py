"""Rule commands: lint and test rule files locally; list rulesets and show a rule (the server's with --as)."""

from __future__ import annotations

import argparse
from typing import Any

from eligibility.console import render
from eligibility.console.client import dicts
from eligibility.console.common import Add, as_json, config, rules_dirs, session, vocabulary
from eligibility.console.i18n import t
from eligibility.engine.evaluator import Evaluator
from eligibility.engine.golden import coverage_problems, load_cases, run_case
from eligibility.errors import EligibilityError, NotFoundError
from eligibility.rules.loader import discover, load_ruleset_file
from eligibility.rules.schema import Ruleset
from eligibility.rules.vocabulary import Vocabulary


def cmd_rules_lint(args: argparse.Namespace) -> int:
    """Check rule files."""
    bad = 0
    for d in rules_dirs(args):
        paths = discover(d) if d.is_dir() and not (d / "ruleset.yaml").exists() else [d / "ruleset.yaml" if d.is_dir() else d]
        for path in paths:
            try:
                rs = load_ruleset_file(path)
                cases = path.parent / "cases.yaml"
                n = len(load_cases(cases).cases) if cases.exists() else 0
                print(t("ok   {ruleset}  {rules} rules, {profile} profile checks, {cases} golden cases  ({path})",
                        ruleset=rs.label, rules=len(rs.rules), profile=len(rs.profile), cases=n, path=path))
            except Exception as e:  # noqa: BLE001 - report every broken file, keep going
                bad += 1
                print(f"{t('FAIL')} {path}: {e}")
    return 1 if bad else 0


def cmd_rules_test(args: argparse.Namespace) -> int:
    """Run the golden cases."""
    evaluator = Evaluator()
    failed = total = 0
    for d in rules_dirs(args):
        for path in (discover(d) if not (d / "ruleset.yaml").exists() else [d / "ruleset.yaml"]):
            rs = load_ruleset_file(path)
            cases_path = path.parent / "cases.yaml"
            cases = load_cases(cases_path).cases if cases_path.exists() else []
            for case in cases:
                total += 1
                problems = run_case(rs, evaluator, case)
                if problems:
                    failed += 1
                    print(f"{t('FAIL')} {rs.name}: {case.name}: {'; '.join(problems)}")
                elif args.verbose:
                    print(f"{t('ok     ')}{rs.name}: {case.name}")
            for p in coverage_problems(rs, cases):
                failed += 1
                print(t("{fail} {ruleset}: coverage: {problem}", fail=t("FAIL"), ruleset=rs.name, problem=p))
            print(t("{ruleset}: {n} cases", ruleset=rs.label, n=len(cases)))
    print(t("{passed} of {total} golden cases passed; {failed} failure(s)", passed=total - min(failed, total), total=total,
            failed=failed))
    return 1 if failed else 0


def _local(args: argparse.Namespace) -> tuple[list[Ruleset], str]:
    """Rulesets from the home's (or the shipped) rule directories, without a server, and the default's name."""
    found = [load_ruleset_file(p) for d in rules_dirs(args) for p in discover(d)]
    try:
        default = config(args).default_ruleset
    except EligibilityError:
        default = "national-2021"
    return found, default


def words(rs: Ruleset, vocab: Vocabulary) -> list[dict[str, Any]]:
    """What a file may write for each kind (per agency), level, position and party membership: the vocabulary's and
    the ruleset's words, one entry per code."""
    out: list[dict[str, Any]] = []
    for agency in rs.agencies:
        for kind in dict.fromkeys(rs.kinds_of(agency)):
            k = vocab.kinds.get(kind)
            rule = rs.by_kind[kind]
            out.append({"column": "类型", "agency": agency, "code": kind, "words": list(k.words) if k else []})
            if rule.level_aliases:
                out.append({"column": "等级", "agency": agency, "kind": kind, "code": "",
                            "words": [f"{w}={lvl}" for w, lvl in rule.level_aliases.items()]})
    for code, p in vocab.positions.items():
        out.append({"column": "拟任职务", "code": code, "words": [p.zh, *p.aliases]})
    for word, group in vocab.position_groups.items():
        out.append({"column": "拟任职务", "code": "+".join(group), "words": [word]})
    out.append({"column": "拟任职务", "code": "(separators)", "words": list(vocab.position_separators)})
    out.append({"column": "是否党员/政治面貌", "code": "yes", "words": list(vocab.party_member.yes)})
    out.append({"column": "是否党员/政治面貌", "code": "no", "words": list(vocab.party_member.no)})
    return out


def cmd_rules_list(args: argparse.Namespace) -> int:
    """With --as: what the server has loaded; without: what the rule directories hold (--words: the words a file may
    use for kinds, levels, positions and party membership)."""
    if getattr(args, "words", False):
        found, default = _local(args)
        rs = {r.name: r for r in found}.get(args.ruleset or default) or found[0]
        for w in words(rs, vocabulary(args)):
            if as_json(args):
                render.jsonl(w)
            else:
                where = f"{w['agency']} " if w.get("agency") else ""
                code = w["code"] or t("levels of {kind}", kind=w["kind"])
                joined = ("  " if w["code"] == "(separators)" else "、").join(w["words"])
                print(f"{w['column']:<8} {where}{code}: {joined or t('(its code only)')}")
        return 0
    rulesets: list[dict[str, Any]]
    if not args.role:
        found, default = _local(args)
        rulesets = [dicts.ruleset_dict(rs, rs.name == default) for rs in found]
    else:
        with session(args) as s:
            rulesets = s.rulesets()
    for r in rulesets:
        if as_json(args):
            render.jsonl(r)
        else:
            print(t("{name}@{hash}  v{version}  {rules} rules", name=r["name"], hash=r["hash"][:12], version=r["version"],
                    rules=r["rules"]) + (t("  (default)") if r["is_default"] else "") + f"  {r['title']}")
    return 0


def cmd_rules_show(args: argparse.Namespace) -> int:
    """With --as: from the server; without: from the rule directories."""
    if not args.role:
        found, default = _local(args)
        by_name = {rs.name: rs for rs in found}
        rs = by_name.get(args.ruleset or default)
        rule = rs.by_id.get(args.rule) if rs else None
        if rs is None or rule is None:
            raise NotFoundError(t("no rule {rule!r} in ruleset {ruleset}", rule=args.rule, ruleset=args.ruleset or default))
        r = dicts.rule_dict(rs, rule, vocabulary(args))
    else:
        with session(args) as s:
            r = s.rule(args.rule, args.ruleset or "")
    if as_json(args):
        render.jsonl(r)
    else:
        print(t("{rule}  [{agency}] kind {kind}  effect {effect}", rule=r["rule_id"], agency=r["agency"], kind=r["kind"],
                effect=r["effect"]))
        print(f"  {r['title_zh']}\n  {r['title_en']}\n" + t("  citation: {citation}", citation=r["citation"]))
        print(t("  window: {window}", window=r["window"] or "-") + "\n" + t("  effective {start} .. {end}",
              start=r["effective_from"], end=r["effective_to"] or t("(no end)")))
        if r.get("kind_words"):
            print(t("  类型 may be written: {words}", words=", ".join([r["kind"], *r["kind_words"]])))
        if r.get("level_words"):
            print(t("  等级 may be written: {words}", words=", ".join(f"{w} ({lvl})" for w, lvl in r["level_words"].items())))
        print(t("  ruleset {hash}", hash=r["ruleset_hash"][:12]))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], add: Add) -> None:
    """The rules commands."""
    rules = sub.add_parser("rules", help=t("rulesets")).add_subparsers(dest="sub", required=True)
    sp = add(rules, "list", cmd_rules_list, t("rulesets with their hashes (the server's with --as, else local)"))
    sp.add_argument("--words", action="store_true",
                    help=t("the words a file may use for kinds, levels, positions and party membership (local)"))
    sp.add_argument("--ruleset")
    sp = add(rules, "show", cmd_rules_show, t("show a rule (from the server with --as, else local)"))
    sp.add_argument("rule")
    sp.add_argument("--ruleset")
    sp = add(rules, "lint", cmd_rules_lint, t("check rule files (local, no server)"))
    sp.add_argument("path", nargs="?")
    sp = add(rules, "test", cmd_rules_test, t("run the golden cases (local, no server)"))
    sp.add_argument("path", nargs="?")
    sp.add_argument("-v", "--verbose", action="store_true")
