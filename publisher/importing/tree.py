"""Lines nested into the clause tree a person would draw.

Headings open sections (a deeper level nests). Within a section, a list item or bullet of a
kind already open is a sibling of the last one of that kind (everything opened after it
closes); one of a new kind is a child of the last item, unless it is indented less. So
"1." … "•" … "o" … "2." gives 1 > • > o, then 2. A paragraph continues the previous block
when it carries on a sentence (no blank line, and the previous line did not end one), is a
child of the last item indented less than it, or else closes the lists and stands in the
section. Lettered labels that read as roman numerals ("i", "v", "x") continue a list of
letters when the previous letter comes just before them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from publisher.importing.lines import Line

_SENTENCE_END = tuple('.:;!?"”’)')


@dataclass
class Node:
    """A clause being built: ``kind`` as in :class:`Line`; ``children`` in order."""

    kind: str
    text: str
    number: str | None = None
    level: int = 1
    children: list[Node] = field(default_factory=list)
    rows: tuple[tuple[str, ...], ...] = ()
    key: str = ""
    indent: int = 0
    lead: str | None = None


@dataclass
class Built:
    """The tree, and what could not be placed as written (one message each)."""

    nodes: list[Node]
    unplaced: list[str]


def _letter_before(number: str) -> str | None:
    core = number.strip("().")
    if len(core) != 1 or not core.isalpha() or core in "aA":
        return None
    return chr(ord(core) - 1)


def _resolve_roman(line: Line, stack: list[Node]) -> Line:
    """ "(i)" after "(h)" is a letter; otherwise a roman numeral stays one."""
    if line.number is None or "alpha" in line.key:
        return line
    previous = _letter_before(line.number)
    form = line.key.split(" ")[0]
    for node in reversed(stack):
        if (
            node.number
            and previous
            and node.key.startswith(form + " alpha")
            and (node.number.strip("().") == previous)
        ):
            case = "upper" if line.number.strip("().").isupper() else "lower"
            return Line(
                line.kind,
                line.text,
                line.number,
                f"{form} alpha-{case}",
                line.indent,
                line.level,
                line.joined,
                line.where,
                line.rows,
            )
    if (
        "roman" not in line.key
        and len(line.number.strip("().")) == 1
        and line.number.strip("().").lower() in "ivx"
    ):
        for node in reversed(stack):
            if node.key.startswith(form + " roman"):
                case = "upper" if line.number.strip("().").isupper() else "lower"
                return Line(
                    line.kind,
                    line.text,
                    line.number,
                    f"{form} roman-{case}",
                    line.indent,
                    line.level,
                    line.joined,
                    line.where,
                    line.rows,
                )
    return line


def build(lines: list[Line]) -> Built:
    """The clause tree of ``lines``."""
    top: list[Node] = []
    unplaced: list[str] = []
    sections: list[Node] = []  # open sections, outermost first
    stack: list[Node] = []  # open list items in the current section
    last: Node | None = None
    last_line: Line | None = None

    def container() -> list[Node]:
        return sections[-1].children if sections else top

    for line in lines:
        if line.kind == "heading":
            while sections and sections[-1].level >= line.level:
                sections.pop()
            node = Node("section", line.text, line.number, line.level)
            container().append(node)
            sections.append(node)
            stack.clear()
            last = node
        elif line.kind in ("item", "bullet"):
            line = _resolve_roman(line, stack)
            node = Node(
                line.kind, line.text, line.number, key=line.key, indent=line.indent, lead=line.lead
            )
            if any(open_.key == line.key for open_ in stack):
                while stack[-1].key != line.key:
                    stack.pop()
                stack.pop()
            else:
                while stack and stack[-1].indent > line.indent:
                    stack.pop()
            if not stack and line.indent > 0:
                unplaced.append(
                    f"line {line.where}: {_quote(line.text)} is indented under "
                    "no list item; placed at the top level"
                )
            (stack[-1].children if stack else container()).append(node)
            stack.append(node)
            last = node
        elif line.kind == "table":
            node = Node("table", line.text, rows=line.rows)
            (stack[-1].children if stack and line.indent > 0 else container()).append(node)
            last = node
        else:
            if (
                line.joined
                and last is not None
                and last.kind != "section"
                and last_line is not None
                and last_line.kind != "table"
                and not last.text.endswith(_SENTENCE_END)
            ):
                last.text = f"{last.text} {line.text}"
                last_line = line
                continue
            node = Node("paragraph", line.text, indent=line.indent, lead=line.lead)
            parents = [n for n in stack if n.indent < line.indent]
            if parents:
                parents[-1].children.append(node)
                while stack[-1] is not parents[-1]:
                    stack.pop()
            else:
                stack.clear()
                container().append(node)
            last = node
        last_line = line
    _check_numbering(top, unplaced)
    return Built(top, unplaced)


def _quote(text: str) -> str:
    return f"“{text[:40]}…”" if len(text) > 40 else f"“{text}”"


def _check_numbering(nodes: list[Node], unplaced: list[str]) -> None:
    """Report decimal lists whose numbers jump: Markdown numbers them by position."""
    previous: Node | None = None
    for node in nodes:
        if (
            node.kind == "item"
            and node.number
            and node.number[:-1].isdigit()
            and node.number[-1] in ".)"
        ):
            if (
                previous is not None
                and previous.number is not None
                and int(node.number[:-1]) != int(previous.number[:-1]) + 1
                and previous.key == node.key
            ):
                unplaced.append(
                    f"numbering jumps from {previous.number} to {node.number}; "
                    f"the list is renumbered from {previous.number}"
                )
            previous = node
        else:
            previous = None if node.kind != "item" else previous
        _check_numbering(node.children, unplaced)
