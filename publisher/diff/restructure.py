"""Restructuring is not rewording: text split, merged or re-wrapped across clauses.

The alignment (:mod:`.align`) pairs clauses; when a commit splits one paragraph into three,
merges three into one or re-wraps a run of paragraphs, the clause pairs it finds are a poor
account of it (one "modified" and two "added", though not a word changed). This pass, run
over the aligned change list, aligns the *text stream* as well:

1. The clauses that did not change (and those only renumbered) are anchors; the longest run
   of them in reading order cuts both revisions into gaps. What the changes touch (removed,
   added, modified or moved within one gap, with the descendants added or removed with them)
   is in the gaps.
2. In each gap the words of the old clauses (heading and text, in document order, in their
   editorial form: case, punctuation, quote style and spelling variants ignored) are diffed
   against the new clauses' words (difflib, over interned words). A stretch of at least
   :data:`MIN_BLOCK` common words (or a whole clause) ties the clauses it lies in; clauses
   of one change are tied too. Each set of tied clauses is a candidate.
3. A candidate whose two sides carry the same words is one ``restructured`` change
   (editorial): a ``split``, ``merged``, ``re-wrapped`` or ``reformatted`` run, listing the
   clauses on each side. One whose words are nearly the same (difflib ratio at least
   :data:`NEARLY`) is one ``restructured`` change too, whose ``inline`` shows only the real
   word changes across the run (material unless they are editorial) — unless a clause on
   one side shares none of its words (a new section heading over split-off text: then the
   alignment's "modified" and "added … split out of" say it better). The changes it stands
   for are dropped; anything else stays as the alignment found it.

A clause matched unchanged except for its form (a paragraph made a list item or a quote,
and back) is a ``reformatted`` restructuring as well (editorial, shown): :func:`reformatted`.

Pure: documents and changes in, changes out.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Sequence
from difflib import SequenceMatcher

from rapidfuzz.distance import LCSseq

from publisher.diff.classify import editorial_form
from publisher.diff.flat import Flat
from publisher.diff.inline import word_diff
from publisher.diff.model import Change, Shape
from publisher.document import Clause

NEARLY = 0.9
"""Minimum difflib ratio of two runs' words for them to be one restructuring with edits."""
MIN_BLOCK = 3
"""Common words that tie two clauses (fewer tie them only when they are a whole clause)."""
MAX_GAP_WORDS = 40_000
"""Gaps with more words than this on both sides together are left as they are (a rewrite)."""

_PARTICIPANTS = frozenset({"added", "removed", "modified", "moved"})
_FORMS = frozenset({"paragraph", "bullet", "item", "quote"})


def clause_words(clause: Clause) -> list[str]:
    """The clause's own heading and text as editorial-form words (numbers left out)."""
    return editorial_form(own_text(clause)).split()


def own_text(clause: Clause) -> str:
    return " ".join(p for p in (clause.heading, clause.text) if p)


def run_text(clauses: Sequence[Clause]) -> str:
    """The text of a run of clauses as one stream: each one's heading (ended with a full
    stop, as a lead-in reads) and text."""
    parts: list[str] = []
    for clause in clauses:
        if clause.heading:
            ends = clause.heading[-1] in ".:;?!"
            parts.append(
                clause.heading
                if ends or (not clause.text and clause is clauses[-1])
                else clause.heading + "."
            )
        if clause.text:
            parts.append(clause.text)
    return " ".join(parts)


def shape_of(olds: Sequence[Clause], news: Sequence[Clause]) -> Shape:
    if len(olds) == 1 and len(news) == 1:
        return "reformatted"
    if len(olds) == 1:
        return "split"
    if len(news) == 1:
        return "merged"
    return "re-wrapped"


