"""Flag intake: check an agency's rows against the ruleset's vocabulary, key and seal the persons, and
make each new reference's version 1, all before any lock is taken (no store)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from eligibility.errors import InvalidInputError
from eligibility.intake.idnumbers import mask
from eligibility.intake.outcomes import FieldProblem, FlagDraft, RowOutcome
from eligibility.intake.protect import IdProtector
from eligibility.intake.rows import RowChecker
from eligibility.intake.text import NOTE_LIMIT, clean_text
from eligibility.ledger.codec import PENDING_TIME, FirstVersion
from eligibility.ledger.records import StoredFlag
from eligibility.rules.schema import Ruleset
from eligibility.rules.vocabulary import Vocabulary, fold


@dataclass(frozen=True, slots=True)
class FlagRow:
    """A flag row as text, the way it arrives from a file or the API (validated by validate_flag)."""

    row: int
    id_number: str = ""
    name: str = ""
    kind: str = ""
    reference: str = ""
    decided_on: str = ""
    end_date: str = ""
    level: str = ""
    term_months: str = ""
    note: str = ""


def kind_of(ruleset: Ruleset, vocabulary: Vocabulary, agency: str, word: str) -> tuple[str, str]:
    """The kind a 类型 cell names for this agency (its code, its Chinese name or an alias in the vocabulary):
    (kind code, "") or ("", the agency that owns a kind of that name) or ("", "") when nobody does."""
    rule = ruleset.by_kind.get(word.strip())
    if rule is not None:  # the code itself (most rows of an agency's system export): no folding needed
        return (word.strip(), "") if rule.agency == agency else ("", rule.agency)
    mine = vocabulary.kind_words(ruleset, agency).get(fold(word))
    if mine:
        return mine, ""
    for other in ruleset.agencies:
        if other != agency and fold(word) in vocabulary.kind_words(ruleset, other):
            return "", other
    return "", ""


def validate_flag(ruleset: Ruleset, vocabulary: Vocabulary, agency: str, r: FlagRow) -> FlagDraft | list[FieldProblem]:
    """Check one row against the ruleset and the vocabulary's words; a kind of another agency is PERMISSION_DENIED."""
    ck = RowChecker(r.row)
    reference = ck.text(r.reference, "reference", required=True, limit=100)
    id_number = ck.id_number(r.id_number)
    name = ck.text(r.name, "name", required=True, limit=100)
    kind, owner = kind_of(ruleset, vocabulary, agency, r.kind)
    level = (r.level if r.level.isascii() else unicodedata.normalize("NFKC", r.level)).strip()
    rule = ruleset.by_kind.get(kind) if kind else None
    if not r.kind.strip():
        ck.fail("kind", "kind: missing")
    elif owner:
        ck.fail("kind", f"kind: {r.kind.strip()!r} belongs to agency {owner}, not {agency}", code="PERMISSION_DENIED")
    elif rule is None:
        ck.fail("kind", f"kind: unknown flag kind {r.kind.strip()[:40]!r}; {agency} may submit: "
                + ", ".join(f"{vocabulary.kind_label(k, 'zh')} ({k})" for k in ruleset.kinds_of(agency)))
    term: int | None = None
    if rule is not None:
        level = (rule.level_aliases or {}).get(level, level)  # e.g. 严重警告 -> serious_warning
        if rule.levels is not None:
            if level not in rule.levels:
                ck.fail("level", f"level: {level or '(blank)'} is not a level of {kind}; expected one of "
                        f"{', '.join(rule.levels)}")
        elif level:
            ck.fail("level", f"level: {kind} takes no level, got {level!r}")
        raw_term = (r.term_months if r.term_months.isascii() else unicodedata.normalize("NFKC", r.term_months)).strip()
        window = rule.window_for(level) if (rule.levels is None or level in rule.levels) else None
        if window is not None and window.type == "term_plus_months":
            if raw_term:
                if not (raw_term.isascii() and raw_term.isdigit()) or int(raw_term) not in (window.terms or ()):
                    ck.fail("term_months", f"term_months: must be one of {', '.join(map(str, window.terms or ()))}, "
                            f"got {raw_term!r}")
                else:
                    term = int(raw_term)
            else:
                term = window.default_term
        elif window is not None and window.type == "open" and raw_term not in ("", "0"):
            if not (raw_term.isascii() and raw_term.isdigit()) or not 1 <= int(raw_term) <= 1200:
                ck.fail("term_months", f"term_months: a whole number of months (1-1200), got {raw_term[:20]!r}")
            else:
                term = int(raw_term)  # the window ends term_months after decided_on unless end_date says otherwise
        elif raw_term not in ("", "0"):
            ck.fail("term_months", f"term_months: does not apply to {kind}{' ' + level if level else ''}")
    decided_on = ck.date(r.decided_on, "decided_on", required=True)
    end_date = ck.date(r.end_date, "end_date", required=False)
    if decided_on and end_date and end_date < decided_on:
        ck.fail("end_date", f"end_date: {end_date} is before the decision date {decided_on}")
    note = ck.text(r.note, "note", required=False, limit=1000)
    if ck.problems:
        return ck.problems
    assert decided_on is not None
    return FlagDraft(agency=agency, reference=reference, id_number=id_number, name=name, kind=kind, level=level,
                     decided_on=decided_on, end_date=end_date, term_months=term, note=note)


