"""The titles of the site's pages (the browser tab, the navigation) in the page's language."""

from __future__ import annotations

from publisher.diff.wording import ENGLISH, Translator

__all__ = ["changes_title", "history_title", "version_title"]


def version_title(title: str, label: str, t: Translator = ENGLISH) -> str:
    """``Privacy Policy, version 3``."""
    return t.gettext("%(title)s, version %(label)s") % {"title": title, "label": label}


def history_title(title: str, t: Translator = ENGLISH) -> str:
    """``Privacy Policy: version history``."""
    return t.gettext("%(title)s: version history") % {"title": title}


def changes_title(
    title: str, old: str, new: str, *, material_only: bool = False, t: Translator = ENGLISH
) -> str:
    """``Privacy Policy: changes from version 2 to 3`` (``material changes`` with
    ``material_only``)."""
    values = {"title": title, "old": old, "new": new}
    if material_only:
        return t.gettext("%(title)s: material changes from version %(old)s to %(new)s") % values
    return t.gettext("%(title)s: changes from version %(old)s to %(new)s") % values
