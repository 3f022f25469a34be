"""Output for people (rich tables, explanations) and machines (JSON Lines), from the client's dicts."""

from __future__ import annotations

import sys
import time
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from rich.console import Console
from rich.table import Table

from eligibility.console import labels
from eligibility.console.i18n import t
from eligibility.rules.vocabulary import Vocabulary

COLOUR = {"PASS": "green", "FAIL": "bold red", "REVIEW": "yellow", "PENDING": "cyan",
          "ELIGIBLE": "green", "INELIGIBLE": "bold red", "NEEDS_REVIEW": "yellow"}
console = Console(highlight=False, soft_wrap=False)
if not console.is_terminal:  # a pipe or a file: the full grid, one line per row
    console = Console(highlight=False, soft_wrap=False, width=170)
GRID_WIDTH = 150
"""A terminal at least this wide shows one column per agency; a narrower one lists each candidate's non-pass verdicts
in one column that rich wraps (nothing is cut through)."""
SMALL = 50
"""A table command lists every row of a round this small; of a larger one, the rows that are not ELIGIBLE (--all:
every row)."""


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
# that one record is always one line. Looked for one character at a time in the decoded line (a fast scan; a pattern
# over a ~5 KB line, which a screening writes per candidate, took longer than making the line).
_LINE_BREAKING = {0x85: "\\u0085", 0x2028: "\\u2028", 0x2029: "\\u2029"}


def json_text(obj: Any) -> str:
    """One JSON line, newline included (a line separator inside a string escaped: one record, one line)."""
    text = orjson.dumps(obj, option=orjson.OPT_APPEND_NEWLINE).decode()
    if not text.isascii() and ("\x85" in text or "\u2028" in text or "\u2029" in text):
        text = text.translate(_LINE_BREAKING)
    return text


def jsonl(obj: Any) -> None:
    """Print one JSON line (see json_text)."""
    sys.stdout.write(json_text(obj))


CELL = {"en": {"PASS": "pass", "FAIL": "FAIL", "REVIEW": "REVIEW", "PENDING": "pending", "ELIGIBLE": "ELIGIBLE",
               "INELIGIBLE": "INELIGIBLE", "NEEDS_REVIEW": "NEEDS_REVIEW"},
        "zh": {**labels.VERDICT["zh"], **labels.OVERALL["zh"]}}
HEADS = {"en": {"#": "#", "township": "township", "village": "village", "name": "name", "id_number": "id_number",
                "position": "position", "overall": "overall", "not_passed": "not passed", "summary": "summary",
                "where": "township / village"},
         "zh": {"#": "序号", "township": "乡镇(街道)", "village": "村(社区)", "name": "姓名", "id_number": "身份证号",
                "position": "拟任职务", "overall": "联审结论", "not_passed": "未通过的单位", "summary": "汇总",
                "where": "乡镇 / 村"}}


def _cell(v: str, lang: str) -> str:
    return f"[{COLOUR.get(v, 'white')}]{CELL[lang].get(v, v)}[/]"


class Shown:
    """What a table command shows of a round's decisions, streamed: counts of every one, and the rows to list (every
    row of a small round or with --all; else those not ELIGIBLE), kept small (a million decisions are not held)."""

    def __init__(self, vocab: Vocabulary, every_row: bool) -> None:
        """Nothing counted yet."""
        self.vocab, self.every_row = vocab, every_row
        self.total = 0
        self.by_agency: dict[str, Counter[str]] = {a: Counter() for a in vocab.columns}
        self.overall: Counter[str] = Counter()
        self.rows: list[dict[str, Any]] = []
        self._first: list[dict[str, Any]] = []

    def add(self, d: dict[str, Any]) -> None:
        """Count a decision and keep it if it is to be listed."""
        self.total += 1
        for a in self.vocab.columns:
            self.by_agency[a][d["verdicts"].get(a)] += 1
        self.overall[d["overall"]] += 1
        row = {"n": self.total, **{k: d[k] for k in ("township", "village", "name", "id_number", "positions",
                                                     "verdicts", "overall")}}
        if self.every_row or d["overall"] != "ELIGIBLE":
            self.rows.append(row)
        elif self.total <= SMALL:
            self._first.append(row)

    @property
    def listed(self) -> list[dict[str, Any]]:
        """The rows to list, in the round's order."""
        if self.every_row or self.total > SMALL:
            return self.rows
        return sorted(self.rows + self._first, key=lambda r: int(r["n"]))

    def not_listed(self) -> int:
        """How many candidates the table leaves out."""
        return self.total - len(self.listed)


