"""Both revisions' clauses in document order, by id, with their ancestors: what the passes
after the alignment (:mod:`.restructure`, :mod:`.formatting`, :mod:`.metalines`) look up.
Pure."""

from __future__ import annotations

from dataclasses import dataclass

from publisher.diff.wording import citation, extend_path
from publisher.document import Clause, Document


@dataclass(frozen=True)
class Flat:
    """One revision flattened: ``clauses`` in pre-order, ``index`` by id, ``parent`` the
    index of each clause's parent (-1 for the top level)."""

    clauses: tuple[Clause, ...]
    index: dict[str, int]
    parent: tuple[int, ...]

    @classmethod
    def of(cls, document: Document) -> Flat:
        clauses: list[Clause] = []
        parent: list[int] = []

        def visit(clause: Clause, up: int) -> None:
            at = len(clauses)
            clauses.append(clause)
            parent.append(up)
            for child in clause.children:
                visit(child, at)

        for clause in document.clauses:
            visit(clause, -1)
        return cls(tuple(clauses), {c.id: k for k, c in enumerate(clauses)}, tuple(parent))

    def chain(self, at: int) -> list[Clause]:
        """The clause at ``at`` and its ancestors, outermost first."""
        found: list[Clause] = []
        while at >= 0:
            found.append(self.clauses[at])
            at = self.parent[at]
        return found[::-1]

    def citation(self, at: int) -> str:
        return citation(self.chain(at))

    def path(self, at: int) -> str:
        path = ""
        for clause in self.chain(at):
            path = extend_path(path, clause.number)
        return path

    def section(self, at: int) -> str | None:
        return self.chain(at)[0].label or None
