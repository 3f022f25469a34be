"""What the people who use it see: the filed report (XLSX, HTML in a real browser, CSV), explanations in
Chinese and English, progress that stays out of pipes, the Node.js client, metrics, logs and doctor."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import orjson
import pytest
from openpyxl import load_workbook

from eligibility.home.setup import init_home
from tests.conftest import Server, write_csv
from tests.helpers import candidate, flag, make_id

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
AGENCIES = ["discipline", "court", "procuratorate", "police", "justice", "civil_affairs", "religious_affairs", "petition"]


@pytest.fixture(scope="module")
def screened(server: Server, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A small round in two townships with a failure, a review, a pending agency and a formula-looking name."""
    from eligibility.console.main import main
    tmp = tmp_path_factory.mktemp("rep")
    base = ["--home", str(server.home), "--server", server.address]
    a, b, c, d = (make_id() for _ in range(4))
    write_csv(tmp / "f.csv", [flag(a, "party_sanction", "纪-rep-1", "2025-08-01", level="serious_warning", name="王一")])
    assert main([*base, "--as", "discipline", "flags", "submit", str(tmp / "f.csv")]) == 0
    write_csv(tmp / "p.csv", [flag(b, "petition_pending", "信-rep-1", "2026-10-01", name="李二")])
    assert main([*base, "--as", "petition", "flags", "submit", str(tmp / "p.csv")]) == 0
    write_csv(tmp / "c.csv", [candidate(a, "王一", township="东城街道", village="一社区"),
                              candidate(b, "李二", township="东城街道", village="二社区"),
                              candidate(c, "=cmd|' /C calc'!A0", township="桃源乡", village="桃源村"),
                              candidate(d, "赵四", "party_secretary", "yes", township="桃源乡", village="桃源村")])
    main([*base, "--as", "district", "--format", "json", "round", "create", "--name", "报表", "--as-of", "2026-12-01",
          "--candidates", str(tmp / "c.csv")])
    from eligibility._gen.v1 import eligibility_pb2 as pb
    from eligibility.console.client import connect
    with connect(server.config, "district", server.address) as cl:
        round_id = cl.call(cl.rounds.ListRounds, pb.ListRoundsRequest()).rounds[0].round_id
    for ag in AGENCIES[:-1]:
        said = ["--note", "经核查，未发现不宜人选情形", "--handler", "陈法官"] if ag == "court" else []
        main([*base, "--as", ag, "round", "attest", round_id, *said])
    assert main([*base, "--as", "district", "--format", "json", "round", "screen", round_id]) == 0
    return round_id, tmp


