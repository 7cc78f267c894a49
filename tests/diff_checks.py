"""Invariants of a clause diff, asserted by the property tests and over the real corpus."""

from __future__ import annotations

from collections import Counter

from publisher.diff.inline import new_text, old_text
from publisher.diff.model import ChangeSet
from publisher.diff.restructure import run_text
from publisher.document import Document


def assert_accounted(changes: ChangeSet, old: Document, new: Document) -> None:
    for side, document in (("old", old), ("new", new)):
        seen: Counter[str] = Counter()
        for old_id, new_id in changes.unchanged:
            seen[old_id if side == "old" else new_id] += 1
        for change in changes.changes:
            if change.kind == "restructured":  # a run: every clause on each side
                run = change.old_clauses if side == "old" else change.new_clauses
                seen.update(c.id for c in run)
                continue
            clause = change.old if side == "old" else change.new
            if clause is not None:
                seen[clause.id] += 1
            if (side == "old") == (change.kind == "removed"):
                seen.update(c.id for c in change.implied)
        ids = [c.id for c in document.walk()]
        assert sorted(seen) == sorted(ids), f"{side}: not accounted for, or unknown"
        assert all(n == 1 for n in seen.values()), f"{side}: counted twice: {seen}"


def assert_inline_rebuilds(changes: ChangeSet) -> None:
    for change in changes.changes:
        if change.kind == "restructured":
            assert old_text(change.inline) == run_text(change.old_clauses)
            assert new_text(change.inline) == run_text(change.new_clauses)
            continue
        old = change.old.text if change.old else ""
        new = change.new.text if change.new else ""
        assert old_text(change.inline) == old
        assert new_text(change.inline) == new
        if change.heading_inline:
            assert old_text(change.heading_inline) == ((change.old and change.old.heading) or "")
            assert new_text(change.heading_inline) == ((change.new and change.new.heading) or "")
