"""Markdown policy text -> :class:`~publisher.document.Document`, a tree of clauses. Pure.

One mistune 3 block pass (with the ``table`` and ``strikethrough`` plugins) gives the block
tokens; a subclassed block state stamps every block token with the line of the file where it
starts, so each clause knows its source lines without re-parsing anything. Inline markup is
parsed once per block and flattened to plain text.

The tree
    * Headings (ATX or setext) open sections; everything up to the next heading of the same or a
      higher level belongs to the section. A document's only level-1 heading, when no other
      heading precedes it, is its title (:attr:`Document.title`), not a clause: what follows it
      is top level.
    * Ordered list items are clauses of kind ``item`` numbered as CommonMark renders them (start
      number, then position; ``1)`` keeps its delimiter). Bullet items are kind ``bullet``.
      An item's text is its first paragraph; later paragraphs, lists and other blocks in the
      item are its children.
    * Paragraphs are kind ``paragraph``. Tables, code blocks and block quotes are one clause each
      (``table``, ``code``, ``quote``) with their text flattened (table cells joined by " | ",
      rows by " / "). Thematic breaks, link reference definitions and HTML comments are dropped;
      other raw HTML keeps its visible text.

Numbers
    A *label* is a decimal (1–3 digits, optionally dotted: ``1.2``), a single letter, or a roman
    numeral i–xxxix (all lower or all upper case), written ``X.``, ``X)`` or ``(X)``; a dotted
    decimal may also stand alone (``1.1``). A label is the clause's number when it starts:
    a heading (``## B. Account Terms``, ``12\\. Changes``, ``### 1.1 Scope``); a paragraph or
    bullet (any form except a bare ``1.1``, which reads as a quantity in prose); an ordered item
    (only ``(X)``, which then replaces the list number; the same holds for its bold lead-in).
    A heading may also glue a decimal to a capitalised word (``#### 4.Services``). Nothing
    else is a number (``Section 3 — X``, ``e.g.``, ``Users.``, ``2024.``, ``mix.``).

Lead-ins
    A paragraph (or item) that starts with bold text followed by more text splits into heading
    and text when the bold part ends in ``.`` or ``:``, is followed by ``:`` or ``.``, is
    followed by a line break, or is in title case and followed by a capital letter:
    ``**Exceptions.** Text`` gives heading "Exceptions". Bold that is only a label is the
    number (``**3.1** Text``). A paragraph that is entirely bold and starts with a label
    (``**1. GitHub Pages**``) is a numbered heading with no text. Labels inside lead-in
    headings are split off as above (lead "1. GitHub Pages" -> number "1.").

Ids
    A numbered clause's id is its number normalised (lower case, brackets and trailing
    punctuation dropped, inner dots as "-": ``B.`` -> ``b``, ``(iv)`` -> ``iv``, ``1.1`` ->
    ``1-1``), after the id of its nearest *numbered* ancestor and a dot: ``## B.`` >
    ``### 3.`` is ``b.3``, even inside an unnumbered wrapper heading. An unnumbered clause's
    id is its parent's id, a dot, and a local part: a slug of its heading (``summary``,
    ``b.short-version``), else its kind's prefix and its position among its siblings of that
    prefix: ``p1`` paragraphs, ``l1`` bullets, ``table1``, ``code1``, ``quote1`` (``s1`` for
    a heading without letters or digits); so the second paragraph of ``b.3`` is ``b.3.p2``.
    Top-level clauses have no prefix. A repeated id (or one whose anchor repeats another's)
    gets ``-2``, ``-3``… in document order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, cast

from publisher.clause_labels import (
    GLUED_LABEL,
    HEADING_LABEL,
    ITEM_LABEL,
    TEXT_LABEL,
    lead_in,
    split_label,
)
from publisher.clause_tree import Node as _Node
from publisher.clause_tree import freeze
from publisher.document import Clause, ClauseKind, Document, normalise_space
from publisher.errors import PolicyError
from publisher.frontmatter import split_front_matter
from publisher.html_blocks import html_to_markdown, is_structural
from publisher.html_text import html_text
from publisher.inline_text import Token, plain_text
from publisher.marks import inline_marks
from publisher.mistune_lines import HTML_TOKENS as _HTML_TOKENS
from publisher.mistune_lines import ITEM_LINES as _ITEM_LINES
from publisher.mistune_lines import MARKDOWN as _MARKDOWN
from publisher.mistune_lines import LineState as _LineState

__all__ = [
    "MAX_POLICY_BYTES",
    "PARSER_VERSION",
    "decode_policy",
    "parse_body",
    "parse_document",
    "plain_text",
]

MAX_POLICY_BYTES = 5 * 1024 * 1024
#: Bump when the same Markdown gives a different Document (ids, numbers, text, lines), so
#: caches of parsed documents are invalidated.
PARSER_VERSION = "2"  # 2: HTML blocks read by publisher.html_text


# --------------------------------------------------------------------------- decoding


def decode_policy(data: bytes, *, path: str | None = None) -> str:
    """Policy file bytes -> text: UTF-8, a leading BOM dropped.

    Raises :class:`~publisher.errors.PolicyError` for a file larger than
    :data:`MAX_POLICY_BYTES`, a binary file (NUL bytes) or bytes that are not UTF-8, naming
    the line and byte offset of the first bad byte.
    """
    if len(data) > MAX_POLICY_BYTES:
        raise PolicyError(
            f"file is {len(data):,} bytes; a policy may have at most {MAX_POLICY_BYTES:,}",
            path=path,
            hint="is this really a policy? split it into several policies, or check that "
            "the policies glob does not match generated files",
        )
    nul = data.find(b"\0")
    if nul >= 0:
        raise PolicyError(
            f"binary file: NUL byte at byte offset {nul}",
            path=path,
            line=data.count(b"\n", 0, nul) + 1,
            hint="policies are UTF-8 Markdown text; re-save it as UTF-8 (not UTF-16 or a "
            "word-processor format), or exclude it from the policies glob",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise PolicyError(
            f"not UTF-8: byte 0x{data[exc.start]:02x} at byte offset {exc.start} "
            f"(line {line}, column {column}) is {exc.reason}",
            path=path,
            line=line,
            hint="re-save the file as UTF-8 (it may be Latin-1 or Windows-1252)",
        ) from None
    return text.removeprefix("\ufeff")


# --------------------------------------------------------------------------- parsing


def parse_document(text: str, *, path: str | None = None) -> Document:
    """Front matter and body -> :class:`Document`. Pure; only front matter can fail."""
    meta, body, body_start = split_front_matter(text, path=path)
    title, clauses = _parse(body, body_start)
    return Document(
        meta=meta, title=title or meta.title, clauses=clauses, body=body, body_start_line=body_start
    )


def parse_body(body: str, *, first_line: int = 1) -> tuple[Clause, ...]:
    """A policy body (front matter removed) -> its clauses; ``first_line`` is the file line
    where the body starts. A title heading (see the module doc) is not a clause."""
    return _parse(body, first_line)[1]


def _parse(body: str, first_line: int) -> tuple[str | None, tuple[Clause, ...]]:
    src = body.replace("\r\n", "\n").replace("\r", "\n")
    if not src.endswith("\n"):
        src += "\n"
    state = _LineState()
    state.env[_ITEM_LINES] = {}
    state.line_base = first_line
    state.process(src)
    _MARKDOWN.block.parse(state)
    lines = src.split("\n")
    blank = [not line.strip() for line in lines]
    last = first_line + len(lines) - 2  # src ends with "\n": the last split part is empty
    builder = _Builder(state.env, blank, first_line)
    title, nodes = builder.document(state.tokens, last)
    return title, freeze(nodes, "", "", 0, {})


# --------------------------------------------------------------------------- the tree


def _first(pair: tuple[int, Token]) -> int:
    return pair[0]


_SKIPPED = frozenset({"blank_line", "ref_def", "thematic_break"})


class _Builder:
    """Block tokens (stamped with lines) -> clause nodes."""

    def __init__(self, env: Any, blank: list[bool], first_line: int) -> None:
        self.env = env
        self.blank = blank
        self.first_line = first_line

    # -- helpers

    def inline(self, token: Token) -> list[Token]:
        text = token.get("text")
        if text is None:
            return cast(list[Token], token.get("children", []))
        return _MARKDOWN.inline(text.strip(" \r\n\t\f"), self.env)

    def trim(self, start: int, end: int) -> int:
        """Move ``end`` back over blank lines, not before ``start``."""
        index = end - self.first_line
        while end > start and 0 <= index < len(self.blank) and self.blank[index]:
            end -= 1
            index -= 1
        return end

    def spans(self, tokens: Sequence[Token], end: int) -> list[tuple[Token, int, int]]:
        """Each token but blank lines with its first and last line: up to the next token,
        blank lines trimmed. Sorted by line: mistune can emit a block quote after the list
        that interrupted it when that list was itself interrupted."""
        kept: list[tuple[int, Token]] = []
        previous = self.first_line
        for token in tokens:
            if token["type"] != "blank_line":
                previous = token.get("_line", previous)
                kept.append((previous, token))
        kept.sort(key=_first)
        kept.append((end + 1, {}))
        return [
            (token, start, self.trim(start, max(start, kept[index + 1][0] - 1)))
            for index, (start, token) in enumerate(kept[:-1])
        ]

    def expand_html(self, tokens: Sequence[Token]) -> Sequence[Token]:
        """``tokens`` with each run of raw HTML blocks that holds structure (headings, lists,
        tables, paragraphs) replaced by the tokens of the Markdown it stands for
        (:mod:`publisher.html_blocks`), stamped with the file lines of their elements. A run
        is the HTML blocks separated only by blank lines (an HTML list with a blank line
        inside is two mistune blocks)."""
        if not any(token["type"] == "block_html" for token in tokens):
            return tokens
        out: list[Token] = []
        index = 0
        while index < len(tokens):
            token = tokens[index]
            if token["type"] != "block_html":
                out.append(token)
                index += 1
                continue
            run = [token]
            index += 1
            while index < len(tokens) and tokens[index]["type"] in ("block_html", "blank_line"):
                run.append(tokens[index])
                index += 1
            while run[-1]["type"] == "blank_line":
                index -= 1
                run.pop()
            out.extend(self._html_run(run))
        return out

    def _html_run(self, run: list[Token]) -> list[Token]:
        first = run[0].get("_line", self.first_line)
        raw = ""
        for token in run:
            if token["type"] != "block_html":
                continue
            gap = token.get("_line", first) - first - raw.count("\n")
            raw += "\n" * max(gap, 0) + token["raw"]
        if not is_structural(raw):
            return run
        converted = html_to_markdown(raw, first)
        if not converted.lines:
            return []
        state = _LineState()
        state.env[_ITEM_LINES] = {}
        state.process(converted.text)
        _MARKDOWN.block.parse(state)
        sources = converted.sources

        def source(line: int) -> int:
            return sources[min(max(line, 1), len(sources)) - 1]

        stack: list[Any] = list(state.tokens)
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                if "_line" in node:
                    node["_line"] = source(node["_line"])
                stack.extend(node.get("children") or ())
            elif isinstance(node, list):
                stack.extend(node)
        items = self.env[_ITEM_LINES]
        for key, line in state.env[_ITEM_LINES].items():
            items[key] = source(line)
        # The parsed tokens must outlive this call: item lines are keyed by their ids.
        self.env.setdefault(_HTML_TOKENS, []).append(state.tokens)
        return [t for t in state.tokens if t["type"] != "blank_line"]

    # -- document and block sequences

    def document(self, tokens: Sequence[Token], end: int) -> tuple[str | None, list[_Node]]:
        tokens = self.expand_html(tokens)
        title_index = _title_index(tokens)
        title = None
        if title_index is not None:
            title = normalise_space(plain_text(self.inline(tokens[title_index]))) or None
        skip = tokens[title_index] if title_index is not None else None
        return title, self.blocks(tokens, end, skip=skip)

    def blocks(self, tokens: Sequence[Token], end: int, skip: Token | None = None) -> list[_Node]:
        root: list[_Node] = []
        stack: list[tuple[int, list[_Node]]] = [(0, root)]
        for token, start, stop in self.spans(self.expand_html(tokens), end):
            kind = token["type"]
            if kind in _SKIPPED or token is skip:
                continue
            if kind == "heading":
                level = token["attrs"]["level"]
                node = self.heading(token, start, stop)
                while stack[-1][0] >= level:
                    stack.pop()
                stack[-1][1].append(node)
                stack.append((level, node.children))
                continue
            stack[-1][1].extend(self.block(token, start, stop))
        _close_sections(root)
        return root

    def block(self, token: Token, start: int, end: int) -> list[_Node]:
        kind = token["type"]
        if kind in ("paragraph", "block_text"):
            return [
                self.paragraph(
                    self.inline(token), "paragraph", start, end, TEXT_LABEL, HEADING_LABEL
                )
            ]
        if kind == "list":
            return self.list_items(token, end)
        if kind == "table":
            rows = _table_rows(self, token)
            return [_Node("table", None, None, _rows_text(rows), start, end, cells=rows)]
        if kind == "block_code":
            return [_Node("code", None, None, normalise_space(token["raw"]), start, end)]
        if kind == "block_quote":
            text = normalise_space(" ".join(self.flatten(token["children"])))
            return [_Node("quote", None, None, text, start, end)] if text else []
        if kind == "block_html":
            text = normalise_space(html_text(token["raw"]))
            return [_Node("paragraph", None, None, text, start, end)] if text else []
        text = normalise_space(" ".join(self.flatten([token])))
        return [_Node("paragraph", None, None, text, start, end)] if text else []

    def heading(self, token: Token, start: int, end: int) -> _Node:
        tokens = self.inline(token)
        text = normalise_space(plain_text(tokens))
        number, rest = split_label(text, HEADING_LABEL)
        if number is None:
            number, rest = split_label(text, GLUED_LABEL)
        return _marked(_Node("section", number, rest or None, "", start, end), tokens)

    def paragraph(
        self,
        tokens: Sequence[Token],
        kind: ClauseKind,
        start: int,
        end: int,
        label: re.Pattern[str],
        bold_label: re.Pattern[str],
    ) -> _Node:
        """A paragraph (or an item's first one): number, lead-in heading and text. ``label``
        finds a number in plain text, ``bold_label`` one in a bold lead-in."""
        node = self._paragraph(tokens, kind, start, end, label, bold_label)
        if node.heading is not None or (node.number and not node.text):
            return _marked(node, tokens[1:] if tokens and tokens[0]["type"] == "strong" else tokens)
        return _marked(node, tokens)

    def _paragraph(
        self,
        tokens: Sequence[Token],
        kind: ClauseKind,
        start: int,
        end: int,
        label: re.Pattern[str],
        bold_label: re.Pattern[str],
    ) -> _Node:
        lead = lead_in(tokens)
        if lead is not None:
            head, text = lead
            number, rest = split_label(head, bold_label)
            if number is not None and not rest:
                return _Node(kind, number, None, text, start, end)
            number, heading = split_label(head.rstrip(".:").strip(), bold_label)
            return _Node(kind, number, heading or None, text, start, end)
        text = normalise_space(plain_text(tokens))
        if len(tokens) == 1 and tokens[0]["type"] == "strong":
            number, heading = split_label(text, bold_label)
            if number is not None:
                return _Node(kind, number, heading or None, "", start, end)
            return _Node(kind, None, None, text, start, end)
        number, text = split_label(text, label)
        return _Node(kind, number, None, text, start, end)

    def list_items(self, token: Token, end: int) -> list[_Node]:
        items: list[Token] = token["children"]
        ordered = bool(token["attrs"].get("ordered"))
        first_number = int(token["attrs"].get("start", 1))
        item_lines = self.env[_ITEM_LINES]
        starts = [item_lines[id(item["children"])] for item in items]
        nodes = []
        for index, item in enumerate(items):
            start = starts[index]
            stop = starts[index + 1] - 1 if index + 1 < len(items) else end
            stop = self.trim(start, max(start, stop))
            nodes.append(
                self.list_item(
                    item["children"],
                    ordered,
                    f"{first_number + index}{token['bullet']}",
                    start,
                    stop,
                )
            )
        return nodes

    def list_item(
        self, tokens: list[Token], ordered: bool, number: str, start: int, end: int
    ) -> _Node:
        kind: ClauseKind = "item" if ordered else "bullet"
        first = 0
        while first < len(tokens) and tokens[first]["type"] in _SKIPPED:
            first += 1
        if first < len(tokens) and tokens[first]["type"] in ("paragraph", "block_text"):
            # An ordered item keeps its list number unless its text starts with "(x)".
            label, bold = (ITEM_LABEL, ITEM_LABEL) if ordered else (TEXT_LABEL, HEADING_LABEL)
            node = self.paragraph(self.inline(tokens[first]), kind, start, end, label, bold)
            rest = tokens[first + 1 :]
        else:
            node = _Node(kind, None, None, "", start, end)
            rest = tokens[first:]
        if ordered and node.number is None:
            node.number = number
        node.children = self.blocks(rest, end) if rest else []
        return node

    def flatten(self, tokens: Sequence[Token]) -> list[str]:
        """Plain text of every block in ``tokens`` (for clauses kept whole, like quotes)."""
        parts: list[str] = []
        for token in tokens:
            kind = token["type"]
            if kind in ("paragraph", "block_text", "heading"):
                parts.append(plain_text(self.inline(token)))
            elif kind == "block_code":
                parts.append(token["raw"])
            elif kind == "block_html":
                parts.append(html_text(token["raw"]))
            elif kind == "table":
                parts.append(_table_text(self, token))
            elif kind == "list":
                for item in token["children"]:
                    parts.extend(self.flatten(item["children"]))
            elif "children" in token:
                parts.extend(self.flatten(token["children"]))
        return parts


def _title_index(tokens: Sequence[Token]) -> int | None:
    """Index of the title heading: the only level-1 heading, preceded by no other heading."""
    found = None
    for index, token in enumerate(tokens):
        if token["type"] != "heading":
            continue
        if token["attrs"]["level"] == 1:
            if found is not None:
                return None
            found = index
        elif found is None:
            return None
    return found


def _close_sections(nodes: list[_Node]) -> None:
    """A section ends where its last descendant ends."""
    for node in nodes:
        if node.kind == "section" and node.children:
            _close_sections(node.children)
            node.end = max(node.end, node.children[-1].end)


def _table_text(builder: _Builder, token: Token) -> str:
    return _rows_text(_table_rows(builder, token))


def _table_rows(builder: _Builder, token: Token) -> tuple[tuple[str, ...], ...]:
    """A table's cell texts, row by row (the header row first)."""
    rows: list[tuple[str, ...]] = []
    for part in token["children"]:
        row_tokens = [part] if part["type"] == "table_head" else part["children"]
        for row in row_tokens:
            rows.append(
                tuple(normalise_space(plain_text(builder.inline(cell))) for cell in row["children"])
            )
    return tuple(rows)


def _rows_text(rows: Sequence[Sequence[str]]) -> str:
    return normalise_space(" / ".join(" | ".join(cells) for cells in rows))


def _marked(node: _Node, tokens: Sequence[Token]) -> _Node:
    """``node`` with the links and emphasis of its inline ``tokens`` (see :mod:`.marks`)."""
    node.links, node.emphasis = inline_marks(tokens, plain_text)
    return node
