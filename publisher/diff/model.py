"""The values a clause diff produces: changes, their summary, and the change set.

Pure frozen dataclasses; :mod:`publisher.diff.align` builds them and the ``render_*`` modules
turn them into text, Markdown, HTML and JSON.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

from publisher.document import Clause
from publisher.version_labels import label_text

ChangeKind = Literal["added", "removed", "modified", "moved", "renumbered", "restructured"]
KINDS: tuple[ChangeKind, ...] = (
    "added",
    "removed",
    "modified",
    "moved",
    "renumbered",
    "restructured",
)

OpTag = Literal["=", "-", "+"]
InlineOp = tuple[OpTag, str]
"""One word-level edit: ``("=", same)``, ``("-", deleted)`` or ``("+", inserted)``."""

OverrideValue = Literal["editorial", "material"]


@dataclass(frozen=True)
class Override:
    """A reviewer's classification that replaces the computed one.

    ``clause`` is a clause id (old or new side) or None for every change of the diff;
    ``source`` says where it came from (``"<commit sha> trailer"``).
    """

    value: OverrideValue
    clause: str | None
    source: str


Relation = Literal["merged into", "merged from", "split out of", "split into"]


@dataclass(frozen=True)
class Related:
    """Text shared with another clause that is not this one's partner: a merge or a split.

    ``merged into``: all of this (removed) clause's text now stands within the new clause
    ``clause``; ``merged from``: this clause took in the whole text of the old clause
    ``clause``; ``split out of``: all of this (added) clause's text stood within the old
    clause ``clause``; ``split into``: part of this clause's text is now the new clause
    ``clause``. ``citation`` is how a reader cites that clause in its own revision. ``via``
    is the id of the descendant that holds the text when it is not the changed clause itself
    but one added or removed with it (an ``implied`` clause), else None.
    """

    relation: Relation
    clause: str
    citation: str
    via: str | None = None


Shape = Literal["split", "merged", "re-wrapped", "reformatted"]
"""How a ``restructured`` change reshaped its text: one clause into several, several into
one, several into several, or one into one of another form (a paragraph made a list item, a
heading made a bold lead-in)."""

FormatKind = Literal["link", "emphasis"]


@dataclass(frozen=True)
class FormatChange:
    """A change of formatting the clause text does not show: a link target (``old``/``new``
    are the URLs, None where the words were no link) or emphasis (``old``/``new`` are
    ``bold``/``italic``, None where the words were plain). ``text`` is the words concerned."""

    kind: FormatKind
    text: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class CellChange:
    """One table cell that changed: its row and column as a reader names them (the row's
    first cell, the column's header), the old and new cell text (None for a row or column
    that came or went) and the word edits."""

    row: str
    column: str
    old: str | None
    new: str | None
    inline: tuple[InlineOp, ...] = ()


def reworded(old: Clause, new: Clause) -> bool:
    """True when a clause's text or heading changed between two revisions."""
    return old.heading != new.heading or old.text != new.text


def renumbered(old: Clause, new: Clause) -> bool:
    """True when a clause's number changed between two revisions."""
    return old.number != new.number


