"""The joint review's acts in the browser console, in a real headless Chromium against a real server: the court works
through its REVIEW queue and corrects a record; the district cannot conclude while something blocks it, opens an
appeal from a candidate's page, decides it once the court answered, and concludes; the auditor downloads the log and
verifies it offline with the CLI."""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.conftest import Server, write_csv
from tests.helpers import candidate, flag, make_id
from tests.system.webconsole import ARTIFACTS, chromium, console

AGENCIES = ["discipline", "court", "procuratorate", "police", "justice", "civil_affairs", "religious_affairs", "petition"]


@pytest.fixture
def consoles(server: Server) -> Iterator[dict[str, str]]:
    """The district's, the court's and the auditor's consoles: their launch URLs."""
    before = set(Path(tempfile.gettempdir()).glob("eligibility-console-*"))
    with console(server, "district") as d, console(server, "court") as c, console(server, "auditor") as a:
        work = set(Path(tempfile.gettempdir()).glob("eligibility-console-*")) - before  # their work directories
        yield {"district": d, "court": c, "auditor": a, "work": ":".join(str(w) for w in work)}


def _submit(page: Any, target: Any) -> None:
    """Click what posts a form (a selector, or a locator) and wait for the page it answers with."""
    with page.expect_navigation():
        page.click(target) if isinstance(target, str) else target.click()


def _origin(url: str) -> str:
    return url.split("/?")[0].rstrip("/")


