"""The example site: `publisher build` and `mkdocs build --strict` pass, every URL of DESIGN's
table exists for each example policy, every clause has its anchor, every internal link
resolves; and the plugin's options (prefix, templates, material theme, no mkdocs.yml)."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from gitrepo import GitRepo
from sitebuild import REPO_ROOT, SiteLinks, build_site_cli

from publisher.config import load_settings
from publisher.history import PolicyRepo
from publisher.pages import Urls

EXAMPLE_SLUGS = ("acceptable-use", "terms-of-service", "privacy")


@pytest.fixture(scope="module")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("example")
    result = build_site_cli(REPO_ROOT, tmp / "site", tmp / "cache")
    assert result.exit_code == 0, result.output
    assert "built " in result.output
    return tmp / "site"


@pytest.fixture(scope="module")
def example_versions() -> dict[str, list[str]]:
    with PolicyRepo.open(load_settings(REPO_ROOT)) as repo:
        return {p.slug: [v.label for v in p.versions] for p in repo.policies()}


def design_urls(slug: str, labels: list[str], urls: Urls) -> list[str]:
    """DESIGN's table for one policy: every site path it promises."""
    paths = [
        urls.policy(slug),
        urls.versions(slug),
        urls.feed(slug),
        urls.feed(),
        urls.api_policies(),
        urls.api_versions(slug),
    ]
    for label in labels:
        paths += [urls.version(slug, label), urls.api_version(slug, label)]
    current = labels[-1]
    for old, new in itertools.pairwise(labels):
        paths += [
            urls.changes(slug, old, new),
            urls.changes_material(slug, old, new),
            urls.api_changes(slug, old, new),
        ]
    for old in labels[:-1]:
        paths += [
            urls.changes(slug, old, current),
            urls.changes_material(slug, old, current),
            urls.api_changes(slug, old, current),
        ]
    return paths


def test_example_policies_have_three_versions_each(example_versions: dict[str, list[str]]) -> None:
    # docs/example-policies.md: three policies with versions 1, 2, 3.
    assert {slug: example_versions[slug] for slug in EXAMPLE_SLUGS} == {
        slug: ["1", "2", "3"] for slug in EXAMPLE_SLUGS
    }


@pytest.mark.parametrize("slug", EXAMPLE_SLUGS)
def test_every_design_url_exists(
    example_site: Path, example_versions: dict[str, list[str]], slug: str
) -> None:
    site = SiteLinks(example_site)
    missing = [
        p for p in design_urls(slug, example_versions[slug], Urls()) if not site.target(p).is_file()
    ]
    assert missing == []
    # The three forms of the URL scheme are the DESIGN's literal paths.
    assert (example_site / slug / "changes" / "1..2" / "index.html").is_file()
    assert (example_site / "api" / slug / "changes" / "1..3.json").is_file()


def test_every_internal_link_resolves(example_site: Path) -> None:
    site = SiteLinks.read(example_site)
    assert len(site.links) > 20
    assert site.broken() == []


@pytest.mark.parametrize("slug", EXAMPLE_SLUGS)
def test_every_clause_of_every_version_has_its_anchor(example_site: Path, slug: str) -> None:
    site = SiteLinks.read(example_site)
    with PolicyRepo.open(load_settings(REPO_ROOT)) as repo:
        policy = repo.policy(slug)
        for version in policy.versions:
            anchors = {c.anchor for c in repo.document(version.revision).walk()}
            page = f"{slug}/v/{version.label}/index.html"
            assert anchors <= site.ids[page], anchors - site.ids[page]
        current = {c.anchor for c in repo.document(policy.current.revision).walk()}
        assert current <= site.ids[f"{slug}/index.html"]


def test_current_page_has_banner_and_what_changed_link(example_site: Path) -> None:
    html = (example_site / "acceptable-use" / "index.html").read_text(encoding="utf-8")
    assert 'class="version-banner version-banner-current"' in html
    assert "Version 3" in html and "In force" in html
    assert 'href="changes/2..3/">What changed</a>' in html
    assert 'href="versions/">All versions</a>' in html


