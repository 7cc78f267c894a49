"""Both revisions of a policy merged into one sequence of paragraphs, for a tracked-changes
document. Pure: a change set and its two documents in, paragraphs out.

Every clause of the new revision is one paragraph, in the new order: kept (its word changes
marked inside), inserted (no counterpart in the old revision), or the arriving end of a move.
Every clause of the old revision without a place in the new one — removed, the leaving end
of a move, the old side of a restructured run — is one paragraph too, placed after the
paragraph of the nearest clause before it (in the old order) that stayed where it was. So
dropping what was deleted and keeping what was inserted gives the new text exactly, and the
reverse gives the old text: what Word's "Accept all" and "Reject all" do.

A clause moves when its change is ``moved`` or when it sits under a clause that moved (the
section's children move with it).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from publisher.diff.inline import new_text, old_text, word_diff
from publisher.diff.model import Change, ChangeSet, InlineOp
from publisher.document import Clause, Document

Revision = Literal["kept", "inserted", "deleted", "moved-from", "moved-to"]


@dataclass(frozen=True)
class Segment:
    """A stretch of a paragraph: ``=`` kept, ``-`` deleted, ``+`` inserted words; ``bold``
    for a heading or bold lead-in."""

    tag: Literal["=", "-", "+"]
    text: str
    bold: bool = False


@dataclass(frozen=True)
class Paragraph:
    """One clause as a paragraph of the redline.

    ``kind`` and ``depth`` (0 = top level) are the clause's in the revision it is shown from;
    ``revision`` says how the paragraph itself changed; ``move`` names the move it belongs
    to (the same name at both ends); ``change`` is the clause-level change shown here, if any.
    """

    kind: str
    depth: int
    revision: Revision
    segments: tuple[Segment, ...]
    move: str | None = None
    change: Change | None = None

    @property
    def old(self) -> str:
        """The paragraph's text in the old revision ("" when it was not there)."""
        if self.revision in ("inserted", "moved-to"):
            return ""
        return "".join(s.text for s in self.segments if s.tag != "+")

    @property
    def new(self) -> str:
        """The paragraph's text in the new revision ("" when it is not there)."""
        if self.revision in ("deleted", "moved-from"):
            return ""
        return "".join(s.text for s in self.segments if s.tag != "-")


def clause_parts(clause: Clause) -> tuple[str, str, str]:
    """A clause's number, heading and text as a paragraph shows them."""
    return clause.number or "", clause.heading or "", clause.text


def paragraph_text(clause: Clause) -> str:
    """A clause's paragraph as plain text: number, heading and text, space-separated."""
    return " ".join(part for part in clause_parts(clause) if part)


def _ops(old: str, new: str, given: tuple[InlineOp, ...] = ()) -> tuple[InlineOp, ...]:
    """Word edits from ``old`` to ``new``: the diff's own when they rebuild both texts."""
    if given and old_text(given) == old and new_text(given) == new:
        return given
    return word_diff(old, new)


def _whole(old: str, new: str) -> tuple[InlineOp, ...]:
    """A number: kept, or replaced whole (never "1[-0-]{+1+}")."""
    if old == new:
        return (("=", new),) if new else ()
    return tuple(op for op in (("-", old), ("+", new)) if op[1])


def _join(parts: list[tuple[tuple[InlineOp, ...], bool]]) -> tuple[Segment, ...]:
    """Number, heading and text ops joined by spaces that exist on the side(s) that have
    text on both sides of them."""
    segments: list[Segment] = []
    old_has = new_has = False
    for ops, bold in parts:
        old_part, new_part = bool(old_text(ops)), bool(new_text(ops))
        sep_old, sep_new = old_has and old_part, new_has and new_part
        if sep_old and sep_new:
            segments.append(Segment("=", " "))
        elif sep_old:
            segments.append(Segment("-", " "))
        elif sep_new:
            segments.append(Segment("+", " "))
        segments.extend(Segment(tag, text, bold) for tag, text in ops if text)
        old_has, new_has = old_has or old_part, new_has or new_part
    return tuple(segments)


