"""How a version label reads in text: ``v3`` for a version number, a date label as it is.

Labels come from front matter ``version`` (``"3"``, ``"2.1"``, ``"v4"``, ``"2024 edition"``)
or, without one, from the commit date (``2024-06-01``, ``2024-06-01.2``). Only a bare number
reads better with a ``v``: ``v2024-06-01`` or ``vv4`` reads wrong. Pure.
"""

from __future__ import annotations

import re

__all__ = ["DATE_LABEL", "label_text"]

#: A label made from a commit date: ``2024-06-01``, ``2024-06-01.2``.
DATE_LABEL = re.compile(r"\d{4}-\d{2}-\d{2}(?:\.\d+)?")
_NUMBER = re.compile(r"\d+(?:[.\-]\w+)*")


def label_text(label: str) -> str:
    """``3`` -> ``v3``, ``2.1`` -> ``v2.1``; ``2024-06-01``, ``v4`` and ``2024 edition`` stay
    as they are."""
    if DATE_LABEL.fullmatch(label) or not _NUMBER.fullmatch(label):
        return label
    return f"v{label}"
