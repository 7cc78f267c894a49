"""The clause tree as a policy file: front matter (title, effective date), the title as the
only level-1 heading, sections as ``##`` headings (deeper ones ``###`` …), decimal items as
ordered lists, other labels ("(a)", "iv.") and bullets as bullet items that start with
their label, paragraphs and tables. Text is escaped so the parser reads it back as written
(``*``, ``_``, ``[``, a leading ``#`` or ``2024.``), curly quotes and all."""

from __future__ import annotations

import re
from datetime import date

import yaml

from publisher.importing.tree import Node

_INLINE = re.compile(r"([\\`*_\[\]<>|])")
_LEADING = re.compile(r"^(?:(#+|>|\+|-|=)(?=\s|$)|(\d{1,9})([.)])(?=\s|$))")


def escape(text: str) -> str:
    """Markdown-escape ``text`` so it reads back as plain text."""
    text = _INLINE.sub(r"\\\1", text)
    match = _LEADING.match(text)
    if match is None:
        return text
    if match.group(2):
        return f"{match.group(2)}\\{match.group(3)}{text[match.end() :]}"
    return "\\" + text


def _text(node: Node) -> str:
    """The node's text escaped, its bold lead-in (if any) in ``**``."""
    if node.lead and node.text.startswith(node.lead) and node.text != node.lead:
        return f"**{escape(node.lead)}**{escape(node.text[len(node.lead) :])}"
    return escape(node.text)


def _decimal(number: str | None) -> bool:
    return bool(number) and number[:-1].isdigit() and number[-1] in ".)"  # type: ignore[index]


def _blocks(nodes: list[Node], indent: str, out: list[str]) -> None:
    previous: Node | None = None
    for node in nodes:
        if node.kind == "section":
            hashes = "#" * min(node.level + 1, 6)
            label = f"{node.number} " if node.number else ""
            out.extend(["", f"{hashes} {label}{escape(node.text)}".rstrip()])
            _blocks(node.children, "", out)
        elif node.kind in ("item", "bullet"):
            if _decimal(node.number) and node.kind == "item":
                marker = f"{int(node.number[:-1])}{node.number[-1]}"  # type: ignore[index]
                text = _text(node)
            else:
                marker = "-"
                number = node.number
                if number and number[-1] not in ".)" and not number.startswith("("):
                    number = f"**{number}**"  # a bare "1.2" is a number only in bold
                text = f"{number} {_text(node)}" if number else _text(node)
                if not node.number and re.match(r"\(?[0-9A-Za-z]{1,4}[.)]\s", node.text):
                    text = "\\" + text
            if (
                previous is None
                or previous.kind not in ("item", "bullet")
                or (_decimal(previous.number) != _decimal(node.number))
            ):
                out.append("")
            out.append(f"{indent}{marker} {text}")
            _blocks(node.children, indent + " " * (len(marker) + 1), out)
        elif node.kind == "table":
            out.append("")
            rows = [list(row) for row in node.rows]
            width = max(len(row) for row in rows)
            for position, row in enumerate(rows):
                cells = [escape(c) for c in row] + [""] * (width - len(row))
                out.append(f"{indent}| " + " | ".join(cells) + " |")
                if position == 0:
                    out.append(f"{indent}|" + " --- |" * width)
        else:
            out.extend(["", f"{indent}{_text(node)}"])
        previous = node


def front_matter(title: str | None, effective: date | None) -> str:
    data: dict[str, object] = {}
    if title:
        data["title"] = title
    if effective:
        data["effective"] = effective
    if not data:
        return ""
    dumped = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)
    return f"---\n{dumped}---\n\n"


def to_markdown(nodes: list[Node], *, title: str | None, effective: date | None) -> str:
    """The policy file's text."""
    out: list[str] = []
    if title:
        out.append(f"# {escape(title)}")
    _blocks(nodes, "", out)
    body = "\n".join(out).strip("\n")
    body = re.sub(r"\n{3,}", "\n\n", body)
    return front_matter(title, effective) + body + "\n"
