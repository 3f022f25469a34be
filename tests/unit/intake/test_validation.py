"""Property tests (hypothesis) for the file parsers and row validation: correct handling or a clear
error, never a crash, for any text."""

from __future__ import annotations

import csv
import tempfile
import unicodedata
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eligibility.errors import InvalidInputError
from eligibility.intake.candidates import CandidateRow, validate_candidate
from eligibility.intake.files import FLAG_COLUMNS, FLAG_REQUIRED, FOOTER_WORDS, read_rows
from eligibility.intake.flags import FlagRow, validate_flag
from eligibility.intake.outcomes import FieldProblem, FlagDraft
from eligibility.rules.loader import REPO_RULES, load_ruleset_file
from eligibility.rules.vocabulary import load_vocabulary

RS = load_ruleset_file(REPO_RULES / "national-2021" / "ruleset.yaml")
VOCAB = load_vocabulary([REPO_RULES])
text = st.text(max_size=40)
cell = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"), max_size=30)


@settings(max_examples=400, deadline=None)
@given(st.builds(FlagRow, row=st.integers(1, 10**6), id_number=text, name=text, kind=st.one_of(text, st.sampled_from(
    [r.kind for r in RS.rules])), reference=text, decided_on=text, end_date=text, level=text, term_months=text,
    note=text))
def test_flag_validation_never_crashes(row: FlagRow) -> None:
    out = validate_flag(RS, VOCAB, "discipline", row)
    if isinstance(out, list):
        assert out and all(isinstance(p, FieldProblem) and p.field and f"row {row.row}" in p.message for p in out)
    else:
        assert isinstance(out, FlagDraft) and RS.by_kind[out.kind].agency == "discipline"


@settings(max_examples=300, deadline=None)
@given(st.builds(CandidateRow, row=st.integers(1, 10**6), id_number=text, name=text, village=text, township=text,
                 position=text, party_member=text))
def test_candidate_validation_never_crashes(row: CandidateRow) -> None:
    out = validate_candidate(RS, VOCAB, row)
    assert isinstance(out, list) or (len(out[0]) == 18 and out[1].name)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(cell, cell, cell, cell, cell), max_size=20), st.sampled_from(["utf-8", "utf-8-sig"]))
def test_csv_round_trip(rows: list[tuple[str, ...]], encoding: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "f.csv"
        with path.open("w", newline="", encoding=encoding) as f:
            w = csv.writer(f)
            w.writerow(["id_number", "name", "kind", "reference", "decided_on"])
            w.writerows(rows)
        got = list(read_rows(path, FLAG_COLUMNS, FLAG_REQUIRED))
    def footer(r: tuple[str, ...]) -> bool:  # a signature line (填表人：…), skipped by design
        first = next((c for c in r if c.strip()), "")
        said = ["".join(unicodedata.normalize("NFKC", c).split()) for c in (first, r[0])]
        return said[0].startswith(FOOTER_WORDS) and (not r[0].strip() or said[1].startswith(FOOTER_WORDS))
    expected = [r for r in rows if any(c.strip() for c in r) and not footer(r)]
    assert [(g["id_number"], g["name"], g["kind"], g["reference"], g["decided_on"]) for g in got] == expected


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_are_parsed_or_refused_clearly(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "f.csv"
        path.write_bytes(data)
        try:
            list(read_rows(path, FLAG_COLUMNS, FLAG_REQUIRED))
        except InvalidInputError as e:
            assert e.message
