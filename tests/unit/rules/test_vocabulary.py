"""The vocabulary is data: agencies, positions and their words come from rules/vocabulary.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from eligibility.errors import RulesetError
from eligibility.intake.candidates import CandidateRow, validate_candidate
from eligibility.rules.loader import REPO_RULES, discover, load_ruleset_file
from eligibility.rules.vocabulary import FILE, load_vocabulary, load_vocabulary_file

VOCAB = load_vocabulary([REPO_RULES])


def test_the_shipped_vocabulary_has_every_agency_of_every_shipped_ruleset_in_its_order() -> None:
    for path in discover(REPO_RULES):
        rs = load_ruleset_file(path)
        VOCAB.check_ruleset(rs, str(path))
        assert list(rs.agencies) == list(VOCAB.agencies)
    assert VOCAB.roles == (*VOCAB.agencies, "district", "auditor")
    assert VOCAB.columns[-1] == "profile" and VOCAB.short("profile") == "PRF"


def test_a_ruleset_naming_an_agency_the_vocabulary_lacks_is_refused(tmp_path: Path) -> None:
    data = yaml.safe_load((REPO_RULES / "national-2021" / "ruleset.yaml").read_text(encoding="utf-8"))
    data["agencies"]["tax"] = {"zh": "税务", "en": "Tax"}
    rs = load_ruleset_file(_write(tmp_path / "r" / "ruleset.yaml", data))
    with pytest.raises(RulesetError, match="agency tax"):
        VOCAB.check_ruleset(rs, "r")


def test_a_home_with_its_own_vocabulary_uses_it(tmp_path: Path) -> None:
    data = yaml.safe_load((REPO_RULES / FILE).read_text(encoding="utf-8"))
    data["positions"]["vc_member"]["aliases"].append("村民代表兼委员")
    _write(tmp_path / FILE, data)
    own = load_vocabulary([tmp_path])
    rs = load_ruleset_file(REPO_RULES / "national-2021" / "ruleset.yaml")
    row = CandidateRow(row=2, id_number="110101198001010037", name="李四", position="村民代表兼委员", party_member="否")
    assert not isinstance(validate_candidate(rs, own, row), list)
    assert isinstance(validate_candidate(rs, VOCAB, row), list)  # the shipped words do not know it


def test_words_that_mean_yes_and_no_are_refused(tmp_path: Path) -> None:
    data = yaml.safe_load((REPO_RULES / FILE).read_text(encoding="utf-8"))
    data["party_member"]["no"].append("是")
    with pytest.raises(RulesetError, match="both yes and no"):
        load_vocabulary_file(_write(tmp_path / FILE, data))


def test_position_words_and_groups() -> None:
    assert VOCAB.position_words["书记"] == "party_secretary" and VOCAB.position_words["vc_member"] == "vc_member"
    assert VOCAB.position_groups["一肩挑"] == ("party_secretary", "vc_director")
    assert VOCAB.party_member_words["中共党员"] is True and VOCAB.party_member_words["群众"] is False


def _write(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_a_kept_ruleset_evaluates_exactly_as_its_file_does() -> None:
    """A ruleset read back from its canonical JSON (sorted keys) lists its agencies in the same order as the file,
    so decisions made under it replay byte for byte when only its kept content is left."""
    from datetime import date

    from eligibility.engine.evaluator import Evaluator
    from eligibility.engine.model import CandidateFacts, EvalInput
    from eligibility.ledger.codec import result_bytes
    from eligibility.rules.loader import REPO_RULES, load_ruleset_file, load_ruleset_json
    for name in ("national-2021", "provincial-2018"):
        rs = load_ruleset_file(REPO_RULES / name / "ruleset.yaml")
        kept = load_ruleset_json(rs.canonical_bytes())
        assert kept.hash == rs.hash and list(kept.agencies) == list(rs.agencies)
        inp = EvalInput(as_of=date(2026, 12, 1), flags=(), attestations={"court": "t"}, candidate=CandidateFacts(
            person_key="p", id_masked="1***", birth_date=date(1980, 1, 1), name="张三", positions=("vc_member",),
            party_member=False))
        assert result_bytes(Evaluator().evaluate(kept, inp)) == result_bytes(Evaluator().evaluate(rs, inp))
