"""The site's own words and dates in each page's language (issue 15 item 3): a German and a
French translation of the example Privacy Policy get their current page, version history and
redline with the chrome from the gettext catalogs and dates by Babel (goldens), and no English
label left; English pages keep their words; a language without a catalog gets English chrome;
every marked string is extracted and each catalog is loaded once per build."""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jinja2
import pytest
from example_history import has_example_history
from gitrepo import GitRepo
from goldens import Golden
from site_i18n_support import build_pages, example_translations
from sitebuild import build_site_cli

from publisher.i18n import catalogs
from publisher.i18n.extract import PYTHON_SOURCES, TEMPLATE_FOLDERS, extract_messages
from publisher.site import SiteOptions, SitePage
from publisher.templating import environment

pytestmark = pytest.mark.skipif(
    not has_example_history(), reason="needs this repository's history (not a shallow clone)"
)

PACKAGE = Path(__file__).resolve().parents[1] / "publisher"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SitePage]:
    repo = example_translations(tmp_path_factory.mktemp("i18n-site") / "repo")
    return build_pages(repo.path)


class _Words(HTMLParser):
    """The words a reader meets on a page: its text and its aria-label/title attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.words: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.words.extend(v for k, v in attrs if k in ("aria-label", "title") and v)

    def handle_data(self, data: str) -> None:
        self.words.append(data)


def said(html: str) -> str:
    parser = _Words()
    parser.feed(html)
    return " ".join(" ".join(parser.words).split())


PAGES = {
    "current": "{lang}/privacy/",
    "versions": "{lang}/privacy/versions/",
    "old-version": "{lang}/privacy/v/2/",
    "redline": "{lang}/privacy/changes/2..3/",
    "redline-material": "{lang}/privacy/changes/2..3/material/",
}

ENGLISH_CHROME = [
    "Version history",
    "version history",
    "In force",
    "in force",
    "Superseded",
    "Upcoming",
    "Effective",
    "effective",
    "Published",
    "What changed",
    "All versions",
    "All changes",
    "Material changes",
    "Permanent link",
    "Follow changes",
    "Atom feed",
    "Changes from",
    "changes from",
    "First version",
    "First published",
    "Summary of",
    "Link to",
    "Added",
    "Removed",
    "Modified",
    "Moved",
    "moved from",
    "Renumbered",
    "Reworded",
    "reworded",
    "material",
    "editorial",
    "Editorial",
    "Word redline",
    "tracked changes",
    "clause by clause",
    "struck through",
    "This version",
    "It was replaced",
    "since version",
    "Languages",
    "About this version",
    "Which changes",
]
"""English labels the site's own words had; none may be left on a translated page."""


@pytest.mark.parametrize("lang", ["de", "fr"])
@pytest.mark.parametrize("name", list(PAGES))
def test_translated_pages_match_their_goldens(
    built: dict[str, SitePage], golden: Golden, lang: str, name: str
) -> None:
    golden(f"site/privacy-{lang}-{name}.html", built[PAGES[name].format(lang=lang)].text)


@pytest.mark.parametrize("lang", ["de", "fr"])
@pytest.mark.parametrize("name", list(PAGES))
def test_no_english_chrome_is_left_on_a_translated_page(
    built: dict[str, SitePage], lang: str, name: str
) -> None:
    words = said(built[PAGES[name].format(lang=lang)].text)
    left = [label for label in ENGLISH_CHROME if re.search(rf"\b{re.escape(label)}\b", words)]
    assert not left, f"{lang} {name}: English left: {left}"


def test_dates_are_said_in_the_pages_language_and_kept_iso_for_machines(
    built: dict[str, SitePage],
) -> None:
    german = built["de/privacy/versions/"].text
    assert '<time datetime="2025-07-01">1. Juli 2025</time>' in german
    assert '<time datetime="2026-02-15">15. Februar 2026</time>' in german
    french = built["fr/privacy/"].text
    assert '<time datetime="2026-02-15">15 février 2026</time>' in french
    feed = built["de/privacy/feed.xml"].text
    assert "<updated>2026-01-15T12:00:00+00:00</updated>" in feed
    assert "<title>Datenschutzerklärung: Versionen</title>" in feed
    assert "tritt am 15. Februar 2026 in Kraft." in feed
    api = built["de/api/privacy/versions.json"].text
    assert '"effective": "2026-02-15"' in api and "Februar" not in api


