"""The JSON form of a change set: DESIGN's contract (``publisher diff --format json``).

Required keys: ``policy``, ``old``/``new`` (``rev``, ``version``, ``sha256``), ``summary``
(counts per kind, material, editorial; extra: ``reworded``, the changes whose text changed
whatever their kind, so a moved-and-reworded clause shows) and ``changes`` (``kind``, ``material``, ``old``/``new``
clause or null, ``inline``). Extras: the sides' ``title`` and ``effective`` (front matter,
``YYYY-MM-DD`` or null), ``meta_changes`` (``field``: ``title``/``effective``, ``old``,
``new``: changes outside the clauses, not counted in the summary); each clause's ``kind``, ``anchor`` and ``lines``; per
change ``reworded``, ``renumbered``, ``section``, ``heading_inline`` (when the heading
changed), ``implied`` (descendants added or removed with the clause), ``old_parent`` /
``new_parent`` (ids; null = the document), ``override`` (``value``, ``source``) or null,
``conforming`` (``old``/``new`` references that only follow a renumbering), ``kept_under``
(for a bare heading that came or went: where the text under it stands) and ``related``
(``relation``: merged into/from, split out of/into; the other clause's ``id`` and
``citation``, and ``via``: the id of the implied clause that holds the text, or null) when
there are. A ``restructured`` change adds ``shape`` (split, merged, re-wrapped,
reformatted) and ``old_clauses``/``new_clauses`` (every clause of the run; ``old``/``new``
are the first of each); a change may carry ``formatting`` (``kind`` link/emphasis, ``text``,
``old``, ``new``: URLs or bold/italic, null where there was none) and a table's ``cells``
(``row``, ``column``, ``old``, ``new``, ``inline``). ``meta_changes`` items of ``field``
``line`` (a "Last updated: …" line whose date alone changed) carry the line's ``label``.

The compact form (``compact=True``; ``publisher diff --format json --compact``, the site's
``/api/<slug>/changes/<old>..<new>.json``) says ``"compact": true`` and does not repeat
clause texts, which the versions' own JSON holds: each clause is ``id``, ``number``,
``kind``, ``anchor``, ``lines`` and ``sha256`` (of its ``text``, UTF-8), and in ``inline``
an unchanged run is ``["=", n]``, its length in characters, whenever the old clause's text
is the unchanged and deleted runs in order (and the new one's the unchanged and inserted),
so the runs can be cut out of the two texts.
"""

from __future__ import annotations

import hashlib
from typing import Any

from publisher.diff.model import Change, ChangeSet, Side
from publisher.document import Clause


def clause_to_json(clause: Clause | None, *, compact: bool = False) -> dict[str, Any] | None:
    if clause is None:
        return None
    if compact:
        return {
            "id": clause.id,
            "number": clause.number,
            "kind": clause.kind,
            "anchor": clause.anchor,
            "lines": list(clause.lines),
            "sha256": hashlib.sha256(clause.text.encode("utf-8")).hexdigest(),
        }
    return {
        "id": clause.id,
        "number": clause.number,
        "heading": clause.heading,
        "text": clause.text,
        "kind": clause.kind,
        "anchor": clause.anchor,
        "lines": list(clause.lines),
    }


def _spells_out(change: Change) -> bool:
    """Whether the old and new clause texts are the inline runs in order (see compact)."""
    old, new = change.old, change.new
    if old is None or new is None:
        return False
    ops = change.inline
    return (
        "".join(t for tag, t in ops if tag != "+") == old.text
        and "".join(t for tag, t in ops if tag != "-") == new.text
    )


def _inline(change: Change, compact: bool) -> list[list[Any]]:
    if compact and _spells_out(change):
        return [[tag, len(text) if tag == "=" else text] for tag, text in change.inline]
    return [[tag, text] for tag, text in change.inline]


def change_to_json(change: Change, *, compact: bool = False) -> dict[str, Any]:
    """One change as a JSON-ready dict (``compact``: clauses by id and hash)."""

    def clause(c: Clause | None) -> dict[str, Any] | None:
        return clause_to_json(c, compact=compact)

    data: dict[str, Any] = {
        "kind": change.kind,
        "material": change.material,
        "old": clause(change.old),
        "new": clause(change.new),
        "inline": _inline(change, compact),
        "reworded": change.reworded,
        "renumbered": change.renumbered,
        "section": change.section,
        "override": (
            {
                "value": change.override.value,
                "source": change.override.source,
                "clause": change.override.clause,
            }
            if change.override
            else None
        ),
    }
    if change.kind == "restructured":
        data["shape"] = change.shape
        data["old_clauses"] = [clause(c) for c in change.old_clauses]
        data["new_clauses"] = [clause(c) for c in change.new_clauses]
    if change.formatting:
        data["formatting"] = [
            {"kind": f.kind, "text": f.text, "old": f.old, "new": f.new} for f in change.formatting
        ]
    if change.cells:
        data["cells"] = [
            {
                "row": c.row,
                "column": c.column,
                "old": c.old,
                "new": c.new,
                "inline": [[tag, text] for tag, text in c.inline],
            }
            for c in change.cells
        ]
    if change.related:
        data["related"] = [
            {"relation": r.relation, "id": r.clause, "citation": r.citation, "via": r.via}
            for r in change.related
        ]
    if change.kept_under:
        data["kept_under"] = list(change.kept_under)
    if change.conforming:
        data["conforming"] = [{"old": old, "new": new} for old, new in change.conforming]
    if change.heading_inline:
        data["heading_inline"] = [[tag, text] for tag, text in change.heading_inline]
    if change.implied:
        data["implied"] = [clause(c) for c in change.implied]
    if change.kind == "moved" or change.old_parent is not None or change.new_parent is not None:
        data["old_parent"] = change.old_parent.id if change.old_parent else None
        data["new_parent"] = change.new_parent.id if change.new_parent else None
    return data


def _side(side: Side) -> dict[str, Any]:
    return {
        "rev": side.rev,
        "version": side.version,
        "sha256": side.sha256,
        "title": side.title,
        "effective": side.effective.isoformat() if side.effective else None,
    }


def render_json(
    changes: ChangeSet, *, material_only: bool = False, compact: bool = False
) -> dict[str, Any]:
    """The change set as one JSON-ready dict (``json.dumps`` it); ``compact``: clauses by
    id and hash, without their texts (see the module's doc)."""
    data = {
        "policy": changes.policy,
        "old": _side(changes.old),
        "new": _side(changes.new),
        "summary": changes.summary.as_dict(),
        "meta_changes": [
            {
                "field": m.field,
                "old": m.old,
                "new": m.new,
                **({"label": m.label} if m.label else {}),
            }
            for m in changes.meta_changes
        ],
        "material_only": material_only,
        "changes": [
            change_to_json(c, compact=compact) for c in changes.listed(material_only=material_only)
        ],
    }
    if compact:
        data["compact"] = True
    return data
