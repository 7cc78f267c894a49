"""Which paired clauses moved (step 4 of :mod:`publisher.diff.align`).

A pair whose new parent is not the partner of its old parent moved to another place, unless
it still reads in the same place (it is on the longest run of pairs in reading order): then
only a heading around it came, went or changed level. Among the children of each pair of
matched parents, the heaviest increasing subsequence of old positions (weighted by subtree
size, so a big section stays put and the small one around it is the move) is in order; the
rest moved. Children that moved with their section are in order relative to it, so a section
move is reported once.
"""

from __future__ import annotations

from itertools import pairwise

from publisher.diff.tree import ROOT, Side


def moved(old: Side, new: Side) -> set[int]:
    """New indices of the pairs that moved: to another parent, out of reading order, or out
    of order among siblings."""
    found: set[int] = set()
    reparented = [
        n.index
        for n in new
        if new.paired(n.index) and old.parent_partner(new.partner[n.index]) != n.parent
    ]
    if reparented:
        in_order = in_reading_order(new)
        found.update(j for j in reparented if j not in in_order)
    parents = [new.roots] + [n.children for n in new if n.children and new.paired(n.index)]
    for children in parents:
        stayed = [
            j
            for j in children
            if new.paired(j) and old.parent_partner(new.partner[j]) == new[j].parent
        ]
        olds = [new.partner[j] for j in stayed]
        if all(a < b for a, b in pairwise(olds)):
            continue
        keep = heaviest_increasing(olds, [new[j].size for j in stayed])
        found.update(j for k, j in enumerate(stayed) if k not in keep)
    return found


def in_reading_order(new: Side) -> set[int]:
    """New indices of the pairs on the longest run that keeps reading order (pre-order)."""
    paired = [n.index for n in new if new.paired(n.index)]
    keep = heaviest_increasing([new.partner[j] for j in paired], [1] * len(paired))
    return {paired[k] for k in keep}


def displaced(new: Side, moves: set[int]) -> list[bool]:
    """For each new node: it moved, or stands inside something that moved."""
    found = [False] * len(new)
    for node in new:
        found[node.index] = node.index in moves or (node.parent != ROOT and found[node.parent])
    return found


def heaviest_increasing(values: list[int], weights: list[int]) -> set[int]:
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