def make_change(old: Flat, new: Flat, olds: Sequence[int], news: Sequence[int]) -> Change:
    """The ``restructured`` change for old clauses ``olds`` and new clauses ``news``
    (indices, document order); ``material`` is a placeholder (see :mod:`.classify`)."""
    old_clauses = tuple(old.clauses[i] for i in olds)
    new_clauses = tuple(new.clauses[j] for j in news)
    old_text, new_text = run_text(old_clauses), run_text(new_clauses)
    first_old, first_new = olds[0], news[0]
    return Change(
        kind="restructured",
        material=True,
        old=old_clauses[0],
        new=new_clauses[0],
        inline=word_diff(old_text, new_text),
        same_words=editorial_form(old_text) == editorial_form(new_text),
        old_clauses=old_clauses,
        new_clauses=new_clauses,
        shape=shape_of(old_clauses, new_clauses),
        section=new.section(first_new),
        citation=new.citation(first_new),
        old_citation=old.citation(first_old),
        path=new.path(first_new),
        old_path=old.path(first_old),
        old_parent=old.clauses[old.parent[first_old]] if old.parent[first_old] >= 0 else None,
        new_parent=new.clauses[new.parent[first_new]] if new.parent[first_new] >= 0 else None,
    )


class _Union:
    def __init__(self) -> None:
        self.up: dict[tuple[str, int], tuple[str, int]] = {}

    def find(self, key: tuple[str, int]) -> tuple[str, int]:
        up = self.up
        root = key
        while up.get(root, root) != root:
            root = up[root]
        while key != root:
            key, up[key] = up.get(key, key), root
        return root

    def join(self, a: tuple[str, int], b: tuple[str, int]) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.up[ra] = rb