@dataclass(frozen=True, slots=True)
class Submission:
    """An agency's rows, checked, keyed and sealed without touching the store: what its transaction needs."""

    agency: str
    rows: Sequence[FlagRow]
    drafts: dict[int, FlagDraft]  # row position -> valid draft (the first row of each reference)
    keys: dict[int, str]  # row position -> keyed hash of the person
    sealed: dict[int, bytes]  # row position -> the ID number, encrypted
    masked: dict[int, str]  # row position -> the ID number, masked
    outcomes: dict[int, RowOutcome]  # row position -> rejection found while checking
    correction: bool
    reason: str
    first: dict[int, FirstVersion]  # row position -> its version 1, should the reference be new


def flag_version(sub: Submission, i: int, version: int, recorded_at: str) -> StoredFlag:
    """The stored version of the draft at row position i."""
    fields = dict(sub.drafts[i].__dict__)
    del fields["id_number"]  # kept only sealed
    fields.update(version=version, status="active", person_key=sub.keys[i], id_masked=sub.masked[i],
                  id_sealed=sub.sealed[i], reason=sub.reason if sub.correction else "", recorded_at=recorded_at,
                  versions=version)
    return StoredFlag.model_validate(fields)


def prepare_submission(ruleset: Ruleset, vocabulary: Vocabulary, ids: IdProtector, agency: str, rows: Sequence[FlagRow], *,
                       correction: bool = False, reason: str = "") -> Submission:
    """Check every row, hash and seal the ID numbers: the CPU-bound part, done before any lock is taken."""
    reason = clean_text(reason, "reason", limit=NOTE_LIMIT)
    if correction and not reason:
        raise InvalidInputError("a correction needs a reason", field="reason")
    drafts: dict[int, FlagDraft] = {}
    outcomes: dict[int, RowOutcome] = {}
    first_row: dict[str, int] = {}
    for i, r in enumerate(rows):
        checked = validate_flag(ruleset, vocabulary, agency, r)
        key = r.reference.strip()
        if isinstance(checked, list):
            outcomes[i] = RowOutcome(row=r.row, key=key, status="REJECTED", errors=tuple(checked))
        elif key in first_row:
            outcomes[i] = RowOutcome(row=r.row, key=key, status="REJECTED", errors=(FieldProblem(
                field="reference", message=f"row {r.row}: reference: duplicate of row {first_row[key]} in this "
                f"submission"),))
        else:
            first_row[key] = r.row
            drafts[i] = checked
    sub = Submission(agency, rows, drafts, {i: ids.person_key(d.id_number) for i, d in drafts.items()},
                     {i: ids.seal(d.id_number) for i, d in drafts.items()},
                     {i: mask(d.id_number) for i, d in drafts.items()}, outcomes, correction, reason, {})
    if not correction:  # most rows of a submission are new references: their version 1 is made here, outside the lock
        sub.first.update((i, FirstVersion.of(flag_version(sub, i, 1, PENDING_TIME))) for i in drafts)
    return sub
