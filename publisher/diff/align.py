"""Alignment of two clause trees, and the changes it implies.

How two revisions are lined up (DESIGN "The clause diff"):

1. Both trees are flattened in document order. Each clause's *key* is its heading and own
   text (never its number, so re-lettering does not break a match).
2. **Exact matches.** The longest common subsequence of the two key sequences pairs the
   clauses that stayed in order (difflib's matcher over interned keys: linear-ish on
   near-identical documents). Clauses with the same key left outside it are paired next,
   preferring one under the same (already paired) parent: they moved.
3. **Similarity.** What is still unpaired is paired by word-level similarity (rapidfuzz's
   normalised Indel similarity over words mapped to characters), first among the children
   of each pair of matched parents (threshold :data:`WITHIN_PARENT`), then across the whole
   document (:data:`ANYWHERE`, stricter); a section also scores by how many of its children
   went into the other section, so a renamed section still pairs. Pairs are chosen best
   score first over the whole candidate list, ties broken by closeness of position — not
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
4. **Order.** A pair whose new parent is not the partner of its old parent moved to another
   place — unless it still reads in the same place (it is on the longest run of pairs in
   reading order): then only a heading around it came, went or changed level, and the text
   did not move. Among the children of
   each pair of matched parents, the heaviest increasing subsequence of old positions
   (weighted by subtree size, so a big section stays put and the small one around it is the
   move) is in order; the rest moved. Children that moved with their section are in order
   relative to it, so a section move is reported once.
5. **Changes.** An in-order pair whose key changed is ``modified``; whose only number
   changed, ``renumbered``; a moved pair is ``moved`` (``reworded`` if its text changed too).
   An unpaired clause is ``added``/``removed``, once for the topmost unpaired clause of a
   subtree (its unpaired descendants are ``implied``); a bare heading that came or went
   while everything under it stayed says where that content is (``kept_under``).

Pure: values in, values out. Thresholds were tuned on the corpus (see BENCHMARKS.md and
``tests/golden/diff/corpus-*.txt``).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from itertools import count, pairwise
from typing import TypeVar

from rapidfuzz import fuzz, process
from rapidfuzz.distance import LCSseq

from publisher.diff import merges
from publisher.diff.classify import editorial_form
from publisher.diff.inline import word_diff
from publisher.diff.model import Change, ChangeKind, InlineOp, Related
from publisher.diff.references import conforming_updates, renumbering
from publisher.diff.wording import citation, extend_path, short_citation
from publisher.document import Clause, Document

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

ROOT = -1  # the document itself, as a parent
NONE = -2  # not paired
_BASE = 0xF0000  # words are mapped to private-use characters for similarity
_K = TypeVar("_K")


@dataclass(slots=True)
class _Node:
    clause: Clause
    index: int
    parent: int
    top: int
    key: str
    children: list[int] = field(default_factory=list)
    size: int = 1
    words: str | None = None


def _flatten(document: Document) -> tuple[list[_Node], list[int]]:
    """Every clause in document order, and the indices of the top-level ones."""
    nodes: list[_Node] = []
    roots: list[int] = []

    def visit(clause: Clause, parent: int, top: int) -> int:
        index = len(nodes)
        node = _Node(clause, index, parent, index if top == ROOT else top, clause.key)
        nodes.append(node)
        for child in clause.children:
            node.children.append(visit(child, index, node.top))
        node.size = len(nodes) - index
        return index

    for clause in document.clauses:
        roots.append(visit(clause, ROOT, ROOT))
    return nodes, roots


class _Alignment:
    """Pairs old nodes with new nodes; see the module docstring for the steps."""

    def __init__(self, old: Document, new: Document) -> None:
        self.old, self.old_roots = _flatten(old)
        self.new, self.new_roots = _flatten(new)
        self.o2n = [NONE] * len(self.old)
        self.n2o = [NONE] * len(self.new)
        self._vocabulary: dict[str, str] = {}

    # -- pairing --------------------------------------------------------------------------

    def pair(self, i: int, j: int) -> None:
        self.o2n[i] = j
        self.n2o[j] = i

    def mapped_parent(self, i: int) -> int:
        """The new partner of old node ``i``'s parent (ROOT, a new index, or NONE)."""
        parent = self.old[i].parent
        return ROOT if parent == ROOT else self.o2n[parent]

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
            if node.key and self.o2n[node.index] == NONE:
                anywhere[node.key].append(node.index)
                under[node.parent, node.key].append(node.index)
        if not anywhere:
            return
        for node in self.new:
            if self.n2o[node.index] != NONE or node.key not in anywhere:
                continue
            old_parent = ROOT if node.parent == ROOT else self.n2o[node.parent]
            siblings = under.get((old_parent, node.key)) if old_parent != NONE else None
            target = node.index * len(self.old) / len(self.new)
            chosen = _nearest(siblings or anywhere[node.key], target)
            _take(anywhere, node.key, chosen)
            _take(under, (self.old[chosen].parent, node.key), chosen)
            self.pair(chosen, node.index)

    def words(self, node: _Node) -> str:
        """The node's key as a string of word codes (case, punctuation and style ignored)."""
        if node.words is None:
            node.words = self.codes(node.key)
        return node.words

    def codes(self, text: str) -> str:
        """``text`` as word codes, one character per word (editorial differences ignored)."""
        vocabulary = self._vocabulary
        return "".join(vocabulary.setdefault(word, chr(_BASE + len(vocabulary)))
                       for word in editorial_form(text).split())

    def pair_similar_within_parents(self, *, in_place: bool = False) -> int:
        groups: dict[int, list[int]] = defaultdict(list)
        for node in self.new:
            parent_paired = node.parent == ROOT or self.n2o[node.parent] != NONE
            if self.n2o[node.index] == NONE and parent_paired:
                groups[node.parent].append(node.index)
        candidates: list[tuple[float, float, int, int]] = []
        for parent, new_children in groups.items():
            old_parent = ROOT if parent == ROOT else self.n2o[parent]
            siblings = self.old_roots if old_parent == ROOT else self.old[old_parent].children
            old_children = [i for i in siblings if self.o2n[i] == NONE]
            if not old_children:
                continue
            new_siblings = self.new_roots if parent == ROOT else self.new[parent].children
            if in_place:  # leaves only: a rewritten section must still match by its children
                old_children = [i for i in old_children if not self.old[i].children]
                new_children = [j for j in new_children if not self.new[j].children]
                if not old_children or not new_children:
                    continue
            scored = self._score(old_children, new_children,
                                 IN_PLACE if in_place else WITHIN_PARENT, siblings, new_siblings)
            if in_place:
                old_gaps, new_gaps = self._gaps(siblings, new_siblings)
                scored = [c for c in scored if old_gaps[c[2]] == new_gaps[c[3]]]
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

        old_anchor = {i: self.o2n[i] for i in old_siblings if self.o2n[i] in new_set}
        new_anchor = {j: j for j in new_siblings if self.n2o[j] in old_set}
        old_gaps = {i: g for i, g in gaps(old_siblings, old_anchor).items()
                    if self.o2n[i] == NONE}
        new_gaps = {j: g for j, g in gaps(new_siblings, new_anchor).items()
                    if self.n2o[j] == NONE}
        return old_gaps, new_gaps

    def pair_similar_anywhere(self) -> int:
        old_free = [n.index for n in self.old if self.o2n[n.index] == NONE and n.key]
        new_free = [n.index for n in self.new if self.n2o[n.index] == NONE and n.key]
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
    ) -> list[tuple[float, float, int, int]]:
        """Candidate pairs (score, distance, old, new) scoring at least ``cutoff``: for each
        new clause the :data:`LIMIT` best among the :data:`WINDOW` old clauses on either side
        of where it would stand by rank (all of them in all but very long lists), so a list
        reworded at once costs O(n), not O(n²) scores and candidates."""
        if old_siblings is not None and new_siblings is not None:
            old_pos = {i: p / max(len(old_siblings), 1) for p, i in enumerate(old_siblings)}
            new_pos = {j: p / max(len(new_siblings), 1) for p, j in enumerate(new_siblings)}
        else:
            old_pos = {i: i / len(self.old) for i in old_ids}
            new_pos = {j: j / len(self.new) for j in new_ids}
        choices = [self.words(self.old[i]) for i in old_ids]
        candidates: list[tuple[float, float, int, int]] = []
        for rank, j in enumerate(new_ids):
            query = self.words(self.new[j])
            window = _window(rank, len(new_ids), len(old_ids))
            if not query:
                # Nothing but punctuation: pair only with another such clause in place.
                if old_siblings is not None:
                    candidates.extend(
                        (cutoff, abs(old_pos[old_ids[k]] - new_pos[j]), old_ids[k], j)
                        for k in window[:LIMIT] if not choices[k]
                    )
                continue
            for _, score, k in process.extract(query, [choices[k] for k in window],
                                               scorer=fuzz.ratio, score_cutoff=cutoff,
                                               limit=LIMIT):
                i = old_ids[window[k]]
                candidates.append((score, abs(old_pos[i] - new_pos[j]), i, j))
        return candidates

    def _child_overlap(
        self, old_ids: Iterable[int], new_ids: Iterable[int]
    ) -> list[tuple[float, float, int, int]]:
        """Sections whose children went (mostly) into the other one: same section, renamed."""
        new_free = {j for j in new_ids if self.new[j].children}
        candidates: list[tuple[float, float, int, int]] = []
        for i in old_ids:
            children = self.old[i].children
            if not children:
                continue
            went = Counter(self.new[self.o2n[c]].parent for c in children if self.o2n[c] != NONE)
            for j, common in went.items():
                if j in new_free:
                    score = 200.0 * common / (len(children) + len(self.new[j].children))
                    if score >= ANYWHERE:
                        distance = abs(i / len(self.old) - j / len(self.new))
                        candidates.append((score, distance, i, j))
        return candidates

    def _assign(self, candidates: list[tuple[float, float, int, int]]) -> int:
        """Best score first; ties go to the pair whose positions are closest."""
        candidates.sort(key=lambda c: (-c[0], c[1], c[3], c[2]))
        paired = 0
        for _, _, i, j in candidates:
            if self.o2n[i] == NONE and self.n2o[j] == NONE:
                self.pair(i, j)
                paired += 1
        return paired

    # -- order ----------------------------------------------------------------------------

    def moved(self) -> set[int]:
        """New indices of the pairs that moved: to another parent, out of reading order (a
        clause that only changed parent because a heading around it came, went or changed
        level still reads in the same place: not a move), or out of order among siblings."""
        moved: set[int] = set()
        reparented = [n.index for n in self.new
                      if self.n2o[n.index] != NONE
                      and self.mapped_parent(self.n2o[n.index]) != n.parent]
        if reparented:
            in_order = self.in_reading_order()
            moved.update(j for j in reparented if j not in in_order)
        parents = [(ROOT, self.new_roots)] + [
            (n.index, n.children) for n in self.new if n.children and self.n2o[n.index] != NONE
        ]
        for _, children in parents:
            stayed = [j for j in children if self.n2o[j] != NONE
                      and self.mapped_parent(self.n2o[j]) == self.new[j].parent]
            olds = [self.n2o[j] for j in stayed]
            if all(a < b for a, b in pairwise(olds)):
                continue
            keep = _heaviest_increasing(olds, [self.new[j].size for j in stayed])
            moved.update(j for k, j in enumerate(stayed) if k not in keep)
        return moved

    def in_reading_order(self) -> set[int]:
        """New indices of the pairs on the longest run that keeps reading order (pre-order)."""
        paired = [n.index for n in self.new if self.n2o[n.index] != NONE]
        keep = _heaviest_increasing([self.n2o[j] for j in paired], [1] * len(paired))
        return {paired[k] for k in keep}


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


