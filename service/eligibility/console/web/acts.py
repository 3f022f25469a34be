"""What the console's people do, beyond reading: the district uploads a candidate file (a new round, or the fixed
rows of one), screens with a live progress page and downloads the report; an agency uploads its flags and attests.
Each act goes through the CLI's session and the intake's readers, so a file is read and judged exactly as on the
command line; every rejected row is shown beside its cells, in the file's own header names."""

from __future__ import annotations

import csv
import os
import secrets
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import grpc
from starlette.background import BackgroundTask
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from eligibility.console import reports, uploads
from eligibility.console.client import Session
from eligibility.console.i18n import server_said
from eligibility.console.reports.content import safe_text
from eligibility.errors import EligibilityError
from eligibility.intake.files import (
    CANDIDATE_COLUMNS,
    CANDIDATE_REQUIRED,
    FLAG_COLUMNS,
    FLAG_REQUIRED,
    header_cells,
    raw_rows,
    read_table,
)
from eligibility.intake.idnumbers import mask
from eligibility.rules.vocabulary import Vocabulary

MAX_UPLOAD = 64 * 2**20
"""The largest file a page accepts (the same bound as one request to the server)."""
UPLOADS = (".csv", ".xlsx", ".xls")
"""The kinds of file an upload is saved as (by its name's suffix; anything else is tried as CSV)."""


