"""`eligibility demo`: a synthetic district run through the real server (a subprocess) and the real client."""

from __future__ import annotations

import csv
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from eligibility.console import render
from eligibility.console.client import open_session
from eligibility.console.synth import District, district
from eligibility.home.config import Config
from eligibility.home.setup import init_home
from eligibility.intake.idnumbers import mask
from eligibility.rules.loader import REPO_RULES, load_ruleset_file

AS_OF = date(2026, 12, 1)
LATE_AGENCY = "petition"


@contextmanager
def running_server(home: Path) -> Any:
    """Start `eligibility serve` on a free loopback port; yield its address; stop it after."""
    with open(home / "server.log", "ab") as log:  # the child keeps its own handle
        proc = subprocess.Popen(
            [sys.executable, "-m", "eligibility", "--home", str(home), "serve", "--listen", "127.0.0.1:0"],
            stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line:
            raise RuntimeError(f"server did not start; see {home / 'server.log'}")
        yield orjson.loads(line)["listening"]
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        if proc.stdout:
            proc.stdout.close()


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


Cli = Callable[[list[str]], int]
"""The console command's entry point (argv -> exit code): the demo drives the CLI it is given."""


def run_demo(cli: Cli, where: Path | None, per_village: int = 4, seed: int = 2026, show_all: bool = True) -> int:
    """Run the whole joint review once and print the verdict table, the summary and the replay result."""
    started = time.monotonic()

    def _cli(home: Path, server: str, *args: str) -> int:
        return cli(["--home", str(home), "--server", server, *args])
    tmp = None
    if where is None:
        tmp = tempfile.TemporaryDirectory(prefix="eligibility-demo-")
        where = Path(tmp.name)
    home = where / "home"
    cfg = init_home(home, listen="127.0.0.1:0", rules_dirs=(REPO_RULES,))
    ruleset = load_ruleset_file(REPO_RULES / cfg.default_ruleset / "ruleset.yaml")
    vocab = cfg.vocabulary()
    data = district(ruleset, AS_OF, per_village=per_village, seed=seed)
    files = where / "files"
    files.mkdir(exist_ok=True)
    print(f"demo home {home}; ruleset {ruleset.label}; as_of {AS_OF}")
    with running_server(home) as server:
        print(f"server listening on {server} (log: {home / 'server.log'})\n")
        print("== 1. agencies submit flags (CSV), then retract a few")
        for agency, rows in data.flags.items():
            path = files / f"flags-{agency}.csv"
            _write_csv(path, rows)
            print(f"[{agency}] ", end="", flush=True)
            _cli(home, server, "--as", agency, "flags", "submit", str(path))
            for ref in data.retract[agency]:
                print(f"[{agency}] ", end="")
                _cli(home, server, "--as", agency, "flags", "retract", ref, "--reason", "entered in error")
        print("[court] resubmitting the same file changes nothing: ", end="", flush=True)
        _cli(home, server, "--as", "court", "flags", "submit", str(files / "flags-court.csv"))

        print("\n== 2. the district office opens the round")
        cand_path = files / "candidates.csv"
        _write_csv(cand_path, [{"身份证号": p.id_number, "姓名": p.name, "村(社区)": p.village, "乡镇(街道)": p.township,
                                "拟任职务": p.position, "是否党员": "是" if p.party_member else "否"}
                               for p in data.candidates])
        _cli(home, server, "--as", "district", "round", "create", "--name", "2026 两委换届 资格联审",
             "--as-of", AS_OF.isoformat(), "--candidates", str(cand_path))
        with open_session(cfg, "district", server) as s:
            round_id = s.list_rounds()[0]["round_id"]

        print(f"\n== 3. agencies attest their review ({LATE_AGENCY} is late)")
        for agency in ruleset.agencies:
            if agency != LATE_AGENCY:
                _cli(home, server, "--as", agency, "round", "attest", round_id, "--note", "经核查，未发现不宜人选情形",
                     "--handler", f"{vocab.agency_label(agency, 'zh')}经办人")

        print("\n== 4. first screening, before the late agency attests")
        first = render.Shown(vocab, False)
        with open_session(cfg, "district", server) as s:
            for d in s.iter_screen_round(round_id):
                first.add(d)
        render.console.print(render.summary_table(first))

        print(f"\n== 5. {LATE_AGENCY} attests; the district screens again")
        _cli(home, server, "--as", LATE_AGENCY, "round", "attest", round_id)
        t0 = time.monotonic()
        with open_session(cfg, "district", server) as s:
            final = list(s.iter_screen_round(round_id))
        screen_s = time.monotonic() - t0
        shown = render.Shown(vocab, show_all)
        for d in final:
            shown.add(d)
        render.show_decisions(shown, f"round {round_id} as of {AS_OF}: {{n}} candidates", "en")
        example = next((d for d in final if d["overall"] == "INELIGIBLE" and d["verdicts"]["profile"] == "PASS"), None)
        if example:
            print("\nwhy, for one ineligible candidate (eligibility --lang zh audit show " + example["decision_id"] + "):")
            _cli(home, server, "--as", "auditor", "--lang", "zh", "audit", "show", example["decision_id"])
        print("\n== 6. the joint review: agencies verify their REVIEW verdicts, a late record is caught, the round "
              "is concluded, an appeal is heard")
        _joint_review(lambda *a: _cli(home, server, *a), cfg, server, round_id, data, files)
        print("\n== the district office files the report of the concluded round")
        _cli(home, server, "--as", "district", "round", "report", round_id, "--out", str(files / "联审结果.xlsx"))
        _cli(home, server, "--as", "district", "round", "report", round_id, "--out", str(files / "联审结果.html"))
        _cli(home, server, "--as", "district", "round", "report", round_id, "--out", str(files / "联审表.pdf"))

        print("\n== 7. the auditor replays every decision of the round")
        code = _cli(home, server, "--as", "auditor", "audit", "replay", "--round", round_id)
        print("\n== 8. the auditor proves one decision is in the signed log, exports the log, verifies and replays it "
              "offline")
        if example:
            code |= _cli(home, server, "--as", "auditor", "audit", "prove", example["decision_id"])
        code |= _cli(home, server, "--as", "auditor", "audit", "export", "--out", str(where / "log"))
        code |= _cli(home, server, "audit", "verify", str(where / "log"), "--public-key", str(home / "keys" / "log.pub"),
                     "--replay")
        print("\n== 9. what if the older provincial lists (five-year windows) applied?")
        code |= _cli(home, server, "--as", "auditor", "audit", "what-if", "--round", round_id, "--ruleset",
                     "provincial-2018")
    elapsed = time.monotonic() - started
    print(f"\ndemo finished in {elapsed:.1f} s ({len(final)} candidates screened in {screen_s:.2f} s); "
          f"files in {files if tmp is None else '(temporary directory, removed)'}")
    if tmp is not None:
        tmp.cleanup()
    return code


def _joint_review(cli: Callable[..., int], cfg: Config, server: str, round_id: str, data: District,
                  files: Path) -> None:
    """Every REVIEW verdict resolved by its agency (the first of each queue shown through the CLI: one FAIL, one
    PASS), a late court record caught by `round changes` and screened with --changed, the round concluded, and an
    appeal against that record heard (the court retracts it and revises) amending the conclusion."""
    full = {(mask(p.id_number), p.name): p.id_number for p in data.candidates}
    shown = 0
    for agency in cfg.vocabulary().agencies:
        with open_session(cfg, agency, server) as s:
            queue = [i for i in s.reviews(round_id) if i["resolvable"]]
        for n, item in enumerate(queue):
            id_number = full[(item["id_number"], item["name"])]
            outcome = "fail" if shown == 0 else "pass"
            opinion = "经核实，系同一人" if outcome == "fail" else "经核实，不是同一人或事项不影响资格"
            if shown < 2 and n == 0:
                print(f"[{agency}] review resolve --outcome {outcome}: ", end="", flush=True)
                cli("--as", agency, "review", "resolve", "--round", round_id, "--id-number", id_number, "--outcome",
                    outcome, "--opinion", opinion, "--handler", "经办人甲")
                shown += 1
            else:
                with open_session(cfg, agency, server) as s:
                    s.resolve(round_id, id_number, outcome, opinion, "经办人甲")
        if queue:
            print(f"[{agency}] resolved {len(queue)} REVIEW verdict(s)")
    with open_session(cfg, "district", server) as s:
        eligible = next(d for d in s.round_decisions(round_id) if d["overall"] == "ELIGIBLE")
    late = next(p for p in data.candidates if (mask(p.id_number), p.name) == (eligible["id_number"], eligible["name"]))
    path = files / "flags-court-late.csv"
    _write_csv(path, [{"id_number": late.id_number, "name": late.name, "kind": "criminal_conviction",
                       "reference": "（2026）法刑初-迟报1号", "decided_on": "2025-06-01", "end_date": "", "level": "",
                       "term_months": "", "note": "late"}])
    print("[court] a record that arrives after the screening: ", end="", flush=True)
    cli("--as", "court", "flags", "submit", str(path))
    print("[district] round changes:")
    cli("--as", "district", "round", "changes", round_id)
    cli("--as", "district", "round", "screen", round_id, "--changed")
    cli("--as", "district", "round", "conclude", round_id, "--note", "经区联审领导小组审定")
    with open_session(cfg, "district", server) as s:
        appeal = s.open_appeal(round_id, late.id_number, "本人称该判决系他人同名记录")
    print(f"[district] appeal {appeal['appeal_id']} opened for {appeal['name']} {appeal['id_number_masked']}")
    cli("--as", "court", "flags", "retract", "（2026）法刑初-迟报1号", "--reason", "经复查系同名他人，录入错误")
    cli("--as", "court", "appeal", "answer", appeal["appeal_id"], "--revise", "--opinion", "经复查系同名他人，记录已撤回",
        "--handler", "经办人乙")
    cli("--as", "district", "appeal", "decide", appeal["appeal_id"])
    cli("--as", "district", "round", "show", round_id)


__all__ = ["run_demo", "running_server"]