def test_xlsx_report(cli, screened) -> None:  # type: ignore[no-untyped-def]
    round_id, tmp = screened
    out = tmp / "report.xlsx"
    r = cli("district", "round", "report", round_id, "--out", str(out))
    assert r.code == 0, r.err
    wb = load_workbook(out)
    assert wb.sheetnames == ["联审结果", "汇总", "各成员单位联审意见"]
    ws = wb["联审结果"]
    header = [c.value for c in ws[3]]
    assert header[:6] == ["序号", "乡镇(街道)", "村(社区)", "姓名", "身份证号", "拟任职务"]
    assert header[6:14] == ["纪委监委", "法院", "检察院", "公安", "司法局", "民政", "民族宗教", "信访"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=4)]
    by_name = {r[3]: r for r in rows}
    assert [r[1] for r in rows] == sorted(r[1] for r in rows)  # grouped by township
    wang = by_name["王一"]
    assert wang[6] == "不通过" and wang[15] == "不符合"
    assert "DIS-PARTY-SANCTION" in wang[16] and "纪-rep-1" in wang[16] and "影响期 2025-08-01 至 2027-01-31" in wang[16]
    assert by_name["李二"][13] == "待核实" and by_name["李二"][15] == "待核实"
    assert by_name["赵四"][13] == "未反馈" and by_name["赵四"][15] == "待反馈"
    assert ws.cell(row=4, column=7).fill.start_color.rgb.endswith("C6EFCE") or ws.cell(row=4, column=7).fill.fill_type
    # the formula-looking name is text, never a formula
    evil = next(r for r in ws.iter_rows(min_row=4) if "cmd" in str(r[3].value))
    assert evil[3].data_type == "s" and str(evil[3].value).startswith("'=")
    assert all(re.fullmatch(r"\d{6}\*{8}[\dX]{4}", str(r[4])) for r in rows)  # masked
    summary = wb["汇总"]
    assert summary._charts and summary["A1"].value == "各单位意见"
    en = tmp / "report-en.xlsx"
    assert cli("district", "--lang", "en", "round", "report", round_id, "--out", str(en)).code == 0
    assert load_workbook(en).sheetnames == ["Results", "Summary", "Opinions of the member agencies"]
    # filed on paper: A4 landscape, one page wide, the header row on every page, page numbers; a filter; 序号 a number
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$3:$3" and ws.auto_filter.ref == f"A3:Q{3 + len(rows)}"
    assert ws.oddFooter.center.text == "第 &P 页 共 &N 页"
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
    assert wb.properties.title.startswith("村(社区)“两委”换届候选人资格联审结果")
    opinions = [[c.value for c in r] for r in wb["各成员单位联审意见"].iter_rows()]
    assert opinions[1] == ["单位", "核查结果", "意见", "经办人", "反馈时间", "签字"]
    by_agency = {r[0]: r for r in opinions[2:10]}
    assert by_agency["信访"][2] == "尚未反馈" and by_agency["法院"][4].endswith("+08:00")
    assert by_agency["法院"][2:4] == ["经核查，未发现不宜人选情形", "陈法官"] and by_agency["法院"][1] == "通过 4"
    assert opinions[-1][:5] == ["经办人：", "审核人：", "负责人：", "日期：", "（盖章）"]


def _pdf_text(path: Path) -> list[str]:
    """The text layer of each page (pdftotext, layout kept)."""
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return out.split("\f")[:-1]


def test_pdf_report_repeats_its_header_numbers_pages_and_ends_with_the_signature_block(  # type: ignore[no-untyped-def]
        cli, server: Server, tmp_path: Path) -> None:
    people = [make_id() for _ in range(130)]
    write_csv(tmp_path / "f.csv", [flag(people[7], "criminal_conviction", "(2019)浙0106刑初77号", "2019-06-01",
                                        name="候选人7")])
    assert cli("court", "flags", "submit", str(tmp_path / "f.csv")).code == 0
    write_csv(tmp_path / "c.csv", [candidate(p, f"候选人{i}", township=f"第{i // 60}街道", village=f"{i // 20}社区")
                                   for i, p in enumerate(people)])
    made = cli("district", "--format", "json", "round", "create", "--name", "PDF长表", "--as-of", "2026-12-01",
               "--candidates", str(tmp_path / "c.csv"))
    round_id = made.jsonl()[0]["round_id"]
    for ag in AGENCIES:
        assert cli(ag, "round", "attest", round_id, "--note", f"{ag} 已核查", "--handler", f"{ag}经办人").code == 0
    assert cli("district", "--format", "json", "round", "screen", round_id).code == 0
    out = tmp_path / "联审表.pdf"
    r = cli("district", "round", "report", round_id, "--out", str(out))
    assert r.code == 0, r.err
    pages = _pdf_text(out)
    assert len(pages) >= 4
    for n, text in enumerate(pages, 1):
        assert f"第{n}页共{len(pages)}页" in "".join(text.split()), (n, text[-300:])
    table_pages = [t for t in pages if re.search(r"候选人\d+", t)]
    assert len(table_pages) >= 3
    assert all("乡镇(街道)" in t and "纪委监委" in t and "联审结论" in t for t in table_pages)  # the header repeats
    assert "CRT-CONVICTION" in "".join(pages) and "(2019)浙0106刑初77号" in "".join(pages)
    last = pages[-1]
    for word in ("各成员单位联审意见", "经办人：", "审核人：", "负责人：", "日期：", "联审单位（盖章）", "court 已核查",
                 "court经办人", "+08:00"):
        assert word in last, (word, last[-800:])
    assert people[7] not in "".join(pages) and people[7][:6] + "********" + people[7][-4:] in "".join(pages)
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout
    assert "WenQuanYi" in fonts and all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:]), fonts  # embedded
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "2", str(out), str(ARTIFACTS / "report-pdf")],
                   check=True)
    shots = sorted(ARTIFACTS.glob("report-pdf-*.png"))
    assert len(shots) >= 2 and all(s.stat().st_size > 5_000 for s in shots)

    dossier = tmp_path / "档案.pdf"
    assert cli("district", "round", "report", round_id, "--out", str(dossier), "--per-candidate").code == 0
    more = _pdf_text(dossier)
    assert len(more) == len(pages) + 130
    seventh = next(t for t in more if "候选人资格联审表" in t and "候选人7 " in t.replace("\n", " "))
    assert "不通过" in seventh and "CRT-CONVICTION" in seventh and "审核人：" in seventh
    refused = cli("district", "round", "report", round_id, "--out", str(tmp_path / "x.xlsx"), "--per-candidate")
    assert refused.code == 2 and "PDF" in refused.err