def test_the_redline_says_its_changes_in_the_pages_language(built: dict[str, SitePage]) -> None:
    german = built["de/privacy/changes/2..3/"]
    text = said(german.text)
    assert "Verschoben" in text and "Entfernt" in text
    assert "Was sich geändert hat: 1 entfernt, 1 verschoben" in text
    assert "wesentlich" in text and "redaktionell" in text
    assert german.title == "Datenschutzerklärung: Änderungen von Version 2 zu 3"
    assert [entry.title.split(":")[0] for entry in german.toc] == ["Verschoben", "Entfernt"]
    french = said(built["fr/privacy/changes/2..3/"].text)
    assert "Déplacé" in french and "Supprimé" in french and "Déplacée depuis" in french


def test_page_titles_and_tables_of_contents_are_translated(built: dict[str, SitePage]) -> None:
    versions = built["de/privacy/versions/"]
    assert versions.title == "Datenschutzerklärung: Versionsverlauf"
    assert [entry.title for entry in versions.toc] == ["Version 3", "Version 2"]
    assert built["fr/privacy/v/2/"].title == "Politique de confidentialité, version 2"
    assert (
        built["fr/privacy/versions/"].title
        == "Politique de confidentialité : historique des versions"
    )
    switcher = built["de/privacy/"].text
    assert '<nav class="languages" aria-label="Sprachen">' in switcher


def test_english_pages_keep_their_english_words(built: dict[str, SitePage]) -> None:
    current = built["privacy/"].text
    assert '<nav class="languages" aria-label="Languages">' in current
    assert "Follow changes (Atom feed)" in current and "In force" in current
    assert '<time datetime="2026-02-15">15 February 2026</time>' in current
    redline = built["privacy/changes/2..3/"]
    assert redline.title == "Privacy Policy: changes from version 2 to 3"
    assert "The changes, clause by clause" in redline.text
    assert '<span class="change__kind">Moved</span>' in redline.text
    for page in ("privacy/", "privacy/versions/", "privacy/changes/2..3/"):
        words = said(built[page].text)
        assert not re.search(r"\b(Versionsverlauf|In Kraft|Verschoben|wesentlich)\b", words)


def test_a_language_without_a_catalog_gets_english_chrome(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("policies/terms.md", '---\nversion: "1"\n---\n# Terms\n\n1. Be kind.\n')
    repo.write("policies/terms.ja.md", '---\nversion: "1"\n---\n# 規約\n\n1. 親切に。\n')
    repo.write("policies/terms.pt-BR.md", '---\nversion: "1"\n---\n# Termos\n\n1. Seja gentil.\n')
    repo.write("policies/terms.es-MX.md", '---\nversion: "1"\n---\n# Términos\n\n1. Sé amable.\n')
    repo.commit("Terms in four languages", date="2024-01-10")
    pages = build_pages(repo.path)
    for lang in ("ja", "pt-BR"):
        page = pages[f"{lang}/terms/"]
        assert page.lang == lang and f'<div lang="{lang}">' in page.text
        assert "Follow changes (Atom feed)" in page.text
        assert '<nav class="languages" aria-label="Languages">' in page.text
    spanish = pages["es-MX/terms/"].text  # a regional tag gets its language's catalog
    assert "Seguir los cambios (canal Atom)" in spanish
    assert '<time datetime="2024-01-10T12:00:00+00:00">10 de enero de 2024</time>' in spanish


def test_each_catalog_is_loaded_once_per_build(tmp_path: Path) -> None:
    repo = example_translations(tmp_path / "repo")
    catalogs.load_catalog.cache_clear()
    pages = build_pages(repo.path)
    assert len([p for p in pages.values() if p.lang]) > 10  # many German and French pages
    loaded = catalogs.load_catalog.cache_info()
    assert loaded.misses == 2  # German and French, once each (English needs none)


def test_every_marked_string_of_the_site_is_extracted() -> None:
    extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in extract_messages() if m.id}
    for wanted in (
        "%(title)s: version history",  # templates/site/versions.html
        "Version %(label)s of the %(title)s.",  # templates/site/feed.xml
        "Link to this clause",  # templates/fragments/policy_body.html
        "moved from %(place)s",  # diff/wording.py
        "Material changes only",  # diff/render_html.py
        "%(title)s: versions",  # pages/feeds.py
        "Go to the version history",  # site_pages.py
        "%(num)d moved",
    ):
        assert wanted in extracted, wanted
    marked = re.compile(r"""\b(?:_|N_|gettext|ngettext)\(\s*["']""")
    for path in sorted((PACKAGE / "templates").rglob("*")):
        folder = path.parent.relative_to(PACKAGE).as_posix()
        if path.is_file() and marked.search(path.read_text(encoding="utf-8")):
            assert folder in TEMPLATE_FOLDERS or folder == "templates/mkdocs_theme", path
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        if name.startswith("i18n/"):
            continue
        if marked.search(path.read_text(encoding="utf-8")):
            assert name in PYTHON_SOURCES, f"{name} marks msgids but is not extracted"