def _paired(old: Clause, new: Clause, change: Change | None) -> tuple[Segment, ...]:
    heading_given = change.heading_inline if change else ()
    text_given = change.inline if change else ()
    return _join(
        [
            (_whole(old.number or "", new.number or ""), False),
            (_ops(old.heading or "", new.heading or "", heading_given), True),
            (_ops(old.text, new.text, text_given), False),
        ]
    )


def _alone(clause: Clause, tag: Literal["=", "-", "+"]) -> tuple[Segment, ...]:
    number, heading, text = clause_parts(clause)
    return _join([(((tag, number),), False), (((tag, heading),), True), (((tag, text),), False)])


def _depths(document: Document) -> Iterator[tuple[Clause, int, Clause | None]]:
    """Every clause in document order with its depth and parent."""

    def walk(
        clause: Clause, depth: int, parent: Clause | None
    ) -> Iterator[tuple[Clause, int, Clause | None]]:
        yield clause, depth, parent
        for child in clause.children:
            yield from walk(child, depth + 1, clause)

    for top in document.clauses:
        yield from walk(top, 0, None)


def layout(changes: ChangeSet, old: Document, new: Document) -> tuple[Paragraph, ...]:
    """The merged paragraphs of a redline (see the module's docstring)."""
    partner: dict[str, str] = dict(changes.unchanged)
    by_old: dict[str, Change] = {}
    by_new: dict[str, Change] = {}
    for change in changes.changes:
        if change.kind == "restructured":
            continue
        if change.old is not None:
            by_old[change.old.id] = change
        if change.new is not None:
            by_new[change.new.id] = change
        if change.old is not None and change.new is not None:
            partner[change.old.id] = change.new.id
    for change in changes.changes:
        if change.kind == "restructured":
            for clause in change.old_clauses or ((change.old,) if change.old else ()):
                partner.pop(clause.id, None)

    old_rows = list(_depths(old))
    new_clauses = {clause.id: clause for clause in new.walk()}
    partner = {o: n for o, n in partner.items() if n in new_clauses}
    displaced: set[str] = set()
    for clause, _, parent in old_rows:
        moved = by_old.get(clause.id)
        if (moved is not None and moved.kind == "moved") or (
            parent is not None and parent.id in displaced
        ):
            displaced.add(clause.id)
    displaced &= set(partner)
    moves = {
        old_id: f"move{n}"
        for n, old_id in enumerate((c.id for c, _, _ in old_rows if c.id in displaced), start=1)
    }

    # Old clauses without a place in the new order, after the last one before them that kept its.
    anchored: dict[str | None, list[Paragraph]] = {}
    anchor: str | None = None
    for clause, depth, _ in old_rows:
        if clause.id in partner and clause.id not in displaced:
            anchor = partner[clause.id]
            continue
        if clause.id in displaced:
            paragraph = Paragraph(
                clause.kind,
                depth,
                "moved-from",
                _alone(clause, "="),
                move=moves[clause.id],
                change=by_old.get(clause.id),
            )
        else:
            paragraph = Paragraph(
                clause.kind, depth, "deleted", _alone(clause, "-"), change=by_old.get(clause.id)
            )
        anchored.setdefault(anchor, []).append(paragraph)

    old_of = {n: o for o, n in partner.items()}
    old_clauses = {clause.id: clause for clause, _, _ in old_rows}
    out: list[Paragraph] = list(anchored.get(None, []))
    for clause, depth, _ in _depths(new):
        old_id = old_of.get(clause.id)
        found = by_new.get(clause.id)
        if old_id is None:
            out.append(Paragraph(clause.kind, depth, "inserted", _alone(clause, "+"), change=found))
        else:
            segments = _paired(old_clauses[old_id], clause, found)
            if old_id in displaced:
                out.append(
                    Paragraph(
                        clause.kind, depth, "moved-to", segments, move=moves[old_id], change=found
                    )
                )
            else:
                out.append(Paragraph(clause.kind, depth, "kept", segments, change=found))
        out.extend(anchored.get(clause.id, []))
    return tuple(out)
