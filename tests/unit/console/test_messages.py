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
    """Every literal message passed to t() in the console: message -> where."""
    out: dict[str, list[str]] = {}
    for path in CONSOLE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "t" and node.args
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                out.setdefault(node.args[0].value, []).append(f"{path.name}:{node.lineno}")
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
    source = "\n".join(p.read_text(encoding="utf-8") for p in CONSOLE.rglob("*.py") if p.name != "messages_zh.py")
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
