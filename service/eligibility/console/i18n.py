"""The console's words in Chinese and English: one catalogue, the English text as the key and its Chinese beside it
(console/messages_zh.py). A test reads every call of t() in the console and checks that its message is in the
catalogue with the same {fields} (or %-fields, for argparse's own messages), and that the catalogue holds nothing
unused.

The language is set once per command (main: --lang, ELIGIBILITY_LANG, the home's lang, the locale); argparse's own
words (usage, options, errors) go through the same catalogue.
"""

from __future__ import annotations

import argparse
import re
from typing import Any

from eligibility.console.messages_zh import ROW_ERRORS, SERVER_ERRORS, ZH

_LANG = ["en"]


def use(lang: str) -> None:
    """Speak lang (zh or en) from now on, argparse included."""
    _LANG[0] = lang
    argparse._ = lambda text: t(text)  # type: ignore[attr-defined]  # (argparse looks up _ when it formats)


def lang() -> str:
    """The language in use."""
    return _LANG[0]


def t(text: str, **fields: Any) -> str:
    """The message in the language in use, with its fields filled in."""
    return translate(text, _LANG[0], **fields)


def translate(text: str, language: str, **fields: Any) -> str:
    """The message in the given language (the browser console's pages: each request has its own)."""
    said = ZH.get(text, text) if language == "zh" else text
    return said.format(**fields) if fields else said


_ROW_ERRORS = [(re.compile(p, re.DOTALL), zh) for p, zh in ROW_ERRORS]
_SERVER_ERRORS = [(re.compile(p, re.DOTALL), zh) for p, zh in SERVER_ERRORS]
_FIELD = re.compile(r"(\w+): (.*)", re.DOTALL)


def _match(catalogue: list[tuple[re.Pattern[str], str]], text: str) -> str | None:
    for pattern, zh in catalogue:
        m = pattern.fullmatch(text)
        if m:
            return m.expand(zh)
    return None


def row_error_zh(text: str) -> str:
    """A row's problem in Chinese (the catalogue's ROW_ERRORS), or as the server said it when no pattern knows it."""
    return _match(_ROW_ERRORS, text) or text


def server_said(details: str, language: str | None = None) -> str:
    """What the server said when it refused a call, in the language in use: its sentences (SERVER_ERRORS) and its
    field problems ("id_number: check digit is wrong ...", the row errors' words) in Chinese; else as it said it."""
    if (language or _LANG[0]) != "zh":
        return details
    whole = _match(_SERVER_ERRORS, details)
    if whole is not None:
        return whole
    parts = []
    for part in details.split("; ") if _FIELD.fullmatch(details) else [details]:
        m = _FIELD.fullmatch(part)
        parts.append(f"{m.group(1)}：{row_error_zh(m.group(2))}" if m else row_error_zh(part))
    return "；".join(parts)