def verdict_table(shown: Shown, title: str, lang: str = "en", width: int | None = None) -> Table:
    """The candidates listed: one column per agency on a wide terminal, else each one's non-pass verdicts together."""
    vocab, H = shown.vocab, HEADS[lang]
    table = Table(title=title, show_lines=False, header_style="bold")
    grid = (width or console.width) >= GRID_WIDTH
    table.add_column(H["#"], no_wrap=True, justify="right")
    if grid:
        for col in ("township", "village", "name", "id_number", "position"):
            table.add_column(H[col], no_wrap=True, overflow="ellipsis", max_width=18)
        for a in vocab.columns:
            table.add_column(vocab.short(a) if lang == "en" else vocab.agency_label(a, "zh")[:2], no_wrap=True)
    else:
        table.add_column(H["where"], overflow="fold", ratio=2)
        table.add_column(H["name"], overflow="fold", ratio=1)
        table.add_column(H["id_number"], no_wrap=True, min_width=18)
    table.add_column(H["overall"], no_wrap=True)
    if not grid:
        table.add_column(H["not_passed"], overflow="fold", ratio=3)
    P = vocab.position_labels(lang)
    for d in shown.listed:
        if grid:
            table.add_row(str(d["n"]), d["township"], d["village"], d["name"], d["id_number"],
                          "+".join(P.get(p, p) for p in d["positions"]),
                          *(_cell(d["verdicts"].get(a, ""), lang) for a in vocab.columns), _cell(d["overall"], lang))
        else:
            others = ", ".join(f"{vocab.agency_label(a, lang)} {_cell(v, lang)}" for a in vocab.columns
                               if (v := d["verdicts"].get(a, "")) != "PASS")
            table.add_row(str(d["n"]), f"{d['township']} {d['village']}", d["name"], d["id_number"],
                          _cell(d["overall"], lang), others)
    return table


def summary_table(shown: Shown, lang: str = "en") -> Table:
    """Counts per overall result and per agency verdict."""
    table = Table(title=HEADS[lang]["summary"], header_style="bold")
    table.add_column("")
    V = CELL[lang]
    for v in ("PASS", "FAIL", "REVIEW", "PENDING"):
        table.add_column(v if lang == "en" else V[v], justify="right")
    for a in shown.vocab.columns:
        c = shown.by_agency[a]
        table.add_row(a if lang == "en" else shown.vocab.agency_label(a, "zh"),
                      *(str(c[v]) for v in ("PASS", "FAIL", "REVIEW", "PENDING")))
    o = shown.overall
    table.add_section()
    table.add_row(HEADS[lang]["overall"], *(f"{V[r] if lang == 'zh' else r} {o[r]}"
                                            for r in ("ELIGIBLE", "INELIGIBLE", "NEEDS_REVIEW", "PENDING")))
    return table


def show_decisions(shown: Shown, title: str, lang: str) -> None:
    """Print a round's decisions as people read them: the table of the rows listed, the summary, what was left out."""
    if shown.listed:
        console.print(verdict_table(shown, title.format(n=shown.total), lang))
    console.print(summary_table(shown, lang))
    left = shown.not_listed()
    if left:
        console.print(t("{n} ELIGIBLE candidate(s) not listed; --all lists every row", n=left))


RULE_WORDS = {"ATTESTED": "已确认", "NOT-ATTESTED": "未反馈", "PROFILE-CHECKED": "资格条件已核查", "RESOLVED": "已核实",
              "RESOLUTION-VOID": "核实意见失效", "STORE-MISMATCH": "存储与日志不一致", "ENGINE-DISAGREEMENT": "引擎结果不一致"}
