"""Commands that act on a home without a server call: init, serve, doctor, demo, credentials."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from eligibility.console import render
from eligibility.console.common import Add, as_json, config, role_arg
from eligibility.home.config import DEFAULT_LISTEN
from eligibility.home.setup import init_home


def cmd_init(args: argparse.Namespace) -> int:
    """Create a home."""
    cfg = init_home(Path(args.home), listen=args.listen or DEFAULT_LISTEN, server_names=tuple(args.server_name))
    print(f"initialised {cfg.home}: config.toml, keys/, credentials/ for {', '.join(cfg.vocabulary().roles)}")
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
            print(f"{'note   ' if ok is None else 'ok     ' if ok else 'PROBLEM'} {sentence}")
    bad = sum(ok is False for ok, _ in results)
    if not as_json(args):
        print("everything looks right" if not bad else f"{bad} problem(s) found")
    return 1 if bad else 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the synthetic district through the real server and client."""
    from eligibility.console.demo import run_demo
    return run_demo(args.cli, Path(args.dir) if args.dir else None, per_village=args.per_village, seed=args.seed,
                    show_all=not args.summary_only)


def cmd_credentials_export(args: argparse.Namespace) -> int:
    """Write a role's credential bundle."""
    written = config(args).authority.export(role_arg(args, args.role_name), Path(args.out))
    print(f"wrote {', '.join(str(p) for p in written)}; hand these to the {args.role_name} office")
    return 0


def cmd_credentials_issue(args: argparse.Namespace) -> int:
    """Issue a new certificate for a role; the one it replaces is revoked unless --keep-old."""
    authority = config(args).authority
    d, revoked = authority.issue_client(role_arg(args, args.role_name), keep_old=args.keep_old)
    authority.issue_token(args.role_name)
    serial = next(c.serial for c in authority.credentials() if c.role == args.role_name and c.current)
    if revoked:
        old = f"; the certificate it replaces ({', '.join(revoked)}) is revoked"
    elif args.keep_old:
        old = f"; the previous certificate stays valid until `credentials revoke {args.role_name} --serial S`"
    else:
        old = ""
    print(f"issued certificate {serial} for {args.role_name} in {d}, valid {authority.days} days (the server accepts "
          f"it at once; its plaintext-mode token was replaced too){old}")
    return 0


def cmd_credentials_revoke(args: argparse.Namespace) -> int:
    """Revoke a role's certificates (every one still valid, or the one --serial names)."""
    authority = config(args).authority
    role = role_arg(args, args.role_name)
    known = {c.serial for c in authority.credentials()}
    serials = authority.revoke(role, args.serial)
    if args.serial and serials and serials[0] not in known:
        print(f"warning: this home has no record of issuing certificate {serials[0]} (issued before it kept one, or "
              "mistyped?); it is on the revocation list now: check the serial against the certificate",
              file=sys.stderr)
    current = next((c for c in authority.credentials() if c.role == role and c.current), None)
    took_token = args.serial is None or (current is not None and current.serial in serials)
    if took_token:
        authority.revoke_token(role)
    if not serials:
        print(f"nothing to revoke: {'that certificate was' if args.serial else 'every certificate of ' + role + ' is'} "
              "revoked already (`eligibility credentials list` shows when)")
        return 0
    what = f"certificate{'s' if len(serials) > 1 else ''} {', '.join(serials)}"
    print(f"revoked {what}{' and the plaintext-mode token' if took_token else ''} of {role} (the server refuses them "
          f"from the next call); issue a new one with `eligibility credentials issue {role}`")
    return 0


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
    print(f"{'role':<{width}}  {'serial':<40}  {'issued':<10}  {'expires':<10}  state")
    for c in creds:  # (plain columns: a serial is copied from here whole, never wrapped or cut)
        state = f"revoked {c.revoked_at[:10]}" if c.revoked_at else c.state
        print(f"{c.role:<{width}}  {c.serial:<40}  {c.issued_at[:10] or '?':<10}  {c.expires_at[:10] or '?':<10}  "
              f"{state}{', current' if c.current else ''}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], add: Add) -> None:
    """The home commands."""
    sp = add(sub, "init", cmd_init, "create a home: config, database, credentials for every role")
    sp.add_argument("--listen", help=f"address the server will listen on (default {DEFAULT_LISTEN})")
    sp.add_argument("--server-name", action="append", default=[], help="extra host name/IP for the server certificate")
    creds = sub.add_parser("credentials", help="per-role client certificates").add_subparsers(dest="sub", required=True)
    sp = add(creds, "export", cmd_credentials_export, "write a role's credential bundle for handing over")
    sp.add_argument("role_name", metavar="ROLE")
    sp.add_argument("--out", required=True, help="an empty or new directory")
    sp = add(creds, "issue", cmd_credentials_issue, "issue a new certificate for a role (the one it replaces is "
             "revoked)")
    sp.add_argument("role_name", metavar="ROLE")
    sp.add_argument("--keep-old", action="store_true",
                    help="keep the replaced certificate valid (a planned hand-over; end it with revoke --serial)")
    sp = add(creds, "revoke", cmd_credentials_revoke, "revoke a role's certificates: every one still valid, or the "
             "one --serial names")
    sp.add_argument("role_name", metavar="ROLE")
    sp.add_argument("--serial", help="only this certificate (its serial as `credentials list` shows it)")
    sp = add(creds, "list", cmd_credentials_list, "every certificate issued: role, serial, issued, expires, revoked")
    sp.add_argument("role_name", metavar="ROLE", nargs="?", help="only this role")
    sp = add(sub, "serve", cmd_serve, "run the gRPC server on a home")
    sp.add_argument("--listen", help="HOST:PORT (port 0 = any free port); default from config")
    sp.add_argument("--metrics-listen", help="serve Prometheus metrics on HOST:PORT (e.g. 127.0.0.1:9464)")
    sp.add_argument("--accept-restored-log", action="store_true",
                    help="start although the log does not extend the last checkpoint this server signed (a backup was "
                         "restored on purpose); logged, and the next checkpoint replaces the kept one")
    add(sub, "doctor", cmd_doctor, "check a home (config, keys, certificates, database, rulesets, log)")
    sp = add(sub, "demo", cmd_demo, "run a synthetic district through the real server and client")
    sp.add_argument("--dir", help="keep the demo home here (default: a temporary directory)")
    sp.add_argument("--per-village", type=int, default=4, help="candidates per village (default 4)")
    sp.add_argument("--seed", type=int, default=2026)
    sp.add_argument("--summary-only", action="store_true", help="print only non-eligible rows and the summary")


__all__ = ["register"]
