"""Cross-references that only follow a renumbering: "see Section G" → "see Section H" when
section G became H. A lawyer calls such an edit a *conforming change*: editorial.

:func:`renumbering` maps the number path of every numbered clause of the old revision to
the one its partner has in the new revision (``G`` → ``H``, ``D.8`` → ``E``, ``B.4`` →
``B.5``); :func:`conforming_updates` finds, in a reworded clause, the words that changed from
one reference to the reference its target now has. A word counts as a reference only after
a reference word ("Section", "Sections", "Clause", "§", …), possibly through a list of other
references and connectors ("Sections D.4 — D.7", "Sections B, C and E"): "Plan B" → "Plan C"
is no cross-reference. References are compared by their letters and digits only, so
``B(4)``, ``B.4`` and ``b.4.`` are the same reference.

Pure: values in, values out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from difflib import SequenceMatcher

REFERENCE_WORDS = frozenset(
    {
        "section",
        "sections",
        "subsection",
        "subsections",
        "clause",
        "clauses",
        "paragraph",
        "paragraphs",
        "article",
        "articles",
        "part",
        "parts",
        "§",
        "§§",
        "see",
    }
)
"""Words after which a number or letter is a cross-reference (case-insensitive)."""
_CONNECTORS = frozenset({"and", "or", "to", "through", "-", "–", "—", "&", ","})
_LOOK_BACK = 6  # words between a reference word and the reference, at most
_PARTS = re.compile(r"[^\W_]+")
_EDGES = ".,;:!?\"'“”‘’"
_ROMAN = re.compile(r"[ivx]{1,4}")


def reference_key(word: str) -> str:
    """The letters and digits of a reference, lower-cased, dot-joined: ``B(4)`` → ``b.4``."""
    return ".".join(_PARTS.findall(word.lower()))


def _looks_like_reference(word: str) -> bool:
    """``G``, ``B.4``, ``12(a)``, ``2.iv``, ``D.4,``: parts that are each a number, one letter
    or a small roman numeral."""
    parts = _PARTS.findall(word.lower())
    return bool(parts) and all(p.isdigit() or len(p) == 1 or _ROMAN.fullmatch(p) for p in parts)


def _display(word: str) -> str:
    """A reference as written, without the punctuation of the sentence around it."""
    word = word.strip(_EDGES)
    if word.endswith(")") and "(" not in word:
        word = word[:-1]
    if word.startswith("(") and ")" not in word:
        word = word[1:]
    return word


def renumbering(pairs: Mapping[str, str]) -> dict[str, str]:
    """The reference keys of the old number paths mapped to the new ones, for the paths that
    changed (``pairs``: old path → new path of matched numbered clauses)."""
    found: dict[str, str] = {}
    for old, new in pairs.items():
        old_key, new_key = reference_key(old), reference_key(new)
        if old_key and new_key and old_key != new_key:
            found.setdefault(old_key, new_key)
    return found


def _after_reference_word(words: list[str], index: int) -> bool:
    """True when ``words[index]`` stands after a reference word, possibly through a list of
    other references and connectors."""
    for back in range(index - 1, max(index - 1 - _LOOK_BACK, -1), -1):
        word = words[back].lower().strip(_EDGES)
        if word in REFERENCE_WORDS:
            return True
        if word in _CONNECTORS or not word or _looks_like_reference(word):
            continue
        return False
    return False


def conforming_updates(
    old_text: str, new_text: str, renumbered: Mapping[str, str]
) -> tuple[tuple[tuple[str, str], ...], str]:
    """The references in ``old_text`` that became, in ``new_text``, the reference their
    target was renumbered to (``(("G", "H"),)``), and ``old_text`` with those updates made
    (so what remains can be classified on its own). ``renumbered`` comes from
    :func:`renumbering`."""
    if not renumbered:
        return (), old_text
    old_words, new_words = old_text.split(), new_text.split()
    updates: list[tuple[str, str]] = []
    conformed = list(old_words)
    matcher = SequenceMatcher(None, old_words, new_words, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "replace" or i2 - i1 != j2 - j1:
            continue
        found: list[tuple[int, str, str]] = []
        for k in range(i2 - i1):
            old_word, new_word = old_words[i1 + k], new_words[j1 + k]
            if old_word == new_word:
                continue
            if (
                not _looks_like_reference(old_word)
                or renumbered.get(reference_key(old_word)) != reference_key(new_word)
                or not _after_reference_word(old_words, i1 + k)
            ):
                break
            found.append((i1 + k, old_word, new_word))
        else:
            for index, old_word, new_word in found:
                conformed[index] = new_word
                updates.append((_display(old_word), _display(new_word)))
    if not updates:
        return (), old_text
    return tuple(updates), " ".join(conformed)