def test_material_changes_page_lists_and_contents_only_material_changes(
    example_site: Path,
) -> None:
    full = (example_site / "terms-of-service" / "changes" / "1..2" / "index.html").read_text(
        "utf-8"
    )
    only = (
        example_site / "terms-of-service" / "changes" / "1..2" / "material" / "index.html"
    ).read_text("utf-8")
    material, editorial = only.count('data-material="true"'), full.count('data-material="false"')
    assert material > 0 and editorial > 0
    assert 'data-material="false"' not in only
    assert full.count('data-material="true"') == material
    # The sidebar lists the page's own changes, every one resolving on the page.
    toc = re.findall(r'href="#(redline-change-\d+)"', only)
    assert sorted(set(toc)) == sorted(f"redline-change-{n}" for n in range(1, material + 1))
    assert len(set(re.findall(r'href="#(redline-change-\d+)"', full))) == material + editorial
    assert "#material-only" not in full + only
    assert 'href="material/"' in full and 'href="../"' in only


def test_past_version_is_marked_superseded(example_site: Path) -> None:
    html = (example_site / "privacy" / "v" / "1" / "index.html").read_text(encoding="utf-8")
    assert "version-banner-superseded" in html and "Superseded" in html
    assert 'href="../../">version 3</a>' in html
    assert 'href="../../changes/1..3/">Compare this version with version 3</a>' in html


def test_history_lists_every_version_with_counts(example_site: Path) -> None:
    html = (example_site / "terms-of-service" / "versions" / "index.html").read_text("utf-8")
    for label in ("1", "2", "3"):
        assert f'href="../v/{label}/">Version {label}</a>' in html
    assert html.count("badge-material") == 2  # v2 and v3 have material changes
    assert "First version" in html


def test_search_indexes_the_text_in_force_not_every_version(example_site: Path) -> None:
    index = json.loads((example_site / "search" / "search_index.json").read_text("utf-8"))
    pages = {doc["location"].split("#")[0] for doc in index["docs"]}
    assert {"acceptable-use/", "terms-of-service/", "privacy/", ""} <= pages
    assert not [p for p in pages if "/v/" in p or "/changes/" in p or "/versions/" in p]


def test_mkdocs_build_strict_passes_on_the_example(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "s")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**__import__("os").environ, "PUBLISHER_CACHE_DIR": str(tmp_path / "cache")},
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "s" / "acceptable-use" / "index.html").is_file()
    assert "WARNING" not in proc.stderr


# ------------------------------------------------------------------ options, on test repos


def small_repo(path: Path) -> GitRepo:
    repo = GitRepo.init(path)
    repo.write(
        "policies/aup.md",
        "---\ntitle: Acceptable Use\nversion: '1'\neffective: 2024-02-01\n---\n\n"
        "1. Do not send spam.\n2. Do not probe networks.\n",
    )
    repo.commit("AUP v1", date="2024-01-01")
    repo.write(
        "policies/aup.md",
        "---\ntitle: Acceptable Use\nversion: '2'\neffective: 2024-04-01\n---\n\n"
        "1. Do not send bulk or unsolicited mail.\n2. Do not probe networks.\n"
        "3. Do not mine cryptocurrency.\n",
    )
    repo.commit("AUP v2", date="2024-03-01")
    return repo


def test_built_in_configuration_when_the_repo_has_no_mkdocs_yml(tmp_path: Path) -> None:
    repo = small_repo(tmp_path / "repo")
    result = build_site_cli(repo.path, tmp_path / "site", tmp_path / "cache")
    assert result.exit_code == 0, result.output
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert 'href="aup/">Acceptable Use</a>' in index
    site = SiteLinks.read(tmp_path / "site")
    assert site.broken() == []
    assert (tmp_path / "site" / "aup" / "changes" / "1..2" / "index.html").is_file()


