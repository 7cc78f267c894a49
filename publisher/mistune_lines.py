"""mistune 3's block parser, extended to stamp every block token with its source line.

The clause tree needs each clause's file lines (lint's file:line, the diff's spans, the
site's per-clause rendering). mistune does not record them, so :class:`LineState` and the
parser here stamp each token with ``_line`` as it is made. This relies on mistune internals
(``BlockParser.parse_method`` and ``_methods``, ``BlockState.append_token``,
``add_paragraph`` and ``child_state``): ``tests/test_dependency_contracts.py`` fails loudly
when a mistune release changes them, and pyproject.toml pins mistune below 4.
"""

from __future__ import annotations

import re
from typing import Any, cast

from mistune import BlockParser, BlockState, InlineParser, Markdown
from mistune.plugins import import_plugin

__all__ = ["HTML_TOKENS", "ITEM_LINES", "MARKDOWN", "MOVING", "STAMPED_BY_PARSER", "LineState"]

Token = dict[str, Any]


class LineState(BlockState):
    """mistune's block state, extended to stamp each block token with its first file line.

    A child state (a list item's or block quote's content) has its own ``src`` whose lines
    are the container's lines one for one, so it only needs the file line of its first line.
    """

    tokens: list[Token]

    def __init__(self, parent: Any | None = None) -> None:
        super().__init__(parent)
        self.line_base = 1
        self.pending_pos = 0  # where the block now being parsed starts (set by the parser)
        self._count_pos = 0
        self._count_lines = 0

    def line_at(self, pos: int) -> int:
        """File line of offset ``pos`` in ``src``, counting newlines incrementally."""
        if pos >= self._count_pos:
            self._count_lines += self.src.count("\n", self._count_pos, pos)
        else:
            self._count_lines -= self.src.count("\n", pos, self._count_pos)
        self._count_pos = pos
        return self.line_base + self._count_lines

    def append_token(self, token: Token) -> None:
        # Blank lines need no line (clause spans skip them); the parser stamps the others.
        if token["type"] not in STAMPED_BY_PARSER:
            token["_line"] = self.line_at(self.cursor)
        self.tokens.append(token)

    def add_paragraph(self, text: str) -> None:
        # BlockState.add_paragraph, stamping the new paragraph (called before the cursor moves)
        tokens = self.tokens
        if tokens and tokens[-1]["type"] == "paragraph":
            tokens[-1]["text"] += text
        else:
            tokens.append({"type": "paragraph", "text": text, "_line": self.line_at(self.cursor)})

    def child_state(self, src: str, *args: Any, **kwargs: Any) -> BlockState:
        child = cast(LineState, super().child_state(src, *args, **kwargs))
        pos = self.pending_pos
        first = self.line_at(pos)
        # List items are not tokens of their own: remember where each starts by its token
        # list, which is the item's "children" (and lives as long as the token tree).
        self.env[ITEM_LINES][id(child.tokens)] = first
        end = self.src.find("\n", pos)
        opening = self.src[pos:] if end < 0 else self.src[pos:end]
        # A list item whose marker line holds no text starts its content on the next line.
        child.line_base = first + 1 if _EMPTY_ITEM.match(opening) else first
        # The next item of the same list starts on the line the cursor has just passed.
        self.pending_pos = self.src.rfind("\n", 0, max(self.cursor - 1, 0)) + 1
        return child


ITEM_LINES = "publisher_item_lines"
HTML_TOKENS = "publisher_html_tokens"
_EMPTY_ITEM = re.compile(r" {0,3}(?:[*+-]|\d{1,9}[.)])[ \t]*$")


class _LineBlockParser(BlockParser):
    """mistune's block parser, stamping the tokens each rule creates with the rule's line."""

    state_cls = LineState

    def parse_method(self, m: re.Match[str], state: BlockState) -> int | None:
        rule = m.lastgroup
        method = self._methods[rule]  # type: ignore[index]
        if rule not in MOVING:  # append_token stamps these: the cursor is at their start
            return method(m, state)
        st = cast(LineState, state)
        tokens = st.tokens
        count = len(tokens)
        if rule == "ref_link":
            after_paragraph = count > 0 and tokens[-1]["type"] == "paragraph"
            end = method(m, state)
            if end and len(tokens) == count and not after_paragraph:
                # A link reference definition makes no token; mark where it is so the
                # clause before it does not claim its lines.
                tokens.append({"type": "ref_def", "_line": st.line_at(m.start())})
            return end
        saved = st.pending_pos
        st.pending_pos = m.start()
        end = method(m, state)
        st.pending_pos = saved
        # The new token was appended, inserted before a block that interrupted it (which
        # that block's own call has stamped; blocks can interrupt each other in a chain), or
        # prepended to the last token (a quote whose lazy line a paragraph took back).
        line = 0
        for index in range(max(count - 1, 0), len(tokens)):
            if "_line" not in tokens[index]:
                line = line or st.line_at(m.start())
                tokens[index]["_line"] = line
        return end


# Rules whose token is added after the cursor has moved past its start (containers are
# appended when their content is done, HTML blocks after finding their end), or none at all.
MOVING = frozenset({"list", "block_quote", "block_html", "raw_html", "ref_link"})
STAMPED_BY_PARSER = frozenset({"blank_line", "list", "block_quote", "block_html"})


def _make_markdown() -> Markdown:
    block = _LineBlockParser()
    inline = InlineParser()
    plugins = [import_plugin(name) for name in ("table", "strikethrough")]
    return Markdown(renderer=None, block=block, inline=inline, plugins=plugins)


MARKDOWN = _make_markdown()
