"""Offline replay with its costly evaluations (decisions with flags on record) done in other processes, as
`audit verify --replay` does for a large export: the same problems, in the same order, as one process finds; a
result or an input changed in a decision is found either way. A real App over a real SQLite home, its log's
entries as exported, a real spawned process pool."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

import orjson
import pytest

from eligibility.console.commands.audit import evaluated_in
from eligibility.home.config import load_config
from eligibility.home.setup import init_home
from eligibility.intake.candidates import CandidateRow
from eligibility.intake.flags import FlagRow
from eligibility.ledger import logreplay
from eligibility.ledger.logreplay import evaluate_batch, replay_log
from eligibility.review.app import App
from tests.conftest import configure
from tests.helpers import make_id

KINDS = {"criminal_conviction": "court", "cult": "police", "election_sabotage": "civil_affairs"}


@pytest.fixture(scope="module")
def entries(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    """A round of 40 candidates, 12 of them with flags on record (up to three each) and one with a petition pending
    (REVIEW), screened twice; then the petition office's resolution and the decision that applies it."""
    home = tmp_path_factory.mktemp("deferred") / "home"
    init_home(home)
    configure(home, workers=0)
    app = App(load_config(home))
    try:
        ids = [make_id() for _ in range(40)]
        rows: dict[str, list[FlagRow]] = {}
        for i, pid in enumerate(ids[:12]):
            for k in range(1 + i % 3):
                kind = list(KINDS)[(i + k) % len(KINDS)]
                agency = KINDS[kind]
                rows.setdefault(agency, []).append(FlagRow(row=len(rows.get(agency, [])) + 2, id_number=pid, name="张三",
                                                           kind=kind, reference=f"D-{i}-{k}",
                                                           decided_on=f"{2012 + i % 12}-03-01"))
        rows["petition"] = [FlagRow(row=2, id_number=ids[12], name="张三", kind="petition_pending", reference="P-1",
                                    decided_on="2026-06-01")]  # a REVIEW, resolved below
        for agency, flags in rows.items():
            outcomes = app.submit_flags(agency, flags, False, "")
            assert all(o.status != "REJECTED" for o in outcomes), outcomes
        info, _ = app.create_round("district", "r", "2026-12-01", "", [
            CandidateRow(row=i + 2, id_number=pid, name="张三", position="vc_member", party_member="否")
            for i, pid in enumerate(ids)])
        for agency in app.vocabulary.agencies:
            app.attest(agency, info.round_id, "")
        for _ in range(2):
            overall = [d.record.result.overall for batch in app.screen_round(info.round_id) for d in batch]
            assert "INELIGIBLE" in overall and "ELIGIBLE" in overall and "NEEDS_REVIEW" in overall
        # the petition office resolves its REVIEW verdict: that candidate's decisions from now on are evaluated here
        _, _, after = app.resolve_review("petition", info.round_id, ids[12], "pass", "已核实，信访事项已办结", "王五")
        assert after.record.result.overall == "ELIGIBLE"
        return [d for batch in app.store.leaves(0) for _, d in batch]
    finally:
        app.close()


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessPoolExecutor]:
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as p:
        yield p


def _both(entries: list[bytes], pool: ProcessPoolExecutor, monkeypatch: pytest.MonkeyPatch) -> tuple[tuple, tuple]:
    """(replayed in this process, replayed with the flagged decisions evaluated in the pool's)."""
    monkeypatch.setattr(logreplay, "_DEFER_BATCH", 3)  # several batches, several in flight, from 24 flagged decisions
    monkeypatch.setattr(logreplay, "_DEFER_IN_FLIGHT", 2)
    handed: list[int] = []
    deferral = evaluated_in(pool)

    def counted(rulesets: list[bytes]) -> logreplay.Deferred:
        submit = deferral(rulesets)
        return lambda batch: (handed.append(len(batch)), submit(batch))[1]
    serial, deferred = replay_log(lambda: entries), replay_log(lambda: entries, counted)
    # the decisions with flags on record are evaluated in the pool (24, and the petition candidate's 2 before its
    # resolution) but the one applying the resolution, whose check here needs it evaluated; of the second screening's,
    # one that reads and records exactly what a first-screening decision found to agree read and recorded is not
    # evaluated again (those answered by the time it comes: batches of 3, 2 in flight)
    flagged = [orjson.loads(e)["body"] for e in entries if orjson.loads(e)["type"] == "decision"]
    flagged = [b for b in flagged if b["inputs"]["flags"] and not b.get("bound", {}).get("resolutions")]
    distinct = {(orjson.dumps(b["inputs"], option=orjson.OPT_SORT_KEYS),
                 orjson.dumps(b["result"], option=orjson.OPT_SORT_KEYS)) for b in flagged}
    assert len(flagged) == 26
    assert len(distinct) <= sum(handed) < 26
    return serial, deferred


