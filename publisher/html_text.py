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

__all__ = ["SEPARATOR_TAGS", "html_text"]

SEPARATOR_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav",
    "ol", "p", "pre", "section", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
})
#: Elements whose content is raw text up to their end tag (not shown).
_RAW_TEXT = frozenset({"script", "style"})
_TEMPLATE = "template"

_NAME = re.compile(r"[A-Za-z][^\s/>]*")
# One step inside a tag: white space and slashes, then an attribute name and whether a value
# follows. Every part consumes at least one character or ends the step; no backtracking.
_ATTR_NAME = re.compile(r"[\s/]*+(?P<name>[^\s/>=][^\s/>=]*+)?(?P<eq>\s*+=\s*+)?")
_UNQUOTED = re.compile(r"[^\s>]*+")


class _Scan:
    def __init__(self, raw: str) -> None:
        self.raw = raw
        self.lower = raw.lower()
        self.parts: list[str] = []
        self.hidden = 0  # open <template> elements

    def data(self, text: str) -> None:
        if text and not self.hidden:
            self.parts.append(html.unescape(text) if "&" in text else text)

    def run(self) -> str:
        raw, end = self.raw, len(self.raw)
        pos = 0
        while pos < end:
            lt = raw.find("<", pos)
            if lt < 0:
                self.data(raw[pos:])
                break
            self.data(raw[pos:lt])
            pos = self.markup(lt)
        return "".join(self.parts)

    def markup(self, lt: int) -> int:
        """Handle the markup that starts at ``<`` (offset ``lt``); return where text goes on."""
        raw = self.raw
        after = raw[lt + 1:lt + 2]
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
                return self.until_gt(lt + 2) if raw[lt + 2:lt + 3] not in ("", ">") else lt + 3
            return self.end_tag(name.group().lower(), self.tag_end(name.end()))
        name = _NAME.match(raw, lt + 1)
        if name is None:
            self.data("<")
            return lt + 1
        tag = name.group().lower()
        attrs: dict[str, str] = {}
        stop = self.tag_end(name.end(), attrs if tag == "img" else None)
        return self.start_tag(tag, attrs, stop)

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
                value, pos = raw[pos + 1:close], close + 1
            else:
                unquoted = _UNQUOTED.match(raw, pos)
                assert unquoted is not None
                value, pos = unquoted.group(), unquoted.end()
            if attrs is not None and name:
                attrs.setdefault(name, html.unescape(value))
        return None

    def start_tag(self, tag: str, attrs: dict[str, str], stop: int | None) -> int:
        if stop is None:
            return len(self.raw)  # the fragment ends inside the tag: dropped
        if tag in _RAW_TEXT:
            close = self.lower.find(f"</{tag}", stop)
            return len(self.raw) if close < 0 else close
        if tag == _TEMPLATE:
            self.hidden += 1
        elif tag == "img":
            if not self.hidden:
                self.parts.append(" " + attrs.get("alt", "") + " ")
        elif tag in SEPARATOR_TAGS:
            self.data(" ")
        return stop

    def end_tag(self, tag: str, stop: int | None) -> int:
        if stop is None:
            return len(self.raw)
        if tag == _TEMPLATE:
            self.hidden = max(0, self.hidden - 1)
        elif tag in SEPARATOR_TAGS:
            self.data(" ")
        return stop


def html_text(raw: str) -> str:
    """The visible text of the HTML fragment ``raw`` (module doc). Linear time."""
    return _Scan(raw).run()
