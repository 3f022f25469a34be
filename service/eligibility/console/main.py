"""The `eligibility` console command: global options, the subcommands of every group, exit codes.

Exit codes: 0 success; 1 some rows rejected, a replay mismatch, or a rule lint/test failure;
2 bad usage, a bad input file or a broken home, or input the server refused as invalid; 3 the server refused or
failed the call otherwise (unreachable, permission, state).
"""

from __future__ import annotations

import argparse
import contextlib
import faulthandler
import importlib.metadata
import os
import re
import signal
import sys
from pathlib import Path
from typing import Any

import grpc

from eligibility.console import i18n, render
from eligibility.console.commands import appeals, audit, flags, home, review, rounds, rules, templates, webconsole
from eligibility.console.common import DEFAULT_HOME, Handler, UsageError, time_zone
from eligibility.console.i18n import t
from eligibility.errors import EligibilityError
from eligibility.home.config import LANGUAGES, load_config

UNREACHABLE = re.compile(r"failed to connect|connection refused|DNS resolution failed|no route to host|"
                         r"connection reset|handshake|Socket closed|timed out", re.IGNORECASE)
"""How gRPC says it could not reach the server (the server's own UNAVAILABLE, e.g. a full disk, says something else)."""
INPUT_ERRORS = frozenset({grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.ALREADY_EXISTS, grpc.StatusCode.OUT_OF_RANGE})
"""Server answers that mean the command's input was wrong: exit 2, as for a bad file or option."""

GROUPS = (home, rules, flags, rounds, review, appeals, audit, templates, webconsole)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; global options work before or after the subcommand."""
    env = os.environ.get
    top = {"home": env("ELIGIBILITY_HOME", str(DEFAULT_HOME)), "server": env("ELIGIBILITY_SERVER", ""),
           "role": env("ELIGIBILITY_AS", ""), "format": "table", "timeout": 60.0, "lang": "",
           "plaintext": False}

    def options(defaults: dict[str, Any] | None) -> argparse.ArgumentParser:
        # Separate action objects for the top level (real defaults) and subcommands (SUPPRESS, so an
        # option given before the subcommand is not overwritten by the subcommand's default).
        d = defaults or {}
        o = argparse.ArgumentParser(add_help=False)
        sup = argparse.SUPPRESS
        o.add_argument("--home", default=d.get("home", sup), help=t("home directory (ELIGIBILITY_HOME)"))
        o.add_argument("--server", default=d.get("server", sup), help=t("server HOST:PORT (ELIGIBILITY_SERVER)"))
        o.add_argument("--as", dest="role", default=d.get("role", sup), help=t("act as ROLE (ELIGIBILITY_AS)"))
        o.add_argument("--format", choices=("table", "json"), default=d.get("format", sup),
                       help=t("table (default) or json (JSON Lines)"))
        o.add_argument("--timeout", type=float, default=d.get("timeout", sup), help=t("per-call deadline in seconds"))
        o.add_argument("--lang", choices=("zh", "en"), default=d.get("lang", sup),
                       help=t("zh or en (else ELIGIBILITY_LANG, the home's lang, LANG; Chinese when none says)"))
        o.add_argument("--plaintext", action="store_true", default=d.get("plaintext", sup),
                       help=t("no TLS (loopback only; the server must run with --plaintext too)"))
        return o

    common = options(None)
    p = argparse.ArgumentParser(prog="eligibility", parents=[options(top)],
                                description="District-level joint qualification review of two-committee candidates.")
    p.add_argument("--version", action="version", version=f"eligibility {_version()}",
                   help=t("show program's version number and exit"))
    p.set_defaults(cli=main)  # the entry point, for commands that drive the CLI themselves (the demo)
    sub = p.add_subparsers(dest="command", required=True)

    def add(parent: Any, name: str, fn: Handler, help_: str) -> argparse.ArgumentParser:
        sp: argparse.ArgumentParser = parent.add_parser(name, parents=[common], help=help_, description=help_)
        sp.set_defaults(fn=fn)
        return sp

    for group in GROUPS:
        group.register(sub, add)
    return p


def _prescan(raw: list[str]) -> argparse.Namespace:
    """--lang and --home as the command line gives them, before the parser (which speaks the language) is built."""
    found = {"lang": "", "home": os.environ.get("ELIGIBILITY_HOME", str(DEFAULT_HOME))}
    for i, arg in enumerate(raw):
        for name in found:
            if arg == f"--{name}" and i + 1 < len(raw):
                found[name] = raw[i + 1]
            elif arg.startswith(f"--{name}="):
                found[name] = arg.split("=", 1)[1]
    if found["lang"] not in LANGUAGES:
        found["lang"] = ""
    return argparse.Namespace(**found)


def language(args: argparse.Namespace) -> tuple[str, bool]:
    """The console's language and whether someone chose it: --lang, ELIGIBILITY_LANG, the home's config (lang =
    "zh"), in that order; else LANG (zh_CN.UTF-8 -> zh, any other locale -> en, and no locale at all -> zh)."""
    if args.lang:
        return args.lang, True
    chosen = os.environ.get("ELIGIBILITY_LANG", "").strip().lower()[:2]
    if chosen in LANGUAGES:
        return chosen, True
    try:
        configured = load_config(Path(args.home)).lang
    except EligibilityError:
        configured = ""
    if configured:
        return configured, True
    locale = next((os.environ[k] for k in ("LC_ALL", "LC_MESSAGES", "LANG") if os.environ.get(k)), "")
    return ("zh" if not locale or locale.lower().startswith("zh") else "en"), False


def _version() -> str:
    try:
        return importlib.metadata.version("eligibility")
    except importlib.metadata.PackageNotFoundError:
        return "(not installed)"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console command."""
    if hasattr(signal, "SIGUSR1"):  # `kill -USR1 PID`: every thread's stack to stderr (the server's log), nothing stops
        with contextlib.suppress(ValueError, OSError, AttributeError):  # (a stderr that is no file: called in process)
            faulthandler.register(signal.SIGUSR1, all_threads=True)
    raw = list(sys.argv[1:] if argv is None else argv)
    chosen, given = language(_prescan(raw))
    i18n.use(chosen)  # (before the parser is built: its help is in the language too)
    args = build_parser().parse_args(raw)
    args.lang, args.lang_given = chosen, given
    render.ZONE[0] = time_zone(args)
    try:
        return int(args.fn(args))
    except UsageError as e:
        print(t("error: {message}", message=e), file=sys.stderr)
        return 2
    except EligibilityError as e:
        print(t("error: {message}", message=e.message), file=sys.stderr)
        return 2
    except grpc.RpcError as e:
        code = e.code()
        if code == grpc.StatusCode.UNAVAILABLE and UNREACHABLE.search(e.details() or ""):
            print(t("error: cannot reach the server ({details}); is `eligibility serve` running, and at the address the "
                    "home names? `eligibility doctor` checks the home and the server", details=e.details()), file=sys.stderr)
            return 3
        print(t("error: {code}: {details}", code=code.name, details=i18n.server_said(e.details() or "")), file=sys.stderr)
        return 2 if code in INPUT_ERRORS else 3
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (`... --format json | head`): not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # (Python flushes stdout again at exit)
        return 0


if __name__ == "__main__":
    sys.exit(main())
