"""One side of a comparison as the alignment sees it: the clause tree flattened in document
order, each clause's partner on the other side, and how a clause is cited and placed.

:mod:`publisher.diff.align` fills the partners; :mod:`publisher.diff.order` and
:mod:`publisher.diff.changes` read them. Indices are positions in document (pre-)order, so a
clause's descendants are the ``size - 1`` nodes right after it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from publisher.diff.classify import editorial_form
from publisher.diff.wording import citation, extend_path, short_citation
from publisher.document import Clause, Document

ROOT = -1
"""The document itself, as a parent (and as the partner of the other document)."""
NONE = -2
"""No partner: the clause is not paired (yet)."""
_BASE = 0xF0000  # words are mapped to private-use characters for similarity


@dataclass(slots=True)
class Node:
    """A clause at ``index`` in document order, under ``parent`` (an index or ROOT), in the
    top-level section ``top``; ``key`` is its heading and own text (never its number),
    ``size`` counts it and its descendants, ``words`` caches its key as word codes."""

    clause: Clause
    index: int
    parent: int
    top: int
    key: str
    children: list[int] = field(default_factory=list)
    size: int = 1
    words: str | None = None


class Side:
    """One revision's clauses in document order, and each one's partner on the other side
    (``partner[i]``: an index there, or NONE)."""

    def __init__(self, document: Document) -> None:
        self.nodes: list[Node] = []
        self.roots: list[int] = []
        for clause in document.clauses:
            self.roots.append(self._visit(clause, ROOT, ROOT))
        self.partner = [NONE] * len(self.nodes)
        self.paths: list[str] = []
        """Every node's number path ("B.3(a)"; an unnumbered clause has its parent's)."""
        for node in self.nodes:  # pre-order: a parent comes before its children
            prefix = "" if node.parent == ROOT else self.paths[node.parent]
            self.paths.append(extend_path(prefix, node.clause.number))

    def _visit(self, clause: Clause, parent: int, top: int) -> int:
        index = len(self.nodes)
        node = Node(clause, index, parent, index if top == ROOT else top, clause.key)
        self.nodes.append(node)
        for child in clause.children:
            node.children.append(self._visit(child, index, node.top))
        node.size = len(self.nodes) - index
        return index

    def __len__(self) -> int:
        return len(self.nodes)

    def __getitem__(self, index: int) -> Node:
        return self.nodes[index]

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes)

    # -- partners -------------------------------------------------------------------------

    def paired(self, index: int) -> bool:
        return self.partner[index] != NONE

    def parent_partner(self, index: int) -> int:
        """The partner of the node's parent: ROOT for a top-level node, an index on the other
        side, or NONE when the parent is not paired."""
        parent = self.nodes[index].parent
        return ROOT if parent == ROOT else self.partner[parent]

    def with_ancestor(self, index: int) -> bool:
        """True when the node's parent has no partner: it came or went with it."""
        parent = self.nodes[index].parent
        return parent != ROOT and self.partner[parent] == NONE

    def children_of(self, parent: int) -> list[int]:
        """The children of ``parent`` (an index, or ROOT for the top-level clauses)."""
        return self.roots if parent == ROOT else self.nodes[parent].children

    def unpaired_descendants(self, index: int) -> tuple[Clause, ...]:
        """The clauses under the node that have no partner (top-down: an unpaired node's own
        descendants are included, a paired one's are not looked at)."""
        found: list[Clause] = []
        stack = list(reversed(self.nodes[index].children))
        while stack:
            k = stack.pop()
            if self.partner[k] == NONE:
                found.append(self.nodes[k].clause)
                stack.extend(reversed(self.nodes[k].children))
        return tuple(found)

    def kept_under(self, index: int, other: Side) -> tuple[str, ...]:
        """For a bare heading whose descendants all have partners: where its children's
        partners stand in ``other`` (the heading came or went, its content stayed)."""
        node = self.nodes[index]
        if node.clause.text or not node.clause.heading or not node.children:
            return ()
        if any(self.partner[k] == NONE for k in range(index + 1, index + node.size)):
            return ()
        return tuple(dict.fromkeys(other.place(self.partner[c]) for c in node.children))

    # -- how a clause is named ------------------------------------------------------------

    def parent_clause(self, index: int) -> Clause | None:
        parent = self.nodes[index].parent
        return None if parent == ROOT else self.nodes[parent].clause

    def chain(self, index: int) -> list[Clause]:
        """The clause and its ancestors, outermost first (none for ROOT)."""
        found: list[Clause] = []
        while index != ROOT:
            found.append(self.nodes[index].clause)
            index = self.nodes[index].parent
        return found[::-1]

    def citation(self, index: int) -> str:
        return citation(self.chain(index))

    def place(self, index: int) -> str:
        """The enclosing clauses, shortly ("B.3"; "" for the top level)."""
        return short_citation(self.chain(self.nodes[index].parent))

    def section(self, index: int) -> str | None:
        """The label of the top-level section the node belongs to."""
        return self.nodes[self.nodes[index].top].clause.label or None


class WordCodes:
    """Words mapped to one private-use character each (after editorial normalisation), so
    that rapidfuzz's character similarities compare words: one vocabulary for both sides."""

    def __init__(self) -> None:
        self._vocabulary: dict[str, str] = {}

    def of(self, text: str) -> str:
        """``text`` as word codes, one character per word (editorial differences ignored)."""
        vocabulary = self._vocabulary
        return "".join(
            vocabulary.setdefault(word, chr(_BASE + len(vocabulary)))
            for word in editorial_form(text).split()
        )

    def key(self, node: Node) -> str:
        """The node's key (heading and text) as word codes, cached on the node."""
        if node.words is None:
            node.words = self.of(node.key)
        return node.words

    def text(self, node: Node) -> str:
        """The clause's own text as word codes (its key's, cached, when it has no heading)."""
        return self.key(node) if not node.clause.heading else self.of(node.clause.text)
