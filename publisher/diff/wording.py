"""How changes are put into words: citations, titles, move descriptions, classification notes.

Shared by the text, Markdown and HTML renderers so the three say the same thing. The
functions that put a change into words take ``gettext`` (default: English as written), so the
HTML redline of a translated site page says them in the page's language; their msgids are
extracted by :mod:`publisher.i18n.extract`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from gettext import NullTranslations
from typing import Protocol

from publisher.diff.model import (
    KINDS,
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
    Summary,
)
from publisher.document import Clause

Gettext = Callable[[str], str]
"""Translates a msgid (``gettext.NullTranslations().gettext`` and Babel's alike)."""


def english(message: str) -> str:
    """The msgid as it is: English."""
    return message


def N_(message: str) -> str:
    """Marks a msgid for extraction (translated where it is used)."""
    return message


class Translator(Protocol):
    """Translates msgids, with plurals (``gettext.NullTranslations`` and Babel's alike)."""

    def gettext(self, message: str, /) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int, /) -> str: ...


ENGLISH: Translator = NullTranslations()
"""The msgids as they are."""


TITLES: dict[ChangeKind, str] = {
    "added": N_("Added"),
    "removed": N_("Removed"),
    "modified": N_("Modified"),
    "moved": N_("Moved"),
    "renumbered": N_("Renumbered"),
    "restructured": N_("Restructured"),
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


def body(change: Change, gettext: Gettext = english) -> list[tuple[InlineOp, ...]]:
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
        return [cell_ops(cell, gettext) for cell in change.cells]
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


def classification(change: Change, gettext: Gettext = english) -> str:
    """``material``, ``editorial``, or ``editorial (override: 1a2b3c4d5e6f trailer)``."""
    value = gettext("material") if change.material else gettext("editorial")
    if change.override is not None:
        return gettext("%(class)s (override: Policy-Change in %(source)s)") % {
            "class": value,
            "source": short_source(change.override),
        }
    return value


def move_note(change: Change, gettext: Gettext = english) -> str:
    """Where a moved clause was: ``moved from E``, ``moved from 2 (Enforcement)``,
    ``moved from under 2``, ``moved from the top level``, ``reordered within B.3``."""
    assert change.old is not None
    old_path = change.old_path if change.old.number else None
    if not change.reparented:
        if old_path and old_path != change.path:
            return gettext("moved from %(place)s") % {"place": old_path}
        if not change.old_place:
            return gettext("reordered within the top level")
        return gettext("reordered within %(place)s") % {"place": change.old_place}
    if old_path:
        old_parent = change.old_parent
        if old_parent is not None and not old_parent.number and old_parent.heading:
            return gettext("moved from %(place)s (%(heading)s)") % {
                "place": old_path,
                "heading": old_parent.heading,
            }
        return gettext("moved from %(place)s") % {"place": old_path}
    if not change.old_place:
        return gettext("moved from the top level")
    if change.old_parent is not None and change.old_parent.heading:
        return gettext("moved from %(place)s") % {"place": change.old_place}
    return gettext("moved from under %(place)s") % {"place": change.old_place}


def renumber_note(change: Change, gettext: Gettext = english) -> str | None:
    """``was B.4`` when the clause's number path changed (``was unnumbered`` when it had
    none)."""
    if change.old is None or change.new is None or change.old_path is None:
        return None
    if change.old_path == change.path:
        return None
    if not change.old_path:
        return gettext("was unnumbered")
    return gettext("was %(number)s") % {"number": change.old_path}


def conforming_note(change: Change, gettext: Gettext = english) -> str | None:
    """``conforming change: reference follows renumbering (G → H)`` for a clause whose only
    other edits are editorial; ``reference follows renumbering (G → H)`` beside real edits."""
    if not change.conforming:
        return None
    refs = ", ".join(f"{old} → {new}" for old, new in change.conforming)
    if len(change.conforming) > 1:
        note = gettext("references follow renumbering (%(refs)s)") % {"refs": refs}
    else:
        note = gettext("reference follows renumbering (%(refs)s)") % {"refs": refs}
    return note if change.material else gettext("conforming change: %(note)s") % {"note": note}


def _places(places: Sequence[str], gettext: Gettext = english) -> str:
    named = [
        gettext("under %(place)s") % {"place": p} if p else gettext("at the top level")
        for p in places
    ]
    if len(named) == 1:
        return named[0]
    return gettext("%(places)s and %(last)s") % {"places": ", ".join(named[:-1]), "last": named[-1]}


def kept_note(change: Change, gettext: Gettext = english) -> str | None:
    """``heading removed; its text now under C`` / ``heading added; its text was under I``."""
    if not change.kept_under:
        return None
    places = _places(change.kept_under, gettext)
    if change.kind == "removed":
        return gettext("heading removed; its text now %(places)s") % {"places": places}
    return gettext("heading added; its text was %(places)s") % {"places": places}


_RELATED = {
    "merged into": N_("merged into %(clause)s"),
    "merged from": N_("merged in from %(clause)s"),
    "split out of": N_("split out of %(clause)s"),
    "split into": N_("part of its text now in %(clause)s"),
}
_RELATED_PART = {
    "merged into": N_("part merged into %(clause)s"),
    "merged from": N_("part merged in from %(clause)s"),
    "split out of": N_("part split out of %(clause)s"),
}


def related_note(related: Related, gettext: Gettext = english) -> str:
    """``merged into K.3 Billing › “For monthly…”``, ``split out of E.4 Exclusions``;
    ``part merged into …`` when the text is a descendant's, added or removed with it."""
    message = _RELATED[related.relation]
    if related.via is not None and related.relation != "split into":
        message = _RELATED_PART[related.relation]
    return gettext(message) % {"clause": related.citation}


def merged_away(change: Change) -> bool:
    """True for a removed clause whose own whole text now stands within another clause."""
    return change.kind == "removed" and any(
        r.relation == "merged into" and r.via is None for r in change.related
    )


def notes(change: Change, gettext: Gettext = english) -> list[str]:
    """What a reader needs to know beside the change's title: where a moved clause was, its
    old number, where the text under a heading that came or went stands, the clauses its
    text was merged into or split out of, references that follow a renumbering."""
    found: list[str] = []
    if change.kind == "restructured":
        found.append(restructure_note(change, gettext))
        found.extend(form_notes(change, gettext))
    found.extend(format_note(f, gettext) for f in change.formatting)
    if change.kind == "restructured":
        return found
    if change.kind == "moved":
        moved = move_note(change, gettext)
        if change.reworded:
            moved = gettext("%(move)s, and reworded") % {"move": moved}
        found.append(moved)
    else:
        renumbered = renumber_note(change, gettext)
        if renumbered:
            found.append(renumbered)
    kept = kept_note(change, gettext)
    if kept:
        found.append(kept)
    found.extend(related_note(r, gettext) for r in change.related)
    conforming = conforming_note(change, gettext)
    if conforming:
        found.append(conforming)
    return found


_SHAPES = {
    "split": N_("split"),
    "merged": N_("merged"),
    "re-wrapped": N_("re-wrapped"),
    "reformatted": N_("reformatted"),
}


def _ids(clauses: Sequence[Clause]) -> str:
    return ", ".join(c.id for c in clauses)


def restructure_note(change: Change, gettext: Gettext = english) -> str:
    """``split from p2 into p2, p3, p4``, ``merged from p2, p3, p4 into p2``, ``re-wrapped:
    p2, p3 → p2, p3, p4``, ``reformatted: p2 → l1``; ``same words`` or ``with word
    changes``."""
    olds, news = change.old_clauses, change.new_clauses
    if change.shape == "split":
        note = gettext("split from %(old)s into %(count)d clauses (%(new)s)") % {
            "old": _ids(olds),
            "count": len(news),
            "new": _ids(news),
        }
    elif change.shape == "merged":
        note = gettext("%(count)d clauses (%(old)s) merged into %(new)s") % {
            "count": len(olds),
            "old": _ids(olds),
            "new": _ids(news),
        }
    else:
        shape = gettext(_SHAPES[change.shape or "re-wrapped"])
        note = f"{shape}: {_ids(olds)} → {_ids(news)}"
    return note + (gettext("; with word changes") if change.reworded else gettext("; same words"))


_FORM_NAMES = {
    "paragraph": N_("paragraph"),
    "bullet": N_("list item"),
    "item": N_("numbered item"),
    "quote": N_("quotation"),
    "section": N_("heading"),
    "table": N_("table"),
    "code": N_("code"),
}


def form_notes(change: Change, gettext: Gettext = english) -> list[str]:
    """``paragraph → list item``; ``heading “Fees” → bold lead-in`` and the reverse."""
    found: list[str] = []
    olds, news = change.old_clauses, change.new_clauses
    if len(olds) == 1 and len(news) == 1 and olds[0].kind != news[0].kind:
        found.append(f"{gettext(_FORM_NAMES[olds[0].kind])} → {gettext(_FORM_NAMES[news[0].kind])}")
    old_heads = {c.heading.casefold(): c for c in olds if c.heading}
    for clause in news:
        if not clause.heading:
            continue
        before = old_heads.get(clause.heading.casefold())
        if before is None or (before.kind == "section") == (clause.kind == "section"):
            continue
        if before.kind == "section":
            found.append(gettext("heading “%(text)s” → bold lead-in") % {"text": clause.heading})
        else:
            found.append(gettext("bold lead-in “%(text)s” → heading") % {"text": clause.heading})
    return found


def format_note(change: FormatChange, gettext: Gettext = english) -> str:
    """``link “privacy policy”: https://a → https://b``, ``emphasis added: bold “must”``."""
    values = {"text": change.text, "old": change.old, "new": change.new}
    if change.kind == "link":
        if change.old is None:
            return gettext("link added to “%(text)s”: %(new)s") % values
        if change.new is None:
            return gettext("link removed from “%(text)s” (was %(old)s)") % values
        return gettext("link target of “%(text)s” changed: %(old)s → %(new)s") % values
    if change.old is None:
        return gettext("emphasis added: %(new)s “%(text)s”") % values
    if change.new is None:
        return gettext("emphasis removed: %(old)s “%(text)s”") % values
    return gettext("emphasis changed: %(old)s → %(new)s “%(text)s”") % values


def cell_ops(cell: CellChange, gettext: Gettext = english) -> tuple[InlineOp, ...]:
    """One table cell's change as ops, after a ``row “Basic”, column “Price”: `` lead."""
    said = gettext("row “%(row)s”, column “%(column)s”: ") % {
        "row": cell.row,
        "column": cell.column,
    }
    lead: InlineOp = ("=", said)
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


def _kind_count(kind: str, n: int, t: Translator) -> str:
    if kind == "added":
        return t.ngettext("%(num)d added", "%(num)d added", n)
    if kind == "removed":
        return t.ngettext("%(num)d removed", "%(num)d removed", n)
    if kind == "modified":
        return t.ngettext("%(num)d modified", "%(num)d modified", n)
    if kind == "moved":
        return t.ngettext("%(num)d moved", "%(num)d moved", n)
    if kind == "renumbered":
        return t.ngettext("%(num)d renumbered", "%(num)d renumbered", n)
    return t.ngettext("%(num)d restructured", "%(num)d restructured", n)


def describe_summary(summary: Summary, t: Translator = ENGLISH) -> str:
    """:meth:`Summary.describe` in ``t``'s language: ``2 added, 1 modified (3 material,
    0 editorial)``, ``1 moved (1 also reworded) (1 material, 0 editorial)``, ``no changes``;
    the same words as it with the default (English)."""
    if not summary.total:
        return t.gettext("no changes")
    parts = []
    for kind in KINDS:
        count = getattr(summary, kind)
        if not count:
            continue
        part = _kind_count(kind, count, t) % {"num": count}
        if kind == "moved" and summary.moved_reworded:
            also = summary.moved_reworded
            part += t.ngettext(" (%(num)d also reworded)", " (%(num)d also reworded)", also) % {
                "num": also
            }
        parts.append(part)
    classes = t.gettext("(%(material)d material, %(editorial)d editorial)") % {
        "material": summary.material,
        "editorial": summary.editorial,
    }
    return f"{', '.join(parts)} {classes}"
