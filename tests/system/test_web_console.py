"""The browser console (issue 17, first part), in a real headless Chromium through Playwright, against a real
server: the district's rounds, a round's results filtered to the ineligible and paged, a candidate's explanation in
Chinese; and the guard: no launch token, a cross-site post, a foreign Host header, a non-loopback address."""

from __future__ import annotations

import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Server, write_csv
from tests.helpers import candidate, flag, make_id
from tests.system.webconsole import ARTIFACTS, console, wait_for_round

AGENCIES = ["discipline", "court", "procuratorate", "police", "justice", "civil_affairs", "religious_affairs", "petition"]


@pytest.fixture(scope="module")
def web_round(server: Server, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A screened round of 60 in two townships: one ineligible (a court record), the rest eligible."""
    from eligibility.console.main import main
    tmp = tmp_path_factory.mktemp("web")
    base = ["--home", str(server.home), "--server", server.address]
    people = [make_id() for _ in range(60)]
    write_csv(tmp / "f.csv", [flag(people[3], "criminal_conviction", "(2019)浙0106刑初9号", "2019-06-01", name="网三")])
    assert main([*base, "--as", "court", "flags", "submit", str(tmp / "f.csv")]) == 0
    write_csv(tmp / "c.csv", [candidate(p, f"网{i}" if i != 3 else "网三", township="东城街道" if i < 30 else "桃源乡",
                                        village=f"{i // 10}村") for i, p in enumerate(people)])
    assert main([*base, "--as", "district", "--format", "json", "round", "create", "--name", "网页联审",
                 "--as-of", "2026-12-01", "--candidates", str(tmp / "c.csv")]) == 0
    from eligibility._gen.v1 import eligibility_pb2 as pb
    from eligibility.console.client import connect
    with connect(server.config, "district", server.address) as cl:
        round_id = next(r.round_id for r in cl.call(cl.rounds.ListRounds, pb.ListRoundsRequest()).rounds
                        if r.name == "网页联审")
    for agency in AGENCIES:
        assert main([*base, "--as", agency, "round", "attest", round_id]) == 0
    assert main([*base, "--as", "district", "--format", "json", "round", "screen", round_id]) == 0
    return round_id, people[3]


def _role_console(role: str) -> Any:
    """A fixture: the role's console process for the test's length, its launch URL."""
    @pytest.fixture(name=f"{role}_console")
    def launched(server: Server) -> Iterator[str]:
        with console(server, role) as url:
            yield url
    return launched


district_console, court_console, auditor_console = (_role_console(r) for r in ("district", "court", "auditor"))


def test_the_district_reads_its_results_in_a_real_browser(district_console: str, web_round: tuple[str, str]) -> None:
    _, flagged = web_round
    from playwright.sync_api import sync_playwright
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(district_console)
        assert "token=" not in page.url  # the launch token went into a cookie
        assert page.locator("h1").inner_text() == "批次"
        row = page.locator("table.rounds tr", has_text="网页联审")
        assert "已筛查" in row.inner_text() and "8/8" in row.inner_text()
        page.screenshot(path=str(ARTIFACTS / "console-rounds.png"), full_page=True)
        row.locator("a").click()
        assert page.locator("h1").inner_text().startswith("网页联审")
        assert "共 60 名候选人，符合筛选条件 60 名" in page.content()
        assert page.locator("table.results tbody tr").count() == 50  # paged
        assert "第 1 页，共 2 页" in page.content()
        page.screenshot(path=str(ARTIFACTS / "console-results.png"), full_page=True)
        page.select_option("select[name=result]", "INELIGIBLE")
        page.click("form.filters button")
        rows = page.locator("table.results tbody tr")
        assert rows.count() == 1 and "网三" in rows.inner_text() and "不符合" in rows.inner_text()
        assert "********" in rows.inner_text()  # masked
        page.screenshot(path=str(ARTIFACTS / "console-ineligible.png"), full_page=True)
        rows.locator("a").click()
        text = page.locator("pre.explain").inner_text()
        assert "[法院] 不通过  CRT-CONVICTION" in text and "(2019)浙0106刑初9号" in text and "依据" in text
        assert "已确认" in text and "ATTESTED" not in text
        page.screenshot(path=str(ARTIFACTS / "console-candidate.png"), full_page=True)
        assert flagged not in page.content() and flagged[:6] + "********" + flagged[-4:] in page.content()
        page.click("header button")  # English
        assert "[Court] Fail  CRT-CONVICTION" in page.locator("pre.explain").inner_text()
        page.go_back()
        page.go_back()
        assert flagged not in page.content()
        browser.close()


def _get(url: str, headers: dict[str, str] | None = None, data: bytes | None = None) -> tuple[int, str, dict[str, str]]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a: object, **k: object) -> None:
            return None
    opener = urllib.request.build_opener(NoRedirect)
    req = urllib.request.Request(url, data=data, headers=headers or {}, method="POST" if data is not None else "GET")
    try:
        with opener.open(req, timeout=10) as r:
            return r.status, r.read().decode(), {k.lower(): v for k, v in r.headers.items()}
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), {k.lower(): v for k, v in e.headers.items()}


def test_the_console_refuses_what_its_person_did_not_send(district_console: str, web_round: tuple[str, str]) -> None:
    round_id, _ = web_round
    base, _, token = district_console.partition("?token=")
    origin = base.rstrip("/")
    assert _get(base)[0] == 403 and "没有启动口令" in _get(base)[1]
    assert _get(f"{base}?token=wrong")[0] == 403
    status, _, headers = _get(district_console)
    said = headers.get("set-cookie", "")
    port = origin.rsplit(":", 1)[1]  # (one cookie per console's port: two consoles in one browser keep theirs)
    assert status == 303 and f"eligibility_console_{port}=" in said and "samesite=strict" in said.lower()
    assert "httponly" in said.lower()
    cookie = {"Cookie": f"eligibility_console_{port}={token}"}
    assert _get(f"{origin}/", {"Cookie": f"eligibility_console_1={token}"})[0] == 403  # another port's cookie name
    assert _get(f"{origin}/rounds/{round_id}", cookie)[0] == 200
    host = origin.split("//")[1]
    assert _get(f"{origin}/", {**cookie, "Host": f"evil.example:{host.split(':')[1]}"})[0] == 400
    form = b"lang=en&back=/"
    cross = _get(f"{origin}/language", {**cookie, "Origin": "http://evil.example", "Content-Type":
                                        "application/x-www-form-urlencoded"}, form)
    assert cross[0] == 403 and "跨站" in cross[1]
    no_csrf = _get(f"{origin}/language", {**cookie, "Origin": origin, "Content-Type": "application/x-www-form-urlencoded"},
                   form)
    assert no_csrf[0] == 403
    import hashlib
    import hmac
    csrf = hmac.new(token.encode(), b"csrf", hashlib.sha256).hexdigest()
    ok = _get(f"{origin}/language", {**cookie, "Origin": origin, "Content-Type": "application/x-www-form-urlencoded"},
              form + f"&csrf={csrf}".encode())
    assert ok[0] == 303


def test_the_console_listens_on_loopback_only(server: Server) -> None:
    r = subprocess.run([sys.executable, "-m", "eligibility", "--home", str(server.home), "--server", server.address,
                        "--as", "district", "console", "--no-browser", "--listen", "0.0.0.0:0"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "loopback only" in r.stderr and "Traceback" not in r.stderr


def test_a_round_made_uploaded_fixed_screened_and_filed_from_the_browser(  # type: ignore[no-untyped-def]
        district_console: str, court_console: str, server: Server, tmp_path: Path) -> None:
    from openpyxl import Workbook, load_workbook
    from playwright.sync_api import sync_playwright
    a, b, c = make_id(), make_id(), make_id()
    head = ["序号", "乡镇(街道)", "村(社区)", "姓名", "身份证号", "拟任职务", "政治面貌"]

    def book(path: Path, rows: list[list[object]]) -> Path:
        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.append(["转塘街道候选人名单"])
        ws.append(head)
        for r in rows:
            ws.append(r)
        wb.save(path)
        return path
    first = book(tmp_path / "名单.xlsx", [[1, "转塘街道", "龙坞村", "页甲", a, "村党组织书记", "中共党员"],
                                         [2, "转塘街道", "龙坞村", "页乙", b, "村党组织书记", None],
                                         [3, "转塘街道", "长埭村", "页丙", c, "村委会委员", "群众"]])
    fixed = book(tmp_path / "改正.xlsx", [[2, "转塘街道", "龙坞村", "页乙", b, "村党组织书记", "中共预备党员"]])
    write_csv(tmp_path / "法院.csv", [flag(c, "刑事处罚", "(2020)浙0106刑初5号", "2020年5月6日", name="页丙")])
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        court = browser.new_page()
        court.goto(court_console)
        court.set_input_files("form.upload input[type=file]", str(tmp_path / "法院.csv"))
        court.click("form.upload button")
        assert court.locator("h1").inner_text() == "已接收 1 条记录"
        court.screenshot(path=str(ARTIFACTS / "console-agency-upload.png"), full_page=True)

        page = browser.new_page(viewport={"width": 1400, "height": 900}, accept_downloads=True)
        page.goto(district_console)
        page.fill("input[name=name]", "网页上传批次")
        page.fill("input[name=as_of]", "2026-12-01")
        page.set_input_files("form.upload input[type=file]", str(first))
        page.click("form.upload button")
        assert page.locator("h1").inner_text() == "已加入 2 名候选人"
        rejected = page.locator("table.rejected tbody tr")
        assert rejected.count() == 1
        text = rejected.inner_text()
        assert "页乙" in text and "第 4 行，政治面貌：未填写；拟任职务“党组织书记”须填写" in text  # beside its cells
        assert b not in page.content() and b[:6] + "********" + b[-4:] in text  # masked, even the district's own file
        page.screenshot(path=str(ARTIFACTS / "console-rejected-row.png"), full_page=True)
        page.click("text=转到批次")
        round_url = page.url
        round_id = round_url.rsplit("/", 1)[1]
        page.set_input_files("form.upload input[type=file]", str(fixed))
        page.click("form.upload button")
        assert page.locator("h1").inner_text() == "已加入 1 名候选人" and page.locator("table.rejected").count() == 0
        page.goto(round_url)

        court.goto(court_console)
        court.click(f"text={round_id}")
        court.fill("input[name=handler]", "陈法官")
        with court.expect_navigation(url=f"**/rounds/{round_id}"):  # (the post answers with a redirect to the round)
            court.click("form.attest button")
        assert "本单位已于" in court.content()
        court.screenshot(path=str(ARTIFACTS / "console-agency-attest.png"), full_page=True)

        page.click("#screen")
        wait_for_round(page, round_url, server)  # the progress page refreshes itself to the results
        assert "共 3 名候选人" in page.content()
        page.select_option("select[name=result]", "INELIGIBLE")
        page.click("form.filters button")
        rows = page.locator("table.results tbody tr")
        assert rows.count() == 1 and "页丙" in rows.inner_text()
        with page.expect_download() as got:
            page.click("text=XLSX")
        saved = tmp_path / "report.xlsx"
        got.value.save_as(saved)
        ws = load_workbook(saved)["联审结果"]
        names = {r[3].value: r for r in ws.iter_rows(min_row=4)}
        assert set(names) == {"页甲", "页乙", "页丙"} and names["页丙"][15].value == "不符合"
        opinions = [[x.value for x in r] for r in load_workbook(saved)["各成员单位联审意见"].iter_rows()]
        assert any(r[0] == "法院" and r[3] == "陈法官" for r in opinions)

        # a record arrives late: the round says one changed; only that one is screened again
        write_csv(tmp_path / "迟到.csv", [flag(a, "刑事处罚", "(2021)浙0106刑初8号", "2021-05-06", name="页甲")])
        court.goto(court_console)
        court.set_input_files("form.upload input[type=file]", str(tmp_path / "迟到.csv"))
        court.click("form.upload button")
        assert court.locator("h1").inner_text() == "已接收 1 条记录"
        page.goto(round_url)
        assert "1 人在结论之后有变化" in page.locator("#changed").inner_text()
        page.click("#screen-changed")
        wait_for_round(page, round_url, server)
        assert page.locator("#changed").count() == 0
        assert "不符合" in page.locator("table.results tr", has_text="页甲").locator("td.v").last.inner_text()
        browser.close()


def test_the_auditor_replays_a_decision_and_checks_its_proof(auditor_console: str, web_round: tuple[str, str]) -> None:
    from playwright.sync_api import sync_playwright
    round_id, _ = web_round
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(auditor_console)
        page.click(f"text={round_id}")
        page.fill("input[name=village]", "0村")
        page.click("form.filters button")
        page.click("table.results tbody tr >> nth=3 >> a")
        assert page.locator("h1").inner_text().startswith("网三")
        inputs = page.locator("table.inputs tbody tr")  # what it read, each with the log entry it was read from
        flag_row = inputs.filter(has_text="(2019)浙0106刑初9号")
        assert "法院 (2019)浙0106刑初9号 v1 有效 刑事处罚" in flag_row.inner_text()
        assert flag_row.locator("td").nth(2).inner_text().isdigit()
        assert inputs.filter(has_text="候选人").locator("td").nth(2).inner_text().isdigit()
        assert "记录于" in page.locator("ul.lineage").inner_text()
        page.click("#replay")
        assert page.locator("#replayed").inner_text() == "重放：一致"
        page.click("#prove")
        proved = page.locator("#proved").inner_text()
        assert "校验通过" in proved and "审计路径" in proved
        page.screenshot(path=str(ARTIFACTS / "console-auditor.png"), full_page=True)
        browser.close()


def test_an_agency_sees_and_retracts_only_its_own_records(court_console: str, server: Server, cli,  # type: ignore[no-untyped-def]
                                                          web_round: tuple[str, str], tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright
    round_id, flagged = web_round
    police_ref = f"公-网-{make_id()[-6:]}"
    assert cli("police", "flags", "submit", str(write_csv(tmp_path / "p.csv", [
        flag(make_id(), "cult", police_ref, "2010-01-01")]))).code == 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900}, accept_downloads=True)
        page.goto(court_console)
        page.click("header >> text=本单位记录")
        listed = page.locator("table.flags").inner_text()
        assert "(2019)浙0106刑初9号" in listed and police_ref not in listed and flagged not in page.content()
        # a forged retraction of the police's record: the server refuses it, and the page says so
        csrf = page.locator("form.retract input[name=csrf]").first.get_attribute("value")
        answer = page.request.post(page.url.replace("/flags", "/flags/retract"), form={
            "csrf": csrf or "", "reference": police_ref, "reason": "x"}, headers={"Origin": page.url.split("/flags")[0]})
        assert answer.status == 404 and f"court 没有文号为 &#39;{police_ref}&#39; 的记录" in answer.text()
        assert police_ref in cli("police", "--format", "json", "flags", "list").out  # still in force
        page.goto(page.url.split("/flags")[0] + f"/rounds/{round_id}")
        page.click("text=含完整身份证号的候选人名单")
        assert "属于个人信息" in page.content()
        page.screenshot(path=str(ARTIFACTS / "console-agency-candidate-list.png"), full_page=True)
        with page.expect_download() as got:
            page.click("#download")
        saved = tmp_path / "候选人.csv"
        got.value.save_as(saved)
        text = saved.read_text(encoding="utf-8-sig")
        assert flagged in text and text.splitlines()[0].startswith("序号,身份证号")  # full numbers, on purpose
        page.goto(page.url.split("/rounds")[0] + "/flags")
        row = page.locator("table.flags tr", has_text="(2019)浙0106刑初9号")
        row.locator("input[name=reason]").fill("录入错误")
        row.locator("button").click()
        assert "已撤回" in page.locator("table.flags tr", has_text="(2019)浙0106刑初9号").inner_text()
        page.screenshot(path=str(ARTIFACTS / "console-agency-records.png"), full_page=True)
        browser.close()
