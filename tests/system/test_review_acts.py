"""The human half of the joint review (issue 15), through the real CLI and a real server: read-only views of what
was decided, and the lineage of a candidate's decisions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from eligibility.console.main import main as cli_main
from eligibility.home.setup import init_home
from tests.conftest import Run, Server, start_server, stop_server, write_csv
from tests.helpers import candidate, flag, make_id

AGENCIES = ["discipline", "court", "procuratorate", "police", "justice", "civil_affairs", "religious_affairs", "petition"]
Cli = Callable[..., Run]


@pytest.fixture(scope="module")
def acts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of its own (these tests conclude rounds and add records)."""
    home = tmp_path_factory.mktemp("acts")
    init_home(home)
    s = start_server(home)
    yield s
    stop_server(s)


@pytest.fixture
def run(acts: Server, capsys: pytest.CaptureFixture[str]) -> Cli:
    def go(role: str, *args: str) -> Run:
        capsys.readouterr()
        code = cli_main(["--home", str(acts.home), "--server", acts.address, "--as", role, *args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)
    return go


def _json(r: Run) -> list[dict[str, Any]]:
    assert r.code == 0, r
    return [orjson.loads(line) for line in r.out.splitlines()]


def _round(run: Cli, tmp: Path, people: list[tuple[str, str, str]], name: str = "联审") -> str:
    write_csv(tmp / f"{name}.csv", [candidate(p, n, township=t, village="一村") for p, n, t in people])
    made = _json(run("district", "--format", "json", "round", "create", "--name", name, "--as-of", "2026-12-01",
                     "--candidates", str(tmp / f"{name}.csv")))
    return str(made[0]["round_id"])


def test_results_are_read_only_and_decisions_show_their_lineage(run: Cli, tmp_path: Path) -> None:
    a, b, c = make_id(), make_id(), make_id()
    write_csv(tmp_path / "court.csv", [flag(a, "criminal_conviction", "法-ro-1", "2024-03-01", name="王一")])
    assert run("court", "flags", "submit", str(tmp_path / "court.csv")).code == 0
    round_id = _round(run, tmp_path, [(a, "王一", "东城街道"), (b, "李二", "东城街道"), (c, "张三", "桃源乡")])
    never = run("district", "round", "results", round_id)
    assert never.code == 1 and "has not been screened yet" in never.err, never
    for agency in AGENCIES:
        assert run(agency, "round", "attest", round_id).code == 0
    screened = _json(run("district", "--format", "json", "round", "screen", round_id))
    assert [d["overall"] for d in screened] == ["INELIGIBLE", "ELIGIBLE", "ELIGIBLE"]

    def decisions(*extra: str) -> list[dict[str, Any]]:
        return _json(run("auditor", "--format", "json", "audit", "decisions", "--round", round_id, *extra))
    assert len(decisions()) == 3
    for _ in range(2):  # looking at the results records nothing
        assert _json(run("district", "--format", "json", "round", "results", round_id)) == screened
    assert len(decisions()) == 3
    assert [d["name"] for d in _json(run("district", "--format", "json", "round", "results", round_id,
                                         "--problems-only"))] == ["王一"]
    assert [d["name"] for d in _json(run("district", "--format", "json", "round", "results", round_id,
                                         "--township", "桃源乡"))] == ["张三"]
    table = run("district", "round", "results", round_id)
    assert table.code == 0 and "王一" in table.out and "INELIGIBLE" in table.out, table

    again = _json(run("district", "--format", "json", "round", "screen", round_id))
    listed = decisions()
    assert [d["decision_id"] for d in listed] == [d["decision_id"] for d in screened + again]
    assert [d["supersedes"] for d in listed] == [None] * 3 + [d["decision_id"] for d in screened]
    mine = decisions("--id-number", a)
    assert [d["decision_id"] for d in mine] == [screened[0]["decision_id"], again[0]["decision_id"]]
    assert all(d["id_number"] == a[:6] + "********" + a[-4:] for d in mine) and a not in str(mine)
    shown = _json(run("auditor", "--format", "json", "audit", "show", again[0]["decision_id"]))[0]
    assert shown["supersedes"] == screened[0]["decision_id"] and shown["superseded_by"] is None
    first = _json(run("auditor", "--format", "json", "audit", "show", screened[0]["decision_id"]))[0]
    assert first["supersedes"] is None and first["superseded_by"] == again[0]["decision_id"]
    text = run("auditor", "audit", "show", again[0]["decision_id"])
    assert f"取代 {screened[0]['decision_id']}" in text.out or f"supersedes {screened[0]['decision_id']}" in text.out
    for role in AGENCIES:  # the agencies read their own queue (later), not the round's decisions
        refused = run(role, "audit", "decisions", "--round", round_id)
        assert refused.code == 3 and "PERMISSION_DENIED" in refused.err, (role, refused)
