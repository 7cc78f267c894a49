"""Inline mistune tokens -> plain text: what a clause's text is once its markup is gone. Pure."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from publisher.html_text import SEPARATOR_TAGS, html_text

__all__ = ["Token", "plain_text"]

Token = dict[str, Any]
"""A mistune token."""


_TAG_NAME = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)")


def _inline_html(raw: str) -> str:
    """An inline HTML token (a tag or a comment) -> what it contributes to the text."""
    if raw.startswith("<!--"):
        return ""
    m = _TAG_NAME.match(raw)
    if m and m.group(1).lower() in SEPARATOR_TAGS:
        return " "
    if m and m.group(1).lower() == "img":
        return html_text(raw)
    return ""


def plain_text(tokens: Sequence[Token]) -> str:
    """Inline tokens -> text with markup removed (links keep their text, images their alt,
    code its content, HTML tags and comments dropped, entities decoded). Not normalised."""
    parts: list[str] = []
    for token in tokens:
        kind = token["type"]
        if kind == "text":
            raw = token["raw"]
            parts.append(html.unescape(raw) if "&" in raw else raw)
        elif kind == "codespan":
            parts.append(token["raw"])
        elif kind in ("softbreak", "linebreak"):
            parts.append(" ")
        elif kind == "inline_html":
            parts.append(_inline_html(token["raw"]))
        elif "children" in token:
            parts.append(plain_text(token["children"]))
        elif "raw" in token:
            parts.append(token["raw"])
    return "".join(parts)