def _heaviest_increasing(values: list[int], weights: list[int]) -> set[int]:
    """Positions of the increasing subsequence of ``values`` with the largest total weight.

    O(n log n): a Fenwick tree over value ranks holds the best chain ending below each rank.
    """
    ranks = {v: r + 1 for r, v in enumerate(sorted(values))}
    size = len(values)
    tree_best = [0] * (size + 1)
    tree_at = [-1] * (size + 1)
    best = [0] * size
    previous = [-1] * size
    for k, value in enumerate(values):
        rank = ranks[value]
        total, at = 0, -1
        r = rank - 1
        while r > 0:  # best chain over ranks < rank
            if tree_best[r] > total:
                total, at = tree_best[r], tree_at[r]
            r -= r & -r
        best[k] = total + weights[k]
        previous[k] = at
        r = rank
        while r <= size:
            if best[k] > tree_best[r]:
                tree_best[r], tree_at[r] = best[k], k
            r += r & -r
    end = max(range(size), key=lambda k: (best[k], -k))
    keep: set[int] = set()
    while end != -1:
        keep.add(end)
        end = previous[end]
    return keep


def _relate(
    alignment: _Alignment,
    keyed: list[tuple[tuple[int, int, int], Change]],
    at_old: dict[int, int],
    at_new: dict[int, int],
    cite: Callable[[list[_Node], int], str],
) -> None:
    """Note on the changes which removed clause was merged into another, and which added
    clause was split out of another (see :mod:`publisher.diff.merges`)."""
    o, n, o2n, n2o = alignment.old, alignment.new, alignment.o2n, alignment.n2o

    def with_implied(nodes: list[_Node], partner: list[int], at: dict[int, int]
                     ) -> dict[int, int]:
        """Every changed node, those added or removed with an ancestor included: node index
        -> position of the change that reports it."""
        owner = dict(at)
        for index, position in at.items():
            if partner[index] == NONE:
                for k in range(index + 1, index + nodes[index].size):
                    if partner[k] == NONE:
                        owner.setdefault(k, position)
        return owner

    old_owner, new_owner = with_implied(o, o2n, at_old), with_implied(n, n2o, at_new)
    removed = [i for i in old_owner if o2n[i] == NONE]
    added = [j for j in new_owner if n2o[j] == NONE]
    if not removed and not added:
        return

    def words(node: _Node) -> str:
        """The clause's own text as word codes (its key's, cached, when it has no heading)."""
        return alignment.words(node) if not node.clause.heading else \
            alignment.codes(node.clause.text)

    def text(nodes: list[_Node], index: int) -> merges.Text:
        return merges.Text(index, words(nodes[index]), index / len(nodes))

    def before(nodes: list[_Node], partner: list[int]) -> Callable[[int], str | None]:
        return lambda index: None if partner[index] == NONE else words(nodes[partner[index]])

    def changed(nodes: list[_Node], partner: list[int], others: list[_Node], index: int) -> bool:
        k = partner[index]
        return k == NONE or nodes[index].clause.text != others[k].clause.text

    def via(nodes: list[_Node], index: int, at: dict[int, int]) -> str | None:
        return None if index in at else nodes[index].clause.id

    additions: dict[int, list[Related]] = defaultdict(list)
    if removed:
        wholes = [text(n, j) for j in new_owner if changed(n, n2o, o, j)]
        for i, j in merges.find([text(o, i) for i in removed], wholes, before(o, n2o)).items():
            additions[old_owner[i]].append(
                Related("merged into", n[j].clause.id, cite(n, j), via(o, i, at_old)))
            additions[new_owner[j]].append(
                Related("merged from", o[i].clause.id, cite(o, i), via(n, j, at_new)))
    if added:
        wholes = [text(o, i) for i in old_owner if changed(o, o2n, n, i)]
        for j, i in merges.find([text(n, j) for j in added], wholes, before(n, o2n)).items():
            additions[new_owner[j]].append(
                Related("split out of", o[i].clause.id, cite(o, i), via(n, j, at_new)))
            additions[old_owner[i]].append(
                Related("split into", n[j].clause.id, cite(n, j), via(o, i, at_old)))
    for position, related in additions.items():
        key, change = keyed[position]
        keyed[position] = (key, replace(change, related=change.related + tuple(related)))


