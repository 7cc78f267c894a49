"""What a reader makes of its input: one :class:`Line` per heading, list item or paragraph,
and the recognition of numbers, bullets, headings and date lines in plain text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

LineKind = Literal["heading", "item", "bullet", "paragraph", "table"]


@dataclass(frozen=True)
class Line:
    """One block of the original.

    ``number`` is the label as written ("1.", "(a)", "iv)"); ``key`` says which list an item
    belongs to (its label's form, or a bullet's character, or an HTML list and its depth);
    ``indent`` is how far it was indented (spaces, or list depth for HTML); ``level`` is a
    heading's level (1 = top); ``joined`` is true when the line continues the previous one
    (no blank line between); ``where`` is the 1-based line of the input, for messages.
    ``rows`` holds a table's cells.
    """

    kind: LineKind
    text: str
    number: str | None = None
    key: str = ""
    indent: int = 0
    level: int = 1
    joined: bool = False
    where: int = 0
    rows: tuple[tuple[str, ...], ...] = ()
    lead: str | None = None
    """Bold words the text starts with (a lead-in: "Short version:"), from a web page."""


BULLETS = "•●◦○▪■□‣·∙*-–—o"
_BULLET = re.compile(r"(?P<mark>[•●◦○▪■□‣·∙*\-–—]|o(?=\s))\s+(?P<rest>\S.*)")
_ROMAN = re.compile(r"(?=[ivxlcdm]+$)m{0,3}(cm|cd|d?c{0,3})(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})$")
_LABEL = re.compile(
    r"(?P<num>\((?P<pcore>[0-9]{1,3}|[A-Za-z]{1,2}|[ivxlcdmIVXLCDM]{1,6})\)"
    r"|(?P<core>[0-9]{1,3}(?:\.[0-9]{1,3})*|[A-Za-z]|[ivxlcdmIVXLCDM]{1,6})(?P<punct>[.)])"
    r"|(?P<dotted>[0-9]{1,3}(?:\.[0-9]{1,3})+))\s+(?P<rest>\S.*)"
)
_DATE_LINE = re.compile(
    r"(?P<label>effective(?:\s+date)?|last\s+(?:updated|revised|modified)|updated|revised"
    r"|date\s+of\s+last\s+revision)\s*(?:on|as\s+of)?\s*[:\-–—]?\s*(?P<value>.+)$",
    re.I,
)
_SMALL = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "by",
        "for",
        "from",
        "in",
        "into",
        "of",
        "on",
        "or",
        "per",
        "the",
        "to",
        "under",
        "with",
        "vs",
    ]
)
_DATE_FORMATS = (
    "%B %d, %Y",
    "%b %d, %Y",
    "%d %B %Y",
    "%d %b %Y",
    "%Y-%m-%d",
    "%B %d %Y",
    "%b. %d, %Y",
    "%d. %B %Y",
    "%B %Y",
)


def parse_date(value: str) -> date | None:
    """A date as policies write them ("March 1, 2026", "1 March 2026", "2026-03-01");
    None for anything else (numeric day/month orders are ambiguous and not guessed)."""
    text = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", value.strip().rstrip(".").strip())
    text = " ".join(text.split())
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def date_line(text: str) -> tuple[str, date | None] | None:
    """("Last updated", date) for a metadata line, or None when the line is none; the date
    is None when the line has one that is not understood."""
    match = _DATE_LINE.fullmatch(text.strip())
    if match is None:
        return None
    label = match.group("label")
    if len(text) > 60 and not re.match(r"\s*[\d(]", match.group("value")):
        return None
    return label, parse_date(match.group("value"))


def looks_like_heading(text: str) -> bool:
    """All capitals, or a short title-case line, without a sentence's final punctuation."""
    text = text.strip().rstrip(":")
    if not text or len(text) > 80 or text[-1] in ".;,!?" or not any(c.isalpha() for c in text):
        return False
    letters = [c for c in text if c.isalpha()]
    if all(c.isupper() for c in letters) and len(letters) >= 3:
        return True
    words = re.findall(r"[^\W\d_][\w'’&-]*", text)
    if not words or len(words) > 10 or not words[0][0].isupper():
        return False
    return all(w[0].isupper() or w.lower() in _SMALL for w in words)


def is_roman(core: str) -> bool:
    return bool(_ROMAN.match(core.lower()))


def label_key(number: str) -> tuple[str, str]:
    """(form, kind) of a label: ``("(x)", "alpha")`` for "(b)", ``("x.", "decimal")`` for
    "3.", ``("x.x", "decimal2")`` for "1.2"; roman numerals are ``roman`` (callers decide
    between a letter and a numeral for "i", "v", "x", "c" …)."""
    core = number.strip("().")
    form = (
        "(x)"
        if number.startswith("(")
        else "x)"
        if number.endswith(")")
        else "x."
        if number.endswith(".")
        else "x"
    )
    if core.replace(".", "").isdigit():
        depth = core.count(".") + 1
        return form if depth == 1 else "x.x", "decimal" if depth == 1 else f"decimal{depth}"
    case = "upper" if core.isupper() else "lower"
    kind = "roman" if is_roman(core) and len(core) > 1 else "alpha"
    return form, f"{kind}-{case}"


def classify(text: str, *, indent: int = 0, where: int = 0, joined: bool = False) -> Line:
    """A line of plain text as a heading, numbered item, bullet or paragraph."""
    stripped = text.strip()
    bullet = _BULLET.fullmatch(stripped)
    if bullet is not None:
        mark = bullet.group("mark")
        return Line(
            "bullet",
            bullet.group("rest").strip(),
            key=f"bullet {mark} {indent}",
            indent=indent,
            where=where,
        )
    label = _LABEL.fullmatch(stripped)
    if label is not None and (label.group("dotted") or not _prose_start(label)):
        number = label.group("num")
        rest = label.group("rest").strip()
        form, kind = label_key(number)
        if looks_like_heading(rest) and kind.startswith("decimal") and indent == 0:
            level = int(kind.removeprefix("decimal") or "1")
            return Line("heading", rest, number=number, level=level, where=where)
        return Line("item", rest, number=number, key=f"{form} {kind}", indent=indent, where=where)
    if indent == 0 and looks_like_heading(stripped) and date_line(stripped) is None:
        return Line(
            "heading",
            stripped.rstrip(":").strip()
            if stripped.endswith(":") and stripped[:-1].upper() == stripped[:-1]
            else stripped,
            where=where,
        )
    return Line("paragraph", stripped, indent=indent, where=where, joined=joined)


def _prose_start(label: re.Match[str]) -> bool:
    """ "I. " and "A. " start sentences too ("A. Smith", "I am"): a single capital letter
    followed by a lower-case word is prose, not a label, unless it is in brackets."""
    core = label.group("core")
    if core is None or len(core) != 1 or not core.isupper() or label.group("punct") != ".":
        return False
    rest = label.group("rest")
    return bool(rest) and rest[0].islower()
