"""Counts in messages people read: ``1 policy``, ``2 policies``, never ``1 policies`` or
``policy(s)``."""

from __future__ import annotations


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``count`` with the word agreeing with it (``plural_form`` defaults to singular + s)."""
    return f"{count} {singular if count == 1 else plural_form or singular + 's'}"
