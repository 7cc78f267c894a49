"""The passes after the clause alignment, in order: restructured runs
(:mod:`.restructure`), clauses whose only change is their form, links or emphasis
(:mod:`.formatting`), table cells, then metadata lines (:mod:`.metalines`). Pure."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence

from publisher.diff import formatting, metalines, restructure
from publisher.diff.flat import Flat
from publisher.diff.model import Change, MetaChange
from publisher.document import Document


def refine(
    old_document: Document,
    new_document: Document,
    changes: Sequence[Change],
    unchanged: Sequence[tuple[str, str]],
) -> tuple[list[Change], list[tuple[str, str]], list[MetaChange]]:
    """The aligned changes made right: (changes in document order, unchanged pairs, meta
    changes of metadata lines)."""
    old, new = Flat.of(old_document), Flat.of(new_document)
    found = restructure.restructure(old, new, changes, unchanged)
    reformatted, kept = restructure.reformatted(old, new, unchanged)
    marked, kept = formatting.marked(old, new, kept)
    found = [formatting.with_formatting(c) for c in found]
    if reformatted or marked:
        found = _insert(old, new, found, [*reformatted, *marked], kept)
    found, meta, lines = metalines.extract(found)
    return found, [*kept, *lines], meta


def _insert(
    old: Flat,
    new: Flat,
    changes: list[Change],
    extra: list[tuple[int, Change]],
    unchanged: Sequence[tuple[str, str]],
) -> list[Change]:
    """``changes`` with ``extra`` (new index, change) put in document order: a change with a
    new side stands at its new index, a removal after the new partner of the clause before
    it."""
    partner = {old.index[a]: new.index[b] for a, b in unchanged}
    for change in changes:
        if change.old is not None and change.new is not None:
            partner[old.index[change.old.id]] = new.index[change.new.id]
    for _, change in extra:
        assert change.old is not None
        partner[old.index[change.old.id]] = new.index[change.new.id] if change.new else -1
    paired = sorted(partner)
    keyed: list[tuple[float, int, Change]] = []
    for seq, change in enumerate(changes):
        if change.new is not None:
            key = float(new.index[change.new.id])
        else:
            assert change.old is not None
            at = bisect_left(paired, old.index[change.old.id])
            key = (partner[paired[at - 1]] if at else -1) + 0.5
        keyed.append((key, seq, change))
    keyed.extend((float(j), -1, change) for j, change in extra)
    keyed.sort(key=lambda item: (item[0], item[1]))
    return [change for _, _, change in keyed]
