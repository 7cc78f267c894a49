"""A translation's clauses against its source's, by structure: the clause at the same
position path (n-th child of the m-th child…) is the same clause in another language.
Numbered clause ids agree across languages; heading ids (made of heading words) do not,
hence positions. Pure."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from publisher.document import Clause, Document

Position = tuple[int, ...]


def positions(document: Document) -> dict[str, Position]:
    """Each clause id's position path in ``document``."""
    return {clause.id: at for at, clause in _walk(document.clauses, ())}


def at_positions(document: Document) -> dict[Position, Clause]:
    """Each position path's clause in ``document``."""
    return dict(_walk(document.clauses, ()))


def _walk(clauses: Sequence[Clause], prefix: Position) -> Iterator[tuple[Position, Clause]]:
    for i, clause in enumerate(clauses):
        at = (*prefix, i)
        yield at, clause
        yield from _walk(clause.children, at)


@dataclass(frozen=True)
class Mismatch:
    """One structural difference: ``only_source`` (the translation lacks the source clause),
    ``only_translation`` (an extra clause), or ``numbering`` (same place, other number)."""

    kind: str
    source: Clause | None
    translation: Clause | None
    line: int
    """The translation's line to point at: its clause; for a missing one, the end of the
    last sibling before it, else the parent's line, else 1."""


def _number(clause: Clause) -> str:
    return (clause.number or "").strip().rstrip(".)").lstrip("(").lower()


def mismatches(source: Document, translation: Document) -> list[Mismatch]:
    """Where ``translation``'s clause tree differs from ``source``'s, in document order."""
    found: list[Mismatch] = []
    _compare(source.clauses, translation.clauses, None, found)
    return found


def _compare(
    left: Sequence[Clause], right: Sequence[Clause], parent: Clause | None, found: list[Mismatch]
) -> None:
    fallback = parent.lines[0] if parent is not None and parent.lines[0] else 1
    for i in range(max(len(left), len(right))):
        a = left[i] if i < len(left) else None
        b = right[i] if i < len(right) else None
        if b is None:  # point where it belongs: after the translation's last sibling
            found.append(
                Mismatch(
                    "only_source",
                    a,
                    None,
                    right[-1].lines[1] if right and right[-1].lines[1] else fallback,
                )
            )
            continue
        if a is None:
            found.append(Mismatch("only_translation", None, b, b.lines[0] or fallback))
            continue
        if _number(a) != _number(b):
            found.append(Mismatch("numbering", a, b, b.lines[0] or fallback))
        _compare(a.children, b.children, b, found)