def test_review_appeal_correction_conclusion_and_export_from_the_browser(  # type: ignore[no-untyped-def]
        consoles: dict[str, str], server: Server, cli, tmp_path: Path) -> None:
    a, b, c, elsewhere = make_id(), make_id(), make_id(), make_id()
    ref_a, ref_b = f"(2024)浙0106刑初{a[-4:]}号", f"(2023)浙0106刑初{b[-4:]}号"
    # the court's record of a carries another name (a REVIEW: same person?); its record of b a conviction (FAIL)
    assert cli("court", "flags", "submit", str(write_csv(tmp_path / "court.csv", [
        flag(a, "criminal_conviction", ref_a, "2024-03-01", name="王小一"),
        flag(b, "criminal_conviction", ref_b, "2023-05-01", name="冯二")]))).code == 0
    write_csv(tmp_path / "c.csv", [candidate(p, n, township="转塘街道", village="龙坞村")
                                   for p, n in ((a, "王一"), (b, "冯二"), (c, "褚三"))])
    made = cli("district", "--format", "json", "round", "create", "--name", f"网页复核-{a[-6:]}", "--as-of",
               "2026-12-01", "--candidates", str(tmp_path / "c.csv"))
    round_id = orjson.loads(made.out.splitlines()[0])["round_id"]
    for agency in AGENCIES:
        assert cli(agency, "round", "attest", round_id).code == 0
    screened = [orjson.loads(x) for x in cli("district", "--format", "json", "round", "screen", round_id).out.splitlines()]
    assert [d["overall"] for d in screened] == ["NEEDS_REVIEW", "INELIGIBLE", "ELIGIBLE"]
    with chromium() as browser:
        district = browser.new_page(viewport={"width": 1400, "height": 900})
        court = browser.new_page(viewport={"width": 1400, "height": 900})
        auditor = browser.new_page(viewport={"width": 1400, "height": 900}, accept_downloads=True)
        district.goto(consoles["district"])
        court.goto(consoles["court"])
        auditor.goto(consoles["auditor"])
        d_at, c_at = _origin(consoles["district"]), _origin(consoles["court"])

        # the district tries to conclude: the page says what blocks it, in Chinese, and nothing is recorded
        district.goto(f"{d_at}/rounds/{round_id}")
        _submit(district, "#conclude")
        said = district.locator("p.warn").inner_text()
        assert "该批次尚不能审定" in said and "王一" in said and "待核实" in said and a not in district.content()
        district.goto(f"{d_at}/rounds/{round_id}")
        assert "进行中" in district.content() or "已筛查" in district.content()

        # the court's REVIEW queue: 王一, masked, with what to verify; it resolves it (the console finds the number)
        court.goto(f"{c_at}/rounds/{round_id}")
        court.click("#reviews")
        waiting = court.locator("table.reviews tbody tr")
        assert waiting.count() == 1 and "王一" in waiting.inner_text() and a[:6] + "********" + a[-4:] in waiting.inner_text()
        assert a not in court.content()
        court.screenshot(path=str(ARTIFACTS / "console-agency-review-queue.png"), full_page=True)
        waiting.locator("input[value=fail]").check()
        waiting.locator("input[name=opinion]").fill("经核实，系同一人，曾用名王小一")
        waiting.locator("input[name=handler]").fill("李法官")
        _submit(court, waiting.locator("button"))
        assert "王一：已核实" in court.locator("#said").inner_text() and "不通过" in court.locator("#said").inner_text()
        assert court.locator("#none").count() == 1 and "王一" in court.locator("table.resolved").inner_text()
        resolved = [orjson.loads(x) for x in cli("court", "--format", "json", "review", "list", "--round", round_id,
                                                 "--all").out.splitlines()]
        assert [(x["name"], x["verdict"]) for x in resolved] == [("王一", "FAIL")]

        # the district opens 冯二's appeal from the candidate's page: a wrong number is refused before anything is sent
        district.goto(f"{d_at}/decisions/{screened[1]['decision_id']}")
        district.fill("form.appeal input[name=id_number]", c)
        district.fill("form.appeal input[name=reason]", "本人称判决系他人")
        _submit(district, "#open-appeal")
        assert "输入的身份证号不是 冯二 的" in district.content() and c not in district.content()
        district.screenshot(path=str(ARTIFACTS / "console-refused.png"), full_page=True)
        assert cli("district", "--format", "json", "appeal", "list", "--round", round_id).out == ""
        district.go_back()
        district.fill("form.appeal input[name=id_number]", b.lower())
        district.fill("form.appeal input[name=reason]", "本人称判决系他人")
        _submit(district, "#open-appeal")
        section = district.locator("section.appeal")
        assert section.count() == 1 and "冯二" in section.inner_text() and "等待答复：法院" in section.inner_text()
        district.screenshot(path=str(ARTIFACTS / "console-appeal-opened.png"), full_page=True)

        # the court finds the record was another person's: it corrects the ID number (with its reason), then revises
        court.goto(f"{c_at}/flags")
        court.locator("table.flags tr", has_text=ref_b).locator("a.correct").click()
        assert court.locator("input[name=name]").input_value() == "冯二"
        court.fill("input[name=id_number]", elsewhere)
        court.eval_on_selector("input[name=reason]", "e => e.required = false")  # past the browser's own check:
        _submit(court, "form.correct button")  # no reason, and the console says so
        assert "更正须填写理由" in court.locator("#problem").inner_text()
        assert court.locator("input[name=id_number]").input_value() == ""  # the number typed is not sent back
        court.screenshot(path=str(ARTIFACTS / "console-agency-correct.png"), full_page=True)
        court.fill("input[name=id_number]", elsewhere)
        court.fill("input[name=reason]", "身份证号录入错误，系同名他人")
        _submit(court, "form.correct button")
        row = court.locator("table.flags tr", has_text=ref_b)
        assert "已更正" in row.inner_text() and "2" in row.inner_text()
        versions = [orjson.loads(x) for x in cli("court", "--format", "json", "flags", "list").out.splitlines()]
        mine = next(x for x in versions if x["reference"] == ref_b)
        assert mine["version"] == 2 and mine["id_number"] == elsewhere[:6] + "********" + elsewhere[-4:]
        district.goto(consoles["district"])  # the office's rounds list counts what changed since screening
        assert district.locator("table.rounds tr", has_text=round_id).locator("td.changed").inner_text() == "1"
        district.goto(f"{d_at}/rounds/{round_id}")
        district.click("#changed")  # what arrived after the decision: the court's new version of 冯二's record
        late = district.locator("table.changes tbody tr")
        assert late.count() == 1 and "冯二" in late.inner_text() and "法院" in late.inner_text() and ref_b in late.inner_text()
        assert f"刑事处罚 {ref_b} v2 有效" in late.inner_text()  # in words, not codes
        assert b not in district.content()
        district.screenshot(path=str(ARTIFACTS / "console-late-records.png"), full_page=True)
        court.goto(consoles["court"])
        assert "已于" in court.locator("table.rounds tr", has_text=round_id).inner_text()  # our review: attested
        court.goto(f"{c_at}/rounds/{round_id}/appeals")
        answer = court.locator("form.answer")
        answer.locator("input[value=revise]").check()
        answer.locator("input[name=opinion]").fill("原记录身份证号有误，已更正")
        answer.locator("input[name=handler]").fill("李法官")
        _submit(court, answer.locator("button"))
        assert "改正" in court.locator("table.answers").inner_text() and court.locator("form.answer").count() == 0

        # the district decides: 冯二 screened again, eligible now; then the round concludes
        district.goto(f"{d_at}/rounds/{round_id}/appeals")
        assert "各涉及单位均已答复" in district.content()
        _submit(district, "form.decide button")
        assert district.locator("h1").inner_text().startswith("冯二")
        assert "的决定，原结论" in district.locator("ul.lineage").inner_text()  # made for the appeal, against the old
        assert screened[1]["decision_id"] in district.locator("ul.lineage").inner_text()
        assert "符合" in district.locator("p").first.inner_text() and "不符合" not in district.locator("p").first.inner_text()
        district.goto(f"{d_at}/rounds/{round_id}")  # the results list shows the decision in force
        assert "符合" in district.locator("table.results tr", has_text="冯二").locator("td.v").last.inner_text()
        district.fill("form.person input[name=id_number]", b)  # every decision of one candidate, found by number
        _submit(district, "form.person button")
        history = district.locator("table.history tbody tr")
        assert history.count() == 2 and "不符合" in history.nth(0).inner_text() and "不符合" not in history.nth(1).inner_text()
        assert b not in district.content() and b not in district.url
        district.screenshot(path=str(ARTIFACTS / "console-candidate-history.png"), full_page=True)
        district.goto(f"{d_at}/rounds/{round_id}")
        district.fill("form.conclude input[name=note]", "经区联审办审定")
        _submit(district, "#conclude")
        assert "已审定" in district.content() and district.locator("#conclude").count() == 0
        district.screenshot(path=str(ARTIFACTS / "console-concluded.png"), full_page=True)
        got = orjson.loads(cli("district", "--format", "json", "round", "show", round_id).out.splitlines()[0])
        assert got["state"] == "concluded"

        # the auditor downloads the log as an export: unzipped, the CLI verifies and replays it offline
        auditor.goto(consoles["auditor"])
        with auditor.expect_download() as download:
            auditor.click("#export")
        saved = tmp_path / "log.zip"
        download.value.save_as(saved)
        with zipfile.ZipFile(saved) as z:
            z.extractall(tmp_path / "export")
        # what the consoles were handed or made (uploads, the log, reports) is not kept once used
        work = [Path(w) for w in consoles["work"].split(":")]
        assert len(work) == 3 and [str(f) for w in work for f in w.iterdir()] == []
    verified = cli("auditor", "audit", "verify", str(tmp_path / "export"), "--public-key",
                   str(server.home / "keys" / "log.pub"), "--replay")
    assert verified.code == 0 and "MISMATCH" not in verified.out, verified



