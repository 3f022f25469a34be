"""Converters between generated protobuf messages and domain types (the one boundary)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar, overload

import orjson

from eligibility._gen.v1 import eligibility_pb2 as pb
from eligibility.engine.model import CandidateFacts, TraceEntry
from eligibility.intake.candidates import CandidateRow
from eligibility.intake.flags import FlagRow
from eligibility.intake.outcomes import RowOutcome
from eligibility.ledger.checkpoint import Checkpoint
from eligibility.ledger.records import RoundInfo, StoredAnswer, StoredAppeal, StoredCandidate, StoredFlag, StoredResolution
from eligibility.review.changes import Change
from eligibility.review.replay import ReplayOutcome
from eligibility.review.resolutions import ReviewItem
from eligibility.review.screening import Decided
from eligibility.review.whatif import Comparison
from eligibility.rules.schema import ProfileRule, Rule, Ruleset
from eligibility.rules.vocabulary import Vocabulary

T = TypeVar("T")
VERDICT = {"PASS": pb.VERDICT_PASS, "FAIL": pb.VERDICT_FAIL, "REVIEW": pb.VERDICT_REVIEW, "PENDING": pb.VERDICT_PENDING}
OVERALL = {"ELIGIBLE": pb.OVERALL_ELIGIBLE, "INELIGIBLE": pb.OVERALL_INELIGIBLE,
           "NEEDS_REVIEW": pb.OVERALL_NEEDS_REVIEW, "PENDING": pb.OVERALL_PENDING}
ROW_STATUS = {"CREATED": pb.ROW_STATUS_CREATED, "UNCHANGED": pb.ROW_STATUS_UNCHANGED,
              "CORRECTED": pb.ROW_STATUS_CORRECTED, "REJECTED": pb.ROW_STATUS_REJECTED}


class Rows(Sequence[T]):
    """A request's repeated field read as domain rows a slice at a time: a million-row request is never held as a
    million domain objects (the use cases take their rows in chunks)."""

    def __init__(self, messages: Any, convert: Callable[[Any], T]) -> None:
        """Rows of these messages (a repeated field), each made by convert."""
        self._messages = messages
        self._convert = convert

    def __len__(self) -> int:
        return len(self._messages)

    @overload
    def __getitem__(self, i: int) -> T: ...

    @overload
    def __getitem__(self, i: slice) -> list[T]: ...

    def __getitem__(self, i: int | slice) -> T | list[T]:
        if isinstance(i, slice):
            return [self._convert(m) for m in self._messages[i]]
        return self._convert(self._messages[i])


def flag_row(m: pb.FlagInput) -> FlagRow:
    """A submitted flag as a text row."""
    return FlagRow(row=m.row, id_number=m.id_number, name=m.name, kind=m.kind, reference=m.reference,
                   decided_on=m.decided_on, end_date=m.end_date, level=m.level, term_months=m.term_months, note=m.note)


def candidate_row(m: pb.CandidateInput) -> CandidateRow:
    """A submitted candidate as a text row."""
    return CandidateRow(row=m.row, id_number=m.id_number, name=m.name, village=m.village, township=m.township,
                        position=m.position, party_member=m.party_member)


def row_results(outcomes: list[RowOutcome], into: Any) -> None:
    """Row outcomes appended to a response's repeated results (added in place: a response may hold 5,000)."""
    add = into.add
    for o in outcomes:
        r = add(row=o.row, key=o.key, status=ROW_STATUS[o.status], version=o.version)
        if o.errors:
            r.errors.extend(pb.FieldError(field=e.field, message=e.message, code=e.code) for e in o.errors)


def flag(f: StoredFlag) -> pb.Flag:
    """A flag version on record (ID masked)."""
    return pb.Flag(
        agency=f.agency, reference=f.reference, version=f.version,
        status=pb.FLAG_STATUS_ACTIVE if f.status == "active" else pb.FLAG_STATUS_RETRACTED,
        id_number_masked=f.id_masked, name=f.name, kind=f.kind, level=f.level,
        decided_on=f.decided_on.isoformat(), end_date=f.end_date.isoformat() if f.end_date else "",
        term_months=f.term_months or 0, note=f.note, reason=f.reason, recorded_at=f.recorded_at, versions=f.versions)


