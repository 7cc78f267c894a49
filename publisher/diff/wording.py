"""How changes are put into words: citations, titles, move descriptions, classification notes.

Shared by the text, Markdown and HTML renderers so the three say the same thing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from publisher.diff.model import (
    CellChange,
    Change,
    ChangeKind,
    ChangeSet,
    FormatChange,
    InlineOp,
    MetaChange,
    OpTag,
    Override,
    Related,
)
from publisher.document import Clause

TITLES: dict[ChangeKind, str] = {
    "added": "Added",
    "removed": "Removed",
    "modified": "Modified",
    "moved": "Moved",
    "renumbered": "Renumbered",
    "restructured": "Restructured",
}

_SNIPPET_WORDS = 8
_EDGE = re.compile(r"^(\s*)(.*?)(\s*)$", re.DOTALL)


def _number_part(number: str) -> tuple[str, bool]:
    """``"B."`` -> ``("B", False)``; ``"(a)"``/``"a)"`` -> ``("(a)", True)`` (parenthesised)."""
    number = number.strip()
    if number.endswith(")"):
        return f"({number.strip('()').strip()})", True
    return number.rstrip(".").strip(), False


def extend_path(path: str, number: str | None) -> str:
    """The number path of a clause numbered ``number`` under a clause whose path is
    ``path``: ``("B", "3.")`` → ``B.3``, ``("B.3", "(a)")`` → ``B.3(a)``."""
    if not number:
        return path
    part, parenthesised = _number_part(number)
    if not part:
        return path
    return path + part if parenthesised or not path else f"{path}.{part}"


def number_path(chain: Sequence[Clause]) -> str:
    """The numbers of a clause and its ancestors as a reader cites them: ``B.3(a)``."""
    path = ""
    for clause in chain:
        path = extend_path(path, clause.number)
    return path


def snippet(text: str, words: int = _SNIPPET_WORDS) -> str:
    """The first few words of a text, quoted: ``“You must not send…”``."""
    parts = text.split()
    if not parts:
        return ""
    more = len(parts) > words
    return "“" + " ".join(parts[:words]) + ("…" if more else "") + "”"


def citation(chain: Sequence[Clause]) -> str:
    """How to cite the last clause of ``chain`` (ancestors first).

    Number path and heading ("B.3 Account Security"), or number path and the first words
    ("A.4 “"Customer Data" means…”"); a clause without a number of its own is placed in
    its parent ("B.3 Account Security › “You must keep…”", "6 › “sending messages…”",
    "Enforcement › “If we reasonably…”", and for a heading such as a bold lead-in
    "K.3 Billing Schedule › Invoicing": not a K.3 of its own) — except an unnumbered heading
    with no numbered ancestor, which is cited by its heading alone ("Enforcement").
    """
    clause = chain[-1]
    own = clause.heading or snippet(clause.text) or clause.id
    if clause.number or len(chain) == 1 or (clause.heading and not number_path(chain[:-1])):
        path = number_path(chain)
        return f"{path} {own}" if path else own
    parent = chain[-2]
    context = " ".join(p for p in (number_path(chain[:-1]), parent.heading) if p)
    if not context:
        context = next((c.heading for c in reversed(chain[:-1]) if c.heading), "")
    return f"{context} › {own}" if context else own


def short_citation(chain: Sequence[Clause]) -> str:
    """The shortest way to name a clause: its number path, else its heading, else its first
    words ("" for the document itself)."""
    if not chain:
        return ""
    return number_path(chain) or chain[-1].heading or snippet(chain[-1].text) or chain[-1].id


def body(change: Change) -> list[tuple[InlineOp, ...]]:
    """The paragraphs to show under a change's title, as inline ops.

    An addition or removal: its text and each implied descendant's (number, heading, text),
    all inserted or deleted (a removal merged into another clause: as it stands). A rewording: the word changes. A move without rewording: the
    text as it stands (so the reader sees what moved). A renumbering: nothing.
    """
    if change.kind in ("added", "removed"):
        # A clause merged into another kept its words: shown as they stand, like a move.
        tag: OpTag = "+" if change.kind == "added" else "=" if merged_away(change) else "-"
        texts = [change.clause.text] + [
            " ".join(p for p in (c.number, c.heading, c.text) if p) for c in change.implied
        ]
        return [((tag, text),) for text in texts if text]
    if change.kind == "restructured":
        return [change.inline] if change.inline else []
    if change.cells:
        return [cell_ops(cell) for cell in change.cells]
    if change.reworded and any(tag != "=" for tag, _ in change.inline):
        return [change.inline]
    if change.formatting and change.clause.text:
        return [(("=", change.clause.text),)]
    if change.kind == "moved" and change.clause.text:
        return [(("=", change.clause.text),)]
    return []


def split_edges(text: str) -> tuple[str, str, str]:
    """Leading whitespace, the rest, trailing whitespace: markers go around the middle."""
    match = _EDGE.match(text)
    assert match is not None
    return match.group(1), match.group(2), match.group(3)


def short_source(override: Override) -> str:
    """``"1a2b3c4d5e6f trailer"`` from ``"<full sha> trailer"``."""
    sha, _, rest = override.source.partition(" ")
    if len(sha) == 40:
        sha = sha[:12]
    return f"{sha} {rest}".strip()


def classification(change: Change) -> str:
    """``material``, ``editorial``, or ``editorial (override: 1a2b3c4d5e6f trailer)``."""
    value = "material" if change.material else "editorial"
    if change.override is not None:
        return f"{value} (override: Policy-Change in {short_source(change.override)})"
    return value


def move_note(change: Change) -> str:
    """Where a moved clause was: ``moved from E``, ``moved from 2 (Enforcement)``,
    ``moved from under 2``, ``moved from the top level``, ``reordered within B.3``."""
    assert change.old is not None
    old_path = change.old_path if change.old.number else None
    if not change.reparented:
        if old_path and old_path != change.path:
            return f"moved from {old_path}"
        return f"reordered within {change.old_place or 'the top level'}"
    if old_path:
        old_parent = change.old_parent
        if old_parent is not None and not old_parent.number and old_parent.heading:
            return f"moved from {old_path} ({old_parent.heading})"
        return f"moved from {old_path}"
    if not change.old_place:
        return "moved from the top level"
    if change.old_parent is not None and change.old_parent.heading:
        return f"moved from {change.old_place}"
    return f"moved from under {change.old_place}"


def renumber_note(change: Change) -> str | None:
    """``was B.4`` when the clause's number path changed (``was unnumbered`` when it had
    none)."""
    if change.old is None or change.new is None or change.old_path is None:
        return None
    if change.old_path == change.path:
        return None
    return f"was {change.old_path}" if change.old_path else "was unnumbered"


def conforming_note(change: Change) -> str | None:
    """``conforming change: reference follows renumbering (G → H)`` for a clause whose only
    other edits are editorial; ``reference follows renumbering (G → H)`` beside real edits."""
    if not change.conforming:
        return None
    refs = ", ".join(f"{old} → {new}" for old, new in change.conforming)
    follows = "references follow" if len(change.conforming) > 1 else "reference follows"
    note = f"{follows} renumbering ({refs})"
    return note if change.material else f"conforming change: {note}"


def _places(places: Sequence[str]) -> str:
    named = [f"under {p}" if p else "at the top level" for p in places]
    return named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]


def kept_note(change: Change) -> str | None:
    """``heading removed; its text now under C`` / ``heading added; its text was under I``."""
    if not change.kept_under:
        return None
    if change.kind == "removed":
        return f"heading removed; its text now {_places(change.kept_under)}"
    return f"heading added; its text was {_places(change.kept_under)}"


_RELATED = {
    "merged into": "merged into {}",
    "merged from": "merged in from {}",
    "split out of": "split out of {}",
    "split into": "part of its text now in {}",
}


def related_note(related: Related) -> str:
    """``merged into K.3 Billing › “For monthly…”``, ``split out of E.4 Exclusions``;
    ``part merged into …`` when the text is a descendant's, added or removed with it."""
    note = _RELATED[related.relation].format(related.citation)
    if related.via is not None and related.relation != "split into":
        note = "part " + note
    return note


