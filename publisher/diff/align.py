"""Alignment of two clause trees, and the changes it implies (:func:`changes_between`).

How two revisions are lined up (DESIGN "The clause diff"):

1. Both trees are flattened in document order. Each clause's *key* is its heading and own
   text (never its number, so re-lettering does not break a match).
2. **Exact matches.** The longest common subsequence of the two key sequences pairs the
   clauses that stayed in order (rapidfuzz's bit-parallel LCS over interned keys: linear on
   near-identical documents and on runs of identical clauses). Clauses with the same key left
   outside it are paired next, preferring one under the same (already paired) parent, and
   among duplicates the nearest in position: they moved.
3. **Similarity.** What is still unpaired is paired by word-level similarity (rapidfuzz's
   normalised Indel similarity over words mapped to characters), first among the children
   of each pair of matched parents (threshold :data:`WITHIN_PARENT`), then across the whole
   document (:data:`ANYWHERE`, stricter); a section also scores by how many of its children
   went into the other section, so a renamed section still pairs. Pairs are chosen best
   score first over the candidate list, ties broken by closeness of position — not
   first come, first served. We do not run a Hungarian assignment: it maximises the *sum* of
   scores, so it will pair a clause with its second-best partner to gain elsewhere, which a
   reviewer reads as a wrong match; best-first always keeps a clause's best available
   partner, is exact whenever best partners are mutual (the usual case), and costs
   O(k log k) for k candidate pairs instead of O(n³). Below the thresholds clauses stay
   unpaired: added or removed. The two passes repeat while they pair something new (a
   section paired by the second pass lets its children pair by the first). When nothing
   more pairs, a last pass pairs clauses rewritten in the very same place — under matched
   parents, between the same two matched siblings — at a lower similarity
   (:data:`IN_PLACE`; leaves only: a section must still match by heading or children).
   Candidates are bounded: each clause is scored against the :data:`WINDOW` unpaired clauses
   either side of its own rank and keeps its :data:`LIMIT` best, so a long list reworded at
   once costs O(n) scores, not O(n²) (in all but very long lists that is every clause).
4. **Order** (:mod:`publisher.diff.order`): which pairs moved.
5. **Changes** (:mod:`publisher.diff.changes`): what each pair and each unpaired clause
   reports.

Pure: values in, values out. Thresholds were tuned on the corpus (see BENCHMARKS.md and
``tests/golden/diff/corpus-*.txt``).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable
from itertools import count
from typing import NamedTuple, TypeVar

from rapidfuzz import fuzz, process
from rapidfuzz.distance import LCSseq

from publisher.diff.changes import Listing
from publisher.diff.model import Change
from publisher.diff.order import moved
from publisher.diff.tree import NONE, ROOT, Side, WordCodes
from publisher.document import Document

WITHIN_PARENT = 50.0
"""Minimum similarity (0–100) to pair two clauses under matched parents."""
ANYWHERE = 65.0
"""Minimum similarity (0–100) to pair two clauses anywhere in the document."""
IN_PLACE = 30.0
"""Minimum similarity (0–100) to pair two clauses that stand in the same place: under matched
parents, between the same two matched siblings (a clause rewritten where it stood)."""

WINDOW = 40
"""Similar partners are looked for among this many unpaired clauses on either side of a
clause's expected place: the same rank among the unpaired (text moved and reworded further than
that within one very long list reads as removed and added)."""
LIMIT = 8
"""At most this many candidate partners per clause: its best, ties nearest first."""

_K = TypeVar("_K")


def changes_between(old: Document, new: Document) -> tuple[list[Change], list[tuple[str, str]]]:
    """The changes between two documents in document order (unclassified: ``material`` is
    a placeholder), and the (old id, new id) pairs of the clauses that did not change."""
    alignment = _Alignment(old, new)
    alignment.run()
    listing = Listing(
        alignment.old, alignment.new, moved(alignment.old, alignment.new), alignment.codes
    )
    changes, unchanged = listing.build()
    return changes, unchanged


class _Candidate(NamedTuple):
    """A possible pair: its similarity (0–100), how far apart the two stand (relative
    positions, 0–1), and the old and new indices."""

    score: float
    distance: float
    old: int
    new: int

    def best_first(self) -> tuple[float, float, int, int]:
        """Sort key: the best score first, then the closest, then document order (new, old)."""
        return -self.score, self.distance, self.new, self.old


class _Alignment:
    """Pairs old nodes with new nodes (``Side.partner`` on both sides); see the module
    docstring for the steps."""

    def __init__(self, old: Document, new: Document) -> None:
        self.old = Side(old)
        self.new = Side(new)
        self.codes = WordCodes()

    def pair(self, i: int, j: int) -> None:
        """Pair old node ``i`` with new node ``j``."""
        self.old.partner[i] = j
        self.new.partner[j] = i

    def run(self) -> None:
        self.pair_exact_in_order()
        self.pair_exact_elsewhere()
        for _ in range(6):
            paired = self.pair_similar_within_parents()
            paired += self.pair_similar_anywhere()
            if not paired:
                # Last resort, once nothing better is left: a clause rewritten in place.
                paired = self.pair_similar_within_parents(in_place=True)
            if not paired:
                break

    def pair_exact_in_order(self) -> None:
        """The longest common subsequence of the key sequences (over interned keys).

        rapidfuzz's bit-parallel LCS after stripping the common prefix and suffix: linear on
        near-identical documents and, unlike difflib's longest-block recursion, not
        quadratic on runs of identical keys ("1. same" × 10,000)."""
        interned: dict[str, int] = {}
        for node in self.old:
            if node.key:
                interned.setdefault(node.key, len(interned))
        unique = count(len(interned))  # an empty key, or one only in the new side: no match
        a = [interned[n.key] if n.key else next(unique) for n in self.old]
        b = [interned[n.key] if n.key in interned else next(unique) for n in self.new]
        for block in LCSseq.opcodes(a, b).as_matching_blocks():
            for k in range(block.size):
                self.pair(block.a + k, block.b + k)

    def pair_exact_elsewhere(self) -> None:
        """Clauses with the same key left outside the common subsequence: they moved. Each
        new clause (in document order, so parents first) takes the unpaired old clause with
        its key under its own parent's partner if there is one, else anywhere; among
        duplicates the one nearest in relative position, not the first."""
        anywhere: dict[str, list[int]] = defaultdict(list)
        under: dict[tuple[int, str], list[int]] = defaultdict(list)
        for node in self.old:  # document order: every list is sorted by index
            if node.key and self.old.partner[node.index] == NONE:
                anywhere[node.key].append(node.index)
                under[node.parent, node.key].append(node.index)
        if not anywhere:
            return
        for node in self.new:
            if self.new.partner[node.index] != NONE or node.key not in anywhere:
                continue
            old_parent = ROOT if node.parent == ROOT else self.new.partner[node.parent]
            siblings = under.get((old_parent, node.key)) if old_parent != NONE else None
            target = node.index * len(self.old) / len(self.new)
            chosen = _nearest(siblings or anywhere[node.key], target)
            _take(anywhere, node.key, chosen)
            _take(under, (self.old[chosen].parent, node.key), chosen)
            self.pair(chosen, node.index)

    def pair_similar_within_parents(self, *, in_place: bool = False) -> int:
        groups: dict[int, list[int]] = defaultdict(list)
        for node in self.new:
            parent_paired = node.parent == ROOT or self.new.partner[node.parent] != NONE
            if self.new.partner[node.index] == NONE and parent_paired:
                groups[node.parent].append(node.index)
        candidates: list[_Candidate] = []
        for parent, new_children in groups.items():
            old_parent = ROOT if parent == ROOT else self.new.partner[parent]
            siblings = self.old.roots if old_parent == ROOT else self.old[old_parent].children
            old_children = [i for i in siblings if self.old.partner[i] == NONE]
            if not old_children:
                continue
            new_siblings = self.new.roots if parent == ROOT else self.new[parent].children
            if in_place:  # leaves only: a rewritten section must still match by its children
                old_children = [i for i in old_children if not self.old[i].children]
                new_children = [j for j in new_children if not self.new[j].children]
                if not old_children or not new_children:
                    continue
            scored = self._score(
                old_children,
                new_children,
                IN_PLACE if in_place else WITHIN_PARENT,
                siblings,
                new_siblings,
            )
            if in_place:
                old_gaps, new_gaps = self._gaps(siblings, new_siblings)
                scored = [c for c in scored if old_gaps[c.old] == new_gaps[c.new]]
            candidates.extend(scored)
        return self._assign(candidates)

    def _gaps(
        self, old_siblings: list[int], new_siblings: list[int]
    ) -> tuple[dict[int, tuple[int, int]], dict[int, tuple[int, int]]]:
        """Where each unpaired sibling stands: between which two pairs that stayed under the
        matched parents (named by their new index; -1 = the start or the end)."""
        new_set = set(new_siblings)
        old_set = set(old_siblings)

        def gaps(siblings: list[int], anchor_of: dict[int, int]) -> dict[int, tuple[int, int]]:
            found: dict[int, tuple[int, int]] = {}
            before = -1
            waiting: list[int] = []
            for k in siblings:
                anchor = anchor_of.get(k)
                if anchor is not None:
                    found.update((w, (before, anchor)) for w in waiting)
                    before, waiting = anchor, []
                else:
                    waiting.append(k)
            found.update((w, (before, -1)) for w in waiting)
            return found

        old_anchor = {
            i: self.old.partner[i] for i in old_siblings if self.old.partner[i] in new_set
        }
        new_anchor = {j: j for j in new_siblings if self.new.partner[j] in old_set}
        old_gaps = {
            i: g for i, g in gaps(old_siblings, old_anchor).items() if self.old.partner[i] == NONE
        }
        new_gaps = {
            j: g for j, g in gaps(new_siblings, new_anchor).items() if self.new.partner[j] == NONE
        }
        return old_gaps, new_gaps

    def pair_similar_anywhere(self) -> int:
        old_free = [n.index for n in self.old if self.old.partner[n.index] == NONE and n.key]
        new_free = [n.index for n in self.new if self.new.partner[n.index] == NONE and n.key]
        if not old_free or not new_free:
            return 0
        candidates = self._score(old_free, new_free, ANYWHERE, None, None)
        candidates.extend(self._child_overlap(old_free, new_free))
        return self._assign(candidates)

    def _score(
        self,
        old_ids: list[int],
        new_ids: list[int],
        cutoff: float,
        old_siblings: list[int] | None,
        new_siblings: list[int] | None,
    ) -> list[_Candidate]:
        """Candidate pairs scoring at least ``cutoff``: for each
        new clause the :data:`LIMIT` best among the :data:`WINDOW` old clauses on either side
        of where it would stand by rank (all of them in all but very long lists), so a list
        reworded at once costs O(n), not O(n²) scores and candidates."""
        if old_siblings is not None and new_siblings is not None:
            old_pos = {i: p / max(len(old_siblings), 1) for p, i in enumerate(old_siblings)}
            new_pos = {j: p / max(len(new_siblings), 1) for p, j in enumerate(new_siblings)}
        else:
            old_pos = {i: i / len(self.old) for i in old_ids}
            new_pos = {j: j / len(self.new) for j in new_ids}
        choices = [self.codes.key(self.old[i]) for i in old_ids]
        candidates: list[_Candidate] = []
        for rank, j in enumerate(new_ids):
            query = self.codes.key(self.new[j])
            window = _window(rank, len(new_ids), len(old_ids))
            if not query:
                # Nothing but punctuation: pair only with another such clause in place.
                if old_siblings is not None:
                    candidates.extend(
                        _Candidate(cutoff, abs(old_pos[old_ids[k]] - new_pos[j]), old_ids[k], j)
                        for k in window[:LIMIT]
                        if not choices[k]
                    )
                continue
            for _, score, k in process.extract(
                query,
                [choices[k] for k in window],
                scorer=fuzz.ratio,
                score_cutoff=cutoff,
                limit=LIMIT,
            ):
                i = old_ids[window[k]]
                candidates.append(_Candidate(score, abs(old_pos[i] - new_pos[j]), i, j))
        return candidates

    def _child_overlap(self, old_ids: Iterable[int], new_ids: Iterable[int]) -> list[_Candidate]:
        """Sections whose children went (mostly) into the other one: same section, renamed."""
        new_free = {j for j in new_ids if self.new[j].children}
        candidates: list[_Candidate] = []
        for i in old_ids:
            children = self.old[i].children
            if not children:
                continue
            went = Counter(
                self.new[self.old.partner[c]].parent
                for c in children
                if self.old.partner[c] != NONE
            )
            for j, common in went.items():
                if j in new_free:
                    score = 200.0 * common / (len(children) + len(self.new[j].children))
                    if score >= ANYWHERE:
                        distance = abs(i / len(self.old) - j / len(self.new))
                        candidates.append(_Candidate(score, distance, i, j))
        return candidates

    def _assign(self, candidates: list[_Candidate]) -> int:
        """Best score first; ties go to the pair whose positions are closest."""
        candidates.sort(key=_Candidate.best_first)
        paired = 0
        for _, _, i, j in candidates:
            if self.old.partner[i] == NONE and self.new.partner[j] == NONE:
                self.pair(i, j)
                paired += 1
        return paired


def _window(rank: int, count: int, others: int) -> list[int]:
    """Positions among ``others`` items to compare the ``rank``-th of ``count`` with: the
    ones within :data:`WINDOW` of the same relative rank, nearest first."""
    centre = round(rank * (others - 1) / (count - 1)) if count > 1 else (others - 1) // 2
    if WINDOW <= centre < others - WINDOW:
        return [centre + offset for offset in _OFFSETS]
    return [centre + offset for offset in _OFFSETS if 0 <= centre + offset < others]


_OFFSETS = [0] + [sign * step for step in range(1, WINDOW + 1) for sign in (-1, 1)]


def _nearest(indices: list[int], target: float) -> int:
    """The index in the sorted, non-empty ``indices`` closest to ``target`` (lower on a tie)."""
    at = bisect_left(indices, target)
    if at == len(indices) or (at > 0 and target - indices[at - 1] <= indices[at] - target):
        return indices[at - 1]
    return indices[at]


def _take(lists: dict[_K, list[int]], key: _K, index: int) -> None:
    """Remove ``index`` from the sorted list ``lists[key]`` (and the list once empty)."""
    indices = lists[key]
    del indices[bisect_left(indices, index)]
    if not indices:
        del lists[key]