def round_(r: RoundInfo) -> pb.Round:
    """A round."""
    return pb.Round(round_id=r.round_id, name=r.name, as_of=r.as_of.isoformat(), ruleset=r.ruleset,
                    created_at=r.created_at, candidates=r.candidates, attested=r.attested, state=r.state,
                    last_screened_at=r.last_screened_at, concluded_at=r.concluded_at, not_attested=r.not_attested,
                    changed=r.changed, attestations=[pb.Attestation(agency=a, attested_at=at, note=note, handler=h)
                                                     for a, at, note, h in r.attestations])


def stored_candidate(c: StoredCandidate) -> pb.Candidate:
    """A round's candidate (ID masked)."""
    return pb.Candidate(id_number_masked=c.id_masked, name=c.name, village=c.village,
                        township=c.township, positions=list(c.positions), party_member=c.party_member,
                        birth_date=c.birth_date.isoformat(), seq=c.seq)


def _candidate_facts(c: CandidateFacts) -> pb.Candidate:
    return pb.Candidate(id_number_masked=c.id_masked, name=c.name, village=c.village, township=c.township,
                        positions=list(c.positions), party_member=c.party_member, birth_date=c.birth_date.isoformat())


def trace_entry(t: TraceEntry) -> pb.TraceEntry:
    """A trace entry."""
    return pb.TraceEntry(
        agency=t.agency, verdict=VERDICT[t.verdict], rule_id=t.rule_id, effect=t.effect, title_zh=t.title_zh,
        title_en=t.title_en, citation=t.citation, window=t.window, detail=t.detail, ruleset_hash=t.ruleset_hash,
        window_type=t.window_type, window_start=t.window_start, window_last_day=t.window_last_day,
        flags=[pb.FlagRef(agency=f.agency, reference=f.reference, version=f.version, kind=f.kind, level=f.level,
                          decided_on=f.decided_on, end_date=f.end_date) for f in t.flags])


def decision(d: Decided, with_record: bool = True) -> pb.Decision:
    """A recorded decision."""
    r, data = d.record, d.data
    return pb.Decision(
        leaf_index=d.leaf_index,
        decision_id=r.decision_id, round_id=r.round_id, recorded_at=r.recorded_at, as_of=r.as_of.isoformat(),
        ruleset_name=r.ruleset_name, ruleset_hash=r.ruleset_hash, engine_version=r.engine_version,
        candidate=_candidate_facts(r.inputs.candidate), overall=OVERALL[r.result.overall],
        verdicts=[pb.AgencyVerdict(agency=a, verdict=VERDICT[v]) for a, v in r.result.verdicts.items()],
        trace=[trace_entry(t) for t in r.result.trace], record=data if with_record else b"", seq=d.seq,
        result_record=d.result if with_record else b"")


def change(c: Change) -> pb.Change:
    """One late input of a candidate."""
    x, late = c.candidate, c.late
    return pb.Change(seq=x.seq, name=x.name, id_number_masked=x.id_masked, township=x.township, village=x.village,
                     decision_id=x.decision_id, agency=late.agency, entry_type=late.entry_type, what=late.what,
                     at=late.at, leaf_index=late.position)


def review_item(i: ReviewItem) -> pb.ReviewItem:
    """One of an agency's review items."""
    return pb.ReviewItem(round_id=i.round_id, decision_id=i.decision_id, name=i.name, id_number_masked=i.id_masked,
                         township=i.township, village=i.village, reasons=[trace_entry(t) for t in i.reasons],
                         not_resolvable=i.not_resolvable, verdict=VERDICT[i.verdict])


