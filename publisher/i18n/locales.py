"""Which language a customer's locale gets: its fallback chain, then the first available.

``pt-BR`` tries ``pt-BR``, then ``pt``, then the default language; tags are compared in any
case and with ``_`` read as ``-`` (``pt_br`` is ``pt-BR``). Pure functions.
"""

from __future__ import annotations

from collections.abc import Iterable

from publisher.languages import normalise_tag, valid_tag

__all__ = ["fallback_chain", "page_language", "pick_language"]


def fallback_chain(locale: str | None, default: str) -> list[str]:
    """The languages to try for ``locale``, most specific first, ending with ``default``
    (no repeats): ``pt-BR`` -> ``["pt-BR", "pt", "en"]``; ``zh-Hans-CN`` -> ``["zh-Hans-CN",
    "zh-Hans", "zh", "en"]``. An empty or malformed locale gives ``[default]``."""
    chain: list[str] = []
    parts = (locale or "").strip().replace("_", "-").split("-")
    if valid_tag(parts[0]) and all(p.isalnum() and 1 < len(p) <= 8 for p in parts):
        parts = [_subtag(p, first=i == 0) for i, p in enumerate(parts)]
        chain = ["-".join(parts[:end]) for end in range(len(parts), 0, -1)]
    chain.append(normalise_tag(default))
    seen: set[str] = set()
    unique = []
    for candidate in chain:
        if candidate.lower() not in seen:
            seen.add(candidate.lower())
            unique.append(candidate)
    return unique


def _subtag(part: str, *, first: bool) -> str:
    if first:
        return part.lower()
    if len(part) == 4 and part.isalpha():
        return part.title()
    if len(part) == 2 or part.isdigit():
        return part.upper()
    return part.lower()


def pick_language(locale: str | None, available: Iterable[str], default: str) -> str:
    """The first language of ``locale``'s fallback chain that is in ``available`` (as
    spelled there), else ``default``."""
    spelled = {normalise_tag(tag).lower(): tag for tag in available}
    for candidate in fallback_chain(locale, default):
        if candidate.lower() in spelled:
            return spelled[candidate.lower()]
    return normalise_tag(default)


def page_language(locale: str | None, default: str) -> str:
    """The language of a page for a customer's ``locale``: the first of its fallback chain
    that our UI is shipped in (:data:`publisher.i18n.catalogs.UI_LANGUAGES`), else
    ``default``."""
    from publisher.i18n.catalogs import UI_LANGUAGES

    return pick_language(locale, UI_LANGUAGES, default)