def test_the_themes_own_words_follow_a_translated_page(tmp_path: Path) -> None:
    repo = example_translations(tmp_path / "repo")
    result = build_site_cli(repo.path, tmp_path / "site", tmp_path / "cache")
    assert result.exit_code == 0, result.output
    german = (tmp_path / "site/de/privacy/index.html").read_text(encoding="utf-8")
    assert '<a class="skip-link" href="#main-content">Zum Hauptinhalt springen</a>' in german
    assert re.search(r"toc-toggle[^>]*>\s*Auf dieser Seite <span", german)
    assert "Skip to main content" not in german and "On this page" not in german
    french = (tmp_path / "site/fr/privacy/changes/2..3/index.html").read_text(encoding="utf-8")
    assert "Aller au contenu principal" in french and "Sur cette page" in french
    english = (tmp_path / "site/privacy/index.html").read_text(encoding="utf-8")
    assert '<a class="skip-link" href="#main-content">Skip to main content</a>' in english
    assert re.search(r"toc-toggle[^>]*>\s*On this page <span", english)


def test_a_template_compiles_once_for_every_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site/probe.html").write_text(
        "{{ _('All versions') }} {{ day|long_date }}\n", encoding="utf-8"
    )
    compiled: list[str | None] = []
    original = jinja2.Environment.compile

    def counting(self: jinja2.Environment, source: Any, name: str | None = None, *a: Any) -> Any:
        compiled.append(name)
        return original(self, source, name, *a)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    said_in = {
        lang: environment(tmp_path, language=lang)
        .get_template("site/probe.html")
        .render(day=date(2024, 2, 1))
        for lang in ("en", "de", "fr", "es")
    }
    assert said_in == {
        "en": "All versions 1 February 2024\n",
        "de": "Alle Versionen 1. Februar 2024\n",
        "fr": "Toutes les versions 1 février 2024\n",
        "es": "Todas las versiones 1 de febrero de 2024\n",
    }
    assert compiled.count("site/probe.html") == 1


def _version(label: str, effective: str, title: str, text: str, lang: str = "") -> str:
    front = f'---\nversion: "{label}"\neffective: {effective}\n' + (
        f"lang: {lang}\n" if lang else ""
    )
    return front + f"---\n# {title}\n\n1. {text}\n"


def test_upcoming_versions_and_redirects_are_said_in_the_pages_language(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    history = [("1", "2025-01-01"), ("2", "2025-06-01"), ("3", "2026-01-01"), ("4", "2026-06-01")]
    for n, (label, effective) in enumerate(history, start=1):
        repo.write("policies/terms.md", _version(label, effective, "Terms", f"Rule {n}."))
        repo.write(
            "policies/terms.de.md", _version(label, effective, "AGB", f"Regel {n}.", lang="de")
        )
        repo.commit(f"Terms {label}", date=f"2024-0{n}-01")
    pages = build_pages(repo.path, SiteOptions(redline_window=0))
    current = pages["de/terms/"].text
    assert (
        'Version 4 kommt: Sie tritt am <time datetime="2026-06-01">1. Juni 2026</time> in Kraft.'
        in current
    )
    assert ">Was sich ändern wird</a>" in current
    upcoming = pages["de/terms/v/4/"].text
    assert "Diese Version ist noch nicht in Kraft: Sie tritt am" in upcoming
    assert 'Bis dahin gilt <a href="../../">Version 3</a>.' in upcoming
    assert "(bevorstehend)</title>" in pages["de/terms/feed.xml"].text
    redirect = pages["de/terms/changes/1..3/index.html"].text
    assert '<html lang="de">' in redirect and ">Zum Versionsverlauf</a>" in redirect
    assert "Der Vergleich von Version 1 zu Version 3 wird nicht mehr veröffentlicht" in redirect
    english = pages["terms/changes/1..3/index.html"].text
    assert '<html lang="en">' in english and ">Go to the version history</a>" in english
    for path in ("de/terms/", "de/terms/v/4/", "de/terms/v/1/", "de/terms/versions/"):
        words = said(pages[path].text)
        left = [label for label in ENGLISH_CHROME if re.search(rf"\b{re.escape(label)}\b", words)]
        assert not left, f"{path}: English left: {left}"
