"""Words people read, in Chinese (default for reports) and English: verdicts, results, report headings.

Agency and position names are the vocabulary's (rules/vocabulary.yaml)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eligibility.engine.resolutions import RESOLVED, described
from eligibility.rules.vocabulary import Vocabulary

VERDICT = {
    "zh": {"PASS": "通过", "FAIL": "不通过", "REVIEW": "待核实", "PENDING": "未反馈"},
    "en": {"PASS": "Pass", "FAIL": "Fail", "REVIEW": "Review", "PENDING": "No reply"},
}
OVERALL = {
    "zh": {"ELIGIBLE": "符合", "INELIGIBLE": "不符合", "NEEDS_REVIEW": "待核实", "PENDING": "待反馈"},
    "en": {"ELIGIBLE": "Eligible", "INELIGIBLE": "Ineligible", "NEEDS_REVIEW": "Needs review", "PENDING": "Pending"},
}
WORDS = {
    "zh": {"seq": "序号", "township": "乡镇(街道)", "village": "村(社区)", "name": "姓名", "id_number": "身份证号",
           "position": "拟任职务", "overall": "联审结论", "reason": "不通过/待核实原因", "summary": "汇总",
           "results": "联审结果", "count": "人数", "by_agency": "各单位意见", "by_township": "各乡镇(街道)结论",
           "by_overall": "联审结论", "total": "合计", "title": "村(社区)“两委”换届候选人资格联审结果",
           "round": "批次", "as_of": "基准日", "ruleset": "规则版本", "generated": "生成时间", "citation": "依据",
           "flag": "记录", "window": "影响期", "checked": "已核查", "attested": "确认", "pending_note": "尚未反馈",
           "verified": "核实", "handler": "经办人", "opinion": "意见", "state": "状态", "concluded_at": "审定时间",
           "resolutions": "核实意见", "opinions": "各成员单位联审意见", "agency": "单位", "verdicts": "核查结果",
           "attested_at": "反馈时间", "not_attested": "尚未反馈", "sign": "签字", "prepared_by": "经办人",
           "reviewed_by": "审核人", "approved_by": "负责人", "date": "日期", "seal": "（盖章）",
           "signoff": "联审单位（盖章）", "page": "第 {page} 页 共 {pages} 页", "dossier": "候选人资格联审表",
           "candidate": "候选人", "born": "出生日期", "party_member": "党员", "yes": "是", "no": "否",
           "no_reason": "（无）"},
    "en": {"seq": "No.", "township": "Township", "village": "Village or community", "name": "Name", "id_number": "ID number",
           "position": "Position", "overall": "Result", "reason": "Reasons (fail / review)", "summary": "Summary",
           "results": "Results", "count": "Count", "by_agency": "By agency", "by_township": "By township",
           "by_overall": "By result", "total": "Total", "title": "Joint qualification review of two-committee candidates",
           "round": "Round", "as_of": "Reference date", "ruleset": "Ruleset", "generated": "Generated",
           "citation": "Basis", "flag": "Record", "window": "Window", "checked": "Checked", "attested": "attested",
           "pending_note": "has not replied", "verified": "verified", "handler": "handler", "opinion": "opinion",
           "state": "State", "concluded_at": "concluded at", "resolutions": "Verified by agencies",
           "opinions": "Opinions of the member agencies", "agency": "Agency", "verdicts": "Verdicts",
           "attested_at": "Replied at", "not_attested": "not yet replied", "sign": "Signature",
           "prepared_by": "Prepared by", "reviewed_by": "Reviewed by", "approved_by": "Approved by", "date": "Date",
           "seal": "(seal)", "signoff": "Reviewing agencies (seal)", "page": "Page {page} of {pages}",
           "dossier": "Candidate qualification review", "candidate": "Candidate", "born": "Born",
           "party_member": "Party member", "yes": "yes", "no": "no", "no_reason": "(none)"},
}

STATE = {"zh": {"open": "进行中", "screened": "已筛查", "concluded": "已审定"},
         "en": {"open": "open", "screened": "screened", "concluded": "concluded"}}


def window_text(t: dict[str, Any], lang: str) -> str:
    """A trace entry's window, e.g. "影响期 2025-08-01 至 2027-01-31"."""
    start, last, kind = t.get("window_start", ""), t.get("window_last_day", ""), t.get("window_type", "")
    if not start:
        return str(t.get("window", ""))
    if lang == "zh":
        if last:
            return f"{'影响期' if kind in ('months', 'term_plus_months') else '有效期'} {start} 至 {last}"
        return f"自 {start} 起{'，至撤销/办结前持续有效' if kind == 'open' else '，无期限'}"
    if last:
        return f"in force {start} .. {last}"
    return f"in force from {start}{' while open' if kind == 'open' else ', no end'}"


def resolution_lines(d: dict[str, Any], lang: str, vocab: Vocabulary,
                     when: Callable[[str], str] = str) -> list[str]:
    """One line per agency's verification applied in a decision (RESOLVED): agency, outcome, handler, time (as when
    shows it, e.g. in the office's time zone), opinion."""
    out = []
    for t in d["trace"]:
        said = described(t["detail"]) if t["rule_id"] == RESOLVED else None
        if said is None:
            continue
        W = WORDS[lang]
        who = f"{W['handler']} {said.handler}, " if said.handler else ""
        out.append(f"[{vocab.agency_label(t['agency'], lang)}] {W['verified']} {VERDICT[lang][said.outcome]} "
                   f"({who}{when(said.resolved_at)}): {W['opinion']}: {said.opinion}")
    return out


def round_state(rnd: dict[str, Any], lang: str) -> str:
    """A round's state in words, with its conclusion time when concluded ("已审定 (审定时间 ...)")."""
    W = WORDS[lang]
    state = str(rnd.get("state", ""))
    text = STATE[lang].get(state, state)
    if rnd.get("concluded_at"):
        text += f" ({W['concluded_at']} {rnd['concluded_at']})"
    return text


def reason_lines(d: dict[str, Any], lang: str, vocab: Vocabulary) -> list[str]:
    """One line per non-pass trace entry: agency, rule, title, citation, agency reference, window."""
    out = []
    for t in d["trace"]:
        if t["verdict"] in ("PASS", "PENDING") or t["rule_id"] == RESOLVED:  # (a resolution: resolution_lines)
            continue
        title = t["title_zh"] if lang == "zh" else t["title_en"]
        refs = ", ".join(f["reference"] for f in t["flags"])
        parts = [f"[{vocab.agency_label(t['agency'], lang)}] {t['rule_id']}"]
        if title:
            parts.append(title)
        if t["effect"] == "name_conflict":
            parts.append("姓名不一致，需核实身份" if lang == "zh" else "name differs: verify identity")
        if t["citation"]:
            parts.append(f"{WORDS[lang]['citation']}: {t['citation']}")
        if refs:
            parts.append(f"{WORDS[lang]['flag']}: {refs}")
        w = window_text(t, lang)
        if w:
            parts.append(w)
        out.append("; ".join(parts))
    return out