def merged_away(change: Change) -> bool:
    """True for a removed clause whose own whole text now stands within another clause."""
    return change.kind == "removed" and any(
        r.relation == "merged into" and r.via is None for r in change.related
    )


def notes(change: Change) -> list[str]:
    """What a reader needs to know beside the change's title: where a moved clause was, its
    old number, where the text under a heading that came or went stands, the clauses its
    text was merged into or split out of, references that follow a renumbering."""
    found: list[str] = []
    if change.kind == "restructured":
        found.append(restructure_note(change))
        found.extend(form_notes(change))
    found.extend(format_note(f) for f in change.formatting)
    if change.kind == "restructured":
        return found
    if change.kind == "moved":
        found.append(move_note(change) + (", and reworded" if change.reworded else ""))
    else:
        renumbered = renumber_note(change)
        if renumbered:
            found.append(renumbered)
    kept = kept_note(change)
    if kept:
        found.append(kept)
    found.extend(related_note(r) for r in change.related)
    conforming = conforming_note(change)
    if conforming:
        found.append(conforming)
    return found


_SHAPES = {
    "split": "split",
    "merged": "merged",
    "re-wrapped": "re-wrapped",
    "reformatted": "reformatted",
}


def _ids(clauses: Sequence[Clause]) -> str:
    return ", ".join(c.id for c in clauses)


