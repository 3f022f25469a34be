"""The human half of the joint review in the console: an agency works through its REVIEW queue (核实) and corrects a
record; the district opens an appeal (复核) from a candidate's page, decides it once the contested agencies answered,
and concludes the round; the auditor downloads the whole log as an export `eligibility audit verify` reads.

A page never carries a full ID number: a resolution names its decision, and the console finds the person's number in
the agency's own revealed candidate list (which the server gives it for its matching), here, in this process."""

from __future__ import annotations

import re
import zipfile
from typing import Any

import grpc
import orjson
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from eligibility.console import render, uploads
from eligibility.console.i18n import row_error_zh, server_said, translate
from eligibility.console.reports.content import local_time
from eligibility.console.web.acts import Acts, Pages, gone
from eligibility.errors import EligibilityError
from eligibility.intake.idnumbers import mask, normalize
from eligibility.ledger.verify import CHECKPOINTS, LEAVES, PUBLIC_KEY
from eligibility.rules.vocabulary import Vocabulary

_RESOLUTIONS = {"RESOLVED", "RESOLUTION-VOID"}

_FLAG_ARRIVED = re.compile(r"(\S+) (.+) v(\d+) (active|retracted)")
_RESOLUTION_ARRIVED = re.compile(r"resolution (pass|fail)")

Person = tuple[str, str, str, str]
"""(masked ID number, name, township, village): how a review item names its candidate."""


def _why(item: dict[str, Any], lang: str, vocab: Vocabulary) -> list[str]:
    """What the agency is asked to verify (its REVIEW entries, and what resolved or voided them), in plain lines."""
    return [line.strip() for x in item["reasons"] if x["verdict"] == "REVIEW" or x["rule_id"] in _RESOLUTIONS
            for line in render.explain_entry(x, lang, vocab)]


def id_problem(e: EligibilityError, lang: str) -> str:
    """What is wrong with a typed ID number, in the person's language."""
    why = e.message.removeprefix("id_number: ")
    return translate("ID number: {why}", lang, why=row_error_zh(why) if lang == "zh" else why)


