"""Commands that act on a home without a server call: init, serve, doctor, demo, credentials."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from eligibility.console import render
from eligibility.console.common import Add, as_json, config, role_arg
from eligibility.console.i18n import t
from eligibility.home.config import DEFAULT_LISTEN
from eligibility.home.setup import init_home


def cmd_init(args: argparse.Namespace) -> int:
    """Create a home."""
    cfg = init_home(Path(args.home), listen=args.listen or DEFAULT_LISTEN, server_names=tuple(args.server_name))
    print(t("initialised {home}: config.toml, keys/, credentials/ for {roles}", home=cfg.home,
            roles=", ".join(cfg.vocabulary().roles)))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the server until SIGINT/SIGTERM."""
    from eligibility.api.server import serve
    cfg = config(args)
    return serve(cfg, args.listen or cfg.listen, plaintext=args.plaintext,
                 metrics_listen=args.metrics_listen or cfg.metrics_listen, accept_restored_log=args.accept_restored_log)


def cmd_doctor(args: argparse.Namespace) -> int:
    """Check a home and say what is wrong."""
    from eligibility.console.doctor import check_home
    results = check_home(Path(args.home), args.server or "")
    for ok, sentence in results:
        if as_json(args):
            render.jsonl({"ok": ok is not False, "note": ok is None, "check": sentence})
        else:
            print(f"{t('note   ') if ok is None else t('ok     ') if ok else t('PROBLEM')} {sentence}")
    bad = sum(ok is False for ok, _ in results)
    if not as_json(args):
        print(t("everything looks right") if not bad else t("{n} problem(s) found", n=bad))
    return 1 if bad else 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the synthetic district through the real server and client."""
    from eligibility.console.demo import run_demo
    return run_demo(args.cli, Path(args.dir) if args.dir else None, per_village=args.per_village, seed=args.seed,
                    show_all=not args.summary_only)


def cmd_credentials_export(args: argparse.Namespace) -> int:
    """Write a role's credential bundle."""
    written = config(args).authority.export(role_arg(args, args.role_name), Path(args.out))
    print(t("wrote {files}; hand these to the {role} office", files=", ".join(str(p) for p in written), role=args.role_name))
    return 0


def cmd_credentials_issue(args: argparse.Namespace) -> int:
    """Issue a new certificate for a role; the one it replaces is revoked unless --keep-old."""
    authority = config(args).authority
    d, revoked = authority.issue_client(role_arg(args, args.role_name), keep_old=args.keep_old)
    authority.issue_token(args.role_name)
    serial = next(c.serial for c in authority.credentials() if c.role == args.role_name and c.current)
    if revoked:
        old = t("; the certificate it replaces ({serials}) is revoked", serials=", ".join(revoked))
    elif args.keep_old:
        old = t("; the previous certificate stays valid until `credentials revoke {role} --serial S`", role=args.role_name)
    else:
        old = ""
    print(t("issued certificate {serial} for {role} in {dir}, valid {days} days (the server accepts it at once; its "
            "plaintext-mode token was replaced too)", serial=serial, role=args.role_name, dir=d, days=authority.days) + old)
    return 0


def cmd_credentials_revoke(args: argparse.Namespace) -> int:
    """Revoke a role's certificates (every one still valid, or the one --serial names)."""
    authority = config(args).authority
    role = role_arg(args, args.role_name)
    known = {c.serial for c in authority.credentials()}
    serials = authority.revoke(role, args.serial)
    if args.serial and serials and serials[0] not in known:
        print(t("warning: this home has no record of issuing certificate {serial} (issued before it kept one, or "
                "mistyped?); it is on the revocation list now: check the serial against the certificate", serial=serials[0]),
              file=sys.stderr)
    current = next((c for c in authority.credentials() if c.role == role and c.current), None)
    took_token = args.serial is None or (current is not None and current.serial in serials)
    if took_token:
        authority.revoke_token(role)
    if not serials:
        print(t("nothing to revoke: that certificate was revoked already (`eligibility credentials list` shows when)")
              if args.serial else t("nothing to revoke: every certificate of {role} is revoked already (`eligibility "
                                    "credentials list` shows when)", role=role))
        return 0
    said = t("revoked certificates {serials}{token} of {role} (the server refuses them from the next call); issue a new "
             "one with `eligibility credentials issue {role}`") if len(serials) > 1 else \
        t("revoked certificate {serials}{token} of {role} (the server refuses them from the next call); issue a new one "
          "with `eligibility credentials issue {role}`")
    print(said.format(serials=", ".join(serials), role=role, token=t(" and the plaintext-mode token") if took_token else ""))
    return 0


