"""Terminal text: one block per change, word changes marked like ``git diff --word-diff``.

::

    acceptable-use: v1 → v2
    1 added, 1 modified, 2 renumbered (2 material, 2 editorial)

    + 3 “Do not mine cryptocurrency…”  [material]
        {+Do not mine cryptocurrency on shared runners.+}
    ~ 5 “Do not send spam…”  [material]
        Do not send [-bulk-]{+bulk or unsolicited+} mail.
    # 4 “Do not probe…”  was 3  [editorial]

Markers: ``+`` added, ``-`` removed, ``~`` modified, ``>`` moved, ``#`` renumbered, ``=``
restructured. Colour
(red deletions, green insertions) only when asked — the CLI asks when stdout is a terminal.
"""

from __future__ import annotations

from collections.abc import Callable

from publisher.ansi import style as ansi_style
from publisher.diff import wording
from publisher.diff.model import Change, ChangeKind, ChangeSet, InlineOp

MARKERS: dict[ChangeKind, str] = {
    "added": "+",
    "removed": "-",
    "modified": "~",
    "moved": ">",
    "renumbered": "#",
    "restructured": "=",
}
_COLOURS: dict[ChangeKind, str] = {
    "added": "green",
    "removed": "red",
    "modified": "yellow",
    "moved": "cyan",
    "renumbered": "blue",
    "restructured": "cyan",
}
_INDENT = "    "

Style = Callable[..., str]


def _plain(text: str, **_: object) -> str:
    return text


def inline_text(ops: tuple[InlineOp, ...], style: Style = _plain) -> str:
    """``same [-deleted-]{+inserted+} same``; whitespace at an edit's edges stays outside."""
    out: list[str] = []
    for tag, text in ops:
        if tag == "=":
            out.append(text)
            continue
        lead, core, trail = wording.split_edges(text)
        if not core:
            out.append(text)
            continue
        if tag == "-":
            out.append(lead + style(f"[-{core}-]", fg="red", strikethrough=True) + trail)
        else:
            out.append(lead + style(f"{{+{core}+}}", fg="green", underline=True) + trail)
    return "".join(out)


def _body(change: Change, style: Style) -> list[str]:
    lines: list[str] = []
    if change.heading_inline and change.kind not in ("added", "removed"):
        lines.append("heading: " + inline_text(change.heading_inline, style))
    lines.extend(inline_text(ops, style) for ops in wording.body(change))
    return lines


def _title(change: Change) -> str:
    return "  ".join([change.label, *wording.notes(change)])


def render_change(change: Change, *, color: bool = False) -> str:
    """One change: a title line, then its text with word changes, indented."""
    style: Style = ansi_style if color else _plain
    marker = style(MARKERS[change.kind], fg=_COLOURS[change.kind], bold=True)
    tag = f"[{wording.classification(change)}]"
    if color:
        tag = style(tag, fg="magenta" if change.material else "bright_black")
    lines = [f"{marker} {_title(change)}  {tag}"]
    lines.extend(_INDENT + line for line in _body(change, style))
    return "\n".join(lines)


def render_text(changes: ChangeSet, *, color: bool = False, material_only: bool = False) -> str:
    """The whole change set for a terminal; ends with a newline."""
    style: Style = ansi_style if color else _plain
    lines = [style(wording.heading(changes), bold=True), changes.describe()]
    lines.extend(wording.meta_line(meta) for meta in changes.meta_changes)
    listed = changes.listed(material_only=material_only)
    if material_only and len(listed) < len(changes.changes):
        hidden = len(changes.changes) - len(listed)
        lines.append(f"({hidden} editorial change{'s' if hidden != 1 else ''} not listed)")
    for change in listed:
        lines.append("")
        lines.append(render_change(change, color=color))
    return "\n".join(lines) + "\n"
