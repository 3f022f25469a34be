"""A fixed set of inputs gives byte-identical log entries and decision records, release after release.

The scenario (flags of three agencies, a correction and a retraction, a round of six candidates
added in two chunks, attestations with and without a note, two screenings, an ad hoc screen and a
screen of one candidate) runs through the real App over a real SQLite file, with the only
nondeterminism fixed: the clock, decision and round ids, and the ID-number keys. Every entry of
its log (bodies from the codec, the envelope, the hash chain) must equal, byte for byte, the log
the same scenario produced (tests/data/golden-log.jsonl) when it was first written, before the code was
moved into layers, as changed since on purpose (below).

A change that alters a record on purpose must bump the engine or record version and say why; then
regenerate the file with ELIGIBILITY_WRITE_GOLDEN_LOG=1 and review the diff. Changes so far:
- ruleset entries hold their canonical content (so that the log alone replays): entries 0 and 1 gained
  "content", every later entry differs only in its "prev" hash. Older logs keep their entries; the
  database written before that change is tests/data/home-v1 (tests/system/test_old_home.py).
- decisions are bound to their inputs: each screening batch (each of the 4 screenings here) logs a "context"
  entry before its decisions (the log size read at, the round's, ruleset's and attestations' entries), and each
  decision gained "bound" (that context by hash, its candidate's and flags' entries). The format says itself
  which decisions are bound (replay checks an unbound one by key, as of its own position), so no version was
  bumped; results are unchanged.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import orjson
import pytest

from eligibility.home.config import load_config
from eligibility.home.setup import init_home
from eligibility.intake.candidates import CandidateRow
from eligibility.intake.flags import FlagRow
from eligibility.review import app as app_module
from eligibility.review import clock, screening
from eligibility.review.app import App
from tests.conftest import configure

GOLDEN = Path(__file__).parents[1] / "data" / "golden-log.jsonl"
IDS = ("11010519491231002X", "110101198001010037", "110101199002020012", "110101200901010016", "110105197505050017",
       "110105196606060017")


class _Counter:
    """Round ids from a counter instead of the random module (secrets.token_hex's signature)."""

    def __init__(self) -> None:
        self._n = itertools.count(1)

    def token_hex(self, n: int) -> str:
        return f"{next(self._n):0{2 * n}x}"


def _run_scenario(home: Path, monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    steps = itertools.count(1)
    at = [0]

    def step() -> None:  # every act of the scenario happens at its own second, however often it reads the clock
        at[0] = next(steps)

    def now() -> str:
        return f"2026-11-01T08:{at[0] // 60:02d}:{at[0] % 60:02d}.000000Z"
    ids = itertools.count(1)
    monkeypatch.setattr(clock, "utc_now", now)
    monkeypatch.setattr(screening, "new_decision_id", lambda: f"dec-{next(ids):024x}")
    monkeypatch.setattr(app_module, "secrets", _Counter())
    init_home(home)
    (home / "keys" / "id-hmac.key").write_text("11" * 32 + "\n")
    (home / "keys" / "id-enc.key").write_text("22" * 32 + "\n")
    (home / "eligibility.db").unlink()  # made by init with the random keys' fingerprints: start it with the fixed ones
    configure(home, workers=0, log_origin='"eligibility/golden"')
    step()
    app = App(load_config(home))
    try:
        i1, i2, i3, i4, i5, i6 = IDS
        step()
        app.submit_flags("court", [
            FlagRow(row=2, id_number=i1, name="张三", kind="criminal_conviction", reference="(2019)京0105刑初123号",
                    decided_on="2019-06-01"),
            FlagRow(row=3, id_number=i2, name="李四", kind="dishonest_debtor", reference="(2024)京0101执456号",
                    decided_on="2024-03-01")], False, "")
        step()
        app.submit_flags("discipline", [FlagRow(row=2, id_number=i3, name="王五", kind="party_sanction",
                                                level="serious_warning", reference="纪-2025-1", decided_on="2025-08-01",
                                                note="备注")], False, "")
        step()
        app.submit_flags("police", [FlagRow(row=2, id_number=i5, name="赵六X", kind="administrative_detention",
                                            reference="公-1", decided_on="2026-06-01")], False, "")
        step()
        app.submit_flags("court", [FlagRow(row=2, id_number=i2, name="李四", kind="dishonest_debtor",
                                           reference="(2024)京0101执456号", decided_on="2024-03-01",
                                           end_date="2026-09-01")], True, "delisted 2026-09-01")
        step()
        app.retract_flag("court", "(2019)京0105刑初123号", "entered in error")
        cands = [CandidateRow(row=2, id_number=i1, name="张三", village="桃源村", township="桃源乡", position="一肩挑",
                              party_member="是"),
                 CandidateRow(row=3, id_number=i2, name="李四", village="桃源村", township="桃源乡", position="vc_member",
                              party_member="否"),
                 CandidateRow(row=4, id_number=i3, name="王五", village="杏花社区", township="东城街道",
                              position="party_committee", party_member="是"),
                 CandidateRow(row=5, id_number=i4, name="小明", village="杏花社区", township="东城街道",
                              position="vc_member", party_member="否"),
                 CandidateRow(row=6, id_number=i5, name="赵六", village="杏花社区", township="东城街道",
                              position="vc_member", party_member="否"),
                 CandidateRow(row=7, id_number=i6, name="钱七", village="杏花社区", township="东城街道",
                              position="party_secretary", party_member="否")]
        step()
        info, _ = app.create_round("district", "2026 换届 第一批", "2026-12-01", "", cands[:4])
        step()
        app.add_candidates(info.round_id, cands[4:])
        step()
        for agency in ("discipline", "court", "procuratorate", "police", "justice", "civil_affairs", "religious_affairs"):
            step()
            app.attest(agency, info.round_id, "已核查" if agency == "court" else "")
        step()
        list(app.screen_round(info.round_id))
        step()
        app.attest("petition", info.round_id, "")
        step()
        list(app.screen_round(info.round_id))
        step()
        app.screen_candidate("", CandidateRow(row=0, id_number=i3, name="王五", position="vc_member", party_member="否"),
                             "2026-12-01", "")
        step()
        app.screen_candidate(info.round_id, CandidateRow(row=0, id_number=i2), "", "")
        return [data for batch in app.store.leaves(0) for _, data in batch]
    finally:
        app.close()


def test_the_same_inputs_give_the_same_log_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entries = _run_scenario(tmp_path / "home", monkeypatch)
    if os.environ.get("ELIGIBILITY_WRITE_GOLDEN_LOG") == "1":
        GOLDEN.write_bytes(b"".join(e + b"\n" for e in entries))
    golden = GOLDEN.read_bytes().splitlines()
    kinds = sorted({orjson.loads(e)["type"] for e in golden})
    assert kinds == ["attestation", "candidate", "context", "decision", "flag", "result", "round", "ruleset"]
    assert len(entries) == len(golden) == 45
    for position, (got, want) in enumerate(zip(entries, golden, strict=True)):
        assert got == want, f"entry {position} differs from the golden log"
