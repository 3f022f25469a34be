"""The console's catalogue: every message the console says through t() has its Chinese, with the same fields; the
catalogue holds nothing the console no longer says; and the help of every command is in Chinese under --lang zh."""

from __future__ import annotations

import ast
import contextlib
import io
import re
import string
from pathlib import Path

import pytest

from eligibility.console import i18n
from eligibility.console.main import build_parser
from eligibility.console.messages_zh import ZH

CONSOLE = Path(i18n.__file__).parent
ARGPARSE_STYLE = re.compile(r"%\((\w+)\)[sr]|%s")


def _said() -> dict[str, list[str]]:
    """Every literal message passed to t() (or a page's tr()) in the console: message -> where."""
    out: dict[str, list[str]] = {}
    for path in CONSOLE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "t" and node.args
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                out.setdefault(node.args[0].value, []).append(f"{path.name}:{node.lineno}")
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "tr"
                    and len(node.args) > 1 and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)):
                out.setdefault(node.args[1].value, []).append(f"{path.name}:{node.lineno}")  # a page's tr(request, "...")
    for path in CONSOLE.rglob("*.html"):  # the browser console's templates say _("...")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for said in re.findall(r'_\("([^"]+)"', line):
                out.setdefault(said, []).append(f"{path.name}:{n}")
    return out


def _fields(text: str) -> set[str]:
    if ARGPARSE_STYLE.search(text):
        return set(ARGPARSE_STYLE.findall(text))
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_message_has_its_chinese_with_the_same_fields() -> None:
    said = _said()
    assert len(said) > 250  # (the console speaks through the catalogue: a sanity floor, not a target)
    missing = {m: w for m, w in said.items() if m not in ZH}
    assert not missing, f"messages without Chinese: {missing}"
    wrong = {m: (sorted(_fields(m)), sorted(_fields(ZH[m]))) for m in said if _fields(m) != _fields(ZH[m])}
    assert not wrong, f"fields differ between English and Chinese: {wrong}"
    assert all(ZH[m].strip() for m in said)


def test_the_catalogue_holds_only_what_is_said() -> None:
    """An entry is used when some console source names it as a literal (t("...") or a word passed on to t()), or
    when argparse says it."""
    source = "\n".join(p.read_text(encoding="utf-8") for p in [*CONSOLE.rglob("*.py"), *CONSOLE.rglob("*.html")]
                        if p.name != "messages_zh.py")
    literals = {node.value for p in CONSOLE.rglob("*.py") if p.name != "messages_zh.py"
                for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
                if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    import argparse
    argparse_words = Path(argparse.__file__).read_text(encoding="utf-8")
    unused = [m for m in ZH if m not in literals and m.replace("\n", "\\n") not in argparse_words and m not in source]
    assert not unused, f"catalogue entries nothing says: {unused}"


@pytest.mark.parametrize("command", [[], ["round", "create"], ["flags", "submit"], ["audit", "verify"],
                                     ["template"], ["doctor"], ["appeal", "answer"]])
def test_help_is_chinese_under_lang_zh(command: list[str]) -> None:
    i18n.use("zh")
    try:
        out = io.StringIO()
        with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
            build_parser().parse_args([*command, "--help"])
        text = out.getvalue()
    finally:
        i18n.use("en")
    assert text.startswith("用法：") and "显示本帮助并退出" in text, text[:400]
    help_lines = [line for line in text.splitlines() if line.startswith("  ") and "  " in line.strip()]
    english = [line for line in help_lines if re.search(r"\s{2,}[a-z][a-z ,()']{12,}$", line)]
    assert not english, english


def test_every_row_error_the_intake_says_has_its_chinese() -> None:
    """Bad rows of every kind, checked by the real validators: each problem they report is translated whole."""
    from eligibility.console.i18n import row_error_zh
    from eligibility.intake.candidates import CandidateRow, validate_candidate
    from eligibility.intake.flags import FlagRow, validate_flag
    from eligibility.rules.loader import REPO_RULES, load_ruleset_file
    from eligibility.rules.vocabulary import load_vocabulary
    from tests.helpers import make_id
    rs, vocab = load_ruleset_file(REPO_RULES / "national-2021" / "ruleset.yaml"), load_vocabulary([REPO_RULES])
    good = make_id()
    flags = [dict(id_number="", name="", kind="", reference="", decided_on=""),
             dict(id_number="110105194912310021", kind="investigation", decided_on="2026/13/01"),
             dict(id_number="11010519491231002", kind="failed_kind", decided_on="0202-01-01"),
             dict(id_number="1101051949123100AX", kind="party_sanction", level="scolding", decided_on="2026-02-30"),
             dict(id_number="11010518000101001X", kind="investigation", level="warning", decided_on="x"),
             dict(id_number="１１０１０５１９４９\u200b１２３１００２Ｘ", kind="criminal_conviction", decided_on="2026-01-01"),
             dict(id_number="110105200002300013", kind="party_sanction", level="probation", term_months="7",
                  decided_on="2026-03-01", end_date="2026-01-01"),
             dict(id_number=good, kind="investigation", term_months="x", decided_on="2026-01-01", name="张\u200b三"),
             dict(id_number=good, kind="cult", term_months="5000", decided_on="2026-01-01", name="张" * 101)]
    said = [p.message for f in flags for p in validate_flag(rs, vocab, "discipline", FlagRow(row=3, **{
        "name": "张三", "reference": "R-1", **f})) or []]  # type: ignore[union-attr]
    candidates = [dict(position="村监委会主任", party_member="积极分子"), dict(position="党组织书记", party_member="")]
    said += [p.message for c in candidates for p in validate_candidate(rs, vocab, CandidateRow(row=4, id_number=good,
                                                                                              name="李四", **c))]  # type: ignore[union-attr]
    assert len(said) >= 20
    for message in said:
        text = re.sub(r"^row \d+: (\w+: )?", "", message)
        zh = row_error_zh(text)
        assert zh != text and not re.search(r"[a-z]{4,} [a-z]{3,}", zh), (message, zh)


def test_every_pattern_names_only_what_it_captures() -> None:
    from eligibility.console.messages_zh import ROW_ERRORS, SERVER_ERRORS
    for pattern, zh in [*ROW_ERRORS, *SERVER_ERRORS]:
        groups = set(re.compile(pattern).groupindex)
        named = set(re.findall(r"\\g<(\w+)>", zh))
        assert named <= groups and re.search(r"[\u4e00-\u9fff]", zh), (pattern, zh)


def test_the_report_and_table_words_exist_in_both_languages() -> None:
    """The words of reports and tables (console/labels.py, render.py) are keyed dicts: both languages, same keys."""
    from eligibility.console import labels, render
    for table in (labels.WORDS, labels.VERDICT, labels.OVERALL, labels.STATE, render.HEADS, render.CELL):
        assert set(table) == {"zh", "en"} and set(table["zh"]) == set(table["en"]), table
        assert all(str(v).strip() for lang in table.values() for v in lang.values())
