"""Each decision is bound to the log size its inputs were read at: a flag that an agency submits in the instant
between a screening reading its inputs and recording its decisions belongs to the next screening, and the log
alone still proves both. The real App over a real SQLite home; the agency's submission made at that very moment
by wrapping the store's append (the write the screening is about to make)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from eligibility.home.config import load_config
from eligibility.home.setup import init_home
from eligibility.intake.candidates import CandidateRow
from eligibility.intake.flags import FlagRow
from eligibility.ledger.logreplay import replay_log
from eligibility.review.app import App
from tests.conftest import configure
from tests.helpers import make_id


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    home = tmp_path / "home"
    init_home(home)
    configure(home, workers=0)
    a = App(load_config(home))
    try:
        yield a
    finally:
        a.close()


def _entries(app: App) -> list[bytes]:
    return [d for batch in app.store.leaves(0) for _, d in batch]


def test_a_flag_logged_while_a_screening_runs_belongs_to_the_next_one(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = [make_id() for _ in range(3)]
    info, _ = app.create_round("district", "r", "2026-12-01", "", [
        CandidateRow(row=i + 2, id_number=n, name="张三", position="vc_member", party_member="否")
        for i, n in enumerate(ids)])
    for agency in app.vocabulary.agencies:
        app.attest(agency, info.round_id, "")
    real_append = app.store.append_decisions
    late = FlagRow(row=2, id_number=ids[2], name="张三", kind="criminal_conviction", reference="(2020)京01刑初1号",
                   decided_on="2020-01-01")

    def append_after_a_submission(*args: Any, **kwargs: Any) -> Any:
        assert app.submit_flags("court", [late], False, "")[0].status != "rejected"
        monkeypatch.setattr(app.store, "append_decisions", real_append)  # once
        return real_append(*args, **kwargs)
    monkeypatch.setattr(app.store, "append_decisions", append_after_a_submission)
    first = [d.record for batch in app.screen_round(info.round_id) for d in batch]
    assert [r.result.overall for r in first] == ["ELIGIBLE"] * 3  # read before the flag was logged
    entries = _entries(app)
    flag_at = next(i for i, e in enumerate(entries) if orjson.loads(e)["type"] == "flag")
    decision_at = next(i for i, e in enumerate(entries) if orjson.loads(e)["type"] == "decision")
    assert flag_at < decision_at  # logged before the decisions, after they read their inputs
    problems, _, figures = replay_log(lambda: entries)
    assert problems == [] and figures["bound"] == figures["decisions"] == 3, problems
    second = [d.record for batch in app.screen_round(info.round_id) for d in batch]
    assert [r.result.overall for r in second] == ["ELIGIBLE", "ELIGIBLE", "INELIGIBLE"]
    problems, _, figures = replay_log(lambda: _entries(app))
    assert problems == [] and figures["replayed"] == 6, problems


def test_a_decision_bound_to_a_log_size_is_checked_as_of_it(app: App) -> None:
    """A decision names the context it read in (the log size, at or before its own entry), and its candidate's,
    flag's, round's and ruleset's entries, each before that size."""
    ids = [make_id()]
    app.submit_flags("court", [FlagRow(row=2, id_number=ids[0], name="张三", kind="criminal_conviction",
                                       reference="(2020)京01刑初2号", decided_on="2020-01-01")], False, "")
    info, _ = app.create_round("district", "r", "2026-12-01", "", [
        CandidateRow(row=2, id_number=ids[0], name="张三", position="vc_member", party_member="否")])
    (d,) = [d for batch in app.screen_round(info.round_id) for d in batch]
    assert d.record.bound is not None and len(d.record.bound.flags) == 1 and d.record.bound.candidate is not None
    entries = _entries(app)
    context = next(orjson.loads(e)["body"] for e in entries if orjson.loads(e)["type"] == "context")
    assert context["log_size"] <= d.leaf_index and context["round"][0] < context["log_size"]
    assert d.record.bound.flags[0][0] < context["log_size"]