def test_build_says_its_counts_in_the_right_number(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("policies/aup.md", "---\ntitle: AUP\nversion: '1'\n---\n\n1. Be kind.\n")
    repo.commit("AUP v1", date="2024-01-01")
    result = build_site_cli(repo.path, tmp_path / "site", tmp_path / "cache")
    assert result.exit_code == 0, result.output
    assert "(1 policy, 1 version, 0 redlines, " in result.output, result.output
    assert re.search(r"\b1 (policies|versions|pages|files)\b", result.output) is None
    assert "Documentation built with" not in (tmp_path / "site" / "index.html").read_text()
    repo.write("policies/aup.md", "---\ntitle: AUP\nversion: '2'\n---\n\n1. Be fair.\n")
    repo.commit("AUP v2", date="2024-02-01")
    result = build_site_cli(repo.path, tmp_path / "site", tmp_path / "cache")
    assert "(1 policy, 2 versions, 1 redline, " in result.output, result.output


def test_prefix_moves_every_policy_url(tmp_path: Path) -> None:
    repo = small_repo(tmp_path / "repo")
    (repo.path / "docs").mkdir()
    (repo.path / "docs" / "index.md").write_text("# Home\n\n<!-- policies -->\n")
    (repo.path / "mkdocs.yml").write_text(
        "site_name: Example\nsite_url: https://example.com/\n"
        "plugins:\n  - policies:\n      prefix: legal\n"
    )
    result = build_site_cli(repo.path, tmp_path / "site", tmp_path / "cache", "--strict")
    assert result.exit_code == 0, result.output
    site = SiteLinks.read(tmp_path / "site")
    for path in design_urls("aup", ["1", "2"], Urls("legal")):
        assert site.target(path).is_file(), path
    assert not (tmp_path / "site" / "aup").exists()
    assert site.broken() == []
    feed = (tmp_path / "site" / "legal" / "feed.xml").read_text(encoding="utf-8")
    assert "<id>https://example.com/legal/aup/v/2/</id>" in feed
    api = json.loads((tmp_path / "site" / "legal" / "api" / "policies.json").read_text())
    assert api["policies"][0]["url"] == "https://example.com/legal/aup/"


def test_site_templates_override_the_package_ones(tmp_path: Path) -> None:
    repo = small_repo(tmp_path / "repo")
    overrides = repo.path / "overrides" / "fragments"
    overrides.mkdir(parents=True)
    package = Path(__file__).resolve().parents[1] / "publisher" / "templates" / "fragments"
    banner = (package / "version_banner.html").read_text(encoding="utf-8")
    (overrides / "version_banner.html").write_text(
        '<p class="house-style">Our own banner for {{ version.label }}</p>\n' + banner
    )
    (repo.path / "docs").mkdir()
    (repo.path / "docs" / "index.md").write_text("# Home\n")
    (repo.path / "mkdocs.yml").write_text(
        "site_name: Example\nplugins:\n  - policies:\n      templates: overrides\n"
    )
    result = build_site_cli(repo.path, tmp_path / "site", tmp_path / "cache")
    assert result.exit_code == 0, result.output
    html = (tmp_path / "site" / "aup" / "index.html").read_text(encoding="utf-8")
    assert '<p class="house-style">Our own banner for 2</p>' in html


def test_mkdocs_material_theme_builds_strict(tmp_path: Path) -> None:
    pytest.importorskip("material")
    repo = small_repo(tmp_path / "repo")
    (repo.path / "docs").mkdir()
    (repo.path / "docs" / "index.md").write_text("# Home\n\n<!-- policies -->\n")
    (repo.path / "mkdocs.yml").write_text(
        "site_name: Example\ntheme:\n  name: material\nplugins:\n  - search\n  - policies\n"
    )
    result = build_site_cli(
        repo.path,
        tmp_path / "site",
        tmp_path / "cache",
        "--strict",
        env={"NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.exit_code == 0, result.output
    html = (tmp_path / "site" / "aup" / "changes" / "1..2" / "index.html").read_text("utf-8")
    assert "md-content" in html  # the theme wrapped the page
    assert "<del>send</del>" in html or "<del>" in html
    assert "policies.css" in html
    assert SiteLinks.read(tmp_path / "site").broken(check_fragments=False) == []


def test_links_between_policies_resolve_on_the_site(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.commit(
        "two policies",
        files={
            "policies/aup.md": "---\nversion: '1'\n---\n# AUP\n\nSee the [terms](legal/tos.md).\n",
            "policies/legal/tos.md": "---\nversion: '1'\n---\n# Terms\n\n1. Obey the "
            "[AUP](../aup.md#c-p1).\n",
        },
    )
    result = build_site_cli(repo.path, tmp_path / "site", tmp_path / "cache")
    assert result.exit_code == 0, result.output
    aup = (tmp_path / "site" / "aup" / "v" / "1" / "index.html").read_text(encoding="utf-8")
    assert 'href="../../../tos/"' in aup
    tos = (tmp_path / "site" / "tos" / "index.html").read_text(encoding="utf-8")
    assert 'href="../aup/#c-p1"' in tos
    assert SiteLinks.read(tmp_path / "site").broken() == []


def test_a_slug_that_cannot_be_a_web_address_is_an_error(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.commit("odd slug", files={"policies/a.md": "---\nslug: 'our terms?'\n---\nA.\n"})
    result = build_site_cli(repo.path, tmp_path / "site", tmp_path / "cache")
    assert result.exit_code == 2
    assert "policies/a.md:2: slug 'our terms?' cannot be used in a URL" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "site").exists()


def test_a_docs_page_clashing_with_a_policy_page_is_an_error(tmp_path: Path) -> None:
    repo = small_repo(tmp_path / "repo")
    (repo.path / "docs").mkdir()
    (repo.path / "docs" / "index.md").write_text("# Home\n")
    (repo.path / "docs" / "aup.md").write_text("# My own AUP page\n")
    (repo.path / "mkdocs.yml").write_text("site_name: Example\nplugins:\n  - policies\n")
    result = build_site_cli(repo.path, tmp_path / "site", tmp_path / "cache")
    assert result.exit_code == 2
    assert "aup.md is both a page of docs_dir and a policy page" in result.output
    assert "Traceback" not in result.output


def test_history_gives_the_publishing_commit_and_says_when_it_was_last_changed(
    tmp_path: Path,
) -> None:
    repo = small_repo(tmp_path / "repo")
    published = repo.head()
    text = (repo.path / "policies/aup.md").read_text(encoding="utf-8")
    repo.write("policies/aup.md", text.replace("effective: 2024-04-01", "effective: 2024-04-02"))
    repo.commit("Fix the AUP's effective date", date="2024-05-06")
    touched = repo.head()
    result = build_site_cli(repo.path, tmp_path / "site", tmp_path / "cache")
    assert result.exit_code == 0, result.output
    html = (tmp_path / "site" / "aup" / "versions" / "index.html").read_text("utf-8")
    row = html.split('id="v-2"')[1].split("</tr>")[0]
    assert f"<code>{published[:10]}</code>" in row and ">1 March 2024</time>" in row
    assert f"last changed in <code>{touched[:10]}</code> on" in row and "6 May 2024" in row
    assert "last changed" not in html.split('id="v-1"')[1].split("</tr>")[0]
    data = json.loads((tmp_path / "site" / "api" / "aup" / "versions.json").read_text("utf-8"))
    assert [v["commit"] for v in data["versions"]][1] == published
    assert data["versions"][1]["last_commit"] == touched
    assert data["versions"][0]["last_commit"] == data["versions"][0]["commit"]
