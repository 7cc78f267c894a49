"""A repository of 20 locale folders with 52 policies each and no front matter at all (the
layout of a real browser maker's policy repository): one policy per name, with 19
translations each; ``list`` and ``build`` (one multilingual site) work on it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gitrepo import GitRepo
from sitebuild import build_site_cli
from translations_support import LOCALES, policy_names, policy_path

from publisher.cli import main

NAMES = policy_names(52)


@pytest.fixture(scope="module")
def multilingual(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    repo = GitRepo.init(tmp_path_factory.mktemp("multilingual") / "repo")
    for locale in LOCALES:
        for n, name in enumerate(NAMES):
            repo.write(
                policy_path(locale, name),
                f"# {name} ({locale})\n\n1. Clause one of {n} in {locale}.\n"
                f"2. Clause two of {n} in {locale}.\n",
            )
    repo.commit("All policies in 20 languages", date="2024-01-10")
    for locale in ("en", "de"):
        repo.write(
            f"policies/{locale}/policy-00.md",
            f"# policy-00 ({locale})\n\n1. Clause one, changed, {locale}.\n"
            f"2. Clause two of 0 in {locale}.\n",
        )
    repo.commit("Change policy-00 in English and German", date="2024-02-10")
    repo.write("policies/en/policy-01.md", "# policy-01 (en)\n\n1. Changed.\n2. Two.\n")
    repo.commit("Change policy-01 in English only", date="2024-02-11")
    return repo


def test_list_has_one_policy_per_name_in_20_languages(multilingual: GitRepo) -> None:
    from click.testing import CliRunner

    result = CliRunner().invoke(main, ["-C", str(multilingual.path), "list", "--format", "json"])
    assert result.exit_code == 0, result.output
    policies = json.loads(result.stdout)["policies"]
    assert sorted(p["slug"] for p in policies) == NAMES
    assert all(p["path"].startswith("policies/en/") for p in policies)
    assert {len(p["languages"]) for p in policies} == {20}
    assert policies[0]["languages"][0] == "en"


def test_translations_report_exactly_the_lagging_ones(multilingual: GitRepo) -> None:
    from click.testing import CliRunner

    result = CliRunner().invoke(
        main,
        ["-C", str(multilingual.path), "translations", "--today", "2024-03-01", "--format", "json"],
    )
    assert result.exit_code == 0, result.output
    entries = json.loads(result.stdout)["translations"]
    assert len(entries) == 52 * 19
    lagging = {(e["slug"], e["language"]) for e in entries if e["lagging"]}
    expected = {("policy-00", t) for t in LOCALES[2:]} | {("policy-01", t) for t in LOCALES[1:]}
    assert lagging == expected


def test_build_publishes_every_policy(multilingual: GitRepo, tmp_path: Path) -> None:
    site = tmp_path / "site"
    result = build_site_cli(multilingual.path, site, tmp_path / "cache")
    assert result.exit_code == 0, result.output
    for name in NAMES:
        assert (site / name / "index.html").is_file()
    assert not any(site.glob("*-de"))  # no stop-gap slugs for translations
    for locale in LOCALES[1:]:
        assert (site / locale / "policy-51" / "index.html").is_file()
    lagging = (site / "fr/policy-01/index.html").read_text(encoding="utf-8")
    assert 'class="translation-lag"' in lagging and 'hreflang="zh-TW"' in lagging
