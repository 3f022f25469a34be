"""The terminal tables: they fit the terminal (80 columns: each candidate's non-pass verdicts in one wrapped column;
150 and more: one column per agency), a large round lists its problems and says how many it left out, and the words
follow the language."""

from __future__ import annotations

import io

import orjson
import pytest
from rich.console import Console

from eligibility.console import render
from eligibility.rules.loader import REPO_RULES
from eligibility.rules.vocabulary import load_vocabulary

VOCAB = load_vocabulary([REPO_RULES])


def _decision(n: int, overall: str = "ELIGIBLE", **verdicts: str) -> dict:  # type: ignore[type-arg]
    v = {a: "PASS" for a in VOCAB.columns} | verdicts
    return {"township": "转塘街道", "village": f"龙坞村{n}", "name": f"候选人{n}", "id_number": "330106********0012",
            "positions": ["party_secretary", "vc_director"], "verdicts": v, "overall": overall}


def _render(table: object, width: int) -> list[str]:
    out = io.StringIO()
    Console(file=out, width=width, highlight=False, color_system=None).print(table)
    return out.getvalue().splitlines()


def test_a_narrow_terminal_gets_one_wrapped_column_of_problems() -> None:
    shown = render.Shown(VOCAB, every_row=False)
    shown.add(_decision(1, "INELIGIBLE", court="FAIL", petition="REVIEW"))
    shown.add(_decision(2))
    lines = _render(render.verdict_table(shown, "round R-1", "en", width=80), 80)
    assert all(len(line) <= 80 for line in lines), lines
    text = "\n".join(lines)
    assert "Court FAIL" in text and "Petition" in text and "REVIEW" in text and "候选人2" in text  # a small round: all
    zh = "\n".join(_render(render.verdict_table(shown, "批次 R-1", "zh", width=80), 80))
    assert "法院 不通过" in zh and "信访 待核实" in zh and "联审结论" in zh and "不符合" in zh


def test_a_wide_terminal_gets_one_column_per_agency() -> None:
    shown = render.Shown(VOCAB, every_row=True)
    shown.add(_decision(1, "INELIGIBLE", court="FAIL"))
    lines = _render(render.verdict_table(shown, "round R-1", "en", width=170), 170)
    header = next(line for line in lines if "CRT" in line)
    assert all(render_short in header for render_short in ("DIS", "CRT", "PET", "PRF"))
    assert "FAIL" in "\n".join(lines) and all(len(line) <= 170 for line in lines)


def test_a_large_round_lists_its_problems_and_counts_everyone() -> None:
    shown = render.Shown(VOCAB, every_row=False)
    for n in range(1, 1001):
        shown.add(_decision(n, "NEEDS_REVIEW", petition="REVIEW") if n % 100 == 0 else _decision(n))
    assert shown.total == 1000 and [r["n"] for r in shown.listed] == list(range(100, 1001, 100))
    assert shown.not_listed() == 990 and shown.overall["ELIGIBLE"] == 990 and shown.by_agency["petition"]["REVIEW"] == 10
    summary = "\n".join(_render(render.summary_table(shown, "zh"), 100))
    assert "汇总" in summary and "符合 990" in summary and "待核实 10" in summary
    every = render.Shown(VOCAB, every_row=True)
    for n in range(1, 101):
        every.add(_decision(n))
    assert len(every.listed) == 100 and every.not_listed() == 0


@pytest.mark.parametrize("text", ["a\x85b", "x\u2028y\u2029z", "中文\u2028", "名\u2029", "plain", "中‧文 “引号”"])
def test_a_json_line_is_one_line_whatever_its_strings_hold(text: str) -> None:
    """The characters that split lines for str.splitlines and JavaScript (NEL, LINE and PARAGRAPH SEPARATOR) are
    escaped inside strings; the line still parses back to the same text."""
    line = render.json_text({"name": text, "trace": [{"detail": text}]})
    assert line.endswith("\n") and len(line.splitlines()) == 1
    assert not {"\x85", "\u2028", "\u2029"} & set(line)
    assert orjson.loads(line) == {"name": text, "trace": [{"detail": text}]}
