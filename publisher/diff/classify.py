"""Material or editorial: the default classification of a change, and reviewers' overrides.

DESIGN: editorial = only whitespace, punctuation, letter case, quote/dash style, spelling
variant (British/American, :mod:`.spelling`), emphasis or numbering changed, or text
restructured across clauses with the same words; everything else (additions, removals, rewording, moves) is material. A reworded
clause whose only other edits are cross-references following a renumbering ("Section G" →
"Section H" when G became H: a conforming change) is editorial too, and so is a heading
added or removed while the whole text under it stayed. The
classification is a default a reviewer can override per diff or per clause with a commit
trailer (``Policy-Change: editorial``, ``Policy-Change: material``,
``Policy-Change: editorial b.3``); the override is carried on the change and shown.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import replace
from functools import lru_cache

from publisher.diff import inline, spelling
from publisher.diff.model import Change, Override, OverrideValue

TRAILER = "Policy-Change"

_QUOTES = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‛": "'",
        "′": "'",
        "`": "'",
        "´": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "‟": '"',
        "″": '"',
        "«": '"',
        "»": '"',
        "‐": "-",
        "‑": "-",
        "‒": "-",
        "–": "-",
        "—": "-",
        "―": "-",
        "−": "-",
    }
)
# Signs that carry meaning of their own: "5%" is not "5", "A & B" is not "A B".
_MEANINGFUL = frozenset("%‰‱§¶&@#")
_WS = re.compile(r"\s+")


_MARK = re.compile(r"[^\w\s]|_")


def _drop_punctuation(match: re.Match[str]) -> str:
    char = match.group()
    if char in _MEANINGFUL or not unicodedata.category(char).startswith("P"):
        return char
    text, i = match.string, match.start()
    if 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit():
        return char
    if char == "-" and (
        i == 0 or text[i - 1].isspace() or i == len(text) - 1 or text[i + 1].isspace()
    ):
        return " "  # a dash used as a separator (" - "), not inside a word ("e-mail")
    return ""


@lru_cache(maxsize=8192)
def editorial_form(text: str) -> str:
    """``text`` with everything an editorial change may touch normalised away.

    Case-folded, quotes and dashes unified, British spellings made American
    (:mod:`.spelling`), punctuation removed (except between digits, so
    "1,000" stays apart from "1.000", and signs such as % and §), whitespace collapsed.
    Two texts with the same editorial form differ only editorially. Cached: a policy's
    history repeats most of its clauses from one revision to the next.
    """
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).casefold()
    return spelling.american(_WS.sub(" ", _MARK.sub(_drop_punctuation, text)).strip())


# A new spelling table changes editorial forms: forget the cached ones.
spelling.on_change(editorial_form.cache_clear)


def is_editorial(old: str, new: str) -> bool:
    """True when ``old`` and ``new`` differ only in whitespace, punctuation, case or style."""
    return editorial_form(old) == editorial_form(new)


def parse_override(value: str, source: str) -> Override | None:
    """An override from a trailer's value (``editorial``, ``material``, ``editorial b.3``).

    Returns None for values that are not an override (a trailer meant for something else).
    """
    words = value.split()
    if not words or words[0].lower() not in ("editorial", "material"):
        return None
    kind: OverrideValue = "editorial" if words[0].lower() == "editorial" else "material"
    clause = words[1].strip(",;") if len(words) > 1 else None
    return Override(value=kind, clause=clause or None, source=source)


def overrides_from_trailers(
    commits: Iterable[tuple[str, Sequence[tuple[str, str]]]],
) -> tuple[Override, ...]:
    """Overrides from ``(commit sha, trailers)`` pairs, oldest commit first.

    Only ``Policy-Change`` trailers count (case-insensitive key). Later commits win.
    """
    found: list[Override] = []
    for sha, trailers in commits:
        for key, value in trailers:
            if key.strip().lower() != TRAILER.lower():
                continue
            override = parse_override(value, f"{sha} trailer")
            if override is not None:
                found.append(override)
    return tuple(found)


def default_material(change: Change) -> bool:
    """The computed classification of a change (before overrides)."""
    if change.kind in ("added", "removed") and change.kept_under:
        return False  # only a heading came or went: its content stayed
    if change.kind in ("added", "removed", "moved"):
        return True
    if change.kind == "renumbered":
        return False
    if change.kind == "restructured":
        return not is_editorial(inline.old_text(change.inline), inline.new_text(change.inline))
    if any(f.kind == "link" for f in change.formatting):
        return True  # a link target can point to another policy
    assert change.old is not None and change.new is not None
    old_text = change.conformed if change.conformed is not None else change.old.text
    old = " ".join(p for p in (change.old.heading, old_text) if p)
    new = " ".join(p for p in (change.new.heading, change.new.text) if p)
    return not is_editorial(old, new)


def _override_for(change: Change, overrides: Sequence[Override]) -> Override | None:
    ids = {c.id for c in (change.old, change.new) if c is not None}
    chosen: Override | None = None
    for override in overrides:  # later overrides win; a clause's own beats a global one
        if override.clause is not None:
            if override.clause in ids:
                chosen = override
        elif chosen is None or chosen.clause is None:
            if override.value == "editorial" and change.kind in ("added", "removed"):
                continue  # "editorial" for the whole diff never hides an addition or removal
            chosen = override
    return chosen


def classify(change: Change, overrides: Sequence[Override] = ()) -> Change:
    """``change`` with ``material`` set: the default, or the applicable override."""
    override = _override_for(change, overrides)
    if override is None:
        return replace(change, material=default_material(change), override=None)
    return replace(change, material=override.value == "material", override=override)
