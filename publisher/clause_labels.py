"""Clause numbers and bold lead-ins in Markdown text (the rules are in
:mod:`publisher.markdown`'s module doc, "Numbers" and "Lead-ins"). Pure."""

from __future__ import annotations

import re
from collections.abc import Sequence

from publisher.document import normalise_space
from publisher.inline_text import Token, plain_text

__all__ = ["GLUED_LABEL", "HEADING_LABEL", "ITEM_LABEL", "TEXT_LABEL", "lead_in", "split_label"]

_ROMAN_L = r"(?:x{1,3}(?:ix|iv|vi{0,3}|i{1,3})?|ix|iv|vi{0,3}|i{1,3})"
_ROMAN_U = _ROMAN_L.upper()
_CORE = rf"(?:[0-9]{{1,3}}(?:\.[0-9]{{1,3}})*|{_ROMAN_L}|{_ROMAN_U}|[A-Za-z])"
_DOTTED = r"[0-9]{1,3}(?:\.[0-9]{1,3})+"
_PAREN = rf"\({_CORE}\)"
_PUNCT = rf"{_CORE}[.)]"
_TAIL = r"(?:[ \t\n]+(?P<rest>.*)|$)"
HEADING_LABEL = re.compile(rf"(?P<num>{_PAREN}|{_PUNCT}|{_DOTTED}){_TAIL}", re.S)
# "#### 4.Services Usage Limits": a decimal glued to a capitalised heading is still a number.
GLUED_LABEL = re.compile(r"(?P<num>[0-9]{1,3}(?:\.[0-9]{1,3})*\.)(?P<rest>[A-Z].*)", re.S)
TEXT_LABEL = re.compile(rf"(?P<num>{_PAREN}|{_PUNCT}){_TAIL}", re.S)
ITEM_LABEL = re.compile(rf"(?P<num>{_PAREN}){_TAIL}", re.S)
_ONLY_LABEL = re.compile(rf"(?:{_PAREN}|{_PUNCT}|{_DOTTED})")
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_MINOR_WORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "as",
        "at",
        "by",
        "for",
        "from",
        "in",
        "of",
        "on",
        "or",
        "the",
        "to",
        "via",
        "with",
    }
)
_MAX_LEAD_WORDS = 12


def split_label(text: str, pattern: re.Pattern[str]) -> tuple[str | None, str]:
    """``"B. Account Terms"`` -> ``("B.", "Account Terms")``; no label -> ``(None, text)``."""
    m = pattern.match(text)
    if m is None:
        return None, text
    return m.group("num"), (m.group("rest") or "").strip()


def _title_case(text: str) -> bool:
    words = _WORD.findall(text)
    return bool(words) and all(w[0].isupper() or w.lower() in _MINOR_WORDS for w in words)


def lead_in(tokens: Sequence[Token]) -> tuple[str, str] | None:
    """Split a bold lead-in off inline ``tokens``: ``(lead, rest)`` or None (module doc)."""
    if not tokens or tokens[0]["type"] != "strong":
        return None
    lead = normalise_space(plain_text(tokens[0]["children"]))
    rest_tokens = tokens[1:]
    rest = normalise_space(plain_text(rest_tokens))
    if not lead or not rest or len(lead.split()) > _MAX_LEAD_WORDS:
        return None
    if _ONLY_LABEL.fullmatch(lead) or lead[-1] in ".:":
        return lead, rest
    if rest[0] in ".:":
        return lead, rest[1:].strip()
    if rest_tokens[0]["type"] in ("softbreak", "linebreak"):
        return lead, rest
    if _title_case(lead) and (rest[0].isupper() or rest[0] in "\"“'‘("):
        return lead, rest
    return None
