"""Counts in words, in the right number: ``1 policy``, ``2 policies``, ``0 redlines``."""

from __future__ import annotations

__all__ = ["counted"]

_IRREGULAR = {"policy": "policies", "summary": "summaries", "entry": "entries"}


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """``count`` and ``singular`` (``1 policy``) or its plural (``3 policies``): ``plural``
    when given, else a few known irregular ones, else ``singular + "s"``."""
    if count == 1:
        return f"{count} {singular}"
    return f"{count} {plural or _IRREGULAR.get(singular, singular + 's')}"