CERTIFICATE_STATES = ("valid", "expired", "revoked")
"""A certificate's state as home.pki names it (t() gives its Chinese)."""


def cmd_credentials_list(args: argparse.Namespace) -> int:
    """Every certificate the home issued: role, serial, issued, expires, revoked."""
    creds = config(args).authority.credentials()
    if args.role_name:
        creds = [c for c in creds if c.role == role_arg(args, args.role_name)]
    if as_json(args):
        for c in creds:
            render.jsonl({"role": c.role, "serial": c.serial, "issued_at": c.issued_at or None,
                          "expires_at": c.expires_at or None, "revoked_at": c.revoked_at, "state": c.state,
                          "current": c.current})
        return 0
    width = max([len(c.role) for c in creds] + [4])
    print(f"{t('role'):<{width}}  {t('serial'):<40}  {t('issued'):<10}  {t('expires'):<10}  {t('state')}")
    for c in creds:  # (plain columns: a serial is copied from here whole, never wrapped or cut)
        state = t("revoked {date}", date=c.revoked_at[:10]) if c.revoked_at else t(c.state)
        print(f"{c.role:<{width}}  {c.serial:<40}  {c.issued_at[:10] or '?':<10}  {c.expires_at[:10] or '?':<10}  "
              f"{state}{t(', current') if c.current else ''}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], add: Add) -> None:
    """The home commands."""
    sp = add(sub, "init", cmd_init, t("create a home: config, database, credentials for every role"))
    sp.add_argument("--listen", help=t("address the server will listen on (default {address})", address=DEFAULT_LISTEN))
    sp.add_argument("--server-name", action="append", default=[], help=t("extra host name/IP for the server certificate"))
    creds = sub.add_parser("credentials", help=t("per-role client certificates")).add_subparsers(dest="sub", required=True)
    sp = add(creds, "export", cmd_credentials_export, t("write a role's credential bundle for handing over"))
    sp.add_argument("role_name", metavar="ROLE")
    sp.add_argument("--out", required=True, help=t("an empty or new directory"))
    sp = add(creds, "issue", cmd_credentials_issue, t("issue a new certificate for a role (the one it replaces is revoked)"))
    sp.add_argument("role_name", metavar="ROLE")
    sp.add_argument("--keep-old", action="store_true",
                    help=t("keep the replaced certificate valid (a planned hand-over; end it with revoke --serial)"))
    sp = add(creds, "revoke", cmd_credentials_revoke, t("revoke a role's certificates: every one still valid, or the one "
                                                        "--serial names"))
    sp.add_argument("role_name", metavar="ROLE")
    sp.add_argument("--serial", help=t("only this certificate (its serial as `credentials list` shows it)"))
    sp = add(creds, "list", cmd_credentials_list, t("every certificate issued: role, serial, issued, expires, revoked"))
    sp.add_argument("role_name", metavar="ROLE", nargs="?", help=t("only this role"))
    sp = add(sub, "serve", cmd_serve, t("run the gRPC server on a home"))
    sp.add_argument("--listen", help=t("HOST:PORT (port 0 = any free port); default from config"))
    sp.add_argument("--metrics-listen", help=t("serve Prometheus metrics on HOST:PORT (e.g. 127.0.0.1:9464)"))
    sp.add_argument("--accept-restored-log", action="store_true",
                    help=t("start although the log does not extend the last checkpoint this server signed (a backup was "
                           "restored on purpose); logged, and the next checkpoint replaces the kept one"))
    add(sub, "doctor", cmd_doctor, t("check a home (config, keys, certificates, database, rulesets, log)"))
    sp = add(sub, "demo", cmd_demo, t("run a synthetic district through the real server and client"))
    sp.add_argument("--dir", help=t("keep the demo home here (default: a temporary directory)"))
    sp.add_argument("--per-village", type=int, default=4, help=t("candidates per village (default 4)"))
    sp.add_argument("--seed", type=int, default=2026)
    sp.add_argument("--summary-only", action="store_true", help=t("print only non-eligible rows and the summary"))


__all__ = ["register"]
