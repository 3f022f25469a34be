"""The console command: the browser console for a role, on loopback, with that role's credential."""

from __future__ import annotations

import argparse
import signal
import socket
import sys
import webbrowser

from eligibility.console import render
from eligibility.console.common import Add, UsageError, as_json, config, session, time_zone, vocabulary
from eligibility.console.i18n import t
from eligibility.console.web.security import Guard, is_loopback_host


def cmd_console(args: argparse.Namespace) -> int:
    """Serve the browser console until Ctrl-C."""
    import uvicorn

    from eligibility.console.web.app import make_app
    host, _, port = (args.listen or "127.0.0.1:0").rpartition(":")
    if not is_loopback_host(host) or not port.isdigit() or int(port) > 65535:
        raise UsageError(t("--listen {listen}: the console listens on this machine's loopback only (127.0.0.1:PORT): "
                           "it acts with your credential", listen=args.listen))
    s = session(args)
    sock = socket.socket(socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET)
    try:
        sock.bind((host.strip("[]"), int(port)))
    except OSError as e:
        raise UsageError(t("--listen {listen}: cannot listen there ({why})", listen=args.listen, why=e.strerror)) from None
    sock.listen(128)  # (connections wait in the backlog from now on, before the server takes them)
    guard = Guard(host, sock.getsockname()[1])
    key = config(args).home / "keys" / "log.pub"
    app = make_app(s, args.role, vocabulary(args), guard, time_zone(args), key.read_text() if key.exists() else "")
    if as_json(args):
        render.jsonl({"url": guard.url(), "listening": f"{host}:{guard.port}", "role": args.role})
    else:
        print(t("console for {role}: {url}  (Ctrl-C to stop; the address carries this launch's token: keep it to "
                "yourself)", role=args.role, url=guard.url()))
    sys.stdout.flush()
    if not args.no_browser:
        webbrowser.open(guard.url())
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    # uvicorn stops gracefully on SIGTERM, then raises it again under the handler it found: make that handler end
    # the command through the finally below (which removes the work directory), not kill the process
    signal.signal(signal.SIGTERM, _stopped)
    try:
        server.run(sockets=[sock])
    finally:
        app.state.close()
        s.close()
    return 0


def _stopped(signum: int, frame: object) -> None:
    raise SystemExit(0)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], add: Add) -> None:
    """The console command."""
    sp = add(sub, "console", cmd_console, t("the browser console for your role, on this machine only"))
    sp.add_argument("--listen", help=t("127.0.0.1:PORT (default: a free port)"))
    sp.add_argument("--no-browser", action="store_true", help=t("print the address, do not open a browser"))