def _in_order(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest chain of (old, new) pairs increasing on both sides (patience sort)."""
    pairs.sort(key=lambda p: p[1])
    tails: list[int] = []
    tail_at: list[int] = []
    back = [-1] * len(pairs)
    for k, (i, _) in enumerate(pairs):
        at = bisect_left(tails, i)
        if at == len(tails):
            tails.append(i)
            tail_at.append(k)
        else:
            tails[at], tail_at[at] = i, k
        back[k] = tail_at[at - 1] if at else -1
    chain: list[tuple[int, int]] = []
    k = tail_at[-1] if tail_at else -1
    while k >= 0:
        chain.append(pairs[k])
        k = back[k]
    return chain[::-1]


def restructure(
    old: Flat, new: Flat, changes: Sequence[Change], unchanged: Sequence[tuple[str, str]]
) -> list[Change]:
    """``changes`` with each run of clauses that only restructured text made one
    ``restructured`` change (module doc)."""
    members: dict[int, tuple[list[int], list[int]]] = {}
    anchors = [(old.index[a], new.index[b]) for a, b in unchanged]
    for position, change in enumerate(changes):
        if change.kind == "renumbered" and change.old and change.new:
            anchors.append((old.index[change.old.id], new.index[change.new.id]))
        if change.kind not in _PARTICIPANTS:
            continue
        olds = [
            old.index[c.id]
            for c in _with_implied(change.old, change.implied, change.kind == "removed")
        ]
        news = [
            new.index[c.id]
            for c in _with_implied(change.new, change.implied, change.kind == "added")
        ]
        members[position] = (olds, news)
    if not any(o for o, _ in members.values()) or not any(n for _, n in members.values()):
        return list(changes)
    chain = _in_order(anchors)
    old_cuts, new_cuts = [i for i, _ in chain], [j for _, j in chain]
    gaps: dict[int, list[int]] = defaultdict(list)
    for position, (olds, news) in members.items():
        places = {bisect_right(old_cuts, i) for i in olds} | {
            bisect_right(new_cuts, j) for j in news
        }
        if len(places) == 1:  # a change reaching across gaps (a real move) stays as it is
            gaps[places.pop()].append(position)
    replaced: dict[int, Change | None] = {}
    for positions in gaps.values():
        for found, covered in _runs(old, new, [members[p] for p in positions], positions):
            replaced[covered[0]] = found
            replaced.update((p, None) for p in covered[1:])
    if not replaced:
        return list(changes)
    out: list[Change] = []
    for position, change in enumerate(changes):
        if position in replaced:
            instead = replaced[position]
            if instead is not None:
                out.append(instead)
        else:
            out.append(change)
    return out


def _with_implied(clause: Clause | None, implied: Sequence[Clause], whole: bool) -> list[Clause]:
    if clause is None:
        return []
    return [clause, *implied] if whole else [clause]


def _runs(
    old: Flat, new: Flat, parts: list[tuple[list[int], list[int]]], positions: list[int]
) -> list[tuple[Change, list[int]]]:
    """The restructured runs in one gap: (change, positions of the changes it replaces)."""
    olds = sorted({i for o, _ in parts for i in o})
    news = sorted({j for _, n in parts for j in n})
    if not olds or not news:
        return []
    words: dict[str, int] = {}
    old_words = {
        i: [words.setdefault(w, len(words)) for w in clause_words(old.clauses[i])] for i in olds
    }
    new_words = {
        j: [words.setdefault(w, len(words)) for w in clause_words(new.clauses[j])] for j in news
    }
    a, a_owner = _stream(olds, old_words)
    b, b_owner = _stream(news, new_words)
    if not a or not b or len(a) + len(b) > MAX_GAP_WORDS:
        return []
    union = _Union()
    for position, (o, n) in zip(positions, parts, strict=True):
        for i in o:
            union.join(("o", i), ("c", position))
        for j in n:
            union.join(("n", j), ("c", position))
    for a0, b0, size in LCSseq.opcodes(a, b).as_matching_blocks():
        if not size:
            continue
        if size < MIN_BLOCK and not (
            _whole(a_owner, old_words, a0, size) or _whole(b_owner, new_words, b0, size)
        ):
            continue
        for t in range(size):
            union.join(("o", a_owner[a0 + t]), ("n", b_owner[b0 + t]))
    groups: dict[tuple[str, int], tuple[list[int], list[int], list[int]]] = {}
    for key in [("o", i) for i in olds] + [("n", j) for j in news] + [("c", p) for p in positions]:
        group = groups.setdefault(union.find(key), ([], [], []))
        group[{"o": 0, "n": 1, "c": 2}[key[0]]].append(key[1])
    found: list[tuple[Change, list[int]]] = []
    for group_old, group_new, covered in groups.values():
        if not group_old or not group_new or not covered:
            continue
        if len(group_old) == 1 and len(group_new) == 1 and len(covered) == 1:
            continue  # one clause paired with one: the alignment's own account stands
        group_old.sort()
        group_new.sort()
        run_a, owner_a = _stream(group_old, old_words)
        run_b, owner_b = _stream(group_new, new_words)
        if run_a != run_b and not _nearly(run_a, owner_a, run_b, owner_b):
            continue
        found.append((make_change(old, new, group_old, group_new), sorted(covered)))
    return found


def _nearly(a: list[int], owner_a: list[int], b: list[int], owner_b: list[int]) -> bool:
    """True when two runs carry nearly the same words and every clause on each side keeps
    some of its words (a clause wholly new, such as a new section's heading, is an addition:
    the alignment's account, with its "split out of" note, stands)."""
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.ratio() < NEARLY:
        return False
    kept_a: set[int] = set()
    kept_b: set[int] = set()
    for a0, b0, size in matcher.get_matching_blocks():
        kept_a.update(owner_a[a0 : a0 + size])
        kept_b.update(owner_b[b0 : b0 + size])
    return kept_a == set(owner_a) and kept_b == set(owner_b)


def _stream(indices: list[int], words: dict[int, list[int]]) -> tuple[list[int], list[int]]:
    stream: list[int] = []
    owner: list[int] = []
    for k in indices:
        stream.extend(words[k])
        owner.extend([k] * len(words[k]))
    return stream, owner


def _whole(owner: list[int], words: dict[int, list[int]], start: int, size: int) -> bool:
    """True when the block covers every word of the clause it starts in."""
    clause = owner[start]
    first = start
    while first > 0 and owner[first - 1] == clause:
        first -= 1
    return first == start and len(words[clause]) <= size


def reformatted(
    old: Flat, new: Flat, unchanged: Sequence[tuple[str, str]]
) -> tuple[list[tuple[int, Change]], list[tuple[str, str]]]:
    """Clauses matched unchanged whose form changed (a paragraph made a list item, or
    back): ``reformatted`` restructurings, with the new index each stands at, and the
    pairs that stay unchanged."""
    found: list[tuple[int, Change]] = []
    kept: list[tuple[str, str]] = []
    for a, b in unchanged:
        i, j = old.index[a], new.index[b]
        before, after = old.clauses[i], new.clauses[j]
        if before.kind != after.kind and before.kind in _FORMS and after.kind in _FORMS:
            found.append((j, make_change(old, new, [i], [j])))
        else:
            kept.append((a, b))
    return found, kept
