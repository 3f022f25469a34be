"""Free text as the service accepts it: no control character and no invisible formatting character.

Unicode's categories Cc (controls: C0, DEL, C1 such as U+0085) and Cf (format: the soft hyphen, zero-width
characters, the left-to-right and right-to-left marks, bidi embeddings, overrides and isolates, the byte order
mark, tags...) are refused in every text field (a tab aside, which a spreadsheet cell may hold): they can make a
report, a spreadsheet or a terminal show something other than what is stored. The character class is written out
(Unicode 14, Python 3.11's unicodedata) so that importing this costs nothing; a unit test checks it against
unicodedata's categories over every code point.
"""

from __future__ import annotations

import re
import unicodedata

from eligibility.errors import InvalidInputError

_RANGES = ("\x00-\x08\x0a-\x1f\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e"
           "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
           "\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f")
INVISIBLE = re.compile(f"[{_RANGES}]")
"""Every code point of category Cc or Cf but the tab."""


NOTE_LIMIT = 2000
"""Characters in a reason, an attestation's note or an opinion (a row's fields: intake.rows.MAX_TEXT)."""


def invisible_in(value: str) -> str:
    """The first control or invisible formatting character in value, described ("U+200E LEFT-TO-RIGHT MARK"), or ""."""
    found = INVISIBLE.search(value)
    if found is None:
        return ""
    ch = found.group()
    return f"U+{ord(ch):04X} {unicodedata.name(ch, 'control character')}"


def invisible_message(field: str, what: str) -> str:
    """What to tell the user about such a character in a field."""
    return (f"{field}: contains {what}, a control or invisible formatting character (it can make a report show "
            "something other than what is stored): remove it")


def clean_text(raw: str, field: str, *, limit: int = 200, required: bool = False) -> str:
    """A request's free text (a round's name, an opinion, a reason): trimmed, checked, or InvalidInputError naming
    the field."""
    value = raw.strip()
    if required and not value:
        raise InvalidInputError(f"{field}: missing", field=field)
    if len(value) > limit:
        raise InvalidInputError(f"{field}: longer than {limit} characters ({len(value)})", field=field)
    what = invisible_in(value)
    if what:
        raise InvalidInputError(invisible_message(field, what), field=field)
    return value