def test_csv_report_escapes_formulas(cli, screened) -> None:  # type: ignore[no-untyped-def]
    round_id, tmp = screened
    out = tmp / "report.csv"
    assert cli("district", "round", "report", round_id, "--out", str(out)).code == 0
    text = out.read_text(encoding="utf-8-sig")
    assert "'=cmd|" in text and ",=cmd" not in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_html_report_in_a_real_browser(cli, screened, lang: str) -> None:  # type: ignore[no-untyped-def]
    round_id, tmp = screened
    out = tmp / f"report-{lang}.html"
    assert cli("district", "--lang", lang, "round", "report", round_id, "--out", str(out)).code == 0
    page = out.read_text(encoding="utf-8")
    assert "<script" not in page and "=cmd|&#x27; /C calc&#x27;!A0" in page
    assert "经办人：" in page if lang == "zh" else "Prepared by: " in page
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "make test installs chromium (see Makefile: system)"
    probe = tmp / f"probe-{lang}.html"
    # no horizontal overflow at A4 width, and no column head broken inside a word: heads wrap only between words
    # (word-break: normal), so a head whose word does not fit would overflow its cell instead, and that is measured
    probe.write_text(page.replace("</body>", "<script>const heads = [...document.querySelectorAll('th')];"
                                  "document.body.setAttribute('data-overflow', String("
                                  "document.documentElement.scrollWidth > window.innerWidth));"
                                  "document.body.setAttribute('data-width', String(document.documentElement.scrollWidth));"
                                  "document.body.setAttribute('data-broken', heads.filter(th => th.scrollWidth > "
                                  "th.clientWidth + 1 || getComputedStyle(th).wordBreak !== 'normal')"
                                  ".map(th => th.textContent).join('|'));"
                                  "</script></body>"), encoding="utf-8")
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"report-a4-{lang}.png"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp / ('chrome-' + lang)}", "--window-size=1123,794", "--hide-scrollbars"]
    dom = subprocess.run([chromium, *flags, "--virtual-time-budget=3000", "--dump-dom", probe.as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert 'data-overflow="false"' in dom.stdout, dom.stdout[-500:] + dom.stderr[-2000:]
    assert 'data-broken=""' in dom.stdout, re.findall(r'data-broken="[^"]*"', dom.stdout)
    subprocess.run([chromium, *flags, f"--screenshot={shot}", out.as_uri()], capture_output=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 10_000


def test_audit_show_explains_in_both_languages(cli, screened) -> None:  # type: ignore[no-untyped-def]
    round_id, _ = screened
    rows = cli("district", "--format", "json", "round", "screen", round_id).jsonl()
    wang = next(d for d in rows if d["name"] == "王一")
    zh = cli("auditor", "--lang", "zh", "audit", "show", wang["decision_id"])
    assert zh.code == 0
    assert "影响期 2025-08-01 至 2027-01-31" in zh.out and "纪-rep-1" in zh.out and "中国共产党纪律处分条例" in zh.out
    assert "已核查" in zh.out and "法院已确认" in zh.out and "信访尚未反馈" in zh.out
    en = cli("auditor", "audit", "show", wang["decision_id"])
    assert "in force 2025-08-01 .. 2027-01-31" in en.out and "court attested review at" in en.out


def test_progress_stays_out_of_pipes(server: Server, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", [flag(make_id(), "cult", f"公-pipe-{i}", "2001-01-01") for i in range(3)])
    r = subprocess.run([str(Path(sys.executable).parent / "eligibility"), "--home", str(server.home), "--server",
                        server.address, "--as", "police", "flags", "submit", str(path)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stderr == "" and "\x1b" not in r.stdout
    assert r.stdout.strip() == "3 rows: 3 created, 0 corrected, 0 unchanged, 0 rejected"


def test_node_client_submits_and_screens(server: Server, tmp_path: Path) -> None:
    node = shutil.which("node")
    assert node, "make test installs Node.js"
    pid = make_id()
    (tmp_path / "flags.json").write_text(orjson.dumps([{"id_number": pid, "name": "钱五", "kind": "cult",
                                                       "reference": f"公-node-{pid[-6:]}", "decided_on": "2010-01-01"}]).decode())
    client = ROOT / "clients" / "node" / "client.js"
    creds = server.home / "credentials"
    sub = subprocess.run([node, str(client), "submit", "--server", server.address, "--creds", str(creds / "police"),
                          "--flags", str(tmp_path / "flags.json")], capture_output=True, text=True, timeout=60)
    assert sub.returncode == 0, sub.stderr
    assert orjson.loads(sub.stdout)["results"][0]["status"] == "ROW_STATUS_CREATED"
    scr = subprocess.run([node, str(client), "screen", "--server", server.address, "--creds", str(creds / "district"),
                          "--id-number", pid, "--name", "钱五", "--as-of", "2026-12-01"],
                         capture_output=True, text=True, timeout=60)
    assert scr.returncode == 0, scr.stderr
    d = orjson.loads(scr.stdout)
    assert d["verdicts"]["police"] == "FAIL" and d["overall"] == "INELIGIBLE"
    assert any(t["rule_id"] == "POL-CULT" for t in d["trace"])
    denied = subprocess.run([node, str(client), "screen", "--server", server.address, "--creds", str(creds / "police"),
                             "--id-number", pid, "--name", "钱五", "--as-of", "2026-12-01"],
                            capture_output=True, text=True, timeout=60)
    assert denied.returncode == 1 and "PERMISSION_DENIED" in denied.stderr


def test_metrics_json_logs_and_doctor(tmp_path: Path) -> None:
    home = tmp_path / "ops"
    init_home(home)
    with open(home / "server.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "eligibility", "--home", str(home), "serve", "--listen",
                                 "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"], stdout=subprocess.PIPE,
                                stderr=log, text=True)
    try:
        assert proc.stdout is not None
        info = orjson.loads(proc.stdout.readline())
        from eligibility.console.main import main
        base = ["--home", str(home), "--server", info["listening"]]
        pid = make_id()
        write_csv(tmp_path / "f.csv", [flag(pid, "cult", "公-m-1", "2001-01-01"), flag(pid, "investigation", "x", "2001-01-01")])
        main([*base, "--as", "police", "flags", "submit", str(tmp_path / "f.csv")])
        main([*base, "--as", "auditor", "round", "create", "--name", "x", "--as-of", "2026-12-01", "--candidates",
              str(write_csv(tmp_path / "c.csv", [candidate(pid)]))])
        metrics = urllib.request.urlopen(f"http://{info['metrics']}/metrics", timeout=10).read().decode()
        (tmp_path / "metrics.txt").write_text(metrics)
        assert 'eligibility_requests_total{code="OK",method="/eligibility.v1.FlagService/SubmitFlags"} 1.0' in metrics
        assert 'code="PERMISSION_DENIED",method="/eligibility.v1.RoundService/CreateRound"' in metrics
        assert 'eligibility_flag_rows_total{agency="police",status="REJECTED"} 1.0' in metrics
        assert "eligibility_request_seconds_bucket" in metrics and "eligibility_engine_disagreements_total" in metrics
        doctor = subprocess.run([sys.executable, "-m", "eligibility", *base, "doctor"], capture_output=True, text=True,
                                timeout=60)
        assert doctor.returncode == 0 and f"ok      server at {info['listening']} is SERVING" in doctor.stdout, doctor
    finally:
        proc.terminate()
        proc.wait(20)
        if proc.stdout:
            proc.stdout.close()
    time.sleep(0.1)
    lines = [orjson.loads(x) for x in (home / "server.log").read_text().splitlines() if x.startswith("{")]
    assert lines and all({"ts", "level", "logger", "msg"} <= set(x) for x in lines)
    assert any("refused: role=auditor" in x["msg"] for x in lines)
    assert pid not in (home / "server.log").read_text()

    from eligibility.console.main import main
    stopped = subprocess.run([sys.executable, "-m", "eligibility", *base, "doctor"], capture_output=True, text=True,
                             timeout=60)
    assert stopped.returncode == 0 and f"note    server: nothing answers at {info['listening']}" in stopped.stdout
    unreachable = subprocess.run([sys.executable, "-m", "eligibility", *base, "--as", "police", "flags", "list"],
                                 capture_output=True, text=True, timeout=60)
    assert unreachable.returncode == 3 and "cannot reach the server" in unreachable.stderr
    assert "eligibility doctor" in unreachable.stderr and "Traceback" not in unreachable.stderr
    assert main(["--home", str(home), "doctor"]) == 0
    os.chmod(home / "keys" / "id-enc.key", 0o644)
    (home / "credentials" / "court" / "client.pem").unlink()
    assert main(["--home", str(home), "doctor"]) == 1


def test_the_language_comes_from_lang_then_env_then_locale(server: Server, screened) -> None:  # type: ignore[no-untyped-def]
    round_id, _ = screened
    exe = str(Path(sys.executable).parent / "eligibility")
    base = [exe, "--home", str(server.home), "--server", server.address, "--as", "district", "round", "results",
            round_id]

    def run(*extra: str, **env: str) -> str:
        clean = {k: v for k, v in os.environ.items() if k not in ("LANG", "LC_ALL", "LC_MESSAGES", "ELIGIBILITY_LANG")}
        r = subprocess.run([*base, *extra], capture_output=True, text=True, timeout=60, env={**clean, **env})
        assert r.returncode == 0, r.stderr
        return r.stdout
    assert "联审结论" in run(LANG="zh_CN.UTF-8") and "不符合" in run(LANG="zh_CN.UTF-8")
    assert "overall" in run(LANG="en_US.UTF-8") and "INELIGIBLE" in run(LANG="C.UTF-8")
    assert "联审结论" in run()  # no locale at all: Chinese first
    assert "overall" in run(LANG="zh_CN.UTF-8", ELIGIBILITY_LANG="en")
    assert "联审结论" in run("--lang", "zh", LANG="en_US.UTF-8", ELIGIBILITY_LANG="en")
