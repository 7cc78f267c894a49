"""Dates as policies write them ("November 16, 2020") and the "Effective date: …" line."""

from __future__ import annotations

import re
from datetime import date

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_MONTH_FIRST = re.compile(r"([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?\s*,?\s+(\d{4})(?!\d)")
_DAY_FIRST = re.compile(
    r"(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([A-Za-z]+)\.?\s*,?\s+(\d{4})(?!\d)"
)
_EFFECTIVE_LINE = re.compile(
    r"^[\s>#*_|-]*(?:version\s+)?effective(?:\s+date|\s+as\s+of|\s+from|\s+on)?[\s*_]*:?[\s*_]*"
    r"(?P<rest>.*)$",
    re.IGNORECASE | re.MULTILINE,
)


def parse_english_date(text: str) -> date | None:
    """A date written at the start of ``text``: ``2020-11-16``, ``November 16, 2020``,
    ``Nov. 16th 2020``, ``16 November 2020``, ``16th of Nov 2020``. None otherwise."""
    text = text.strip().lstrip("*_ ")
    try:
        if m := _ISO.match(text):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if (m := _MONTH_FIRST.match(text)) and m[1].lower() in _MONTHS:
            return date(int(m[3]), _MONTHS[m[1].lower()], int(m[2]))
        if (m := _DAY_FIRST.match(text)) and m[2].lower() in _MONTHS:
            return date(int(m[3]), _MONTHS[m[2].lower()], int(m[1]))
    except ValueError:  # February 30
        return None
    return None


def effective_date_in(body: str) -> date | None:
    """The date of the first "Effective date: …" line of a policy body (Markdown emphasis
    allowed: ``**Effective Date:** March 17, 2026``, ``Effective date: **May 25, 2018**``,
    ``Version Effective Date: …``), or None."""
    for match in _EFFECTIVE_LINE.finditer(body):
        found = parse_english_date(match["rest"])
        if found is not None:
            return found
    return None
