"""The changes an alignment implies (step 5 of :mod:`publisher.diff.align`).

An in-order pair whose key changed is ``modified``; whose only number changed,
``renumbered``; a moved pair is ``moved`` (reworded, possibly, too). An unpaired clause is
``added``/``removed``, once for the topmost unpaired clause of a subtree (its unpaired
descendants are ``implied``); a bare heading that came or went while everything under it
stayed says where that content is (``kept_under``). Removed text found within a new clause is
noted as merged, added text found within an old one as split (:mod:`publisher.diff.merges`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from typing import NamedTuple

from publisher.diff import merges
from publisher.diff.inline import word_diff
from publisher.diff.model import (
    Change,
    ChangeKind,
    InlineOp,
    Related,
    Relation,
    renumbered,
    reworded,
)
from publisher.diff.order import displaced
from publisher.diff.references import conforming_updates, renumbering
from publisher.diff.tree import NONE, Side, WordCodes

_MERGED: tuple[Relation, Relation] = ("merged into", "merged from")
"""How a removed clause found within a new one, and that new clause, are related."""
_SPLIT: tuple[Relation, Relation] = ("split out of", "split into")
"""How an added clause found within an old one, and that old clause, are related."""


class Place(NamedTuple):
    """Where a change stands in the list (sorted by this): a clause of the new revision at its
    index there (``after_old`` = -1); a removed clause right after the last new clause before
    it that stayed in place (``new_index``, -1 for the start), in old order (``after_old``)."""

    new_index: int
    after_old: int = -1


class Listing:
    """The changes between two aligned sides, built clause by clause."""

    def __init__(self, old: Side, new: Side, moves: set[int], codes: WordCodes) -> None:
        self.old, self.new, self.moves, self.codes = old, new, moves, codes
        self.placed: list[tuple[Place, Change]] = []
        self.at_old: dict[int, int] = {}  # node index -> position of its change in ``placed``
        self.at_new: dict[int, int] = {}
        self.unchanged: list[tuple[str, str]] = []
        self.renumbered_refs = renumbering(
            {
                old.paths[i]: new.paths[j]
                for i, j in enumerate(old.partner)
                if j != NONE and old[i].clause.number and new[j].clause.number
            }
        )

    def build(self) -> tuple[list[Change], list[tuple[str, str]]]:
        """Every change in document order, and the (old id, new id) pairs left unchanged."""
        for node in self.new:
            j = node.index
            if not self.new.paired(j):
                if not self.new.with_ancestor(j):
                    self._add(Place(j), self._unpaired(j, added=True), new=j)
            else:
                change = self._paired(self.new.partner[j], j)
                if change is not None:
                    self._add(Place(j), change, old=self.new.partner[j], new=j)
        in_place = [not d for d in displaced(self.new, self.moves)]
        anchor = -1
        for node in self.old:
            i = node.index
            j = self.old.partner[i]
            if j != NONE:
                if in_place[j]:
                    anchor = j
            elif not self.old.with_ancestor(i):
                self._add(Place(anchor, i), self._unpaired(i, added=False), old=i)
        self._relate()
        self.placed.sort(key=lambda item: item[0])
        return [change for _, change in self.placed], self.unchanged

    def _add(self, place: Place, change: Change, *, old: int = NONE, new: int = NONE) -> None:
        if old != NONE:
            self.at_old[old] = len(self.placed)
        if new != NONE:
            self.at_new[new] = len(self.placed)
        self.placed.append((place, change))

    def _unpaired(self, index: int, *, added: bool) -> Change:
        """The change of a clause that came (``added``) or went, with what came or went with
        it (``implied``)."""
        side, other = (self.new, self.old) if added else (self.old, self.new)
        clause = side[index].clause
        tag = "+" if added else "-"
        change = Change(
            kind="added" if added else "removed",
            material=True,
            inline=_ops(tag, clause.text),
            heading_inline=_ops(tag, clause.heading or ""),
            implied=side.unpaired_descendants(index),
            section=side.section(index),
            citation=side.citation(index),
            path=side.paths[index],
            kept_under=side.kept_under(index, other),
        )
        if added:
            return replace(change, new=clause, new_parent=side.parent_clause(index))
        return replace(
            change, old=clause, old_parent=side.parent_clause(index), old_place=side.place(index)
        )

    def _paired(self, i: int, j: int) -> Change | None:
        """The change of a pair, or None (noted as unchanged) when there is none."""
        old, new = self.old, self.new
        before, after = old[i].clause, new[j].clause
        kind: ChangeKind
        if j in self.moves:
            kind = "moved"
        elif reworded(before, after):
            kind = "modified"
        elif renumbered(before, after):
            kind = "renumbered"
        else:
            self.unchanged.append((before.id, after.id))
            return None
        conforming, conformed = (
            conforming_updates(before.text, after.text, self.renumbered_refs)
            if before.text != after.text
            else ((), before.text)
        )
        return Change(
            kind=kind,
            material=True,
            old=before,
            new=after,
            inline=word_diff(before.text, after.text),
            conforming=conforming,
            conformed=conformed if conforming else None,
            heading_inline=(
                word_diff(before.heading or "", after.heading or "")
                if before.heading != after.heading
                else ()
            ),
            old_parent=old.parent_clause(i),
            new_parent=new.parent_clause(j),
            section=new.section(j),
            reparented=kind == "moved" and old.parent_partner(i) != new[j].parent,
            citation=new.citation(j),
            old_citation=old.citation(i),
            path=new.paths[j],
            old_path=old.paths[i],
            old_place=old.place(i),
        )

    # -- merged and split text ------------------------------------------------------------

    def _relate(self) -> None:
        """Note on the changes which removed clause was merged into another, and which added
        clause was split out of another (see :mod:`publisher.diff.merges`)."""
        old, new = self.old, self.new
        old_owner, new_owner = _owners(old, self.at_old), _owners(new, self.at_new)
        removed = [i for i in old_owner if not old.paired(i)]
        added = [j for j in new_owner if not new.paired(j)]
        if not removed and not added:
            return
        related: dict[int, list[Related]] = defaultdict(list)
        directions = (  # parts looked for within the changed clauses on the other side
            (old, new, removed, old_owner, new_owner, self.at_old, self.at_new, _MERGED),
            (new, old, added, new_owner, old_owner, self.at_new, self.at_old, _SPLIT),
        )
        for side, other, parts, part_owner, whole_owner, part_at, whole_at, names in directions:
            if not parts:
                continue
            wholes = [self._text(other, k) for k in whole_owner if _changed(other, side, k)]
            found = merges.find(
                [self._text(side, p) for p in parts], wholes, self._partner_words(other, side)
            )
            there, here = names
            for p, k in found.items():
                related[part_owner[p]].append(
                    Related(there, other[k].clause.id, other.citation(k), _via(side, p, part_at))
                )
                related[whole_owner[k]].append(
                    Related(here, side[p].clause.id, side.citation(p), _via(other, k, whole_at))
                )
        for position, found_here in related.items():
            place, change = self.placed[position]
            self.placed[position] = (
                place,
                replace(change, related=change.related + tuple(found_here)),
            )

    def _text(self, side: Side, index: int) -> merges.Text:
        return merges.Text(index, self.codes.text(side[index]), index / len(side))

    def _partner_words(self, side: Side, other: Side) -> Callable[[int], str | None]:
        """For a node of ``side``: the words of its partner in ``other`` (None without)."""

        def words(index: int) -> str | None:
            k = side.partner[index]
            return None if k == NONE else self.codes.text(other[k])

        return words


def _owners(side: Side, at: dict[int, int]) -> dict[int, int]:
    """Every changed node, those added or removed with an ancestor included: node index ->
    position of the change that reports it."""
    owner = dict(at)
    for index, position in at.items():
        if not side.paired(index):
            for k in range(index + 1, index + side[index].size):
                if not side.paired(k):
                    owner.setdefault(k, position)
    return owner


def _changed(side: Side, other: Side, index: int) -> bool:
    """The node has no partner, or its partner's text differs."""
    k = side.partner[index]
    return k == NONE or side[index].clause.text != other[k].clause.text


def _via(side: Side, index: int, at: dict[int, int]) -> str | None:
    """The id of a node that holds the text for the change of its ancestor, or None."""
    return None if index in at else side[index].clause.id


def _ops(tag: str, text: str) -> tuple[InlineOp, ...]:
    if not text:
        return ()
    return (("+", text),) if tag == "+" else (("-", text),) if tag == "-" else (("=", text),)
