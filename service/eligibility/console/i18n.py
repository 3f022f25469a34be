"""The console's words in Chinese and English: one catalogue, the English text as the key and its Chinese beside it
(console/messages_zh.py). A test reads every call of t() in the console and checks that its message is in the
catalogue with the same {fields} (or %-fields, for argparse's own messages), and that the catalogue holds nothing
unused.

The language is set once per command (main: --lang, ELIGIBILITY_LANG, the home's lang, the locale); argparse's own
words (usage, options, errors) go through the same catalogue.
"""

from __future__ import annotations

import argparse
from typing import Any

from eligibility.console.messages_zh import ZH

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
    said = ZH.get(text, text) if _LANG[0] == "zh" else text
    return said.format(**fields) if fields else said