class Joint:
    """The review acts of one console launch (beside its Acts, sharing their work directory)."""

    def __init__(self, console: Pages, acts: Acts) -> None:
        """Act through console's session."""
        self.c = console
        self.acts = acts
        self.zone = acts.zone
        self.people: dict[str, dict[Person, list[str]]] = {}  # round -> person -> full ID numbers (an agency's)

    def _full_id(self, round_id: str, item: dict[str, Any]) -> str | None:
        """The full ID number of a review item's candidate, from the agency's revealed list (None: not one match);
        the list is fetched again when the candidate is not in it (candidates added since)."""
        return self._match(round_id, item, fresh=False) or self._match(round_id, item, fresh=True)

    def _match(self, round_id: str, item: dict[str, Any], fresh: bool) -> str | None:
        if fresh or round_id not in self.people:
            found: dict[Person, list[str]] = {}
            for c in self.c.session.candidates(round_id, reveal=True):
                found.setdefault((mask(c["id_number"]), c["name"], c["township"], c["village"]), []).append(c["id_number"])
            self.people[round_id] = found
        ids = self.people[round_id].get((item["id_number"], item["name"], item["township"], item["village"]), [])
        return ids[0] if len(set(ids)) == 1 else None

    # ---- an agency's REVIEW queue ----
    def reviews(self, request: Request, said: str = "") -> Response:
        """The agency's REVIEW verdicts in a round (those resolved too), each open one with a resolution form."""
        round_id = request.path_params["round_id"]
        try:
            info = self.c.session.get_round(round_id)
            items = list(self.c.session.reviews(round_id, resolved_too=True))
        except grpc.RpcError as e:
            return self.c.failed(request, e)
        for i in items:
            i["why"] = _why(i, self.c.lang(request), self.c.vocab)
        waiting = [i for i in items if i["resolvable"]]
        return self.c.page(request, "reviews.html", info=info, waiting=waiting, said=said,
                           others=[i for i in items if not i["resolvable"]])

    def resolve(self, request: Request, form: Any) -> Response:
        """Record the agency's conclusion (核实意见) on one REVIEW verdict; the candidate is screened again."""
        round_id = request.path_params["round_id"]
        decision_id = str(form.get("decision_id") or "")
        try:
            item = next((i for i in self.c.session.reviews(round_id) if i["decision_id"] == decision_id), None)
            if item is None:
                return self.c.page(request, "error.html", 409, code="FAILED_PRECONDITION", said=self.c.tr(
                    request, "That verdict is no longer waiting for your review: reload the queue."))
            id_number = self._full_id(round_id, item)
            if id_number is None:
                return self.c.page(request, "error.html", 409, code="FAILED_PRECONDITION", said=self.c.tr(
                    request, "The candidate of that verdict cannot be told apart in the round's list: resolve it with "
                             "eligibility review resolve and the full ID number."))
            resolution, decision = self.c.session.resolve(round_id, id_number, str(form.get("outcome") or ""),
                                                          str(form.get("opinion") or ""), str(form.get("handler") or ""))
        except grpc.RpcError as e:
            return self.c.failed(request, e)
        verdict = decision["verdicts"].get(self.c.role, "")
        return self.reviews(request, said=self.c.tr(
            request, "{name}: resolved, new decision {decision} ({verdict}).", name=resolution["name"],
            decision=decision["decision_id"], verdict=self.c.tr(request, verdict)))

    # ---- an agency corrects one record ----
    def correcting(self, request: Request, problem: str = "", status: int = 200) -> Response:
        """The form to correct one of the agency's records: its fields as on record, the person's ID number asked."""
        reference = request.query_params.get("reference", "")
        try:
            found = [f for f in self.c.session.list_flags() if f["reference"] == reference]
        except grpc.RpcError as e:
            return self.c.failed(request, e)
        if not found:
            return self.c.page(request, "error.html", 404, code="NOT_FOUND",
                               said=self.c.tr(request, "No record {reference} of yours.", reference=reference))
        return self.c.page(request, "correct.html", status, f=found[0], problem=problem)

    def correct(self, request: Request, form: Any) -> Response:
        """Submit the corrected record as a new version, with its reason."""
        row = {k: str(form.get(k) or "").strip() for k in ("id_number", "name", "kind", "reference", "decided_on",
                                                          "end_date", "level", "term_months", "note")}
        reason = str(form.get("reason") or "").strip()
        if not reason:
            return self.correcting(request, self.c.tr(request, "A correction needs its reason."), 400)
        try:
            results = [r for chunk in self.c.session.submit_flags([{"row": 1, **row}], correction=True, reason=reason)
                       for r in chunk]
        except grpc.RpcError as e:
            return self.c.failed(request, e)
        problems = [e["message"] for r in results for e in r["errors"]]
        if problems:
            lang = self.c.lang(request)
            return self.correcting(request, "；".join(uploads.said({"message": p}, lang) for p in problems), 400)
        return RedirectResponse("/flags", status_code=303)

    # ---- late records ----
    def changes(self, request: Request) -> Response:
        """What arrived after each candidate's latest decision (late records, added candidates), to screen again."""
        round_id = request.path_params["round_id"]
        try:
            info = self.c.session.get_round(round_id)
            screened, changes = self.c.session.changes(round_id)
        except grpc.RpcError as e:
            return self.c.failed(request, e)
        lang = self.c.lang(request)
        for x in changes:
            x["at"] = local_time(x["at"], self.zone)
            x["agency_label"] = self.c.vocab.agency_label(x["agency"], lang) if x["agency"] else ""
            x["what"] = self._arrived(x, lang)
        return self.c.page(request, "changes.html", info=info, changes=changes, screened=screened,
                           people=len({x["seq"] for x in changes}))

    def _arrived(self, x: dict[str, Any], lang: str) -> str:
        """What arrived, in the person's words: a flag version by its kind's name, reference, version and state; a
        resolution by its outcome; else as the server says it (in Chinese where the catalogue has it)."""
        flag = _FLAG_ARRIVED.fullmatch(x["what"]) if x["entry_type"] == "flag" else None
        if flag:
            kind, reference, version, status = flag.groups()
            state = translate("retracted" if status == "retracted" else "in force", lang)
            return f"{self.c.vocab.kind_label(kind, lang)} {reference} v{version} {state}"
        resolution = _RESOLUTION_ARRIVED.fullmatch(x["what"]) if x["entry_type"] == "resolution" else None
        if resolution:
            return translate("PASS" if resolution.group(1) == "pass" else "FAIL", lang)
        return server_said(x["what"], lang)

    # ---- appeals ----
    def appeals(self, request: Request) -> Response:
        """The appeals of a round the role may see (an agency: those contesting its verdicts), each with its act."""
        round_id = request.path_params["round_id"]
        try:
            info = self.c.session.get_round(round_id)
            appeals = self.c.session.appeals(round_id)
        except grpc.RpcError as e:
            return self.c.failed(request, e)
        for a in appeals:
            answered = {x["agency"] for x in a["answers"]}
            a["waiting"] = [x for x in a["agencies"] if x not in answered]
            a["opened_at"] = local_time(a["opened_at"], self.zone)
            for x in a["answers"]:
                x["answered_at"] = local_time(x["answered_at"], self.zone)
        lang = self.c.lang(request)
        return self.c.page(request, "appeals.html", info=info, appeals=appeals,
                           named=lambda agencies: "、".join(self.c.vocab.agency_label(x, lang) for x in agencies))

    def open_appeal(self, request: Request, form: Any) -> Response:
        """The district opens a candidate's appeal from the candidate's page (the ID number typed from the
        application, checked against the candidate's masked number before anything is sent)."""
        decision_id = request.path_params["decision_id"]
        try:
            d = self.c.session.decision(decision_id).decision
            typed = str(form.get("id_number") or "")
            try:
                id_number = normalize(typed)
            except EligibilityError as e:
                return self.c.page(request, "error.html", 400, code="INVALID_ARGUMENT",
                                   said=id_problem(e, self.c.lang(request)))
            if mask(id_number) != d["id_number"]:
                return self.c.page(request, "error.html", 400, code="INVALID_ARGUMENT", said=self.c.tr(
                    request, "The ID number typed is not {name}'s ({masked}).", name=d["name"], masked=d["id_number"]))
            self.c.session.open_appeal(d["round_id"], id_number, str(form.get("reason") or ""))
        except grpc.RpcError as e:
            return self.c.failed(request, e)
        return RedirectResponse(f"/rounds/{d['round_id']}/appeals", status_code=303)

    def answer_appeal(self, request: Request, form: Any) -> Response:
        """A contested agency's answer: uphold, or revise (after correcting or retracting its record)."""
        try:
            a = self.c.session.answer_appeal(request.path_params["appeal_id"], str(form.get("answer") or ""),
                                             str(form.get("opinion") or ""), str(form.get("handler") or ""))
        except grpc.RpcError as e:
            return self.c.failed(request, e)
        return RedirectResponse(f"/rounds/{a['round_id']}/appeals", status_code=303)

    def decide_appeal(self, request: Request, form: Any) -> Response:
        """The district decides an answered appeal: the candidate is screened again; the new decision's page."""
        try:
            got = self.c.session.decide_appeal(request.path_params["appeal_id"])
        except grpc.RpcError as e:
            return self.c.failed(request, e)
        return RedirectResponse(f"/decisions/{got['decision']['decision_id']}", status_code=303)

    # ---- the district concludes ----
    def conclude(self, request: Request, form: Any) -> Response:
        """Conclude the round (审定); while something blocks it, the page lists what, and nothing is recorded."""
        round_id = request.path_params["round_id"]
        try:
            got = self.c.session.conclude(round_id, str(form.get("note") or ""))
        except grpc.RpcError as e:
            return self.c.failed(request, e)
        if got["concluded"]:
            return RedirectResponse(f"/rounds/{round_id}", status_code=303)
        lang = self.c.lang(request)
        return self.c.page(request, "error.html", 409, code="FAILED_PRECONDITION", said=self.c.tr(
            request, "The round cannot be concluded yet: {blockers}",
            blockers="；".join(server_said(b, lang) for b in got["blockers"])))

    # ---- the auditor's export ----
    def export(self, request: Request) -> Response:
        """The whole log, its checkpoints and public key as one zip: unzipped, `eligibility audit verify DIR
        --public-key FILE --replay` checks it offline."""
        out = self.acts.scratch(".zip")
        n = 0
        try:  # (on any failure the part written goes: names and birth dates are in it)
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
                with z.open(LEAVES, "w", force_zip64=True) as leaves:
                    def write(entry: bytes) -> None:
                        nonlocal n
                        leaves.write(entry + b"\n")
                        n += 1
                    export = self.c.session.export_log(write)
                z.writestr(CHECKPOINTS, b"".join(orjson.dumps(cp) + b"\n" for cp in export.checkpoints))
                z.writestr(PUBLIC_KEY, export.public_key + "\n")
        except grpc.RpcError as e:
            out.unlink(missing_ok=True)
            return self.c.failed(request, e)
        except BaseException:
            out.unlink(missing_ok=True)
            raise
        return FileResponse(out, filename=f"eligibility-log-{n}.zip", background=gone(out))
