"""Plain text copied from a website (or a text file) into :class:`Line` values.

Every non-blank line is one block: its indentation kept (tabs as four spaces), whether a
blank line came before it, and what it looks like (:func:`~.lines.classify`). The first
line is the title when it reads as one (a heading-like line before any list).
"""

from __future__ import annotations

from publisher.importing.lines import Line, classify


def text_lines(text: str) -> tuple[str | None, list[Line]]:
    """The title (or None) and the blocks of ``text``."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    lines: list[Line] = []
    blank = True
    for number, raw in enumerate(text.split("\n"), start=1):
        raw = raw.replace("\t", "    ").replace("\u00a0", " ").rstrip()
        if not raw.strip():
            blank = True
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        lines.append(classify(raw, indent=indent, where=number, joined=not blank))
        blank = False
    title: str | None = None
    if (
        lines
        and lines[0].kind in ("heading", "paragraph")
        and lines[0].number is None
        and len(lines[0].text) <= 120
        and not lines[0].text.endswith(".")
    ):
        title = lines.pop(0).text
    return title, lines
