"""Output for people (rich tables) and machines (JSON Lines) from API messages."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable
from typing import Any

import orjson
from google.protobuf.json_format import MessageToDict
from rich.console import Console
from rich.table import Table

from eligibility.console import labels
from eligibility.engine.model import AGENCY_ORDER, PROFILE
from eligibility.errors import RecordError
from eligibility.ledger.codec import logged_result
from eligibility.v1 import eligibility_pb2 as pb

SHORT = {"discipline": "DIS", "court": "CRT", "procuratorate": "PRO", "police": "POL", "justice": "JUS",
         "civil_affairs": "CIV", "religious_affairs": "REL", "petition": "PET", PROFILE: "PRF"}
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
            import time
            self._t0 = time.monotonic()

    def __enter__(self) -> Progress:
        """Start showing."""
        if self._bar:
            self._bar.start()
        return self

    def advance(self, n: int) -> None:
        """Count n more items."""
        if self._bar:
            import time
            self._done += n
            rate = self._done / max(time.monotonic() - self._t0, 1e-6)
            self._bar.update(self._task, advance=n, rate=f"{rate:,.0f}")

    def __exit__(self, *exc: object) -> None:
        """Stop showing."""
        if self._bar:
            self._bar.stop()


def jsonl(obj: Any) -> None:
    """Print one JSON line."""
    sys.stdout.write(orjson.dumps(obj).decode() + "\n")


def enum_name(enum: Any, value: int, prefix: str) -> str:
    """VERDICT_PASS -> PASS."""
    return str(enum.Name(value)).removeprefix(prefix)


def decision_dict(d: pb.Decision) -> dict[str, Any]:
    """A decision as a JSON object (ID masked)."""
    return {
        "decision_id": d.decision_id, "round_id": d.round_id, "seq": d.seq, "leaf_index": d.leaf_index,
        "recorded_at": d.recorded_at,
        "as_of": d.as_of, "ruleset": d.ruleset_name, "ruleset_hash": d.ruleset_hash,
        "engine_version": d.engine_version, "name": d.candidate.name, "id_number": d.candidate.id_number_masked,
        "village": d.candidate.village, "township": d.candidate.township, "positions": list(d.candidate.positions),
        "overall": enum_name(pb.Overall, d.overall, "OVERALL_"),
        "verdicts": {v.agency: enum_name(pb.Verdict, v.verdict, "VERDICT_") for v in d.verdicts},
        "trace": [trace_dict(t) for t in d.trace],
    }


class NamedResults:
    """The shared results that records name by hash ("result_sha256"), as a stream sends them.

    Each result's hash is computed here from what was received, so a record is only ever joined
    to the result that its hash names.
    """

    def __init__(self) -> None:
        """None yet."""
        self._by_name: dict[str, dict[str, Any]] = {}

    def add(self, entries: Iterable[bytes]) -> None:
        """Keep the results of these "result" log entries."""
        for entry in entries:
            name, result = logged_result(entry)
            self._by_name[name] = result

    def of(self, record: dict[str, Any]) -> dict[str, Any]:
        """The result a decision record holds or names."""
        if "result" in record:
            return record["result"]  # type: ignore[no-any-return]
        found = self._by_name.get(record["result_sha256"])
        if found is None:
            raise RecordError(f"decision {record['decision_id']} names result {record['result_sha256'][:16]}..., "
                              "which was not sent with it")
        return found


_NO_NAMED_RESULTS = NamedResults()


def decision_dict_from_entry(entry: bytes, results: NamedResults = _NO_NAMED_RESULTS) -> dict[str, Any]:
    """A decision as a JSON object, from its logged entry (the same shape as decision_dict); the shared
    result it may name is taken from results."""
    e = orjson.loads(entry)
    r = e["body"]
    c = r["inputs"]["candidate"]
    result = results.of(r)
    return {
        "decision_id": r["decision_id"], "round_id": r["round_id"], "seq": 0, "leaf_index": e["index"],
        "recorded_at": r["recorded_at"], "as_of": r["as_of"], "ruleset": r["ruleset_name"],
        "ruleset_hash": r["ruleset_hash"], "engine_version": r["engine_version"], "name": c["name"],
        "id_number": c["id_masked"], "village": c["village"], "township": c["township"], "positions": c["positions"],
        "overall": result["overall"], "verdicts": result["verdicts"], "trace": result["trace"],
    }


def trace_dict(t: pb.TraceEntry) -> dict[str, Any]:
    """A trace entry as a JSON object."""
    out = MessageToDict(t, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)
    out["verdict"] = enum_name(pb.Verdict, t.verdict, "VERDICT_")
    return out


def message_dict(m: Any) -> dict[str, Any]:
    """Any message as a JSON object with proto field names."""
    return MessageToDict(m, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)


CELL = {"PASS": "pass", "FAIL": "FAIL", "REVIEW": "REVIEW", "PENDING": "pending", "ELIGIBLE": "ELIGIBLE",
        "INELIGIBLE": "INELIGIBLE", "NEEDS_REVIEW": "NEEDS_REVIEW"}


def _cell(v: str) -> str:
    return f"[{COLOUR.get(v, 'white')}]{CELL.get(v, v)}[/]"


def verdict_table(decisions: Iterable[dict[str, Any]], title: str) -> Table:
    """The per-candidate, per-agency verdict table."""
    table = Table(title=title, show_lines=False, header_style="bold")
    for col in ("#", "township", "village", "name", "id_number", "position"):
        table.add_column(col, no_wrap=True)
    for a in (*AGENCY_ORDER, PROFILE):
        table.add_column(SHORT[a], no_wrap=True)
    table.add_column("overall", no_wrap=True)
    for i, d in enumerate(decisions, 1):
        table.add_row(str(i), d["township"], d["village"], d["name"], d["id_number"], "+".join(d["positions"]),
                      *(_cell(d["verdicts"].get(a, "")) for a in (*AGENCY_ORDER, PROFILE)), _cell(d["overall"]))
    return table


def summary_table(decisions: list[dict[str, Any]]) -> Table:
    """Counts per overall result and per agency verdict."""
    table = Table(title="summary", header_style="bold")
    table.add_column("")
    for v in ("PASS", "FAIL", "REVIEW", "PENDING"):
        table.add_column(v, justify="right")
    for a in (*AGENCY_ORDER, PROFILE):
        c = Counter(d["verdicts"].get(a) for d in decisions)
        table.add_row(a, *(str(c[v]) for v in ("PASS", "FAIL", "REVIEW", "PENDING")))
    overall = Counter(d["overall"] for d in decisions)
    table.add_section()
    table.add_row("overall", f"ELIGIBLE {overall['ELIGIBLE']}", f"INELIGIBLE {overall['INELIGIBLE']}",
                  f"NEEDS_REVIEW {overall['NEEDS_REVIEW']}", f"PENDING {overall['PENDING']}")
    return table


def explain(d: dict[str, Any], lang: str = "en") -> list[str]:
    """A decision's trace in plain lines, in Chinese or English: why, and for each PASS what was checked."""
    zh = lang == "zh"
    A, V, OV = labels.AGENCY[lang], labels.VERDICT[lang], labels.OVERALL[lang]
    head = (f"决定 {d['decision_id']}  批次 {d['round_id'] or '(单独核查)'}  基准日 {d['as_of']}  "
            f"规则 {d['ruleset']}@{d['ruleset_hash'][:12]}  引擎 {d['engine_version']}" if zh else
            f"decision {d['decision_id']}  round {d['round_id'] or '(ad hoc)'}  as_of {d['as_of']}  "
            f"ruleset {d['ruleset']}@{d['ruleset_hash'][:12]}  engine {d['engine_version']}")
    lines = [head,
             f"{'候选人' if zh else 'candidate'} {d['name']} {d['id_number']}  {d['township']} {d['village']}  "
             + "+".join(labels.POSITION[lang].get(p, p) for p in d["positions"]),
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
