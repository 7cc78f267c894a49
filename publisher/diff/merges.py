"""Text merged into, or split out of, another clause.

Similarity pairs a clause with its rewording; it cannot see a clause whose whole text went
into a longer one ("In order to treat everyone equally, no exceptions will be made." appended
to the paragraph before it) or a sentence that left a clause to become one of its own. Those
would read as a removal and an addition. Here *containment* finds them: the words of the
shorter text stand, in order, within the longer one (rapidfuzz's partial ratio over words
mapped to characters, at least :data:`CONTAINED`), and the longer clause's partner on the
other side did not already hold them.

Pure: word-code strings in, pairs of indices out; :mod:`publisher.diff.align` says which
clauses take part and puts the result into words.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

CONTAINED = 90.0
"""Minimum partial similarity (0–100) for a text to count as standing within another."""
MIN_WORDS = 6
"""Shorter texts are not looked for: a few words recur by coincidence."""


@dataclass(frozen=True)
class Text:
    """A clause taking part: its index, its words as codes (one character per word) and its
    relative position in the document (0–1)."""

    index: int
    words: str
    position: float


def contains(whole: str, part: str) -> float:
    """How well ``part`` stands within ``whole`` (0–100; 0 when ``part`` is the longer or too
    short)."""
    if len(part) < MIN_WORDS or len(part) > len(whole):
        return 0.0
    if part in whole:
        return 100.0
    return fuzz.partial_ratio(part, whole, score_cutoff=CONTAINED)


def find(
    parts: Sequence[Text], wholes: Sequence[Text], before: Callable[[int], str | None]
) -> dict[int, int]:
    """Each part's text found within one of the wholes whose partner did not hold it
    (``before(whole index)``: the partner's words, None without a partner): part index →
    whole index, the best containment first, then the closest position."""
    found: dict[int, int] = {}
    wholes = [w for w in wholes if len(w.words) >= MIN_WORDS]
    for part in parts:
        if len(part.words) < MIN_WORDS:
            continue
        best: tuple[float, float, int] | None = None
        for whole in wholes:
            score = contains(whole.words, part.words)
            if score < CONTAINED:
                continue
            held = before(whole.index)
            if held is not None and contains(held, part.words) >= CONTAINED:
                continue  # it was there before: not merged now
            candidate = (-score, abs(whole.position - part.position), whole.index)
            if best is None or candidate < best:
                best = candidate
        if best is not None:
            found[part.index] = best[2]
    return found
