"""Turn rule firings into verdicts: per agency, profile, overall, and a sorted trace."""

from __future__ import annotations

from datetime import date, timedelta

from eligibility.engine.model import PROFILE, EvalInput, FlagFacts, FlagRef, Result, TraceEntry, Verdict, overall_of, same_name
from eligibility.engine.windows import Match, flag_window
from eligibility.rules.schema import ProfileRule, Rule, Ruleset

_SEVERITY = {"FAIL": 0, "REVIEW": 1, "PENDING": 2, "PASS": 3}


def _flag_ref(f: FlagFacts) -> FlagRef:
    return FlagRef(
        agency=f.agency, reference=f.reference, version=f.version, kind=f.kind, level=f.level,
        decided_on=f.decided_on.isoformat(), end_date=f.end_date.isoformat() if f.end_date else "",
    )


def _flag_entry(ruleset: Ruleset, inp: EvalInput, rule: Rule, flag: FlagFacts) -> TraceEntry:
    w = flag_window(rule, flag.level, flag.term_months, flag.decided_on, flag.end_date)
    common = dict(
        agency=rule.agency, rule_id=rule.id, title_zh=rule.title.zh, title_en=rule.title.en,
        citation=rule.citation, flags=(_flag_ref(flag),), window=w.text(), window_type=w.type,
        window_start=w.start.isoformat(), window_last_day=(w.end - timedelta(days=1)).isoformat() if w.end else "",
        ruleset_hash=ruleset.hash,
    )
    if not same_name(flag.name, inp.candidate.name):
        return TraceEntry(
            verdict="REVIEW", effect="name_conflict",
            detail=f"name on flag ({flag.name}) differs from candidate name ({inp.candidate.name}) "
            f"for the same ID number: verify identity; the flag alone cannot disqualify",
            **common,  # type: ignore[arg-type]
        )
    verdict: Verdict = "FAIL" if rule.effect == "disqualify" else "REVIEW"
    return TraceEntry(verdict=verdict, effect=rule.effect, **common)  # type: ignore[arg-type]


def _profile_entry(ruleset: Ruleset, rule: ProfileRule) -> TraceEntry:
    return TraceEntry(
        agency=PROFILE, verdict="FAIL", rule_id=rule.id, effect="disqualify", title_zh=rule.title.zh,
        title_en=rule.title.en, citation=rule.citation, ruleset_hash=ruleset.hash,
    )


_NOTHING_FOUND: dict[tuple[str, date, str, str], TraceEntry] = {}


def _nothing_found(ruleset: Ruleset, as_of: date, agency: str, attested_at: str) -> TraceEntry:
    """What an agency (or the profile check) with no finding gets: what was checked; shared, as it
    depends only on the ruleset version, as_of, the agency and its attestation."""
    key = (ruleset.hash, as_of, agency, attested_at)
    entry = _NOTHING_FOUND.get(key)
    if entry is not None:
        return entry
    if agency == PROFILE:
        checks = [p.id for p in ruleset.profile if p.in_effect(as_of)]
        entry = TraceEntry(agency=PROFILE, verdict="PASS", rule_id="PROFILE-CHECKED", effect="checked",
                           detail=f"checked {', '.join(checks)} on {as_of}", ruleset_hash=ruleset.hash)
    else:
        checked = [r.id for r in ruleset.rules if r.agency == agency and r.in_effect(as_of)]
        if attested_at:
            entry = TraceEntry(
                agency=agency, verdict="PASS", rule_id="ATTESTED", effect="checked",
                detail=f"{agency} attested review at {attested_at}; no flag in force under "
                f"{', '.join(checked)}", ruleset_hash=ruleset.hash)
        else:
            entry = TraceEntry(
                agency=agency, verdict="PENDING", rule_id="NOT-ATTESTED", effect="awaiting_attestation",
                detail=f"no flag in force under {', '.join(checked)}, but {agency} has not attested "
                f"its review of this round", ruleset_hash=ruleset.hash)
    if len(_NOTHING_FOUND) > 4096:
        _NOTHING_FOUND.clear()
    _NOTHING_FOUND[key] = entry
    return entry


def assemble(ruleset: Ruleset, inp: EvalInput, agreed: frozenset[Match], disputed: frozenset[Match] = frozenset(),
             disputed_detail: str = "") -> Result:
    """Build the Result from firings both evaluators agree on; disputed firings become REVIEW."""
    entries: dict[str, list[TraceEntry]] = {a: [] for a in (*ruleset.agencies, PROFILE)}
    for rule_id, idx in sorted(agreed):
        rule = ruleset.by_id[rule_id]
        if isinstance(rule, ProfileRule):
            entries[PROFILE].append(_profile_entry(ruleset, rule))
        else:
            entries[rule.agency].append(_flag_entry(ruleset, inp, rule, inp.flags[idx]))
    for rule_id, idx in sorted(disputed):
        rule = ruleset.by_id[rule_id]
        agency = PROFILE if isinstance(rule, ProfileRule) else rule.agency
        entries[agency].append(TraceEntry(
            agency=agency, verdict="REVIEW", rule_id="ENGINE-DISAGREEMENT", effect="engine_disagreement",
            flags=(_flag_ref(inp.flags[idx]),) if idx >= 0 else (),
            detail=f"rule engine and reference evaluator disagree on {rule_id}: {disputed_detail}",
            ruleset_hash=ruleset.hash,
        ))
    verdicts: dict[str, Verdict] = {}
    trace: list[TraceEntry] = []
    for agency, found in entries.items():
        if found:
            verdict: Verdict = min((e.verdict for e in found), key=_SEVERITY.__getitem__)
        else:
            found = [_nothing_found(ruleset, inp.as_of, agency, inp.attestations.get(agency, ""))]
            verdict = found[0].verdict
        verdicts[agency] = verdict
        trace.extend(sorted(found, key=lambda e: (_SEVERITY[e.verdict], e.rule_id, [f.reference for f in e.flags])))
    return Result(overall=overall_of(verdicts), verdicts=verdicts, trace=tuple(trace))