"""How the Chinese explanation names the trace entries that are not a rule of the list (the rules keep their ids)."""


def _local(stamp: str) -> str:
    from eligibility.console.reports.content import local_time
    return local_time(stamp, ZONE[0])


ZONE = [ZoneInfo("Asia/Shanghai")]
"""The zone people's times are shown in (the home's time_zone, set by the command)."""


def explain(d: dict[str, Any], lang: str, vocab: Vocabulary) -> list[str]:
    """A decision's trace in plain lines, in Chinese or English: why, and for each PASS what was checked. In Chinese,
    codes are words: kinds by their names, checks by what they did, times in the office's zone."""
    zh = lang == "zh"
    OV = labels.OVERALL[lang]
    head = (f"决定 {d['decision_id']}  批次 {d['round_id'] or '(单独核查)'}  基准日 {d['as_of']}  "
            f"规则 {d['ruleset']}@{d['ruleset_hash'][:12]}  引擎 {d['engine_version']}" if zh else
            f"decision {d['decision_id']}  round {d['round_id'] or '(ad hoc)'}  as_of {d['as_of']}  "
            f"ruleset {d['ruleset']}@{d['ruleset_hash'][:12]}  engine {d['engine_version']}")
    lines = [head,
             f"{'候选人' if zh else 'candidate'} {d['name']} {d['id_number']}  {d['township']} {d['village']}  "
             + "+".join(vocab.position_label(p, lang) for p in d["positions"]),
             f"{'联审结论' if zh else 'overall'}: {OV.get(d['overall'], d['overall'])}"]
    for e in d["trace"]:
        lines += explain_entry(e, lang, vocab)
    return lines


def explain_entry(e: dict[str, Any], lang: str, vocab: Vocabulary) -> list[str]:
    """One trace entry in plain lines: the agency, verdict and rule, then its basis, records, window and what it means."""
    zh = lang == "zh"
    A, V = vocab.agency_labels(lang), labels.VERDICT[lang]
    lines: list[str] = []
    title = e["title_zh"] if zh else e["title_en"]
    rule = RULE_WORDS.get(e["rule_id"], e["rule_id"]) if zh else e["rule_id"]
    head = f"  [{A.get(e['agency'], e['agency'])}] {V.get(e['verdict'], e['verdict'])}  {rule}"
    if title:
        head += f" - {title}"
    lines.append(head)
    if e["citation"]:
        lines.append(f"      {'依据' if zh else 'citation'}: {e['citation']}")
    for f in e["flags"]:
        lines.append(f"      {'记录' if zh else 'flag'}: {A.get(f['agency'], f['agency'])} {'文号' if zh else 'ref'} "
                     f"{f['reference']} (v{f['version']}) {vocab.kind_label(f['kind'], lang) if zh else f['kind']} "
                     f"{f['level']} "
                     f"{'决定日期' if zh else 'decided'} {f['decided_on']}"
                     + (f" {'结束' if zh else 'end'} {f['end_date']}" if f["end_date"] else ""))
    window = labels.window_text(e, lang)
    if window:
        lines.append(f"      {window}")
    if e["effect"] == "name_conflict" and zh:
        lines.append("      记录上的姓名与候选人姓名不一致（身份证号相同），需人工核实；仅凭此记录不能判定不通过")
    elif e["verdict"] == "PASS" and e["rule_id"] == "ATTESTED" and zh:
        when = e["detail"].split(" at ")[-1].split(";")[0]
        lines.append(f"      已核查：{A.get(e['agency'])}已确认审核本批次，无有效记录（确认时间 {_local(when)}）")
    elif e["verdict"] == "PENDING" and zh:
        lines.append(f"      {A.get(e['agency'])}尚未反馈审核意见")
    elif e["verdict"] == "PASS" and e["rule_id"] == "PROFILE-CHECKED" and zh:
        lines.append("      已核查年龄（满十八周岁）及党组织职务的党员身份")
    elif e["detail"]:
        lines.append(f"      {e['detail']}")
    return lines
