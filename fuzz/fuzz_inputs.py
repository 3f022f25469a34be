"""atheris fuzz target: the file parsers and request validation (pure Python, so coverage-guided).

Run: .venv/bin/python fuzz/fuzz_inputs.py -max_total_time=20   (make test runs it for a bounded time)
Any exception other than InvalidInputError is a bug: the fuzzer stops and prints the input.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from eligibility.errors import InvalidInputError
    from eligibility.intake.candidates import CandidateRow, validate_candidate
    from eligibility.intake.files import CANDIDATE_COLUMNS, CANDIDATE_REQUIRED, FLAG_COLUMNS, FLAG_REQUIRED, read_rows
    from eligibility.intake.flags import FlagRow, validate_flag
    from eligibility.rules.loader import REPO_RULES, load_ruleset_file
    from eligibility.rules.vocabulary import load_vocabulary

RS = load_ruleset_file(REPO_RULES / "national-2021" / "ruleset.yaml")
VOCAB = load_vocabulary([REPO_RULES])
TMP = Path(tempfile.mkdtemp(prefix="fuzz-"))


def one(data: bytes) -> None:
    """Feed one input to a parser and to the validators."""
    fdp = atheris.FuzzedDataProvider(data)
    choice = fdp.ConsumeIntInRange(0, 3)
    if choice == 0:
        path = TMP / "f.csv"
        path.write_bytes(fdp.ConsumeBytes(4096))
        try:
            for row in read_rows(path, FLAG_COLUMNS, FLAG_REQUIRED):
                validate_flag(RS, VOCAB, "police", FlagRow(**row))
        except InvalidInputError:
            pass
    elif choice == 1:
        path = TMP / "c.csv"
        path.write_bytes(fdp.ConsumeBytes(4096))
        try:
            for row in read_rows(path, CANDIDATE_COLUMNS, CANDIDATE_REQUIRED):
                validate_candidate(RS, VOCAB, CandidateRow(**row))
        except InvalidInputError:
            pass
    elif choice == 2:
        fields = [fdp.ConsumeUnicodeNoSurrogates(40) for _ in range(9)]
        validate_flag(RS, VOCAB, fdp.PickValueInList(list(RS.agencies)), FlagRow(row=2, id_number=fields[0], name=fields[1],
                      kind=fields[2], reference=fields[3], decided_on=fields[4], end_date=fields[5], level=fields[6],
                      term_months=fields[7], note=fields[8]))
    else:
        fields = [fdp.ConsumeUnicodeNoSurrogates(40) for _ in range(6)]
        validate_candidate(RS, VOCAB, CandidateRow(row=2, id_number=fields[0], name=fields[1], village=fields[2],
                                            township=fields[3], position=fields[4], party_member=fields[5]))


if __name__ == "__main__":
    atheris.Setup(sys.argv, one)
    atheris.Fuzz()
