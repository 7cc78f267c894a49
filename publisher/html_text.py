"""The visible text of an HTML fragment, in one linear pass. Pure.

Tags are stripped (block-level tags become a space), comments, declarations, processing
instructions and the content of ``script``/``style``/``template`` are dropped, an ``img``
gives its ``alt`` text, entities are decoded.

The scan follows the HTML tokenizer (WHATWG, section 13.2.5) rather than
:class:`html.parser.HTMLParser`: a ``<`` followed by a letter always opens a tag, which ends at
the first ``>`` outside a quoted attribute value, and a tag, comment or declaration that the
fragment ends inside is dropped. Nothing is ever re-read, so the time is linear in the
fragment's length on any input. (``HTMLParser`` re-scans an unclosed ``<a ``, ``<!--`` or
``<a b="`` from every later ``<``: quadratic, seconds for 16 KB, and it raises
``AssertionError`` on ``<![ ``.)
"""

from __future__ import annotations

import html
import re

__all__ = ["SEPARATOR_TAGS", "HTMLScanner", "html_text"]

SEPARATOR_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
#: Elements whose content is raw text up to their end tag (not shown).
_RAW_TEXT = frozenset({"script", "style"})
_TEMPLATE = "template"

_NAME = re.compile(r"[A-Za-z][^\s/>]*")
# One step inside a tag: white space and slashes, then an attribute name and whether a value
# follows. Every part consumes at least one character or ends the step; no backtracking.
_ATTR_NAME = re.compile(r"[\s/]*+(?P<name>[^\s/>=][^\s/>=]*+)?(?P<eq>\s*+=\s*+)?")
_UNQUOTED = re.compile(r"[^\s>]*+")


class HTMLScanner:
    """A linear HTML tokenizer (module doc). Subclasses receive the fragment's text, start
    tags (with their attributes when :meth:`wants_attrs` says so) and end tags, each with its
    offset in the fragment; the content of ``script`` and ``style`` is never given."""

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self.lower = raw.lower()

    # -- what subclasses receive

    def handle_data(self, text: str, pos: int) -> None:
        """Text (entities decoded) that starts at offset ``pos``."""

    def handle_start(self, tag: str, attrs: dict[str, str], pos: int) -> None:
        """A start tag (lower-case name) at offset ``pos``."""

    def handle_end(self, tag: str, pos: int) -> None:
        """An end tag at offset ``pos``."""

    def wants_attrs(self, tag: str) -> bool:
        """Whether the attributes of ``tag`` are collected (parsing them is skipped else)."""
        return False

    # -- the scan

    def data(self, text: str, pos: int) -> None:
        if text:
            self.handle_data(html.unescape(text) if "&" in text else text, pos)

    def run(self) -> None:
        raw, end = self.raw, len(self.raw)
        pos = 0
        while pos < end:
            lt = raw.find("<", pos)
            if lt < 0:
                self.data(raw[pos:], pos)
                break
            self.data(raw[pos:lt], pos)
            pos = self.markup(lt)

    def markup(self, lt: int) -> int:
        """Handle the markup that starts at ``<`` (offset ``lt``); return where text goes on."""
        raw = self.raw
        after = raw[lt + 1 : lt + 2]
        if after == "!":
            if raw.startswith("<!--", lt):
                close = raw.find("-->", lt + 4)
                return len(raw) if close < 0 else close + 3
            return self.until_gt(lt + 2)  # declaration, CDATA: a bogus comment
        if after == "?":
            return self.until_gt(lt + 2)
        if after == "/":
            name = _NAME.match(raw, lt + 2)
            if name is None:
                return self.until_gt(lt + 2) if raw[lt + 2 : lt + 3] not in ("", ">") else lt + 3
            stop = self.tag_end(name.end())
            if stop is None:
                return len(raw)
            self.handle_end(name.group().lower(), lt)
            return stop
        name = _NAME.match(raw, lt + 1)
        if name is None:
            self.data("<", lt)
            return lt + 1
        tag = name.group().lower()
        attrs: dict[str, str] = {}
        stop = self.tag_end(name.end(), attrs if self.wants_attrs(tag) else None)
        if stop is None:
            return len(raw)  # the fragment ends inside the tag: dropped
        self.handle_start(tag, attrs, lt)
        if tag in _RAW_TEXT:
            close = self.lower.find(f"</{tag}", stop)
            return len(raw) if close < 0 else close
        return stop

    def until_gt(self, pos: int) -> int:
        gt = self.raw.find(">", pos)
        return len(self.raw) if gt < 0 else gt + 1

    def tag_end(self, pos: int, attrs: dict[str, str] | None = None) -> int | None:
        """Skip a tag's attributes from ``pos``; the offset after its ``>``, None when the
        fragment ends inside the tag. ``attrs`` collects the attributes when given."""
        raw, end = self.raw, len(self.raw)
        while pos < end:
            step = _ATTR_NAME.match(raw, pos)
            assert step is not None  # every part of the pattern is optional
            pos = step.end()
            if pos >= end:
                return None
            if raw[pos] == ">" and not step["eq"]:
                return pos + 1
            name = (step["name"] or "").lower()
            if not step["eq"]:
                if attrs is not None and name:
                    attrs.setdefault(name, "")
                if not step["name"]:  # a lone "=" or the like: skip it
                    pos += 1
                continue
            quote = raw[pos]
            if quote in "\"'":
                close = raw.find(quote, pos + 1)
                if close < 0:
                    return None
                value, pos = raw[pos + 1 : close], close + 1
            else:
                unquoted = _UNQUOTED.match(raw, pos)
                assert unquoted is not None
                value, pos = unquoted.group(), unquoted.end()
            if attrs is not None and name:
                attrs.setdefault(name, html.unescape(value))
        return None


class _TextScan(HTMLScanner):
    """The visible text: block-level tags become spaces, an image its ``alt``, and nothing
    inside a ``<template>``."""

    def __init__(self, raw: str) -> None:
        super().__init__(raw)
        self.parts: list[str] = []
        self.hidden = 0  # open <template> elements

    def wants_attrs(self, tag: str) -> bool:
        return tag == "img"

    def handle_data(self, text: str, pos: int) -> None:
        if not self.hidden:
            self.parts.append(text)

    def handle_start(self, tag: str, attrs: dict[str, str], pos: int) -> None:
        if tag == _TEMPLATE:
            self.hidden += 1
        elif tag == "img":
            if not self.hidden:
                self.parts.append(" " + attrs.get("alt", "") + " ")
        elif tag in SEPARATOR_TAGS and not self.hidden:
            self.parts.append(" ")

    def handle_end(self, tag: str, pos: int) -> None:
        if tag == _TEMPLATE:
            self.hidden = max(0, self.hidden - 1)
        elif tag in SEPARATOR_TAGS and not self.hidden:
            self.parts.append(" ")


def html_text(raw: str) -> str:
    """The visible text of the HTML fragment ``raw`` (module doc). Linear time."""
    scan = _TextScan(raw)
    scan.run()
    return "".join(scan.parts)
