"""What every console command shares: the home, the role's session, the output format, usage errors."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from eligibility.console.client import Session, open_session
from eligibility.console.i18n import t
from eligibility.errors import EligibilityError
from eligibility.home.config import DEFAULT_TIME_ZONE, Config, load_config
from eligibility.rules.loader import REPO_RULES
from eligibility.rules.vocabulary import Vocabulary, load_vocabulary

DEFAULT_HOME = Path.home() / ".eligibility"


Handler = Callable[[argparse.Namespace], int]
"""A command: parsed arguments -> exit code."""
Add = Callable[[Any, str, Handler, str], argparse.ArgumentParser]
"""add(subparsers, name, handler, help): a subcommand with the global options, run by handler."""


class UsageError(Exception):
    """A problem with how the command was called (exit code 2)."""


def config(args: argparse.Namespace) -> Config:
    """The home's configuration."""
    return load_config(Path(args.home))


def vocabulary(args: argparse.Namespace) -> Vocabulary:
    """The agencies and positions of the home (or, without a home, the shipped ones)."""
    try:
        return config(args).vocabulary()
    except EligibilityError:
        return load_vocabulary([REPO_RULES])


def time_zone(args: argparse.Namespace) -> ZoneInfo:
    """The time zone reports show times in: the home's time_zone (default Asia/Shanghai)."""
    try:
        name = config(args).time_zone
    except EligibilityError:
        name = DEFAULT_TIME_ZONE
    return ZoneInfo(name)


def session(args: argparse.Namespace) -> Session:
    """A session with the server acting as the --as role."""
    cfg = config(args)
    if not args.role:
        raise UsageError(t("say which role you act as: --as ROLE (or ELIGIBILITY_AS); roles: ")
                         + ", ".join(cfg.vocabulary().roles))
    return open_session(cfg, args.role, args.server, plaintext=args.plaintext, timeout=args.timeout)


def as_json(args: argparse.Namespace) -> bool:
    """--format json: JSON Lines on stdout."""
    return bool(args.format == "json")


def role_arg(args: argparse.Namespace, role: str) -> str:
    """A role named on the command line, checked against the home's roles."""
    roles = vocabulary(args).roles
    if role not in roles:
        raise UsageError(t("unknown role {role!r}; roles: {roles}", role=role, roles=", ".join(roles)))
    return role


def rules_dirs(args: argparse.Namespace) -> list[Path]:
    """The rule directories a local rules command reads: its path, the home's, or the shipped ones."""
    if getattr(args, "path", None):
        return [Path(args.path)]
    try:
        return list(config(args).rules_dirs)
    except EligibilityError:
        return [REPO_RULES]
