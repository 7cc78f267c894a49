"""Raw HTML blocks of a policy -> the Markdown they stand for. Pure.

Real policies embed HTML in their Markdown (`<h2>`, `<ul><li>`, `<ol start="3">`, `<table>`,
`<p><strong>…</strong>`), often pasted from a CMS. The clause parser must read such a block
as the clauses it shows — a heading that opens a section, list items with their numbers, a
table with its cells — not as one paragraph of flattened text. :func:`html_to_markdown`
rewrites a block as the equivalent Markdown, line by line with the source line each output
line came from, and the parser (:mod:`publisher.markdown`) parses that with its own rules, so
numbering, bold lead-ins and ids work the same on both.

Only text, emphasis, code, links and structure survive: every other tag, attribute, script,
style and comment is dropped, text is escaped so it cannot become markup again, and link
targets keep only safe schemes. No raw tag reaches a clause's label or text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from publisher.html_text import HTMLScanner

#: Tags that make clauses. Everything else is inline (its text is kept, the tag dropped).
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_LISTS = frozenset({"ul", "ol"})
_BLOCKS = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "main",
        "header",
        "footer",
        "aside",
        "nav",
        "blockquote",
        "pre",
        "dl",
        "dt",
        "dd",
        "figure",
        "figcaption",
        "address",
        "center",
        "form",
        "fieldset",
        "details",
        "summary",
        "hr",
    }
)
_TABLE = frozenset({"table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption"})
_HIDDEN = frozenset({"script", "style", "template", "head", "title", "noscript"})
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "wbr", "col", "area", "source"})
#: Elements nested deeper than this are not elements of their own (their text is kept): the
#: tree, and the Markdown made from it, stay shallow on any input.
MAX_DEPTH = 24
#: Tags an open element of the same name closes (HTML's implied end tags, the usual ones).
_SELF_CLOSING_SIBLINGS = frozenset({"li", "p", "dt", "dd", "tr", "td", "th", "option"})
_SAFE_URL = re.compile(r"^(?:https?:|mailto:|tel:|#|/|\.{0,2}/|[^:/?#]+(?:[/?#]|$))", re.IGNORECASE)
#: Characters escaped in text so it stays text: Markdown's inline and block markup.
_ESCAPE = re.compile(r"([\\`*_\[\]<>#|~!])")
_LINE_START = re.compile(r"^(\s*)([-+=]|\d{1,9}[.)])(?=\s|$)")


@dataclass
class _Element:
    tag: str
    line: int
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[_Element | str] = field(default_factory=list)


class _TreeBuilder(HTMLScanner):
    """HTML -> a forgiving element tree: unclosed ``<li>``/``<p>`` close at their next
    sibling, stray end tags are ignored, hidden elements are dropped. Linear time (the
    scanner of :mod:`publisher.html_text`)."""

    def __init__(self, raw: str, first_line: int) -> None:
        super().__init__(raw)
        self.root = _Element("#root", first_line)
        self.stack = [self.root]
        self.hidden = 0
        self._line = first_line
        self._counted = 0

    def line_at(self, pos: int) -> int:
        # Offsets only grow during the scan: count the newlines since the last one once.
        self._line += self.raw.count("\n", self._counted, pos)
        self._counted = pos
        return self._line

    def wants_attrs(self, tag: str) -> bool:
        return not self.hidden

    def handle_start(self, tag: str, attrs: dict[str, str], pos: int) -> None:
        if self.hidden or tag in _HIDDEN:
            if tag not in _VOID:
                self.hidden += 1
            return
        if tag in _SELF_CLOSING_SIBLINGS:
            self._close_open_sibling(tag)
        if len(self.stack) > MAX_DEPTH and tag not in _VOID:
            return  # nested deeper than any policy: its content joins the enclosing element
        element = _Element(tag, self.line_at(pos), attrs)
        self.stack[-1].children.append(element)
        if tag not in _VOID:
            self.stack.append(element)

    def _close_open_sibling(self, tag: str) -> None:
        # An open <li> closes at the next <li> of the same list (not of a nested one).
        boundary = {
            "li": _LISTS,
            "dt": {"dl"},
            "dd": {"dl"},
            "tr": _TABLE - {"td", "th", "tr"},
            "td": {"tr"},
            "th": {"tr"},
        }.get(tag, set())
        for index in range(len(self.stack) - 1, 0, -1):
            open_tag = self.stack[index].tag
            if open_tag == tag or (tag in ("dt", "dd") and open_tag in ("dt", "dd")):
                del self.stack[index:]
                return
            if open_tag in boundary or (tag == "p" and open_tag not in _INLINE_OK_IN_P):
                return

    def handle_end(self, tag: str, pos: int) -> None:
        if self.hidden:
            if tag not in _VOID:
                self.hidden -= 1
            return
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                return

    def handle_data(self, text: str, pos: int) -> None:
        if not self.hidden:
            self.stack[-1].children.append(text)


_INLINE_OK_IN_P = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "span",
        "code",
        "small",
        "sup",
        "sub",
        "font",
        "mark",
        "abbr",
        "cite",
        "q",
        "s",
        "del",
        "ins",
        "time",
        "label",
    }
)


def is_structural(raw: str) -> bool:
    """Whether an HTML block holds something the clause tree must see (a heading, a list, a
    table, a paragraph…) rather than only a comment or an inline tag."""
    return bool(_STRUCTURAL.search(raw))


_STRUCTURAL = re.compile(
    r"<(?:h[1-6]|ul|ol|li|table|tr|p|div|dl|blockquote|pre|section)\b", re.IGNORECASE
)


@dataclass
class MarkdownLines:
    """Markdown text and, for each of its lines, the source line it came from."""

    lines: list[str] = field(default_factory=list)
    sources: list[int] = field(default_factory=list)

    def add(self, text: str, source: int) -> None:
        for line in text.split("\n"):
            self.lines.append(line)
            self.sources.append(source)

    def blank(self, source: int) -> None:
        if self.lines and self.lines[-1] != "":
            self.add("", source)

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def html_to_markdown(raw: str, first_line: int) -> MarkdownLines:
    """An HTML block whose first line is file line ``first_line`` -> Markdown lines, each
    with the file line of the element it renders."""
    builder = _TreeBuilder(raw, first_line)
    builder.run()
    out = MarkdownLines()
    _Renderer(out).blocks(builder.root, "")
    while out.lines and out.lines[-1] == "":
        out.lines.pop()
        out.sources.pop()
    return out


class _Renderer:
    def __init__(self, out: MarkdownLines) -> None:
        self.out = out

    # -- blocks

    def blocks(self, element: _Element, indent: str) -> None:
        """The children of ``element`` as Markdown blocks, each line prefixed by ``indent``."""
        inline: list[_Element | str] = []
        line = element.line
        for child in element.children:
            if isinstance(child, str) or not _is_block(child):
                if not inline and isinstance(child, _Element):
                    line = child.line
                inline.append(child)
                continue
            self.paragraph(inline, indent, line)
            inline = []
            self.block(child, indent)
            line = child.line
        self.paragraph(inline, indent, line)

    def paragraph(self, parts: list[_Element | str], indent: str, line: int) -> None:
        text = _inline(parts)
        if not text:
            return
        self.out.blank(line)
        self.out.add(indent + _guard_line_start(text), line)
        self.out.blank(line)

    def block(self, element: _Element, indent: str) -> None:
        tag = element.tag
        if tag in _HEADINGS:
            text = _inline(element.children)
            if text:
                self.out.blank(element.line)
                self.out.add(f"{indent}{'#' * _HEADINGS[tag]} {text}", element.line)
                self.out.blank(element.line)
        elif tag in _LISTS:
            self.list(element, indent)
        elif tag == "table":
            self.table(element, indent)
        elif tag == "pre":
            self.code(element, indent)
        elif tag == "blockquote":
            self.blocks(element, indent + "> ")
        elif tag == "hr":
            self.out.blank(element.line)
        elif tag == "li":  # a list item outside a list: a bullet
            self.list(_Element("ul", element.line, children=[element]), indent)
        else:
            self.blocks(element, indent)

    def list(self, element: _Element, indent: str) -> None:
        ordered = element.tag == "ol"
        number = _int(element.attrs.get("start"), 1)
        self.out.blank(element.line)
        for item in element.children:
            if isinstance(item, str):
                if item.strip():  # text loose in a list: an item of its own
                    item = _Element("li", element.line, children=[item])
                else:
                    continue
            if item.tag in _LISTS:  # a list nested directly in a list: under the last item
                self.list(item, indent + "   ")
                continue
            if item.tag != "li":
                item = _Element("li", item.line, children=[item])
            number = _int(item.attrs.get("value"), number)
            marker = f"{number}." if ordered else "-"
            self.item(item, indent, marker)
            number += 1
        self.out.blank(element.line)

    def item(self, item: _Element, indent: str, marker: str) -> None:
        inner = indent + " " * (len(marker) + 1)
        sub = MarkdownLines()
        _Renderer(sub).blocks(item, "")
        while sub.lines and sub.lines[0] == "":
            sub.lines.pop(0)
            sub.sources.pop(0)
        if not sub.lines:
            self.out.add(f"{indent}{marker}", item.line)
            return
        # Tight: no blank lines between an item's first paragraph and a nested list.
        first = True
        for text, source in zip(sub.lines, sub.sources, strict=True):
            if first:
                self.out.add(f"{indent}{marker} {text}", source)
                first = False
            elif text == "":
                self.out.add("", source)
            else:
                self.out.add(inner + text, source)
        while self.out.lines and self.out.lines[-1] == "":
            self.out.lines.pop()
            self.out.sources.pop()

    def table(self, element: _Element, indent: str) -> None:
        rows: list[tuple[int, list[str]]] = []
        for row in _descendants(element, "tr"):
            cells = [c for c in row.children if isinstance(c, _Element) and c.tag in ("td", "th")]
            if cells:
                rows.append((row.line, [_inline(c.children) for c in cells]))
        if not rows:
            return
        width = max(len(texts) for _, texts in rows)
        self.out.blank(element.line)
        for index, (line, texts) in enumerate(rows):
            padded = texts + [""] * (width - len(texts))
            self.out.add(indent + "| " + " | ".join(t or " " for t in padded) + " |", line)
            if index == 0:  # the first row is the header, as in a Markdown table
                self.out.add(indent + "|" + " --- |" * width, line)
        self.out.blank(element.line)

    def code(self, element: _Element, indent: str) -> None:
        text = _text(element).strip("\n")
        if not text.strip():
            return
        fence = "~~~~" if "~~~" in text else "~~~"
        self.out.blank(element.line)
        self.out.add(indent + fence, element.line)
        for offset, line in enumerate(text.split("\n")):
            self.out.add(indent + line, element.line + offset)
        self.out.add(indent + fence, element.line)
        self.out.blank(element.line)


def _is_block(element: _Element) -> bool:
    tag = element.tag
    return tag in _HEADINGS or tag in _LISTS or tag in _BLOCKS or tag == "table" or tag == "li"


def _descendants(element: _Element, tag: str) -> list[_Element]:
    found: list[_Element] = []
    for child in element.children:
        if isinstance(child, _Element):
            if child.tag == tag:
                found.append(child)
            elif child.tag != "table":
                found.extend(_descendants(child, tag))
    return found


def _int(value: str | None, default: int) -> int:
    try:
        number = int((value or "").strip())
    except ValueError:
        return default
    return number if 0 <= number < 10**9 else default


def _text(element: _Element | str) -> str:
    if isinstance(element, str):
        return element
    if element.tag == "br":
        return "\n"
    if element.tag == "img":
        return element.attrs.get("alt", "")
    return "".join(_text(child) for child in element.children)


def _inline(parts: list[_Element | str]) -> str:
    """Inline content -> one line of Markdown: whitespace collapsed, text escaped, emphasis,
    code and safe links kept."""
    return " ".join("".join(_inline_part(p) for p in parts).split())


def _inline_part(part: _Element | str) -> str:
    if isinstance(part, str):
        return _ESCAPE.sub(r"\\\1", part)
    tag = part.tag
    if tag == "br":
        return " "
    if tag == "img":
        return _ESCAPE.sub(r"\\\1", part.attrs.get("alt", ""))
    inner = "".join(_inline_part(child) for child in part.children)
    if tag in _BLOCKS or tag in _HEADINGS or tag in _LISTS or tag in _TABLE or tag == "li":
        return f" {inner} "  # a block inside inline content (a <p> in a <td>): a word break
    if not inner.strip():
        return inner
    if tag in ("strong", "b"):
        return _wrap(inner, "**")
    if tag in ("em", "i"):
        return _wrap(inner, "*")
    if tag == "code":
        text = " ".join(_text(part).split())
        return f"`` {text} ``" if "`" in text else f"`{text}`"
    if tag == "a":
        href = part.attrs.get("href", "").strip()
        if href and _SAFE_URL.match(href) and not re.search(r"[<>\s]", href):
            return f"[{inner.strip()}](<{href}>)"
    return inner


def _wrap(inner: str, mark: str) -> str:
    """Emphasis around ``inner`` with its outer spaces moved outside (``** x**`` is not
    emphasis in CommonMark)."""
    stripped = inner.strip()
    before = " " if inner[:1].isspace() else ""
    after = " " if inner[-1:].isspace() else ""
    return f"{before}{mark}{stripped}{mark}{after}"


def _guard_line_start(text: str) -> str:
    """Escape what would make a paragraph's first characters a list marker or a setext
    underline (``- x``, ``+ x``, ``===``); a number (``1. Foo``) is escaped too, so it stays a
    numbered paragraph like ``1\\. Foo`` in Markdown."""
    return _LINE_START.sub(lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], text)
