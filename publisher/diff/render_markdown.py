"""Markdown for emails and pull-request comments: a summary line, then one list item per change.

Word changes read ``~~old~~ **new**``; policy text is escaped so it cannot inject markup.
"""

from __future__ import annotations

import re

from publisher.diff import wording
from publisher.diff.model import Change, ChangeSet, InlineOp

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|~#!])")
_BLOCK_START = re.compile(r"^(\s*)(\d+)([.)])|^(\s*)([-+=])")


def escape(text: str) -> str:
    """Backslash-escape every character Markdown could read as markup."""
    return _SPECIAL.sub(r"\\\1", text)


def _not_a_block(text: str) -> str:
    """Keep a paragraph that starts like a list item ("1. …", "- …") a paragraph."""
    return _BLOCK_START.sub(
        lambda m: (
            f"{m.group(1)}{m.group(2)}\\{m.group(3)}"
            if m.group(2)
            else f"{m.group(4)}\\{m.group(5)}"
        ),
        text,
        count=1,
    )


def inline_markdown(ops: tuple[InlineOp, ...]) -> str:
    """``same ~~deleted~~ **inserted** same`` (markers hug the words, as GFM requires)."""
    out: list[str] = []
    for tag, text in ops:
        if tag == "=":
            out.append(escape(text))
            continue
        lead, core, trail = wording.split_edges(text)
        if not core:
            out.append(text)
            continue
        mark = "~~" if tag == "-" else "**"
        out.append(f"{lead}{mark}{escape(core)}{mark}{trail}")
    return "".join(out)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _item(change: Change) -> list[str]:
    notes = wording.notes(change)
    title = f"**{wording.TITLES[change.kind]}** {escape(change.label)}"
    if notes:
        title += " — " + escape("; ".join(notes))
    title += f" *({escape(wording.classification(change))})*"
    lines = [f"- {title}"]
    body: list[str] = []
    if change.heading_inline and change.kind not in ("added", "removed"):
        body.append("Heading: " + inline_markdown(change.heading_inline))
    body.extend(inline_markdown(ops) for ops in wording.body(change))
    for paragraph in body:
        lines.append("")
        lines.append("  " + _not_a_block(paragraph))
    return lines


def render_markdown(changes: ChangeSet, *, material_only: bool = False) -> str:
    """The change set as Markdown; ends with a newline."""
    lines = [f"**{escape(wording.heading(changes))}** — {changes.describe()}"]
    if changes.meta_changes:
        lines.append("")
        lines.append(
            "  \n".join(escape(_capital(wording.meta_line(meta))) for meta in changes.meta_changes)
        )
    listed = changes.listed(material_only=material_only)
    if material_only and len(listed) < len(changes.changes):
        hidden = len(changes.changes) - len(listed)
        lines.append("")
        lines.append(f"*{hidden} editorial change{'s' if hidden != 1 else ''} not listed.*")
    if listed:
        lines.append("")
    for change in listed:
        lines.extend(_item(change))
    return "\n".join(lines) + "\n"
