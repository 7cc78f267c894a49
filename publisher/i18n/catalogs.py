"""The gettext catalogs of our own UI strings, and dates formatted by Babel.

Catalogs are the ``.po`` files in ``publisher/i18n/locale/<lang>/LC_MESSAGES/messages.po``
(English is the source language: its msgids are the English text, so it has no catalog).
They ship as ``.po`` only and are compiled in memory by Babel the first time a language is
used (once per process), so a plain clone installs and runs without a build step and a
catalog can never be stale against a compiled copy. ``messages.pot`` beside them is the
template extracted from the jinja2 templates (``_()`` / ``ngettext()`` calls); a test checks
that every catalog translates every msgid of the templates.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from functools import lru_cache
from importlib import resources

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

__all__ = [
    "SOURCE_LANGUAGE",
    "UI_LANGUAGES",
    "catalog_path",
    "format_long_date",
    "load_catalog",
    "translations",
    "ui_language",
]

SOURCE_LANGUAGE = "en"
"""The language of the msgids."""
UI_LANGUAGES = ("en", "de", "fr", "es")
"""The languages our UI strings are shipped in (English, then the catalogs)."""

_ENGLISH_LONG = "d MMMM y"
"""English dates read ``1 March 2026`` (as before catalogs existed), the rest Babel's
``long`` format of their locale (``1. März 2026``, ``1 mars 2026``, ``1 de marzo de 2026``)."""


def ui_language(language: str | None) -> str:
    """The UI language for a content language: ``de-AT`` -> ``de``; one we have no catalog
    for -> English."""
    base = (language or SOURCE_LANGUAGE).replace("_", "-").split("-")[0].lower()
    return base if base in UI_LANGUAGES else SOURCE_LANGUAGE


def catalog_path(language: str) -> str:
    """The path of ``language``'s ``.po`` inside the package (``i18n/locale/de/…``)."""
    return f"i18n/locale/{language}/LC_MESSAGES/messages.po"


_ENGLISH = NullTranslations()


def translations(language: str | None) -> NullTranslations:
    """The gettext translations of ``language``'s UI language (English: none needed); each
    catalog is read once per process (:func:`load_catalog`), whatever the tag spelling
    (``de``, ``de-AT`` and ``de-CH`` share German's)."""
    ui = ui_language(language)
    if ui == SOURCE_LANGUAGE:
        return _ENGLISH
    return load_catalog(ui)


@lru_cache(maxsize=16)
def load_catalog(ui: str) -> NullTranslations:
    """The compiled catalog of the UI language ``ui`` (one of :data:`UI_LANGUAGES`, not
    English), read and compiled the first time it is asked for."""
    source = resources.files("publisher").joinpath(catalog_path(ui))
    with source.open("rb") as handle:
        catalog = read_po(handle, locale=ui)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def format_long_date(value: date | datetime | None, language: str | None = None) -> str:
    """``value`` as a long date in ``language`` (Babel): ``1 March 2026``, ``1. März 2026``;
    "" for None. A locale Babel does not know falls back to its base language, then English."""
    if value is None:
        return ""
    day = value.date() if isinstance(value, datetime) else value
    locale = _locale(language)
    if locale.language == SOURCE_LANGUAGE:
        return format_date(day, _ENGLISH_LONG, locale=locale)
    return format_date(day, "long", locale=locale)


@lru_cache(maxsize=64)
def _locale(language: str | None) -> Locale:
    tag = (language or SOURCE_LANGUAGE).replace("-", "_")
    for candidate in (tag, tag.split("_")[0]):
        try:
            return Locale.parse(candidate)
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse(SOURCE_LANGUAGE)