def _edit_decision(entries: list[bytes], which: int, old: bytes, new: bytes) -> list[bytes]:
    """The entries with one flagged decision's bytes edited (its which-th one holding `old`)."""
    at = [i for i, e in enumerate(entries) if orjson.loads(e)["type"] == "decision" and old in e
          and orjson.loads(e)["body"]["inputs"]["flags"]][which]
    out = list(entries)
    out[at] = entries[at].replace(old, new, 1)
    return out


def test_a_clean_log_replays_the_same_with_its_evaluations_elsewhere(entries: list[bytes], pool: ProcessPoolExecutor,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    serial, deferred = _both(entries, pool, monkeypatch)
    assert serial == deferred
    problems, _, figures = deferred
    assert problems == [] and figures["replayed"] == figures["decisions"] == 81


def test_a_changed_result_is_found_elsewhere_as_here(entries: list[bytes], pool: ProcessPoolExecutor,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    edited = _edit_decision(entries, 1, b'"verdict":"FAIL"', b'"verdict":"PASS"')
    serial, deferred = _both(edited, pool, monkeypatch)
    assert serial == deferred
    assert any("does not give the result it records" in p for p in deferred[0]), deferred[0]


def test_a_changed_result_of_a_round_screened_again_is_evaluated_and_found(entries: list[bytes],
                                                                           pool: ProcessPoolExecutor,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The second screening's copy of a decision whose first copy agreed, its result edited: not the same decision any
    more, so evaluated again, and found."""
    edited = _edit_decision(entries, -1, b'"verdict":"FAIL"', b'"verdict":"PASS"')
    serial, deferred = _both(edited, pool, monkeypatch)
    assert serial == deferred
    assert sum("does not give the result it records" in p for p in deferred[0]) == 1, deferred[0]


def test_changed_inputs_are_found_in_the_same_order(entries: list[bytes], pool: ProcessPoolExecutor,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Two decisions edited: an earlier one's result (found only by evaluating it, in the pool) and a later one's
    flag read as retracted (an input the log contradicts, found here at once, and a result that no longer follows);
    the problems are listed by position, each decision's own in the order found, as one process lists them."""
    edited = _edit_decision(entries, 0, b'"verdict":"FAIL"', b'"verdict":"REVIEW"')
    edited = _edit_decision(edited, 6, b'"status":"active"', b'"status":"retracted"')
    serial, deferred = _both(edited, pool, monkeypatch)
    assert serial == deferred
    problems = deferred[0]
    assert "does not give the result it records" in problems[0], problems
    assert "retracted" in problems[1] and "does not give the result it records" in problems[-1], problems


def test_evaluate_batch_reads_the_rulesets_it_is_given(entries: list[bytes]) -> None:
    rulesets = [e for e in entries if e.endswith(b'"type":"ruleset"}')]
    flagged = [(i, f"d{i}", e) for i, e in enumerate(entries)
               if orjson.loads(e)["type"] == "decision" and orjson.loads(e)["body"]["inputs"]["flags"]]
    assert len(flagged) == 27 and evaluate_batch(rulesets, flagged) == []  # (the resolved one too, on its own)
    bad = [(i, w, e.replace(b'"verdict":"FAIL"', b'"verdict":"PASS"', 1)) for i, w, e in flagged[:2]]
    assert [p for p, _ in evaluate_batch(rulesets, bad)] == [i for i, _, e in flagged[:2] if b'"verdict":"FAIL"' in e]
