"""The site in several languages: a translation's pages under /<lang>/<slug>/…, the same
subpages as the source's, a language switcher with hreflang on each language's current
page, lang attributes, and a banner on a lagging translation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gitrepo import GitRepo
from sitebuild import build_site_cli

V1 = (
    '---\nversion: "1"\neffective: 2024-01-10\n---\n# Privacy\n\n1. We keep little.\n'
    "2. We delete it after a year.\n"
)
V2 = (
    '---\nversion: "2"\neffective: 2024-03-01\n---\n# Privacy\n\n1. We keep little.\n'
    "2. We delete it after a month.\n"
)
DE = "# Datenschutz\n\n1. Wir speichern wenig.\n2. Wir löschen es nach einem Jahr.\n"
FR1 = (
    '---\nversion: "1"\n---\n# Confidentialité\n\n1. Nous gardons peu.\n'
    "2. Nous effaçons après un an.\n"
)
FR2 = (
    '---\nversion: "2"\n---\n# Confidentialité\n\n1. Nous gardons peu.\n'
    "2. Nous effaçons après un mois.\n"
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("translated")
    repo = GitRepo.init(base / "repo")
    repo.write("policies/privacy.md", V1)
    repo.write("policies/privacy.de.md", DE)
    repo.write("policies/privacy.fr.md", FR1)
    repo.commit("Privacy 1 in three languages", date="2024-01-10")
    repo.write("policies/privacy.md", V2)
    repo.write("policies/privacy.fr.md", FR2)
    repo.commit("Privacy 2, in French too", date="2024-02-01")
    result = build_site_cli(repo.path, base / "site", base / "cache")
    assert result.exit_code == 0, result.output
    return base / "site"


def test_each_language_has_the_policy_pages_under_its_prefix(site: Path) -> None:
    german = (site / "de/privacy/index.html").read_text(encoding="utf-8")
    assert "Wir speichern wenig." in german and '<div lang="de">' in german
    assert (site / "de/privacy/versions/index.html").is_file()
    assert (site / "fr/privacy/v/1/index.html").is_file()
    redline = (site / "fr/privacy/changes/1..2/index.html").read_text(encoding="utf-8")
    assert "un mois" in redline
    versions = json.loads((site / "de/api/privacy/versions.json").read_text(encoding="utf-8"))
    assert versions  # the JSON API of the German versions
    assert "Wir speichern" not in (site / "privacy/index.html").read_text(encoding="utf-8")


def test_switcher_links_every_language_with_hreflang(site: Path) -> None:
    english = (site / "privacy/index.html").read_text(encoding="utf-8")
    assert 'href="../de/privacy/" hreflang="de" lang="de"' in english
    assert 'href="../fr/privacy/" hreflang="fr" lang="fr"' in english
    french = (site / "fr/privacy/index.html").read_text(encoding="utf-8")
    assert 'href="../../privacy/" hreflang="en"' in french
    assert 'hreflang="fr" lang="fr" aria-current="page"' in french


def test_a_lagging_translation_has_a_banner_naming_the_clauses(site: Path) -> None:
    german = (site / "de/privacy/index.html").read_text(encoding="utf-8")
    assert 'class="translation-lag"' in german
    # In the page's language (the catalogs): "renders version 1; version 2 (en) is in force".
    assert 'class="translation-lag" role="note" lang="de"' in german
    assert "gibt Version 1 wieder; in Kraft ist <a " in german
    assert 'hreflang="en">Version 2 (en)</a>.' in german
    assert "Seitdem geänderte Klauseln: 2." in german
    assert 'class="translation-lag"' not in (site / "fr/privacy/index.html").read_text(
        encoding="utf-8"
    )


def test_head_has_hreflang_alternates_and_the_page_its_lang(site: Path) -> None:
    english = (site / "privacy/index.html").read_text(encoding="utf-8")
    head = english.split("</head>", 1)[0]
    assert '<link rel="alternate" hreflang="de" href="http://127.0.0.1:8001/de/privacy/">' in head
    assert (
        '<link rel="alternate" hreflang="x-default" href="http://127.0.0.1:8001/privacy/">' in head
    )
    assert '<html lang="en"' in english
    german = (site / "de/privacy/index.html").read_text(encoding="utf-8")
    assert '<html lang="de"' in german
    assert 'hreflang="fr" href="http://127.0.0.1:8001/fr/privacy/"' in german.split("</head>")[0]
    assert '<html lang="de"' in (site / "de/privacy/versions/index.html").read_text(
        encoding="utf-8"
    )


def test_the_policies_api_lists_each_language(site: Path) -> None:
    data = json.loads((site / "api/policies.json").read_text(encoding="utf-8"))
    [policy] = data["policies"]
    assert policy["languages"] == [
        {
            "language": "en",
            "url": "http://127.0.0.1:8001/privacy/",
            "api": "http://127.0.0.1:8001/api/privacy/versions.json",
        },
        {
            "language": "de",
            "url": "http://127.0.0.1:8001/de/privacy/",
            "api": "http://127.0.0.1:8001/de/api/privacy/versions.json",
        },
        {
            "language": "fr",
            "url": "http://127.0.0.1:8001/fr/privacy/",
            "api": "http://127.0.0.1:8001/fr/api/privacy/versions.json",
        },
    ]
    for entry in policy["languages"]:
        path = entry["api"].removeprefix("http://127.0.0.1:8001/")
        assert (site / path).is_file()


def test_binding_language_line_on_every_translated_page(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("policies/privacy.md", V1)
    repo.write("policies/privacy.de.md", DE)
    repo.commit("Privacy 1 with German", date="2024-01-10")
    result = build_site_cli(
        repo.path, tmp_path / "site", tmp_path / "cache", env={"PUBLISHER_BINDING_LANGUAGE": "en"}
    )
    assert result.exit_code == 0, result.output
    line = (
        '<p class="binding-language" lang="de">Dies ist eine Übersetzung. Maßgeblich ist der '
        '<a href="../../privacy/" hreflang="en">Text (en)</a>.</p>'
    )
    assert line in (tmp_path / "site/de/privacy/index.html").read_text(encoding="utf-8")
    versions = (tmp_path / "site/de/privacy/versions/index.html").read_text(encoding="utf-8")
    assert 'class="binding-language"' in versions
    assert 'class="binding-language"' not in (tmp_path / "site/privacy/index.html").read_text(
        encoding="utf-8"
    )
    bad = build_site_cli(
        repo.path,
        tmp_path / "bad",
        tmp_path / "cache",
        env={"PUBLISHER_BINDING_LANGUAGE": "english!"},
    )
    assert bad.exit_code != 0 and "'english!' is not a language tag" in bad.output
