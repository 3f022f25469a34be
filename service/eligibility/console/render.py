"""Output for people (rich tables, explanations) and machines (JSON Lines), from the client's dicts."""

from __future__ import annotations

import re
import sys
import time
from collections import Counter
from collections.abc import Iterable
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

from eligibility.console import labels
from eligibility.rules.vocabulary import Vocabulary

COLOUR = {"PASS": "green", "FAIL": "bold red", "REVIEW": "yellow", "PENDING": "cyan",
          "ELIGIBLE": "green", "INELIGIBLE": "bold red", "NEEDS_REVIEW": "yellow"}
console = Console(highlight=False, soft_wrap=False)
if not console.is_terminal or console.width < 150:
    console = Console(highlight=False, soft_wrap=False, width=170)


class Progress:
    """A progress bar with counts and rate on a terminal; silent when piped or with --format json."""

    def __init__(self, label: str, total: int | None, enabled: bool) -> None:
        """Show a bar for label if enabled and stderr is a terminal."""
        from rich.progress import BarColumn, MofNCompleteColumn, TaskProgressColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as RichProgress
        err = Console(stderr=True)
        self._bar: Any = None
        if enabled and err.is_terminal:
            self._bar = RichProgress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                     TaskProgressColumn(), TextColumn("{task.fields[rate]}/s"), TimeElapsedColumn(),
                                     console=err, transient=True)
            self._task = self._bar.add_task(label, total=total, rate="-")
            self._done = 0
            self._t0 = time.monotonic()

    def set_total(self, total: int) -> None:
        """The number of items, once it is known."""
        if self._bar:
            self._bar.update(self._task, total=total)

    def __enter__(self) -> Progress:
        """Start showing."""
        if self._bar:
            self._bar.start()
        return self

    def advance(self, n: int) -> None:
        """Count n more items."""
        if self._bar:
            self._done += n
            rate = self._done / max(time.monotonic() - self._t0, 1e-6)
            self._bar.update(self._task, advance=n, rate=f"{rate:,.0f}")

    def __exit__(self, *exc: object) -> None:
        """Stop showing."""
        if self._bar:
            self._bar.stop()


# Characters that tools splitting text into lines treat as line ends (Python's str.splitlines, JavaScript's line
# terminators) and that JSON allows unescaped inside a string (orjson escapes the C0 controls itself): escaped, so
# that one record is always one line.
_LINE_BREAKING = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_BREAKS = re.compile("[\x85\u2028\u2029]")


def jsonl(obj: Any) -> None:
    """Print one JSON line (a line separator inside a string escaped: one record, one line)."""
    text = orjson.dumps(obj).decode()
    if _BREAKS.search(text):
        text = _BREAKS.sub(lambda m: _LINE_BREAKING[m.group()], text)
    sys.stdout.write(text + "\n")


CELL = {"PASS": "pass", "FAIL": "FAIL", "REVIEW": "REVIEW", "PENDING": "pending", "ELIGIBLE": "ELIGIBLE",
        "INELIGIBLE": "INELIGIBLE", "NEEDS_REVIEW": "NEEDS_REVIEW"}


def _cell(v: str) -> str:
    return f"[{COLOUR.get(v, 'white')}]{CELL.get(v, v)}[/]"


def verdict_table(decisions: Iterable[dict[str, Any]], title: str, vocab: Vocabulary) -> Table:
    """The per-candidate, per-agency verdict table."""
    table = Table(title=title, show_lines=False, header_style="bold")
    for col in ("#", "township", "village", "name", "id_number", "position"):
        table.add_column(col, no_wrap=True)
    for a in vocab.columns:
        table.add_column(vocab.short(a), no_wrap=True)
    table.add_column("overall", no_wrap=True)
    for i, d in enumerate(decisions, 1):
        table.add_row(str(i), d["township"], d["village"], d["name"], d["id_number"], "+".join(d["positions"]),
                      *(_cell(d["verdicts"].get(a, "")) for a in vocab.columns), _cell(d["overall"]))
    return table


