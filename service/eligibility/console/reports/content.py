"""What a report says, whatever its format: the rows (grouped by township and village), the reasons, the summary,
each agency's opinion with its handler and time, the signature block, and every time in the office's time zone."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from eligibility.console import labels
from eligibility.rules.vocabulary import Vocabulary

VERDICTS = ("PASS", "FAIL", "REVIEW", "PENDING")
RESULTS = ("ELIGIBLE", "INELIGIBLE", "NEEDS_REVIEW", "PENDING")
FILL = {"PASS": "C6EFCE", "FAIL": "FFC7CE", "REVIEW": "FFEB9C", "PENDING": "DDEBF7",
        "ELIGIBLE": "C6EFCE", "INELIGIBLE": "FFC7CE", "NEEDS_REVIEW": "FFEB9C"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
SIGNATURES = ("prepared_by", "reviewed_by", "approved_by", "date")
"""The signature block, left to right: 经办人, 审核人, 负责人, 日期 (and the seal beside it)."""


def safe_text(value: str) -> str:
    """Neutralise text a spreadsheet would run as a formula (=cmd|..., +, -, @): prefix an apostrophe."""
    return "'" + value if value.startswith(FORMULA_START) else value


def local_time(stamp: str, zone: ZoneInfo) -> str:
    """An RFC 3339 time (UTC, as recorded) in the zone, with its offset: "2026-12-04 19:11 +08:00"; "" stays ""."""
    if not stamp:
        return ""
    try:
        t = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    t = t.astimezone(zone)
    offset = t.strftime("%z")
    return f"{t:%Y-%m-%d %H:%M} {offset[:3]}:{offset[3:]}"


@dataclass(frozen=True)
class Opinion:
    """An agency's word on the round: attested (when, by whom, its opinion) or not yet, and its verdicts' counts."""

    agency: str
    label: str
    attested_at: str
    handler: str
    note: str
    counts: Counter[str]


@dataclass
class Report:
    """A round's report: its decisions in filing order and everything said about them."""

    decisions: list[dict[str, Any]]
    lang: str
    vocab: Vocabulary
    round: dict[str, Any]
    ruleset: str
    zone: ZoneInfo
    generated: str = ""
    per_candidate: bool = False
    """A PDF adds one page per candidate (the dossier)."""
    rows: list[list[str]] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        """Order the decisions, make the rows once (every format lays out the same)."""
        self.decisions = sorted(self.decisions, key=lambda d: (d["township"], d["village"], d.get("seq", 0)))
        self.generated = self.generated or local_time(datetime.now(UTC).isoformat(), self.zone)
        self.rows = [self._row(d, n) for n, d in enumerate(self.decisions, 1)]

    @property
    def words(self) -> dict[str, str]:
        """The report's words in its language."""
        return labels.WORDS[self.lang]

    @property
    def columns(self) -> tuple[str, ...]:
        """The verdict columns: the agencies, then the profile check."""
        return self.vocab.columns

    def header(self) -> list[str]:
        """The results table's header."""
        W, A = self.words, self.vocab.agency_labels(self.lang)
        return [W["seq"], W["township"], W["village"], W["name"], W["id_number"], W["position"],
                *(A[a] for a in self.columns), W["overall"], W["reason"]]

    def _row(self, d: dict[str, Any], n: int) -> list[str]:
        V, OV, P = labels.VERDICT[self.lang], labels.OVERALL[self.lang], self.vocab.position_labels(self.lang)
        return [str(n), d["township"], d["village"], d["name"], d["id_number"],
                "+".join(P.get(p, p) for p in d["positions"]),
                *(V.get(d["verdicts"].get(a, ""), "") for a in self.columns), OV.get(d["overall"], d["overall"]),
                "\n".join(self.reasons(d))]

    def reasons(self, d: dict[str, Any]) -> list[str]:
        """Why a candidate did not pass, then what the agencies verified (agency, handler, time, opinion)."""
        return [*labels.reason_lines(d, self.lang, self.vocab),
                *labels.resolution_lines(d, self.lang, self.vocab, lambda s: local_time(s, self.zone))]

    def agency_reasons(self, d: dict[str, Any]) -> dict[str, list[str]]:
        """Agency (or profile) -> the reasons and verifications of that agency's trace entries."""
        out: dict[str, list[str]] = {}
        for t in d["trace"]:
            one = {**d, "trace": [t]}
            lines = [*labels.reason_lines(one, self.lang, self.vocab),
                     *labels.resolution_lines(one, self.lang, self.vocab, lambda s: local_time(s, self.zone))]
            if lines:
                out.setdefault(t["agency"], []).extend(lines)
        return out

    def state(self) -> str:
        """The round's state in words (a concluded round's with its conclusion time, local)."""
        rnd = {**self.round, "concluded_at": local_time(self.round.get("concluded_at", ""), self.zone)}
        return labels.round_state(rnd, self.lang)

    def meta(self) -> list[tuple[str, str]]:
        """The lines under the title: round, reference date, ruleset, state, when it was made."""
        W = self.words
        return [(W["round"], f"{self.round['round_id']} {self.round['name']}"), (W["as_of"], self.round["as_of"]),
                (W["ruleset"], self.ruleset), (W["state"], self.state()), (W["generated"], self.generated)]

    def summary(self) -> dict[str, Any]:
        """Counts per agency and verdict, per township and result, per result."""
        return {
            "by_agency": {a: Counter(d["verdicts"].get(a) for d in self.decisions) for a in self.columns},
            "by_township": {t: Counter(d["overall"] for d in self.decisions if d["township"] == t)
                            for t in sorted({d["township"] for d in self.decisions})},
            "by_overall": Counter(d["overall"] for d in self.decisions),
        }

    def opinions(self) -> list[Opinion]:
        """Every agency of the round's ruleset, in the vocabulary's order: its attestation and its verdicts."""
        said = {a["agency"]: a for a in self.round.get("attestations", [])}
        by_agency = self.summary()["by_agency"]
        out = []
        for agency in self.vocab.agencies:
            a = said.get(agency, {})
            out.append(Opinion(agency, self.vocab.agency_label(agency, self.lang),
                               local_time(a.get("attested_at", ""), self.zone), a.get("handler", ""), a.get("note", ""),
                               by_agency.get(agency, Counter())))
        return out

    def opinion_heads(self) -> list[str]:
        """The heads of the agencies' opinions table."""
        W = self.words
        return [W[k][:1].upper() + W[k][1:] for k in ("agency", "verdicts", "opinion", "handler", "attested_at", "sign")]

    def signatures(self) -> list[str]:
        """The signature block's labels, each followed by the space to sign: "经办人：", ..., "Date: "."""
        colon = "：" if self.lang == "zh" else ": "
        return [f"{self.words[k]}{colon}" for k in SIGNATURES]

    def verdict_counts(self, counts: Counter[str]) -> str:
        """"通过 503, 不通过 3, 待核实 2" (only the verdicts there are)."""
        V = labels.VERDICT[self.lang]
        return ", ".join(f"{V[v]} {counts[v]}" for v in VERDICTS if counts.get(v))
