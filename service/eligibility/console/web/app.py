"""The console's pages (Starlette, Jinja2): thin handlers over the CLI's client session. Every request passes the
launch guard (security.py); every page is in Chinese unless the person switched to English; no page shows a full
ID number."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import grpc
from cryptography.exceptions import InvalidSignature
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from eligibility.console import labels, render
from eligibility.console.client import Session
from eligibility.console.i18n import server_said, translate
from eligibility.console.proofs import prove
from eligibility.console.reports.content import local_time
from eligibility.console.web import lineage, results
from eligibility.console.web.acts import Acts
from eligibility.console.web.joint import Joint, id_problem
from eligibility.console.web.security import Guard
from eligibility.errors import EligibilityError
from eligibility.intake.idnumbers import mask, normalize
from eligibility.rules.vocabulary import Vocabulary

TEMPLATES = Path(__file__).parent / "templates"
LANG_COOKIE = "eligibility_console_lang"


class GuardMiddleware(BaseHTTPMiddleware):
    """Refuse what does not come from the launching person's browser; take the launch token into a cookie."""

    def __init__(self, app: Any, guard: Guard) -> None:
        """Guard the app with one launch's secrets."""
        super().__init__(app)
        self.guard = guard

    async def dispatch(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        """Check Host, token and (for a post) the origin and the form's CSRF token."""
        g = self.guard
        if not g.host_ok(request.headers.get("host", "")):
            return _refused("wrong host", 400)
        if g.token_ok(request.query_params.get("token")):
            rest = {k: v for k, v in request.query_params.items() if k != "token"}
            target = "/" + request.url.path.lstrip("/") + (f"?{urlencode(rest)}" if rest else "")  # (never //host)
            response = RedirectResponse(target, status_code=303)
            response.set_cookie(g.cookie, g.token, httponly=True, samesite="strict", path="/")
            return response
        if not g.token_ok(request.cookies.get(g.cookie)):
            return _refused("no launch token", 403)
        if request.method == "POST" and not g.same_origin(request.headers.get("origin"),
                                                          request.headers.get("sec-fetch-site")):
            return _refused("cross-site post", 403)
        return await call_next(request)  # (the form's CSRF token is checked where the form is read: Console.form)


def _refused(why: str, status: int) -> Response:
    words = {"no launch token": "没有启动口令：请使用启动控制台时打开的地址（No launch token: open the address the "
                                "console printed when it started.）",
             "cross-site post": "拒绝跨站提交（Cross-site form refused.）",
             "wrong host": "地址不对（Wrong host.）"}
    return HTMLResponse(f"<!doctype html><meta charset=utf-8><title>403</title><p>{words[why]}</p>", status_code=status)


class Console:
    """The pages of one launch: a role, its session with the server, its vocabulary."""

    def __init__(self, session: Session, role: str, vocab: Vocabulary, guard: Guard, zone: ZoneInfo,
                 public_key: str = "") -> None:
        """Serve role's pages over session, times in the office's zone (public_key: the log's, from the home, to check
        proofs with)."""
        self.session, self.role, self.vocab, self.guard, self.zone = session, role, vocab, guard, zone
        self.public_key = public_key
        self.results = results.Results(session.iter_round_decisions)
        self.seen: dict[str, dict[str, Any]] = {}  # round -> as it was last shown
        self.env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))

    @staticmethod
    def lang(request: Request) -> str:
        """The person's language: Chinese unless they switched to English."""
        return "en" if request.cookies.get(LANG_COOKIE) == "en" else "zh"

    def tr(self, request: Request, text: str, **fields: Any) -> str:
        """A message in the person's language."""
        return translate(text, self.lang(request), **fields)

    @staticmethod
    def refused(request: Request) -> Response:
        """A post without this launch's CSRF token."""
        return _refused("cross-site post", 403)

    def page(self, request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        """A template in the person's language."""
        lang = self.lang(request)
        html = self.env.get_template(name).render(
            _=lambda text, **fields: translate(text, lang, **fields), lang=lang, role=self.role,
            is_agency=self.role in self.vocab.agencies,
            role_label=self.vocab.agency_label(self.role, lang) if self.role in self.vocab.agencies else
            translate({"district": "district office", "auditor": "auditor"}.get(self.role, self.role), lang),
            csrf=self.guard.csrf, W=labels.WORDS[lang], V=labels.VERDICT[lang], OV=labels.OVERALL[lang],
            STATE=labels.STATE[lang], vocab=self.vocab, request=request,
            local=lambda stamp: local_time(stamp, self.zone), server_words=lambda text: server_said(text, lang), **context)
        return HTMLResponse(html, status_code=status)

    def failed(self, request: Request, e: grpc.RpcError) -> HTMLResponse:
        """The server said no: say what it said, in the person's language, and keep the page up."""
        lang = self.lang(request)
        said = e.details() or ""
        status = {grpc.StatusCode.PERMISSION_DENIED: 403, grpc.StatusCode.NOT_FOUND: 404}.get(e.code(), 400)
        return self.page(request, "error.html", status,
                         code=e.code().name, said=server_said(said, lang))

    async def form(self, request: Request) -> Any:
        """A posted form, if it carries this launch's CSRF token (else None: the post is refused)."""
        form = await request.form()
        return form if hmac.compare_digest(str(form.get("csrf") or ""), self.guard.csrf) else None

    # ---- pages ----
    def home(self, request: Request) -> Response:
        """The rounds, with their state and who has not attested."""
        try:
            rounds = self.session.list_rounds()
            if self.role not in self.vocab.agencies:  # the newest screened rounds' results, fetched ahead of a click
                for r in [r for r in rounds if r["last_screened_at"]][:results.Results.KEEP - 1]:
                    self.results.start(r["round_id"], r["last_screened_at"])
            if self.role == "district":  # the office acts on what changed since screening: count it on each screened round
                for r in rounds:
                    r["changed"] = self.session.get_round(r["round_id"], with_changes=True)["changed"] \
                        if r["last_screened_at"] else -1
        except grpc.RpcError as e:
            return self.failed(request, e)
        return self.page(request, "rounds.html", rounds=rounds, agencies=len(self.vocab.agencies))

    def round(self, request: Request) -> Response:
        """A round: its state, and its results filtered and paged."""
        round_id = request.path_params["round_id"]
        q = request.query_params
        fetching = self.results.under_way(round_id)
        if fetching is not None and round_id in self.seen:  # the server is busy sending the round: ask it nothing more
            return self.page(request, "round.html", info=self.seen[round_id], loading=fetching, rows=[], total=0)
        try:
            landing = not any(q.get(k) for k in ("page", "township", "village", "result", "agency", "who"))
            info = self.seen[round_id] = self.session.get_round(round_id)
            # (an agency sees its own acts on a round, not the round's decisions: the server does not give them to it)
            listed = info["last_screened_at"] and self.role not in self.vocab.agencies
            got = self.results.rows(round_id, info["last_screened_at"]) if listed else []
            loading = got if isinstance(got, results.Fetch) else None
            if self.role == "district" and landing and not loading:
                # (what changed since screening is counted on the round's landing view: at 100k it is the costly part)
                info = self.session.get_round(round_id, with_changes=True)
        except grpc.RpcError as e:
            return self.failed(request, e)
        rows: list[results.Row] = [] if isinstance(got, results.Fetch) else got
        chosen = {k: q.get(k, "") for k in ("township", "village", "result", "agency", "who")}
        shown = results.select(rows, **{k: v for k, v in chosen.items() if k != "who"}, name=chosen["who"])
        try:
            number = int(q.get("page", "1"))
        except ValueError:
            number = 1
        on_page, number, pages = results.page(shown, number)
        return self.page(request, "round.html", info=info, rows=on_page, total=len(rows), matching=len(shown), loading=loading,
                         number=number, pages=pages, chosen=chosen, townships=sorted({r.township for r in rows}),
                         query=lambda **change: urlencode({k: v for k, v in {**chosen, **change}.items() if v}))

    def person(self, request: Request, form: Any) -> Response:
        """Every decision recorded for one candidate of a round, in log order, found by the whole ID number (posted,
        so that the number stays out of the address bar and the browser's history; the page shows it masked)."""
        round_id = request.path_params["round_id"]
        try:
            id_number = normalize(str(form.get("id_number") or ""))
        except EligibilityError as e:
            return self.page(request, "error.html", 400, code="INVALID_ARGUMENT", said=id_problem(e, self.lang(request)))
        try:
            info = self.session.get_round(round_id)
            decisions = list(self.session.iter_round_decisions(round_id, id_number=id_number))
        except grpc.RpcError as e:
            return self.failed(request, e)
        except EligibilityError as e:  # a record that does not hold what it names
            return self.page(request, "error.html", 409, code="DATA_LOSS", said=e.message)
        for d in decisions:
            d["recorded_local"] = local_time(d["recorded_at"], self.zone)
        return self.page(request, "person.html", info=info, decisions=decisions, masked=mask(id_number))

    def decision(self, request: Request, **checked: Any) -> Response:
        """A candidate's decision: every agency's verdict, the rule, citation, window and reference, in words."""
        try:
            found = self.session.decision(request.path_params["decision_id"])
        except grpc.RpcError as e:
            return self.failed(request, e)
        lang = self.lang(request)
        d = found.decision
        read, context = lineage.inputs(found.record, self.vocab, lang, self.zone)
        return self.page(request, "decision.html", d=d, lines=render.explain(d, lang, self.vocab), inputs=read,
                         context=context, recorded=local_time(d["recorded_at"], self.zone), **checked)

    def check(self, request: Request, form: Any) -> Response:
        """The auditor replays a decision or checks its inclusion proof against the signed checkpoint."""
        decision_id, what = request.path_params["decision_id"], request.path_params["what"]
        try:
            if what == "replay":
                checked: dict[str, Any] = {"replayed": self.session.replay(decision_id)}
            elif what == "prove" and self.public_key:
                try:
                    checked = {"proved": prove(self.session, decision_id, self.public_key)}
                except (InvalidSignature, ValueError) as e:  # a checkpoint this home's key did not sign, or no key
                    checked = {"unproved": self.tr(request, "The signed checkpoint does not verify with this home's "
                                                            "public key ({why}): the log is not the one it signed.",
                                                   why=type(e).__name__)}
            else:
                return self.page(request, "error.html", 404, code="NOT_FOUND", said=what)
        except grpc.RpcError as e:
            return self.failed(request, e)
        return self.decision(request, **checked)

    def language(self, request: Request, form: Any) -> Response:
        """Switch between Chinese and English (a cookie), back to where the person was."""
        lang = "en" if form.get("lang") == "en" else "zh"
        back = str(form.get("back") or "/")
        response = RedirectResponse(back if back.startswith("/") and not back.startswith("//") else "/", status_code=303)
        response.set_cookie(LANG_COOKIE, lang, httponly=True, samesite="strict", path="/")
        return response


def posted(console: Console, act: Callable[[Request, Any], Response]) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint of a form: the form read and its CSRF token checked here (a post without it is refused); the act,
    which calls the server and reads files, in a worker thread, so that a slow act never holds up another page."""
    async def endpoint(request: Request) -> Response:
        form = await console.form(request)
        if form is None:
            return console.refused(request)
        return await run_in_threadpool(act, request, form)
    return endpoint


def make_app(session: Session, role: str, vocab: Vocabulary, guard: Guard, zone: ZoneInfo,
             public_key: str = "") -> Starlette:
    """The console app for one launch."""
    c = Console(session, role, vocab, guard, zone, public_key)
    a = Acts(c, zone)
    j = Joint(c, a)
    def post(path: str, act: Callable[[Request, Any], Response]) -> Route:
        return Route(path, posted(c, act), methods=["POST"])
    routes = [Route("/", c.home), Route("/rounds/{round_id}", c.round), Route("/decisions/{decision_id}", c.decision),
              post("/language", c.language),
              post("/rounds", a.create_round), post("/flags", a.submit_flags),
              post("/rounds/{round_id}/attest", a.attest), post("/rounds/{round_id}/screen", a.screen),
              Route("/rounds/{round_id}/screening", a.screening), Route("/rounds/{round_id}/report.{fmt}", a.report),
              Route("/flags", a.flags), post("/flags/retract", a.retract),
              Route("/rounds/{round_id}/candidates", a.candidates),
              Route("/rounds/{round_id}/reviews", j.reviews), post("/rounds/{round_id}/reviews", j.resolve),
              Route("/flags/correct", j.correcting), post("/flags/correct", j.correct),
              Route("/rounds/{round_id}/appeals", j.appeals), Route("/rounds/{round_id}/changes", j.changes),
              post("/decisions/{decision_id}/appeal", j.open_appeal),
              post("/appeals/{appeal_id}/answer", j.answer_appeal), post("/appeals/{appeal_id}/decide", j.decide_appeal),
              post("/rounds/{round_id}/conclude", j.conclude),
              Route("/export.zip", j.export), post("/rounds/{round_id}/person", c.person),
              post("/decisions/{decision_id}/{what}", c.check)]  # (after /decisions/{id}/appeal)
    app = Starlette(routes=routes, middleware=[Middleware(GuardMiddleware, guard=guard)])
    app.state.close = a.close  # (the console command calls it when it stops)
    return app