def resolution(r: StoredResolution, leaf_index: int) -> pb.Resolution:
    """An agency's resolution as recorded."""
    return pb.Resolution(round_id=r.round_id, agency=r.agency, name=r.name, id_number_masked=r.id_masked,
                         outcome=r.outcome, opinion=r.opinion, handler=r.handler, resolved_at=r.resolved_at,
                         decision_id=r.decision_id, leaf_index=leaf_index)


def appeal(a: StoredAppeal, leaf_index: int, decided_by: str, answers: list[StoredAnswer]) -> pb.Appeal:
    """An appeal with its answers."""
    return pb.Appeal(appeal_id=a.appeal_id, round_id=a.round_id, name=a.name, id_number_masked=a.id_masked,
                     reason=a.reason, opened_at=a.opened_at, decision_id=a.decision_id, agencies=list(a.agencies),
                     leaf_index=leaf_index, decided_by=decided_by,
                     answers=[pb.AppealAnswer(agency=x.agency, answer=x.answer, opinion=x.opinion, handler=x.handler,
                                              answered_at=x.answered_at) for x in answers])


def new_results(batch: list[Decided], sent: set[int]) -> list[bytes]:
    """The entries of the shared results a batch of records names that this stream has not sent yet."""
    out = []
    for d in batch:
        if d.result_index >= 0 and d.result_index not in sent:
            sent.add(d.result_index)
            out.append(d.result)
    return out


def checkpoint(c: Checkpoint) -> pb.SignedCheckpoint:
    """A signed checkpoint."""
    return pb.SignedCheckpoint(size=c.size, root=c.root, body=c.body, signature=c.signature, created_at=c.created_at)


def comparison(c: Comparison) -> pb.Comparison:
    """A what-if / as-known-then comparison."""
    return pb.Comparison(
        name=c.name, id_number_masked=c.id_masked, township=c.township, village=c.village,
        before=OVERALL[c.before], after=OVERALL[c.after],
        changes=[pb.VerdictChange(agency=a, before=VERDICT[b], after=VERDICT[x]) for a, b, x in c.changes],
        rules_added=list(c.rules_added), rules_removed=list(c.rules_removed), changed=c.changed,
        after_trace=[trace_entry(t) for t in c.after_trace] if c.changed else [])


def replay_result(o: ReplayOutcome) -> pb.ReplayResult:
    """A replay outcome."""
    return pb.ReplayResult(decision_id=o.decision_id, match=o.match, differences=list(o.differences),
                           ruleset_hash=o.ruleset_hash, name=o.name)


def ruleset(rs: Ruleset, default: bool) -> pb.Ruleset:
    """A loaded ruleset."""
    return pb.Ruleset(name=rs.name, hash=rs.hash, version=rs.version, title=f"{rs.title.zh} / {rs.title.en}",
                      rules=len(rs.rules) + len(rs.profile), is_default=default)


def rule(rs: Ruleset, r: Rule | ProfileRule, vocabulary: Vocabulary) -> pb.Rule:
    """A rule with its definition, and the words a file may use for its kind and levels."""
    definition = orjson.dumps(r.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS).decode()
    if isinstance(r, ProfileRule):
        return pb.Rule(rule_id=r.id, agency="profile", kind=r.check, effect="disqualify", title_zh=r.title.zh,
                       title_en=r.title.en, citation=r.citation, effective_from=r.effective_from.isoformat(),
                       effective_to=r.effective_to.isoformat() if r.effective_to else "",
                       window="", definition_json=definition, ruleset_hash=rs.hash)
    return pb.Rule(rule_id=r.id, agency=r.agency, kind=r.kind, effect=r.effect, title_zh=r.title.zh,
                   title_en=r.title.en, citation=r.citation, effective_from=r.effective_from.isoformat(),
                   effective_to=r.effective_to.isoformat() if r.effective_to else "",
                   window=r.describe_window(), definition_json=definition, ruleset_hash=rs.hash,
                   kind_zh=vocabulary.kind_label(r.kind, "zh"), kind_words=list(vocabulary.kinds[r.kind].words)
                   if r.kind in vocabulary.kinds else [], level_words=r.level_aliases or {})