class Pages(Protocol):
    """What the acts use of the console's pages (web.app.Console)."""

    session: Session
    vocab: Vocabulary
    role: str

    def lang(self, request: Request) -> str: ...
    def tr(self, request: Request, text: str, **fields: Any) -> str: ...
    def refused(self, request: Request) -> Response: ...
    def page(self, request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse: ...
    def failed(self, request: Request, e: grpc.RpcError) -> HTMLResponse: ...


@dataclass
class Screening:
    """A screening the console started: how far it got, and how it ended."""

    round_id: str
    changed_only: bool = False
    done: int = 0
    total: int | None = None
    finished: bool = False
    error: str = ""


class Acts:
    """The acts of one console launch (its Console holds the session, the guard and the templates)."""

    def __init__(self, console: Pages, zone: ZoneInfo) -> None:
        """Act through console's session."""
        self.c = console
        self.zone = zone
        self.screenings: dict[str, Screening] = {}
        self._starting = threading.Lock()  # one screening of a round at a time, however often its button is pressed
        _remove_stale_work()
        self.work = Path(tempfile.mkdtemp(prefix=f"{WORK_PREFIX}{os.getpid()}-"))

    def close(self) -> None:
        """Remove the work directory (what is left of uploads and downloads) when the console stops."""
        shutil.rmtree(self.work, ignore_errors=True)

    def scratch(self, suffix: str) -> Path:
        """A new file of this launch's own (private) work directory: an upload, a download being made."""
        return self.work / f"{secrets.token_hex(8)}{suffix}"

    def _upload(self, request: Request, form: Any) -> tuple[Path | None, str]:
        """(the uploaded file saved (None: none, or refused), why it was not taken)."""
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return None, self.c.tr(request, "Choose a file.")
        data = upload.file.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:  # refused whole: a file cut short would lose its last rows without a word
            return None, self.c.tr(request, "The file is larger than {mb} MB: split it and upload the parts.",
                                   mb=MAX_UPLOAD // 2**20)
        suffix = Path(upload.filename.replace("\0", "")).suffix.lower()
        path = self.scratch(suffix if suffix in UPLOADS else ".csv")  # (read_table says what it makes of the content)
        path.write_bytes(data)
        return path, ""

    def _said(self, request: Request, form: Any, path: Path, e: EligibilityError) -> str:
        """Why a file cannot be read, naming the file as the person uploaded it (not the console's copy of it)."""
        upload = form.get("file")
        said = e.message.replace(str(path), getattr(upload, "filename", "") or path.name)
        return server_said(said, self.c.lang(request))

    def _shown(self, request: Request, path: Path, table: Any, results: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The rejected rows as the page shows them: the row, its cells, what is wrong (in the person's words)."""
        lang = self.c.lang(request)
        results = uploads.results_with_file_problems(table, results)
        uploads.in_file_terms(table, results)
        rejected = [r for r in results if r["status"] == "REJECTED"]
        cells = raw_rows(path, table, {int(r["row"]) for r in rejected})
        header = [h.strip() for h in header_cells(path, table)]
        id_at = header.index(table.headers["id_number"]) if table.headers.get("id_number") in header else -1

        def shown(i: int, v: Any) -> str:  # a page never shows a whole ID number (the file's cells otherwise as they are)
            text = "" if v is None else str(v)
            return mask(text.strip()) if i == id_at and text.strip() else text
        return [{"row": r["row"], "cells": [shown(i, v) for i, v in enumerate(cells.get(int(r["row"]), []))],
                 "errors": [uploads.said(e, lang) for e in r["errors"]]} for r in rejected]

    def _with_upload(self, request: Request, form: Any, what: str,
                     act: Callable[[Request, Any, Path], Response]) -> Response:
        """act(request, form, the uploaded file), the file deleted after (it holds full ID numbers: kept no longer
        than it is read); a page saying why when there is no file to act on."""
        path, problem = self._upload(request, form)
        if path is None:
            return self.c.page(request, "uploaded.html", 400, what=what, problem=problem)
        try:
            return act(request, form, path)
        finally:
            path.unlink(missing_ok=True)

    def create_round(self, request: Request, form: Any) -> Response:
        """A new round from an uploaded candidate file (or, with round_id, the fixed rows added to it)."""
        return self._with_upload(request, form, "candidates", self._create_round)

    def _create_round(self, request: Request, form: Any, path: Path) -> Response:
        round_id = str(form.get("round_id") or "")
        try:
            table = read_table(path, CANDIDATE_COLUMNS, CANDIDATE_REQUIRED)
            if round_id:
                results = self.c.session.add_candidates(round_id, table.rows)
            else:
                rnd, results = self.c.session.create_round(str(form.get("name") or ""), str(form.get("as_of") or ""),
                                                           table.rows)
                round_id = rnd["round_id"]
        except EligibilityError as e:
            return self.c.page(request, "uploaded.html", 400, what="candidates", problem=self._said(request, form, path, e))
        except grpc.RpcError as e:
            return self.c.failed(request, e)
        rejected = self._shown(request, path, table, results)
        return self.c.page(request, "uploaded.html", what="candidates", round_id=round_id, rejected=rejected,
                           accepted=sum(1 for r in results if r["status"] != "REJECTED"), columns=_columns(path, table))

    def submit_flags(self, request: Request, form: Any) -> Response:
        """An agency's uploaded flags file (its rows corrections of records on file, with a reason, if so marked)."""
        return self._with_upload(request, form, "flags", self._submit_flags)

    def _submit_flags(self, request: Request, form: Any, path: Path) -> Response:
        correction, reason = form.get("correction") == "1", str(form.get("reason") or "").strip()
        if correction and not reason:
            return self.c.page(request, "uploaded.html", 400, what="flags",
                               problem=self.c.tr(request, "A correction needs its reason."))
        try:
            table = read_table(path, FLAG_COLUMNS, FLAG_REQUIRED)
            results = [r for chunk in self.c.session.submit_flags(table.rows, correction, reason) for r in chunk]
        except EligibilityError as e:
            return self.c.page(request, "uploaded.html", 400, what="flags", problem=self._said(request, form, path, e))
        except grpc.RpcError as e:
            return self.c.failed(request, e)
        return self.c.page(request, "uploaded.html", what="flags", rejected=self._shown(request, path, table, results),
                           accepted=sum(1 for r in results if r["status"] != "REJECTED"), columns=_columns(path, table))

    def flags(self, request: Request) -> Response:
        """The agency's own records (latest versions), each with a retraction form."""
        try:
            flags = self.c.session.list_flags()
        except grpc.RpcError as e:
            return self.c.failed(request, e)
        return self.c.page(request, "flags.html", flags=flags)

    def retract(self, request: Request, form: Any) -> Response:
        """Retract one of the agency's records, with its reason (the server refuses another agency's)."""
        try:
            self.c.session.retract_flag(str(form.get("reference") or ""), str(form.get("reason") or ""))
        except grpc.RpcError as e:
            return self.c.failed(request, e)
        return RedirectResponse("/flags", status_code=303)

    def candidates(self, request: Request) -> Response:
        """An agency's candidate list with full ID numbers (its own matching needs them): a warning page, then the
        file on ?download=1."""
        round_id = request.path_params["round_id"]
        if request.query_params.get("download") != "1":
            return self.c.page(request, "candidates.html", round_id=round_id)
        try:
            rows = list(self.c.session.candidates(round_id, reveal=True))
        except grpc.RpcError as e:
            return self.c.failed(request, e)
        out = self.scratch(".csv")
        try:
            with out.open("w", encoding="utf-8-sig", newline="") as f:
                w = csv.writer(f)
                w.writerow(["序号", "身份证号", "姓名", "乡镇(街道)", "村(社区)", "拟任职务"])
                w.writerows([r["seq"], r["id_number"], *(safe_text(r[k]) for k in ("name", "township", "village",
                                                                                   "position"))]
                            for r in rows)  # (no cell a spreadsheet would run as a formula)
        except BaseException:
            out.unlink(missing_ok=True)  # (full ID numbers: no half-written copy left behind)
            raise
        return FileResponse(out, filename=f"候选人-{round_id}.csv", background=gone(out))

    def attest(self, request: Request, form: Any) -> Response:
        """The agency attests the round, with its opinion and handler."""
        round_id = request.path_params["round_id"]
        try:
            self.c.session.attest(round_id, str(form.get("note") or ""), str(form.get("handler") or ""))
        except grpc.RpcError as e:
            return self.c.failed(request, e)
        return RedirectResponse(f"/rounds/{round_id}", status_code=303)

    def screen(self, request: Request, form: Any) -> Response:
        """Start screening the round in the background; the progress page follows it."""
        round_id = request.path_params["round_id"]
        with self._starting:  # (a double click posts twice, at once: the second finds the first under way)
            job = self.screenings.get(round_id)
            if job is None or job.finished:
                job = self.screenings[round_id] = Screening(round_id, changed_only=form.get("changed") == "1")
                threading.Thread(target=self._run, args=(job,), daemon=True).start()
        return RedirectResponse(f"/rounds/{round_id}/screening", status_code=303)

    def _run(self, job: Screening) -> None:
        def total(n: int) -> None:
            job.total = n

        def advance(n: int) -> None:
            job.done += n
        try:
            for _ in self.c.session.iter_screen_round(job.round_id, on_total=total, on_chunk=advance,
                                                      changed_only=job.changed_only):
                pass
        except grpc.RpcError as e:
            job.error = f"{e.code().name}: {e.details()}"
        except Exception as e:  # noqa: BLE001 (a record that does not hold what it names, the connection gone...)
            job.error = str(e) or type(e).__name__
        finally:
            job.finished = True

    def screening(self, request: Request) -> Response:
        """The live progress of a screening (the page refreshes itself until it is done)."""
        round_id = request.path_params["round_id"]
        job = self.screenings.get(round_id)
        # one copy, taken once: the screening's thread goes on meanwhile, and a page rendered from the live job could
        # see it unfinished here and finished in the template, and so show "3 of 3" without refreshing, for ever
        seen = replace(job) if job is not None else None  # (error is set before finished: a finished copy has it)
        if seen is None or (seen.finished and not seen.error):
            return RedirectResponse(f"/rounds/{round_id}", status_code=303)
        return self.c.page(request, "screening.html", job=seen)

    def report(self, request: Request) -> Response:
        """The round's report as XLSX, PDF or CSV (Chinese unless the page is in English)."""
        round_id, fmt = request.path_params["round_id"], request.path_params["fmt"]
        if f".{fmt}" not in reports.FORMATS:
            return self.c.page(request, "error.html", 404, code="NOT_FOUND",
                               said=self.c.tr(request, "No report as {fmt}: XLSX, PDF or CSV.", fmt=fmt))
        try:
            info = self.c.session.get_round(round_id, with_changes=True)
            decisions = self.c.session.round_decisions(round_id)
        except grpc.RpcError as e:
            return self.c.failed(request, e)
        except EligibilityError as e:  # a record that does not hold what it names
            return self.c.page(request, "error.html", 409, code="DATA_LOSS", said=e.message)
        if not decisions:
            return self.c.page(request, "error.html", 400, code="FAILED_PRECONDITION",
                               said=self.c.tr(request, "Not screened yet."))
        out = self.scratch(f".{fmt}")
        try:
            reports.write(reports.Report(decisions, self.c.lang(request), self.c.vocab, info,
                                         f"{info['ruleset']}@{decisions[0]['ruleset_hash'][:12]}", self.zone), out)
        except BaseException:
            out.unlink(missing_ok=True)
            raise
        return FileResponse(out, filename=f"联审结果-{round_id}.{fmt}", background=gone(out))


WORK_PREFIX = "eligibility-console-"
"""A console's work directory (private, in the system's temporary directory) is named for it and its process id."""


def _remove_stale_work() -> None:
    """Remove the work directories of consoles that did not stop cleanly (killed): their process is gone."""
    for d in Path(tempfile.gettempdir()).glob(f"{WORK_PREFIX}*-*"):
        pid = d.name[len(WORK_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists() and d.stat().st_uid == os.getuid():
            shutil.rmtree(d, ignore_errors=True)


def gone(path: Path) -> BackgroundTask:
    """Delete a download once it is sent (the console keeps no copy of what it handed over)."""
    return BackgroundTask(path.unlink, missing_ok=True)


def _columns(path: Path, table: Any) -> list[str]:
    return list(header_cells(path, table))