@dataclass(frozen=True)
class Change:
    """One clause-level change (each field is described where it is declared)."""

    kind: ChangeKind
    """What happened to the clause (see :data:`KINDS`)."""
    material: bool
    """Material (it changes what the policy says) or editorial; set by classification."""
    old: Clause | None = None
    """The clause as it was; None for ``added``."""
    new: Clause | None = None
    """The clause as it is now; None for ``removed``."""
    inline: tuple[InlineOp, ...] = ()
    """Word-level edits of the clause's own text: the old text is the ``=`` and ``-`` parts,
    the new text the ``=`` and ``+`` parts."""
    heading_inline: tuple[InlineOp, ...] = ()
    """The same for the heading, when it changed (or came or went with the clause)."""
    implied: tuple[Clause, ...] = ()
    """The descendants that came or went with an added or removed clause (not reported
    separately)."""
    old_parent: Clause | None = None
    """The enclosing clause in the old revision (None = the document itself)."""
    new_parent: Clause | None = None
    """The enclosing clause in the new revision (None = the document itself)."""
    reparented: bool = False
    """For ``moved``: the clause now stands under another parent (not only out of order among
    the same siblings)."""
    section: str | None = None
    """The label of the top-level section the clause belongs to."""
    override: Override | None = None
    """The reviewer's classification that replaced the computed one, if any."""
    citation: str = ""
    """How a reader cites the clause now ("B.3 Account security", "B.3(a) “You must
    not…”"); for a removal, as it was."""
    old_citation: str | None = None
    """How the clause was cited in the old revision (paired clauses only)."""
    path: str = ""
    """The number path now ("B.3", "B.3(a)"; an unnumbered clause has its parent's)."""
    old_path: str | None = None
    """The number path in the old revision (paired clauses only)."""
    old_place: str = ""
    """The clauses that enclosed it in the old revision, shortly ("B.3", "Enforcement"; ""
    for the top level): where a moved or removed clause stood."""
    conforming: tuple[tuple[str, str], ...] = ()
    """Cross-references of a reworded clause that only follow a renumbering
    (``(("G", "H"),)``: "Section G" became "Section H" because G became H)."""
    conformed: str | None = None
    """The old text with the ``conforming`` updates made (None without any): what else
    changed is classified on its own."""
    kept_under: tuple[str, ...] = ()
    """For a heading removed (added) whose whole content stayed: where that content stands
    now (stood before), as short citations ("C"; "" for the top level)."""
    related: tuple[Related, ...] = ()
    """The clauses this one's text was merged into or split out of (see :class:`Related`)."""
    old_clauses: tuple[Clause, ...] = ()
    """For ``restructured``: the run of old clauses (``old`` is the first)."""
    new_clauses: tuple[Clause, ...] = ()
    """For ``restructured``: the run of new clauses (``new`` is the first)."""
    shape: Shape | None = None
    """For ``restructured``: how the text was reshaped (see :data:`Shape`)."""
    same_words: bool | None = None
    """For ``restructured``: the runs carry the same words in editorial form (None for the
    other kinds, whose rewording is read from ``old`` and ``new``)."""
    formatting: tuple[FormatChange, ...] = ()
    """Link-target and emphasis changes the clause text does not show."""
    cells: tuple[CellChange, ...] = ()
    """For a modified table: the cells that changed."""

    @property
    def reworded(self) -> bool:
        """The words changed: the text or heading of a paired clause (always for
        ``modified``, possibly for ``moved``), or the words of a ``restructured`` run."""
        if self.same_words is not None:
            return not self.same_words
        return self.old is not None and self.new is not None and reworded(self.old, self.new)

    @property
    def renumbered(self) -> bool:
        """The number changed (``renumbered``, and possibly ``moved`` or ``modified``)."""
        return self.old is not None and self.new is not None and renumbered(self.old, self.new)

    @property
    def clause(self) -> Clause:
        """The clause as it is now (or as it was, for a removal)."""
        clause = self.new or self.old
        assert clause is not None
        return clause

    @property
    def label(self) -> str:
        """How a reader cites the clause: its citation, else number and heading, else id."""
        return self.citation or self.clause.label or self.clause.id


@dataclass(frozen=True)
class Summary:
    """Counts of changes per kind, and how many are material or editorial.

    ``reworded`` counts the changes whose text or heading changed, whatever their kind: every
    ``modified`` one and the ``moved`` ones that were reworded too. It is not a kind (the kinds
    add up to the total without it); it keeps a moved-and-reworded clause visible in the counts.
    """

    added: int = 0
    removed: int = 0
    modified: int = 0
    moved: int = 0
    renumbered: int = 0
    restructured: int = 0
    material: int = 0
    editorial: int = 0
    reworded: int = 0

    @classmethod
    def of(cls, changes: Iterable[Change]) -> Summary:
        counts = dict.fromkeys((*KINDS, "material", "editorial", "reworded"), 0)
        for change in changes:
            counts[change.kind] += 1
            counts["material" if change.material else "editorial"] += 1
            counts["reworded"] += change.reworded
        return cls(**counts)

    @property
    def total(self) -> int:
        return self.material + self.editorial

    @property
    def moved_reworded(self) -> int:
        """How many of the moved clauses were also reworded (the reworded that are not
        ``modified``: only a move can be reworded besides)."""
        return max(0, min(self.moved, self.reworded - self.modified))

    def note(self, kind: str) -> str:
        """What a kind's count hides: `` (1 also reworded)`` after the moves, else ``""``."""
        if kind == "moved" and self.moved_reworded:
            return f" ({self.moved_reworded} also reworded)"
        return ""

    def as_dict(self) -> dict[str, int]:
        return {
            "added": self.added,
            "removed": self.removed,
            "modified": self.modified,
            "moved": self.moved,
            "renumbered": self.renumbered,
            "restructured": self.restructured,
            "material": self.material,
            "editorial": self.editorial,
            "reworded": self.reworded,
        }

    def describe(self) -> str:
        """``2 added, 1 modified, 3 renumbered (3 material, 3 editorial)``, ``1 removed,
        2 moved (1 also reworded) (3 material, 0 editorial)`` or ``no changes``."""
        if not self.total:
            return "no changes"
        parts = [
            f"{getattr(self, kind)} {kind}{self.note(kind)}"
            for kind in KINDS
            if getattr(self, kind)
        ]
        return f"{', '.join(parts)} ({self.material} material, {self.editorial} editorial)"


