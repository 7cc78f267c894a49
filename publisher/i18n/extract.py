"""Extracting our UI strings from the templates and code into ``messages.pot``.

``python -m publisher.i18n.extract`` rewrites ``publisher/i18n/locale/messages.pot`` and
updates every language's ``messages.po`` from it (new msgids are added untranslated, gone ones
are dropped); translate the empty entries, and the catalogs test passes again.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

from publisher.i18n.catalogs import SOURCE_LANGUAGE, UI_LANGUAGES

__all__ = ["PYTHON_SOURCES", "TEMPLATE_FOLDERS", "extract_messages", "update_catalogs"]

TEMPLATE_FOLDERS = (
    "templates/notices",
    "templates/acceptance",
    "templates/fragments",
    "templates/site",
)
"""The template folders (inside the package) whose strings are translated."""
TEMPLATE_SUFFIXES = (".html", ".txt", ".xml")
PYTHON_SOURCES = (
    "notices/render.py",
    "notices/languages.py",
    "site_languages.py",
    "site_pages.py",
    "diff/wording.py",
    "diff/render_html.py",
    "pages/feeds.py",
    "pages/titles.py",
    "pages/toc.py",
)
"""Modules with msgids (marked ``N_("…")``, or ``gettext("…")`` / ``ngettext(…)`` calls)."""
_KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def _package() -> Path:
    return Path(str(resources.files("publisher")))


def _sources() -> Iterator[tuple[str, Path]]:
    root = _package()
    for folder in TEMPLATE_FOLDERS:
        for path in sorted((root / folder).glob("*")):
            if path.suffix in TEMPLATE_SUFFIXES:
                yield "jinja2", path
    for name in PYTHON_SOURCES:
        yield "python", root / name


def extract_messages() -> Catalog:
    """Every msgid of the templates and modules, with where it occurs."""
    catalog = Catalog(project="policy-publisher", locale=None)
    root = _package()
    for method, path in _sources():
        options = {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}
        for line, message, _comments, _context in extract_from_file(
            "jinja2.ext:babel_extract" if method == "jinja2" else "python",
            str(path),
            keywords=_KEYWORDS,
            options=options if method == "jinja2" else None,
        ):
            catalog.add(message, None, [(path.relative_to(root).as_posix(), line)])
    return catalog


def update_catalogs() -> None:
    """Write ``messages.pot`` and update each language's ``messages.po`` from it."""
    locale_dir = _package() / "i18n" / "locale"
    template = extract_messages()
    with open(locale_dir / "messages.pot", "wb") as handle:
        write_po(handle, template, omit_header=True, sort_output=True)
    for language in UI_LANGUAGES:
        if language == SOURCE_LANGUAGE:
            continue
        path = locale_dir / language / "LC_MESSAGES" / "messages.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            with open(path, "rb") as handle:
                catalog = read_po(handle, locale=language)
        else:
            catalog = Catalog(locale=language, project="policy-publisher")
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        with open(path, "wb") as handle:
            write_po(handle, catalog, omit_header=False, sort_output=True, width=100)


if __name__ == "__main__":
    update_catalogs()
