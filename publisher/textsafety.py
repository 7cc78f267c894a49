"""Checks for text that people see or the store keeps: no lone surrogates (not encodable as
UTF-8), no control characters, and no invisible characters that change how a name reads.

Pure functions returning a reason (``None`` when the text is fine), shared by the customers
import and the acceptance service's input checks.
"""

from __future__ import annotations

import re
import unicodedata

_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")

BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
"""Bidirectional marks, embeddings, overrides and isolates (U+202E reverses what follows)."""

ZERO_WIDTH = frozenset("\u200b\u2060\ufeff\u180e\u2061\u2062\u2063\u2064")
"""Zero-width space, word joiner, BOM, Mongolian vowel separator, invisible operators."""

JOINERS = frozenset("\u200c\u200d")
"""ZWNJ and ZWJ: needed inside Persian, Indic and emoji sequences, so allowed only between two
non-ASCII letters, marks or symbols (never at an end, next to a space or inside Latin text)."""


def encoding_problem(value: str) -> str | None:
    """A lone surrogate or a control character (tab, line break, NUL, C1…)."""
    if _SURROGATE.search(value):
        return "is not valid Unicode (a lone surrogate)"
    if _CONTROL.search(value):
        return "contains a line break or control character"
    return None


def _joinable(char: str) -> bool:
    return not char.isascii() and unicodedata.category(char)[0] in "LMS"


def invisible_problem(value: str) -> str | None:
    """A bidirectional control or a zero-width character that could disguise the text."""
    for index, char in enumerate(value):
        if char in BIDI_CONTROLS:
            return f"contains the bidirectional control U+{ord(char):04X}"
        if char in ZERO_WIDTH:
            return f"contains the invisible character U+{ord(char):04X}"
        if char in JOINERS:
            before = value[index - 1] if index > 0 else ""
            after = value[index + 1] if index + 1 < len(value) else ""
            if not (before and after and _joinable(before) and _joinable(after)):
                return f"contains the invisible character U+{ord(char):04X} outside a word"
    return None


def text_problem(value: str, *, limit: int, required: bool = True) -> str | None:
    """Everything above plus length: the reason ``value`` cannot be stored, or None."""
    if required and not value:
        return "is empty"
    if len(value) > limit:
        return f"is longer than {limit} characters"
    return encoding_problem(value) or invisible_problem(value)
