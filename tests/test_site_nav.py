"""The site's navigation stays short however many policies there are: above the plugin's
`nav_limit`, the policy pages leave the navigation and the policies index lists them."""

from __future__ import annotations

import re
from pathlib import Path

from gitrepo import GitRepo
from sitebuild import SiteLinks, build_site_cli


def many_policies(path: Path, count: int) -> GitRepo:
    repo = GitRepo.init(path)
    for i in range(count):
        repo.write(
            f"policies/policy-{i}.md",
            f"---\ntitle: Policy {i}\nversion: '1'\neffective: 2024-01-01\n---\n\n1. Rule {i}.\n",
        )
    repo.commit("Add the policies", date="2024-01-01")
    return repo


def main_nav(html: str) -> list[str]:
    """The links of the theme's main navigation (the default mkdocs theme prints none when
    the navigation holds one page: the site name links home)."""
    found = re.search(r"<!-- Main navigation -->\s*<ul[^>]*>(.*?)</ul>", html, re.S)
    return re.findall(r'<a href="([^"]*)"', found[1]) if found else []


def build(repo: GitRepo, tmp_path: Path) -> Path:
    result = build_site_cli(repo.path, tmp_path / "site", tmp_path / "cache", "--strict")
    assert result.exit_code == 0, result.output
    return tmp_path / "site"


def test_above_the_limit_the_nav_is_short_and_the_index_links_every_policy(
    tmp_path: Path,
) -> None:
    site = build(many_policies(tmp_path / "repo", 9), tmp_path)  # default nav_limit: 8
    page = (site / "policy-0" / "index.html").read_text(encoding="utf-8")
    assert main_nav(page) == []
    assert '<a class="navbar-brand" href="..">Policies</a>' in page
    index = (site / "index.html").read_text(encoding="utf-8")
    for i in range(9):
        assert f'href="policy-{i}/">Policy {i}</a>' in index
    assert SiteLinks.read(site).broken() == []


def test_up_to_the_limit_every_policy_is_in_the_nav(tmp_path: Path) -> None:
    site = build(many_policies(tmp_path / "repo", 3), tmp_path)
    page = (site / "policy-0" / "index.html").read_text(encoding="utf-8")
    assert main_nav(page) == ["..", "./", "../policy-1/", "../policy-2/"]


def test_nav_limit_option_and_no_index_page_keep_policies_reachable(tmp_path: Path) -> None:
    repo = many_policies(tmp_path / "repo", 3)
    (repo.path / "docs").mkdir()
    (repo.path / "docs" / "index.md").write_text("# Home\n\n<!-- policies -->\n")
    (repo.path / "docs" / "contact.md").write_text("# Contact\n")
    (repo.path / "mkdocs.yml").write_text(
        "site_name: Example\nplugins:\n  - policies:\n      nav_limit: 2\n"
    )
    site = build(repo, tmp_path / "with-index")
    page = (site / "policy-0" / "index.html").read_text(encoding="utf-8")
    assert main_nav(page) == ["..", "../contact/"]

    # Without a page holding the policies index, the policies are linked from nowhere but
    # the navigation: they stay in it whatever their number.
    (repo.path / "docs" / "index.md").write_text("# Home\n")
    site = build(repo, tmp_path / "without-index")
    page = (site / "policy-0" / "index.html").read_text(encoding="utf-8")
    assert "./" in main_nav(page) and "../policy-2/" in main_nav(page)
