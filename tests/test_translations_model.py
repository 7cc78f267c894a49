"""Translations as a model: which files are one policy in several languages (a suffix beside
the source, locale folders with BCP 47 tags, front matter ``lang``), the shared slug, and the
``languages`` / ``default_language`` settings. Real git repositories, no front matter needed."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepo import GitRepo

from publisher.config import Settings, load_settings
from publisher.errors import ConfigError, NotFoundError
from publisher.history import PolicyRepo
from publisher.languages import file_language, normalise_tag
from publisher.lint.repository import run_lint

EN = "# Privacy\n\n1. We keep little.\n2. We delete it.\n"
DE = "# Datenschutz\n\n1. Wir speichern wenig.\n2. Wir löschen es.\n"
FR = "# Confidentialité\n\n1. Nous gardons peu.\n2. Nous effaçons.\n"


def reader(repo: GitRepo, **settings: object) -> PolicyRepo:
    chosen: dict[str, object] = {"policies": "**/*.md", **settings}
    return PolicyRepo.open(Settings(root=repo.path, **chosen))  # type: ignore[arg-type]


def test_a_suffix_beside_the_source_is_a_translation_with_the_same_slug(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("privacy.md", EN)
    repo.write("privacy.de.md", DE)
    repo.write("terms.md", "# Terms\n\n1. Be kind.\n")
    repo.commit("Add policies", date="2024-05-01")
    with reader(repo) as r:
        listed = {p.path: (p.slug, p.language) for p in r.policies()}
        assert listed == {"privacy.md": ("privacy", "en"), "terms.md": ("terms", "en")}
        source = r.policy("privacy")
        assert source.path == "privacy.md" and not source.is_translation
        [german] = r.translations(source)
        assert (german.slug, german.language, german.path, german.source) == (
            "privacy",
            "de",
            "privacy.de.md",
            "privacy.md",
        )
        assert german.title == "Datenschutz"
        assert r.policy("privacy.de.md").language == "de"
        assert r.policy("privacy", language="de").path == "privacy.de.md"
        assert r.languages(source) == ["en", "de"]
        assert r.translations(r.policy("terms")) == []


def test_locale_folders_with_region_tags(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("en/privacy.md", EN)
    repo.write("pt-BR/privacy.md", "# Privacidade\n\n1. Pouco.\n2. Apagamos.\n")
    repo.write("zh_CN/privacy.md", "# 隐私\n\n1. 很少。\n2. 删除。\n")
    repo.write("de/privacy.md", DE)
    repo.commit("Add policies", date="2024-05-01")
    with reader(repo) as r:
        [source] = r.policies()
        assert (source.slug, source.path, source.language) == ("privacy", "en/privacy.md", "en")
        assert r.languages(source) == ["en", "de", "pt-BR", "zh-CN"]
        assert r.policy("privacy", language="pt-br").path == "pt-BR/privacy.md"
        with pytest.raises(NotFoundError) as missing:
            r.policy("privacy", language="fr")
        assert "no 'fr' translation" in missing.value.message
        assert missing.value.hint == "languages of privacy: en, de, pt-BR, zh-CN"


def test_front_matter_lang_and_a_shared_slug_make_a_translation(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("policies/privacy.md", "---\nslug: privacy\n---\n" + EN)
    repo.write("policies/datenschutz.md", "---\nslug: privacy\nlang: de_at\n---\n" + DE)
    repo.commit("Add policies", date="2024-05-01")
    with reader(repo, policies="policies/*.md") as r:
        [source] = r.policies()
        [german] = r.translations(source)
        assert (german.path, german.language, german.slug) == (
            "policies/datenschutz.md",
            "de-AT",
            "privacy",
        )


def test_the_settings_choose_the_source_and_which_folders_are_languages(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("privacy.md", DE)
    repo.write("privacy.en.md", EN)
    repo.write("it/privacy.md", "# Privacy (Italia)\n\n1. Poco.\n")
    repo.commit("Add policies", date="2024-05-01")
    with reader(repo, default_language="de", languages=("de", "en")) as r:
        by_path = {p.path: p for p in r.policies()}
        assert set(by_path) == {"privacy.md", "it/privacy.md"}  # it/ is only a folder here
        assert by_path["privacy.md"].language == "de"
        assert [t.path for t in r.translations(by_path["privacy.md"])] == ["privacy.en.md"]
        assert by_path["it/privacy.md"].slug != "privacy"


def test_a_family_without_the_default_language_has_its_first_language_as_source(
    tmp_path: Path,
) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("fr/privacy.md", FR)
    repo.write("de/privacy.md", DE)
    repo.commit("Add the translations")
    with reader(repo) as r:
        [source] = r.policies()
        assert (source.path, source.slug) == ("de/privacy.md", "privacy")
        assert [t.path for t in r.translations(source)] == ["fr/privacy.md"]


def test_two_files_in_one_language_stay_two_policies(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("privacy.md", EN)
    repo.write("en/privacy.md", EN.replace("little", "less"))
    repo.write("de/privacy.md", DE)
    repo.commit("Add policies")
    with reader(repo) as r:
        slugs = sorted(p.slug for p in r.policies())
        assert len(slugs) == 3 and len(set(slugs)) == 3


def test_lint_reports_no_duplicate_slug_for_translations(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("policies/privacy.md", "---\nslug: privacy\n---\n" + EN)
    repo.write("policies/privacy.de.md", "---\nslug: privacy\n---\n" + DE)
    repo.write("policies/other.md", "---\nslug: privacy\n---\n# Other\n\n1. Else.\n")
    repo.commit("Add policies")
    findings = run_lint(Settings(root=repo.path)).findings
    duplicates = [f for f in findings if f.rule == "duplicate-slug"]
    assert sorted(f.path for f in duplicates) == ["policies/other.md", "policies/privacy.md"]


@pytest.mark.parametrize(
    ("tag", "normal"),
    [("pt_br", "pt-BR"), ("ZH-hans", "zh-Hans"), ("de", "de"), ("es-419", "es-419")],
)
def test_tags_are_normalised(tag: str, normal: str) -> None:
    assert normalise_tag(tag) == normal


def test_file_language_reads_suffix_folder_and_default() -> None:
    assert file_language("policies/privacy.fr.md", base="policies").language == "fr"
    assert file_language("legal/pt-BR/terms.md").neutral == "legal/terms.md"
    assert file_language("notes.v2.md").language == "en"  # v2 is no language
    assert file_language("de/privacy.md", declared="fr").origin == "front matter"


def test_bad_language_settings_are_one_error(tmp_path: Path) -> None:
    (tmp_path / "publisher.toml").write_text(
        'languages = ["en", "not a tag"]\ndefault_language = "e"\n', encoding="utf-8"
    )
    with pytest.raises(ConfigError) as error:
        load_settings(tmp_path, env={})
    assert "'not a tag' is not a language tag" in error.value.message
    assert "'e' is not a language tag" in error.value.message
