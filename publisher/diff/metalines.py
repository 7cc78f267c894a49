"""Metadata lines in the text: "Last updated: …", "Effective date: …", "Last modified …".

Policies carry their date in a line of the text as often as in front matter. When only the
date on such a line changed, that is no clause change a lawyer would list: it goes to the
change set's ``meta_changes`` (field ``line``, the line's label as written), which every
renderer shows, and out of the clause changes. A line whose label changed, or that says more
than a date, stays a clause change.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from publisher.diff.model import Change, MetaChange
from publisher.diff.restructure import own_text
from publisher.document import Clause

_LINE = re.compile(
    r"(?P<label>(?:last|date\s+of\s+last)\s+(?:updated|modified|revised|changed|update|"
    r"revision|modification)(?:\s+on)?|effective(?:\s+date|\s+as\s+of|\s+from|\s+on)?|"
    r"(?:updated|revised|modified)(?:\s+on)?|version\s+date)"
    r"\s*[:.\-–—]?\s+(?P<value>\S.{0,60})",
    re.IGNORECASE,
)
_MAX_VALUE_WORDS = 6


def meta_line(clause: Clause) -> tuple[str, str] | None:
    """``("Last updated", "March 1, 2025")`` for a metadata line, else None."""
    if clause.kind not in ("paragraph", "section", "bullet", "quote") or clause.children:
        return None
    match = _LINE.fullmatch(own_text(clause).strip())
    if match is None:
        return None
    value = match.group("value").strip().rstrip(".")
    if not any(ch.isdigit() for ch in value) or len(value.split()) > _MAX_VALUE_WORDS:
        return None
    return " ".join(match.group("label").split()), value


def _same_label(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()


def extract(
    changes: Sequence[Change],
) -> tuple[list[Change], list[MetaChange], list[tuple[str, str]]]:
    """The changes without those that only changed a metadata line's date, those as meta
    changes, and the (old id, new id) pairs of those lines (no clause change now)."""
    meta: list[MetaChange] = []
    dropped: set[int] = set()
    pairs: list[tuple[str, str]] = []
    removed: dict[str, int] = {}
    added: dict[str, int] = {}
    for position, change in enumerate(changes):
        old = meta_line(change.old) if change.old is not None else None
        new = meta_line(change.new) if change.new is not None else None
        if (
            change.kind in ("modified", "restructured")
            and old
            and new
            and _same_label(old[0], new[0])
            and len(change.old_clauses) <= 1
            and len(change.new_clauses) <= 1
        ):
            if old[1] != new[1]:
                meta.append(MetaChange("line", old[1], new[1], label=new[0]))
            dropped.add(position)
            pairs.append((change.old.id, change.new.id))  # type: ignore[union-attr]
        elif change.kind == "removed" and old and not change.implied:
            removed.setdefault(old[0].casefold(), position)
        elif change.kind == "added" and new and not change.implied:
            added.setdefault(new[0].casefold(), position)
    for label, position in removed.items():
        other = added.get(label)
        if other is None:
            continue
        before, after = changes[position].old, changes[other].new
        assert before is not None and after is not None
        old, new = meta_line(before), meta_line(after)
        assert old is not None and new is not None
        meta.append(MetaChange("line", old[1], new[1], label=new[0]))
        dropped.update((position, other))
        pairs.append((before.id, after.id))
    return [c for k, c in enumerate(changes) if k not in dropped], meta, pairs