def test_a_console_keeps_nothing_when_it_stops_and_refuses_a_file_too_large(server: Server, tmp_path: Path) -> None:
    import urllib.request
    before = set(Path(tempfile.gettempdir()).glob("eligibility-console-*"))
    with console(server, "court") as url:
        mine = set(Path(tempfile.gettempdir()).glob("eligibility-console-*")) - before
        assert len(mine) == 1 and oct(next(iter(mine)).stat().st_mode & 0o777) == "0o700"
        origin, _, token = url.partition("/?token=")
        import hashlib
        import hmac
        csrf = hmac.new(token.encode(), b"csrf", hashlib.sha256).hexdigest()
        big = b"x" * (64 * 2**20 + 1)
        boundary = "----eligibility"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n"
                "Content-Type: text/csv\r\n\r\n").encode() + big + f"\r\n--{boundary}--\r\n".encode()
        req = urllib.request.Request(f"{origin}/flags", data=body, method="POST", headers={
            "Cookie": f"eligibility_console_{origin.rsplit(':', 1)[1]}={token}", "Origin": origin,
            "Content-Type": f"multipart/form-data; boundary={boundary}"})
        try:
            urllib.request.urlopen(req, timeout=60)
            raise AssertionError("a file too large was taken")
        except urllib.error.HTTPError as e:
            said = e.read().decode()
            assert e.code == 400 and "文件超过 64 MB" in said, said
        assert list(next(iter(mine)).iterdir()) == []
    assert not any(d.exists() for d in mine)  # removed when the console stopped


def test_a_proof_against_another_key_says_so_and_two_consoles_share_one_browser(  # type: ignore[no-untyped-def]
        server: Server, cli, tmp_path: Path) -> None:
    """The auditor's console holding a public key the log was not signed with says the checkpoint does not verify
    (a page, not a crash); a district's and an agency's console open in one browser each keep their own cookie."""
    import shutil

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from eligibility.ledger.checkpoint import public_key_text
    a = make_id()
    write_csv(tmp_path / "c.csv", [candidate(a, "钱一", township="转塘街道", village="龙坞村")])
    made = cli("district", "--format", "json", "round", "create", "--name", f"证明-{a[-6:]}", "--as-of", "2026-12-01",
               "--candidates", str(tmp_path / "c.csv"))
    round_id = orjson.loads(made.out.splitlines()[0])["round_id"]
    decision = orjson.loads(cli("district", "--format", "json", "round", "screen", round_id).out.splitlines()[0])
    other = tmp_path / "other-home"  # the same credentials, another (wrong) copy of the log's public key
    shutil.copytree(server.home, other, ignore=shutil.ignore_patterns("*.db*", "server.log"))
    (other / "keys" / "log.pub").write_text(public_key_text(Ed25519PrivateKey.generate().public_key()) + "\n")
    wrong = Server(other, server.address, server.proc, server.config)
    with console(wrong, "auditor") as auditor_url, console(server, "district") as district_url, \
            console(server, "court") as court_url, chromium() as browser:
        page = browser.new_page()
        page.goto(auditor_url)
        page.goto(f"{_origin(auditor_url)}/decisions/{decision['decision_id']}")
        _submit(page, "#prove")
        said = page.locator("#proved").inner_text()
        assert "无法用本机的公钥验证" in said and "校验通过" not in said, said
        shared = browser.new_context()  # one browser, two consoles
        d, c = shared.new_page(), shared.new_page()
        d.goto(district_url)
        c.goto(court_url)
        d.goto(f"{_origin(district_url)}/rounds/{round_id}")
        c.goto(f"{_origin(court_url)}/rounds/{round_id}")
        assert d.locator("h1").inner_text().startswith(f"证明-{a[-6:]}") and "没有启动口令" not in d.content()
        assert c.locator("h1").inner_text().startswith(f"证明-{a[-6:]}") and "没有启动口令" not in c.content()