def summary_table(decisions: list[dict[str, Any]], vocab: Vocabulary) -> Table:
    """Counts per overall result and per agency verdict."""
    table = Table(title="summary", header_style="bold")
    table.add_column("")
    for v in ("PASS", "FAIL", "REVIEW", "PENDING"):
        table.add_column(v, justify="right")
    for a in vocab.columns:
        c = Counter(d["verdicts"].get(a) for d in decisions)
        table.add_row(a, *(str(c[v]) for v in ("PASS", "FAIL", "REVIEW", "PENDING")))
    overall = Counter(d["overall"] for d in decisions)
    table.add_section()
    table.add_row("overall", f"ELIGIBLE {overall['ELIGIBLE']}", f"INELIGIBLE {overall['INELIGIBLE']}",
                  f"NEEDS_REVIEW {overall['NEEDS_REVIEW']}", f"PENDING {overall['PENDING']}")
    return table


def explain(d: dict[str, Any], lang: str, vocab: Vocabulary) -> list[str]:
    """A decision's trace in plain lines, in Chinese or English: why, and for each PASS what was checked."""
    zh = lang == "zh"
    A, V, OV = vocab.agency_labels(lang), labels.VERDICT[lang], labels.OVERALL[lang]
    head = (f"决定 {d['decision_id']}  批次 {d['round_id'] or '(单独核查)'}  基准日 {d['as_of']}  "
            f"规则 {d['ruleset']}@{d['ruleset_hash'][:12]}  引擎 {d['engine_version']}" if zh else
            f"decision {d['decision_id']}  round {d['round_id'] or '(ad hoc)'}  as_of {d['as_of']}  "
            f"ruleset {d['ruleset']}@{d['ruleset_hash'][:12]}  engine {d['engine_version']}")
    lines = [head,
             f"{'候选人' if zh else 'candidate'} {d['name']} {d['id_number']}  {d['township']} {d['village']}  "
             + "+".join(vocab.position_label(p, lang) for p in d["positions"]),
             f"{'联审结论' if zh else 'overall'}: {OV.get(d['overall'], d['overall'])}"]
    for t in d["trace"]:
        title = t["title_zh"] if zh else t["title_en"]
        head = f"  [{A.get(t['agency'], t['agency'])}] {V.get(t['verdict'], t['verdict'])}  {t['rule_id']}"
        if title:
            head += f" - {title}"
        lines.append(head)
        if t["citation"]:
            lines.append(f"      {'依据' if zh else 'citation'}: {t['citation']}")
        for f in t["flags"]:
            lines.append(f"      {'记录' if zh else 'flag'}: {A.get(f['agency'], f['agency'])} {'文号' if zh else 'ref'} "
                         f"{f['reference']} (v{f['version']}) {f['kind']} {f['level']} "
                         f"{'决定日期' if zh else 'decided'} {f['decided_on']}"
                         + (f" {'结束' if zh else 'end'} {f['end_date']}" if f["end_date"] else ""))
        window = labels.window_text(t, lang)
        if window:
            lines.append(f"      {window}")
        if t["effect"] == "name_conflict" and zh:
            lines.append("      记录上的姓名与候选人姓名不一致（身份证号相同），需人工核实；仅凭此记录不能判定不通过")
        elif t["verdict"] == "PASS" and t["rule_id"] == "ATTESTED" and zh:
            when = t["detail"].split(" at ")[-1].split(";")[0]
            lines.append(f"      已核查：{A.get(t['agency'])}已确认审核本批次，无有效记录（确认时间 {when}）")
        elif t["verdict"] == "PENDING" and zh:
            lines.append(f"      {A.get(t['agency'])}尚未反馈审核意见")
        elif t["verdict"] == "PASS" and t["rule_id"] == "PROFILE-CHECKED" and zh:
            lines.append("      已核查年龄（满十八周岁）及党组织职务的党员身份")
        elif t["detail"]:
            lines.append(f"      {t['detail']}")
    return lines