def _paths(nodes: list[_Node]) -> list[str]:
    """Every node's number path ("B.3(a)"; an unnumbered clause has its parent's)."""
    paths: list[str] = []
    for node in nodes:  # pre-order: a parent comes before its children
        prefix = "" if node.parent == ROOT else paths[node.parent]
        paths.append(extend_path(prefix, node.clause.number))
    return paths


def _ops(tag: str, text: str) -> tuple[InlineOp, ...]:
    if not text:
        return ()
    return (("+", text),) if tag == "+" else (("-", text),) if tag == "-" else (("=", text),)


def changes_between(
    old: Document, new: Document
) -> tuple[list[Change], list[tuple[str, str]]]:
    """The changes between two documents in document order (unclassified: ``material`` is
    a placeholder), and the (old id, new id) pairs of the clauses that did not change."""
    alignment = _Alignment(old, new)
    alignment.run()
    moved = alignment.moved()
    o, n, o2n, n2o = alignment.old, alignment.new, alignment.o2n, alignment.n2o
    old_paths, new_paths = _paths(o), _paths(n)
    renumbered_refs = renumbering({
        old_paths[i]: new_paths[j] for i, j in enumerate(o2n)
        if j != NONE and o[i].clause.number and n[j].clause.number
    })

    def parent_clause(nodes: list[_Node], index: int) -> Clause | None:
        parent = nodes[index].parent
        return None if parent == ROOT else nodes[parent].clause

    def chain(nodes: list[_Node], index: int) -> list[Clause]:
        found: list[Clause] = []
        while index != ROOT:
            found.append(nodes[index].clause)
            index = nodes[index].parent
        return found[::-1]

    def cite(nodes: list[_Node], index: int) -> str:
        return citation(chain(nodes, index))

    def place(nodes: list[_Node], index: int) -> str:
        return short_citation(chain(nodes, nodes[index].parent))

    def section(nodes: list[_Node], index: int) -> str | None:
        top = nodes[nodes[index].top].clause
        return top.label or None

    def implied(nodes: list[_Node], partner: list[int], index: int) -> tuple[Clause, ...]:
        found: list[Clause] = []
        stack = list(reversed(nodes[index].children))
        while stack:
            k = stack.pop()
            if partner[k] == NONE:
                found.append(nodes[k].clause)
                stack.extend(reversed(nodes[k].children))
        return tuple(found)

    def kept_under(nodes: list[_Node], partner: list[int], others: list[_Node],
                   index: int) -> tuple[str, ...]:
        """For a bare heading whose descendants all have partners: where its children's
        partners stand (the heading came or went, its content stayed)."""
        node = nodes[index]
        if node.clause.text or not node.clause.heading or not node.children:
            return ()
        if any(partner[k] == NONE for k in range(index + 1, index + node.size)):
            return ()
        return tuple(dict.fromkeys(place(others, partner[c]) for c in node.children))

    keyed: list[tuple[tuple[int, int, int], Change]] = []
    at_old: dict[int, int] = {}  # node index -> position of its change in ``keyed``
    at_new: dict[int, int] = {}
    unchanged: list[tuple[str, str]] = []

    for node in n:
        j = node.index
        clause = node.clause
        i = n2o[j]
        if i == NONE:
            if node.parent != ROOT and n2o[node.parent] == NONE:
                continue  # implied by the added ancestor
            change = Change(
                kind="added", material=True, new=clause, inline=_ops("+", clause.text),
                heading_inline=_ops("+", clause.heading or ""), implied=implied(n, n2o, j),
                new_parent=parent_clause(n, j), section=section(n, j), citation=cite(n, j),
                new_place=place(n, j), path=new_paths[j], kept_under=kept_under(n, n2o, o, j),
            )
            at_new[j] = len(keyed)
            keyed.append(((j, 0, 0), change))
            continue
        before = o[i].clause
        reworded = before.heading != clause.heading or before.text != clause.text
        renumbered = before.number != clause.number
        kind: ChangeKind
        if j in moved:
            kind = "moved"
        elif reworded:
            kind = "modified"
        elif renumbered:
            kind = "renumbered"
        else:
            unchanged.append((before.id, clause.id))
            continue
        conforming, conformed = (
            conforming_updates(before.text, clause.text, renumbered_refs)
            if before.text != clause.text else ((), before.text)
        )
        change = Change(
            kind=kind, material=True, old=before, new=clause,
            inline=word_diff(before.text, clause.text),
            conforming=conforming, conformed=conformed if conforming else None,
            heading_inline=(word_diff(before.heading or "", clause.heading or "")
                            if before.heading != clause.heading else ()),
            old_parent=parent_clause(o, i), new_parent=parent_clause(n, j),
            reworded=reworded, renumbered=renumbered, section=section(n, j),
            reparented=kind == "moved" and alignment.mapped_parent(i) != node.parent,
            citation=cite(n, j), old_citation=cite(o, i), path=new_paths[j], old_path=old_paths[i],
            old_place=place(o, i), new_place=place(n, j),
        )
        at_old[i] = at_new[j] = len(keyed)
        keyed.append(((j, 0, 0), change))

    displaced = [False] * len(n)  # moved, or inside something that moved
    for node in n:
        parent_displaced = node.parent != ROOT and displaced[node.parent]
        displaced[node.index] = node.index in moved or parent_displaced
    anchor = -1
    for node in o:
        i = node.index
        j = o2n[i]
        if j != NONE:
            if not displaced[j]:
                anchor = j
            continue
        if node.parent != ROOT and o2n[node.parent] == NONE:
            continue  # implied by the removed ancestor
        clause = node.clause
        change = Change(
            kind="removed", material=True, old=clause, inline=_ops("-", clause.text),
            heading_inline=_ops("-", clause.heading or ""), implied=implied(o, o2n, i),
            old_parent=parent_clause(o, i), section=section(o, i), citation=cite(o, i),
            old_place=place(o, i), path=old_paths[i], kept_under=kept_under(o, o2n, n, i),
        )
        at_old[i] = len(keyed)
        keyed.append(((anchor, 1, i), change))

    _relate(alignment, keyed, at_old, at_new, cite)
    keyed.sort(key=lambda item: item[0])
    return [change for _, change in keyed], unchanged