def restructure_note(change: Change) -> str:
    """``split from p2 into p2, p3, p4``, ``merged from p2, p3, p4 into p2``, ``re-wrapped:
    p2, p3 → p2, p3, p4``, ``reformatted: p2 → l1``; ``same words`` or ``with word
    changes``."""
    olds, news = change.old_clauses, change.new_clauses
    if change.shape == "split":
        note = f"split from {_ids(olds)} into {len(news)} clauses ({_ids(news)})"
    elif change.shape == "merged":
        note = f"{len(olds)} clauses ({_ids(olds)}) merged into {_ids(news)}"
    else:
        note = f"{_SHAPES[change.shape or 're-wrapped']}: {_ids(olds)} → {_ids(news)}"
    return note + ("; with word changes" if change.reworded else "; same words")


_FORM_NAMES = {
    "paragraph": "paragraph",
    "bullet": "list item",
    "item": "numbered item",
    "quote": "quotation",
    "section": "heading",
    "table": "table",
    "code": "code",
}


def form_notes(change: Change) -> list[str]:
    """``paragraph → list item``; ``heading “Fees” → bold lead-in`` and the reverse."""
    found: list[str] = []
    olds, news = change.old_clauses, change.new_clauses
    if len(olds) == 1 and len(news) == 1 and olds[0].kind != news[0].kind:
        found.append(f"{_FORM_NAMES[olds[0].kind]} → {_FORM_NAMES[news[0].kind]}")
    old_heads = {c.heading.casefold(): c for c in olds if c.heading}
    for clause in news:
        if not clause.heading:
            continue
        before = old_heads.get(clause.heading.casefold())
        if before is None or (before.kind == "section") == (clause.kind == "section"):
            continue
        if before.kind == "section":
            found.append(f"heading “{clause.heading}” → bold lead-in")
        else:
            found.append(f"bold lead-in “{clause.heading}” → heading")
    return found


def format_note(change: FormatChange) -> str:
    """``link “privacy policy”: https://a → https://b``, ``emphasis added: bold “must”``."""
    if change.kind == "link":
        if change.old is None:
            return f"link added to “{change.text}”: {change.new}"
        if change.new is None:
            return f"link removed from “{change.text}” (was {change.old})"
        return f"link target of “{change.text}” changed: {change.old} → {change.new}"
    if change.old is None:
        return f"emphasis added: {change.new} “{change.text}”"
    if change.new is None:
        return f"emphasis removed: {change.old} “{change.text}”"
    return f"emphasis changed: {change.old} → {change.new} “{change.text}”"


def cell_ops(cell: CellChange) -> tuple[InlineOp, ...]:
    """One table cell's change as ops, after a ``row “Basic”, column “Price”: `` lead."""
    lead: InlineOp = ("=", f"row “{cell.row}”, column “{cell.column}”: ")
    if cell.old is None:
        return (lead, ("+", cell.new or ""))
    if cell.new is None:
        return (lead, ("-", cell.old))
    return (lead, *cell.inline)


def heading(changes: ChangeSet) -> str:
    """``acceptable-use: v1 → v2``."""
    name = changes.policy or "policy"
    return f"{name}: {changes.old.display} → {changes.new.display}"


def meta_value(change: MetaChange, value: str | None) -> str:
    """A title in quotes, a date as it is, ``none`` for a missing one."""
    if value is None:
        return "none"
    return f"“{value}”" if change.field == "title" else value


def meta_line(change: MetaChange) -> str:
    """``effective date: 2025-01-06 → 2025-02-01``, ``title: “Old” → “New”``."""
    return f"{change.name}: {meta_value(change, change.old)} → {meta_value(change, change.new)}"
