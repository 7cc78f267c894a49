"""git's rename/copy similarity score, computed in-process (diffcore-delta), so that copies
can be followed like ``git log --follow`` does without ``--find-copies-harder``."""

from __future__ import annotations

import re
from collections import Counter

#: git's scale for rename and copy similarity, and its default threshold (50%).
MAX_SCORE = 60000
DEFAULT_MIN_SCORE = 30000
_SPAN = re.compile(rb"[^\n]{0,63}\n|[^\n]{1,64}")


class Spans:
    """A blob cut the way git compares files for rename and copy detection (diffcore-delta):
    chunks ending at a newline or 64 bytes long, counted in bytes; CR of CRLF ignored in text.
    The chunks are counted on first use (a size check rules most pairs out before)."""

    __slots__ = ("_counts", "_data", "size")

    def __init__(self, data: bytes) -> None:
        self.size = len(data)
        self._data: bytes | None = data
        self._counts: Counter[bytes] | None = None

    @property
    def counts(self) -> Counter[bytes]:
        if self._counts is None:
            assert self._data is not None
            data, self._data = self._data, None
            text = data if b"\0" in data[:8000] else data.replace(b"\r\n", b"\n")
            counts: Counter[bytes] = Counter()
            for chunk in _SPAN.findall(text):
                counts[chunk] += len(chunk)
            self._counts = counts
        return self._counts


def spans(data: bytes) -> Spans:
    return Spans(data)


def similarity(src: Spans, dst: Spans, *, minimum: int = DEFAULT_MIN_SCORE) -> int:
    """git's similarity of two files, 0 … :data:`MAX_SCORE` (what ``git diff -M -C`` prints as
    a percentage, ``C059``): the bytes of ``dst`` found in ``src``, over the larger size.
    Files whose sizes differ too much for ``minimum`` score 0 without being compared."""
    larger, smaller = max(src.size, dst.size), min(src.size, dst.size)
    if larger == 0 or larger * (MAX_SCORE - minimum) < (larger - smaller) * MAX_SCORE:
        return 0
    if len(src.counts) > len(dst.counts):
        common = sum(min(n, src.counts[k]) for k, n in dst.counts.items() if k in src.counts)
    else:
        common = sum(min(n, dst.counts[k]) for k, n in src.counts.items() if k in dst.counts)
    return common * MAX_SCORE // larger
