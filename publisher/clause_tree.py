"""A clause tree under construction, and how it becomes clauses with ids. Pure.

The parser (:mod:`publisher.markdown`) builds :class:`Node` trees; :func:`freeze` gives each
node its structural id — from its number path (``b.3``, ``2.iv``), else its heading
(``acceptable-use``), else its kind and position among its siblings (``p4``, ``l2``) — made
unique by a ``-N`` suffix, and returns the frozen :class:`~publisher.document.Clause` tree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from publisher.document import Clause, ClauseKind
from publisher.slugs import heading_slug

__all__ = ["Node", "freeze"]


@dataclass(slots=True)
class Node:
    """A clause under construction (ids come last, when siblings are known)."""

    kind: ClauseKind
    number: str | None
    heading: str | None
    text: str
    start: int
    end: int
    children: list[Node] = field(default_factory=list)
    links: tuple[tuple[str, str], ...] = ()
    emphasis: tuple[tuple[str, str], ...] = ()
    cells: tuple[tuple[str, ...], ...] = ()


# --------------------------------------------------------------------------- ids

_PREFIX: dict[str, str] = {
    "paragraph": "p",
    "bullet": "l",
    "item": "i",
    "table": "table",
    "code": "code",
    "quote": "quote",
    "section": "s",
}


_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def _number_key(number: str) -> str:
    key = number.strip().strip("()").rstrip(".)").lower()
    return _NOT_ALNUM.sub("-", key).strip("-") if not key.isalnum() else key


def _anchor(clause_id: str) -> str:
    """Same as :attr:`Clause.anchor` without its ``c-``; ids here are lower-case alnum, "-"
    and ".", so only the dots change."""
    return clause_id.replace(".", "-")


def freeze(
    nodes: list[Node], parent: str, numbered: str, level: int, used: dict[str, int]
) -> tuple[Clause, ...]:
    """Nodes -> clauses with ids (module doc). ``parent`` is the parent's id, ``numbered``
    the nearest numbered ancestor's, ``used`` the anchors given so far (each with the last
    ``-N`` suffix given after it)."""
    counters: dict[str, int] = {}
    out = []
    for node in nodes:
        if node.number:
            local, prefix_id = _number_key(node.number), numbered
        else:
            local, prefix_id = (heading_slug(node.heading) if node.heading else ""), parent
            if not local:
                prefix = _PREFIX[node.kind]
                counters[prefix] = counters.get(prefix, 0) + 1
                local = f"{prefix}{counters[prefix]}"
        clause_id = base = f"{prefix_id}.{local}" if prefix_id else local
        # Distinct anchors imply distinct ids, so checking anchors alone keeps both unique.
        # ``used`` remembers, for an anchor taken, the last suffix given after it, so a
        # thousand sections of one heading get -2…-1000 in linear time, not quadratic.
        anchor = _anchor(clause_id)
        if anchor in used:
            taken, suffix = anchor, used[anchor]
            while True:
                suffix += 1
                clause_id = f"{base}-{suffix}"
                anchor = _anchor(clause_id)
                if anchor not in used:
                    break
            used[taken] = suffix
        used[anchor] = 1
        children = freeze(
            node.children, clause_id, clause_id if node.number else numbered, level + 1, used
        )
        out.append(
            Clause(
                id=clause_id,
                kind=node.kind,
                number=node.number,
                heading=node.heading,
                text=node.text,
                children=children,
                lines=(node.start, node.end),
                level=level,
                links=node.links,
                emphasis=node.emphasis,
                cells=node.cells,
            )
        )
    return tuple(out)
