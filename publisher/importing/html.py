"""A saved web page (or mammoth's HTML of a Word document) into :class:`Line` values.

Only the main content is read: ``<main>`` (or ``role="main"``, else the longest
``<article>``, else ``<body>``), with navigation, headers, footers, sidebars, scripts, styles,
forms and cookie banners dropped. Nothing of the HTML is kept but its text (and link
targets), so the result is sanitised by construction. Headings (``h1``–``h6``) and lists
(``ol``/``ul``, nested) give the structure; a paragraph's text is recognised like plain text
(a website that writes "1. You shall not" in a ``<p>`` gets a numbered item). Images,
embedded frames and media in the content are reported, not placed.
"""

from __future__ import annotations

import re
from dataclasses import replace

import lxml.html
from lxml import etree

from publisher.importing.lines import Line, LineKind, classify

_DROP = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "nav",
        "header",
        "footer",
        "aside",
        "form",
        "button",
        "input",
        "select",
        "textarea",
        "svg",
        "head",
        "dialog",
        "menu",
    }
)
_DROP_ROLES = frozenset(
    {"navigation", "banner", "contentinfo", "complementary", "search", "dialog", "alert"}
)
_FURNITURE = re.compile(
    r"(^|[\s_-])(nav|navbar|menu|breadcrumbs?|cookie[s]?|consent|"
    r"site-header|site-footer|footer|sidebar|skip-link|toc|headerlink|clause-link)($|[\s_-])",
    re.I,
)
_REPORT = frozenset({"img", "iframe", "video", "audio", "object", "embed", "canvas"})
_BLOCKS = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "main",
        "li",
        "ol",
        "ul",
        "table",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "dl",
        "dt",
        "dd",
        "pre",
        "body",
        "br",
        "hr",
        "figure",
        "address",
    }
)


def _furniture(element: etree._Element) -> bool:
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag in _DROP or element.get("role", "").lower() in _DROP_ROLES:
        return True
    if element.get("aria-hidden") == "true" or element.get("hidden") is not None:
        return True
    names = f"{element.get('id', '')} {element.get('class', '')}"
    return tag not in ("main", "article", "body") and bool(_FURNITURE.search(names))


def _main(root: etree._Element) -> etree._Element:
    for path in ("//main", "//*[@role='main']"):
        found = root.xpath(path)
        if found:
            return found[0]
    articles = root.xpath("//article")
    if articles:
        return max(articles, key=lambda a: len(a.text_content()))
    body = root.find("body")
    return body if body is not None else root


def _text(element: etree._Element, *, skip_lists: bool = False) -> str:
    """The visible text of ``element`` (lists inside left out when ``skip_lists``)."""
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        if not isinstance(node.tag, str) or _furniture(node):
            if node.tail:
                parts.append(node.tail)
            return
        if skip_lists and node is not element and node.tag in ("ol", "ul", "table"):
            parts.append(node.tail or "")
            return
        block = node.tag in _BLOCKS
        if block:
            parts.append(" ")
        parts.append(node.text or "")
        for child in node:
            walk(child)
        if block:
            parts.append(" ")
        if node is not element:
            parts.append(node.tail or "")

    walk(element)
    return " ".join("".join(parts).split())


def _lead(element: etree._Element, text: str) -> str | None:
    """The bold words a paragraph starts with, when there are more words after them."""
    first = next((c for c in element if isinstance(c.tag, str)), None)
    if first is None or first.tag not in ("strong", "b") or (element.text or "").strip():
        return None
    lead = _text(first)
    return lead if lead and text.startswith(lead) and text != lead else None


class _Reader:
    def __init__(self) -> None:
        self.lines: list[Line] = []
        self.title: str | None = None
        self.unplaced: list[str] = []

    def where(self, element: etree._Element) -> int:
        return element.sourceline or 0

    def report(self, element: etree._Element) -> None:
        what = element.get("alt") or element.get("title") or element.get("src") or ""
        self.unplaced.append(
            f"line {self.where(element)}: <{element.tag}> {what} not imported".replace("  ", " ")
        )

    def block(self, element: etree._Element, depth: int) -> None:
        if not isinstance(element.tag, str) or _furniture(element):
            return
        tag = element.tag
        if tag in _REPORT:
            self.report(element)
            return
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            text = _text(element)
            if not text:
                return
            if tag == "h1" and self.title is None and not self.lines:
                self.title = text
                return
            line = classify(text, where=self.where(element))
            level = max(int(tag[1]) - 1, 1)
            number = line.number if line.kind in ("heading", "item") else None
            heading = line.text if number else text
            self.lines.append(
                Line("heading", heading, number=number, level=level, where=self.where(element))
            )
            return
        if tag in ("ol", "ul"):
            self.list(element, depth)
            return
        if tag == "table":
            rows = tuple(
                tuple(_text(cell) for cell in row.xpath("./th|./td"))
                for row in element.xpath(".//tr")
            )
            rows = tuple(row for row in rows if any(row))
            if rows:
                self.lines.append(
                    Line("table", "", indent=depth, rows=rows, where=self.where(element))
                )
            return
        if tag in ("p", "dt", "dd", "pre", "address", "blockquote") or not any(
            isinstance(c.tag, str) and c.tag in _BLOCKS for c in element
        ):
            for media in element.iter(*_REPORT):
                self.report(media)
            text = _text(element)
            if text:
                line = classify(text, indent=depth, where=self.where(element))
                self.lines.append(replace(line, lead=_lead(element, line.text)))
            return
        # A container: its own loose text, then its blocks.
        if element.text and element.text.strip():
            self.lines.append(
                classify(" ".join(element.text.split()), indent=depth, where=self.where(element))
            )
        for child in element:
            self.block(child, depth)
            if child.tail and child.tail.strip():
                self.lines.append(
                    classify(" ".join(child.tail.split()), indent=depth, where=self.where(element))
                )

    def list(self, element: etree._Element, depth: int) -> None:
        ordered = element.tag == "ol"
        start = int(element.get("start", "1")) if element.get("start", "1").isdigit() else 1
        items = [c for c in element if isinstance(c.tag, str) and c.tag == "li"]
        for position, item in enumerate(items):
            text = _text(item, skip_lists=True)
            kind: LineKind = "bullet"
            number: str | None = None
            if ordered:
                line = classify(text, where=self.where(item))
                number = f"{start + position}."
                if (
                    line.kind == "item"
                    and line.number
                    and (not line.number[:-1].isdigit() or line.number[:-1] == number[:-1])
                ):
                    number, text = line.number, line.text
                kind = "item"
            self.lines.append(
                Line(
                    kind,
                    text,
                    number=number,
                    key=f"html {depth}",
                    indent=depth,
                    where=self.where(item),
                )
            )
            for child in item:
                if isinstance(child.tag, str) and child.tag in ("ol", "ul", "table"):
                    self.block(child, depth + 1)


def html_lines(data: bytes | str) -> tuple[str | None, list[Line], list[str]]:
    """The title, the blocks of the page's main content, and what was not placed."""
    root = lxml.html.fromstring(data)
    reader = _Reader()
    main = _main(root)
    for child in main:
        reader.block(child, 0)
        if child.tail and child.tail.strip():
            reader.lines.append(classify(" ".join(child.tail.split()), where=reader.where(child)))
    if reader.title is None:
        titles = root.xpath("//title")
        if titles:
            reader.title = _text(titles[0]).split(" | ")[0].split(" – ")[0].strip() or None
    return reader.title, reader.lines, reader.unplaced