WORKING_TREE = "working tree"
"""The ``rev`` of a side read from uncommitted files (the git diff driver's new side)."""


@dataclass(frozen=True)
class Side:
    """One side of a comparison: which revision, which version label, which content hash,
    and the document's title and front-matter effective date."""

    rev: str | None = None
    version: str | None = None
    sha256: str | None = None
    title: str | None = None
    effective: date | None = None

    def filled_from(self, other: Side) -> Side:
        """This side, with the title and effective date of ``other`` where it has none."""
        return replace(
            self, title=self.title or other.title, effective=self.effective or other.effective
        )

    @property
    def display(self) -> str:
        """``v3`` (``2024-06-01`` for a date label, see :func:`label_text`) when there is a version label, else the revision (short sha or path);
        ``working tree`` (``v4 (working tree)`` with a label of its own) for uncommitted
        files, which are not the text of any version yet."""
        if self.rev == WORKING_TREE:
            return f"{label_text(self.version)} ({WORKING_TREE})" if self.version else WORKING_TREE
        if self.version:
            return label_text(self.version)
        if self.rev and len(self.rev) == 40 and all(c in "0123456789abcdef" for c in self.rev):
            return self.rev[:12]
        return self.rev or "?"


MetaField = Literal["title", "effective", "line"]
META_FIELDS: dict[MetaField, str] = {
    "title": "title",
    "effective": "effective date",
    "line": "metadata line",
}
"""The document facts outside the clauses a diff reports, and how they are named in prose."""


@dataclass(frozen=True)
class MetaChange:
    """A change of the document's title or front-matter effective date (ISO ``YYYY-MM-DD``
    for dates; None when one side has none), or of the date on a metadata line in the text
    (``field`` ``line``, ``label`` the line's label as written: "Last updated")."""

    field: MetaField
    old: str | None
    new: str | None
    label: str | None = None

    @property
    def name(self) -> str:
        """``title``, ``effective date``, or a metadata line's label (``Last updated``)."""
        return self.label or META_FIELDS[self.field]


@dataclass(frozen=True)
class ChangeSet:
    """The result of comparing two revisions: changes in document order and their summary.

    ``unchanged`` pairs the ids (old, new) of clauses matched without any change (including
    the children of a moved section that moved with it). ``meta_changes`` lists changes of
    the title and effective date: they are no clause changes, so the summary does not count
    them, but every renderer shows them.
    """

    changes: tuple[Change, ...]
    summary: Summary
    old: Side = Side()
    new: Side = Side()
    policy: str | None = None
    unchanged: tuple[tuple[str, str], ...] = ()
    meta_changes: tuple[MetaChange, ...] = ()

    @property
    def material(self) -> bool:
        """True when at least one change is material."""
        return self.summary.material > 0

    def __bool__(self) -> bool:
        return bool(self.changes)

    def describe(self) -> str:
        """The summary, and which document facts changed: ``1 modified (1 material, 0
        editorial); effective date changed``, ``no clause changes; title changed``."""
        if not self.meta_changes:
            return self.summary.describe()
        names = [change.name for change in self.meta_changes]
        facts = (", ".join(names[:-1]) + " and " + names[-1]) if len(names) > 1 else names[0]
        clauses = self.summary.describe() if self.summary.total else "no clause changes"
        return f"{clauses}; {facts} changed"

    def labelled(
        self, *, policy: str | None = None, old: Side | None = None, new: Side | None = None
    ) -> ChangeSet:
        """A copy with the policy name and the revisions' descriptions filled in (a side
        given without a title or effective date keeps the compared document's)."""
        return replace(
            self,
            policy=policy if policy is not None else self.policy,
            old=old.filled_from(self.old) if old is not None else self.old,
            new=new.filled_from(self.new) if new is not None else self.new,
        )

    def listed(self, *, material_only: bool = False) -> tuple[Change, ...]:
        """The changes to show: all, or only the material ones."""
        if not material_only:
            return self.changes
        return tuple(c for c in self.changes if c.material)
