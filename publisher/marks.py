"""What the plain text of a clause does not show: its link targets and its emphasis. Pure.

:func:`inline_marks` walks the inline tokens of one block (mistune's AST, as
:mod:`publisher.markdown` parses it) and returns the links as (link text, URL) pairs and the
emphasised words as (``bold``/``italic``, words) pairs, in reading order, with whitespace
normalised. The clause diff compares them so that a changed link target (same words) and
emphasis added or removed are reported although the text is the same.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

Token = dict[str, Any]
Marks = tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]

_STYLES = {"strong": "bold", "emphasis": "italic"}


def inline_marks(tokens: Sequence[Token], text_of: Callable[[Sequence[Token]], str]) -> Marks:
    """(links, emphasis) of inline ``tokens``; ``text_of`` gives the plain text of tokens."""
    links: list[tuple[str, str]] = []
    emphasis: list[tuple[str, str]] = []

    def visit(items: Sequence[Token]) -> None:
        for token in items:
            kind = token["type"]
            children = token.get("children")
            if kind == "link":
                url = str(token.get("attrs", {}).get("url", ""))
                links.append((" ".join(text_of(children or []).split()), url))
            elif kind in _STYLES:
                words = " ".join(text_of(children or []).split())
                if words:
                    emphasis.append((_STYLES[kind], words))
            if children:
                visit(children)

    visit(tokens)
    return tuple(links), tuple(emphasis)
