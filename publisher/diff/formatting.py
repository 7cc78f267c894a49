"""What a clause's plain text hides: link targets, emphasis and table cells. Pure.

* A link whose words stayed but whose target changed (or words that became a link, or
  stopped being one) is a :class:`~publisher.diff.model.FormatChange` of kind ``link``:
  material by default, since it can point to another policy.
* Words made bold or italic, or no longer so, are one of kind ``emphasis``: editorial.
* A table that changed is compared cell by cell: rows are matched by their first cell (the
  row's name), columns by their header, so a reader sees "row “Basic”, column “Price”:
  5 → 7" rather than a rewritten line of flattened text.

A clause matched unchanged whose links or emphasis changed becomes a ``modified`` change
with ``reworded`` false and only ``formatting`` set.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from publisher.diff.flat import Flat
from publisher.diff.inline import word_diff
from publisher.diff.model import CellChange, Change, FormatChange
from publisher.diff.restructure import own_text
from publisher.document import Clause


def format_changes(before: Clause, after: Clause) -> tuple[FormatChange, ...]:
    """Link-target and emphasis changes on words both clauses carry."""
    old_text, new_text = own_text(before), own_text(after)
    found: list[FormatChange] = []
    old_links: dict[str, str] = {}
    new_links: dict[str, str] = {}
    for text, url in before.links:
        old_links.setdefault(text, url)
    for text, url in after.links:
        new_links.setdefault(text, url)
    for text in dict.fromkeys([*old_links, *new_links]):
        a, b = old_links.get(text), new_links.get(text)
        if a != b and text and text in old_text and text in new_text:
            found.append(FormatChange("link", text, a, b))
    old_marks, new_marks = Counter(before.emphasis), Counter(after.emphasis)
    gone = {text: style for style, text in old_marks - new_marks if text in new_text}
    came = {text: style for style, text in new_marks - old_marks if text in old_text}
    for text in dict.fromkeys([*gone, *came]):
        found.append(FormatChange("emphasis", text, gone.get(text), came.get(text)))
    return tuple(found)


def cell_changes(before: Clause, after: Clause) -> tuple[CellChange, ...]:
    """The cells of two tables that differ, rows by first cell, columns by header."""
    if not before.cells or not after.cells:
        return ()
    old_head, *old_rows = before.cells
    new_head, *new_rows = after.cells
    columns = _columns(old_head, new_head)
    found: list[CellChange] = []
    new_by_key: dict[str, tuple[str, ...]] = {}
    for row in new_rows:
        new_by_key.setdefault(row[0] if row else "", row)
    seen: set[str] = set()
    for row in old_rows:
        key = row[0] if row else ""
        if key in seen:
            continue
        seen.add(key)
        partner = new_by_key.get(key)
        for name, a, b in columns:
            old_cell = row[a] if a is not None and a < len(row) else None
            new_cell = (
                partner[b] if partner is not None and b is not None and b < len(partner) else None
            )
            if old_cell != new_cell:
                found.append(
                    CellChange(
                        key, name, old_cell, new_cell, word_diff(old_cell or "", new_cell or "")
                    )
                )
    for row in new_rows:
        key = row[0] if row else ""
        if key in seen:
            continue
        seen.add(key)
        for name, _, b in columns:
            if b is not None and b < len(row):
                found.append(CellChange(key, name, None, row[b], word_diff("", row[b])))
    return tuple(found)


def _columns(old: Sequence[str], new: Sequence[str]) -> list[tuple[str, int | None, int | None]]:
    """(header, old position, new position) per column: by header, else by position."""
    out: list[tuple[str, int | None, int | None]] = []
    new_at = {name: k for k, name in reversed(list(enumerate(new)))}
    used: set[int] = set()
    for k, name in enumerate(old):
        b = new_at.get(name)
        if b is None and k < len(new) and new[k] not in old:
            b = k  # renamed header in the same place
        if b is not None:
            used.add(b)
        out.append((new[b] if b is not None else name, k, b))
    out.extend((name, None, k) for k, name in enumerate(new) if k not in used)
    return out


def with_formatting(change: Change) -> Change:
    """``change`` with its formatting and table-cell changes filled in."""
    if change.old is None or change.new is None or change.kind == "restructured":
        return change
    formatting = format_changes(change.old, change.new)
    cells = (
        cell_changes(change.old, change.new)
        if change.old.kind == change.new.kind == "table" and change.reworded
        else ()
    )
    if not formatting and not cells:
        return change
    return replace(change, formatting=formatting, cells=cells)


def marked(
    old: Flat, new: Flat, unchanged: Sequence[tuple[str, str]]
) -> tuple[list[tuple[int, Change]], list[tuple[str, str]]]:
    """Clauses matched unchanged whose links or emphasis changed: ``modified`` changes
    (with the new index each stands at), and the pairs that stay unchanged."""
    found: list[tuple[int, Change]] = []
    kept: list[tuple[str, str]] = []
    for a, b in unchanged:
        i, j = old.index[a], new.index[b]
        before, after = old.clauses[i], new.clauses[j]
        if before.links == after.links and before.emphasis == after.emphasis:
            kept.append((a, b))
            continue
        formatting = format_changes(before, after)
        if not formatting:
            kept.append((a, b))
            continue
        up_old, up_new = old.parent[i], new.parent[j]
        found.append(
            (
                j,
                Change(
                    kind="modified",
                    material=True,
                    old=before,
                    new=after,
                    inline=word_diff(before.text, after.text),
                    formatting=formatting,
                    old_parent=old.clauses[up_old] if up_old >= 0 else None,
                    new_parent=new.clauses[up_new] if up_new >= 0 else None,
                    section=new.section(j),
                    citation=new.citation(j),
                    old_citation=old.citation(i),
                    path=new.path(j),
                    old_path=old.path(i),
                ),
            )
        )
    return found, kept
