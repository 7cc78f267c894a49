"""One `templates` setting (default `templates/` in the policy repository) overrides the
package's templates for the public site, the notice emails and the acceptance pages alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import notices_support as notices_support
import pytest
from gitrepo import GitRepo
from sitebuild import REPO_ROOT, build_site_cli
from web_support import make_site

from publisher.config import load_settings
from publisher.errors import ConfigError
from publisher.notices.runner import templates_dir
from publisher.templating import templates_folder

POLICY = "---\ntitle: Terms\nversion: '1'\neffective: 2024-02-01\n---\n# Terms\n\n1. Be fair.\n"
BANNER = '<aside class="version-banner">Our own banner for version {{ version.label }}</aside>\n'


def test_the_setting_defaults_to_the_repository_templates_folder(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, env={})
    assert settings.templates == "templates"
    assert templates_folder(settings) is None  # no such folder: the package's templates
    (tmp_path / "templates").mkdir()
    assert templates_folder(settings) == tmp_path / "templates"
    assert templates_dir(settings) == tmp_path / "templates"  # what the notices use


def test_a_folder_set_explicitly_must_exist(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, env={"PUBLISHER_TEMPLATES": "brand/templates"})
    with pytest.raises(ConfigError, match="brand/templates") as raised:
        templates_folder(settings)
    assert raised.value.hint and "templates" in raised.value.hint
    (tmp_path / "brand" / "templates").mkdir(parents=True)
    assert templates_folder(settings) == tmp_path / "brand" / "templates"


def test_the_site_uses_the_repository_templates_without_a_plugin_option(
    tmp_path: Path,
) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("policies/terms.md", POLICY)
    repo.write("templates/fragments/version_banner.html", BANNER)
    repo.commit("Terms with our own banner")
    result = build_site_cli(repo.path, tmp_path / "site", tmp_path / "cache")
    assert result.exit_code == 0, result.output
    page = (tmp_path / "site" / "terms" / "index.html").read_text(encoding="utf-8")
    assert "Our own banner for version 1" in page

    # The setting moves the folder (here through the environment).
    repo.write("brand/fragments/version_banner.html", BANNER.replace("Our own", "Brand"))
    repo.commit("A brand folder")
    result = build_site_cli(
        repo.path, tmp_path / "site", tmp_path / "cache", env={"PUBLISHER_TEMPLATES": "brand"}
    )
    assert result.exit_code == 0, result.output
    page = (tmp_path / "site" / "terms" / "index.html").read_text(encoding="utf-8")
    assert "Brand banner for version 1" in page


def test_the_example_repository_overrides_the_email_footer() -> None:
    footer = REPO_ROOT / "templates" / "notices" / "footer.txt"
    assert footer.is_file()
    from publisher.templating import environment

    settings = load_settings(REPO_ROOT, env={})
    folder = templates_folder(settings)
    assert folder == REPO_ROOT / "templates"
    ours = environment(folder).get_template("notices/footer.txt")
    package = environment().get_template("notices/footer.txt")
    values = {"contact": "legal@northwind.example", "provider": "Northwind Cloud Ltd."}
    assert ours.render(**values) != package.render(**values)
    assert "legal@northwind.example" in ours.render(**values)


def test_the_notice_email_uses_the_repository_templates(
    sqlite_setup: notices_support.Setup, notice_repo: Path
) -> None:
    folder = notice_repo / "templates" / "notices"
    folder.mkdir(parents=True)
    (folder / "footer.txt").write_text("Write to {{ contact }} (our own footer).\n")
    (folder / "footer.html").write_text("<p>Write to {{ contact }} (our own footer).</p>\n")
    effective = (datetime.now(UTC).date() + timedelta(days=45)).isoformat()
    created = sqlite_setup.cli("notice", "create", "acceptable-use", "--effective", effective)
    assert created.exit_code == 0, created.output
    notice = created.stdout.splitlines()[-1]
    text = sqlite_setup.cli("notice", "preview", notice, "--customer", "c2")
    assert text.exit_code == 0, text.output
    assert "(our own footer)" in text.stdout and "If you have questions" not in text.stdout
    html = sqlite_setup.cli("notice", "preview", notice, "--customer", "c2", "--html").stdout
    assert "<p>Write to" in html and "(our own footer)" in html


def test_the_acceptance_pages_use_the_repository_templates(
    database_url: str, tmp_path: Path
) -> None:
    (tmp_path / "templates" / "acceptance").mkdir(parents=True)
    (tmp_path / "templates" / "acceptance" / "unknown.html").write_text(
        '{% extends "acceptance/base.html" %}{% block title %}Gone{% endblock %}'
        "{% block main %}<h1>Our own page: this link is gone</h1>{% endblock %}\n"
    )
    (tmp_path / "templates" / "acceptance" / "acceptance.css").write_text(
        "body { background: #fafafa; } /* our own */\n"
    )
    site = make_site(database_url, tmp_path)
    try:
        gone = site.client.get(site.link(customer="nobody"))
        assert gone.status_code == 404
        assert "Our own page: this link is gone" in gone.text
        page = site.client.get(site.link())
        assert page.status_code == 200 and "I accept" in page.text  # the rest: the package's
        css = site.client.get("/static/acceptance.css").text
        assert "/* our own */" in css
        assert ".policy-body" in css  # the shared policy text styles still come along
    finally:
        site.client.close()
        site.database.dispose()


def test_every_acceptance_template_is_documented() -> None:
    doc = (REPO_ROOT / "docs" / "acceptance.md").read_text(encoding="utf-8")
    package = REPO_ROOT / "publisher" / "templates" / "acceptance"
    for template in sorted(package.iterdir()):
        assert f"`{template.name}`" in doc, template.name
