"""Real repository layouts, through the CLI: repeated and uninformative file names, files that
are no policies, translations side by side, and slugs that stay put as policies are added."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from gitrepo import GitRepo

from publisher.cli import main

TERMS = "# Terms of Service\n\n1. Be kind.\n2. Pay on time.\n"
PRIVACY = "# Privacy\n\n1. We keep little.\n"


def run(repo: GitRepo, *args: str) -> Result:
    return CliRunner().invoke(main, ["-C", str(repo.path), "--policies", "**/*.md", *args])


@pytest.fixture
def layout(tmp_path: Path) -> GitRepo:
    """No front matter at all: two index.md, a README.md, a folder and a file name with
    spaces."""
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("a/index.md", "# Acceptable Use\n\n1. No spam.\n")
    repo.write("b/index.md", PRIVACY)
    repo.write("README.md", "# Our policies\n\nRead them.\n")
    repo.write("Some Service/Terms of Service.md", TERMS)
    repo.commit("Add the policies", date="2024-05-01")
    repo.write("b/index.md", PRIVACY + "2. We delete it after a year.\n")
    repo.commit("Privacy: deletion after a year", date="2024-06-01")
    return repo


def slugs(repo: GitRepo) -> dict[str, str]:
    result = run(repo, "list", "--format", "json")
    assert result.exit_code == 0, result.output
    return {p["path"]: p["slug"] for p in json.loads(result.stdout)["policies"]}


def test_list_names_every_policy_by_its_path(layout: GitRepo) -> None:
    assert slugs(layout) == {
        "a/index.md": "a",
        "b/index.md": "b",
        "Some Service/Terms of Service.md": "terms-of-service",
    }
    result = run(layout, "list")
    assert result.stderr.count("note: skipped README.md") == 1


def run_process(repo: GitRepo, *args: str) -> subprocess.CompletedProcess[str]:
    """The real CLI in its own process: what a person sees on stderr, each line once."""
    return subprocess.run(
        [sys.executable, "-m", "publisher", "-C", str(repo.path), "--policies", "**/*.md", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_build_log_and_lint_succeed(layout: GitRepo, tmp_path: Path) -> None:
    site = tmp_path / "site"
    built = run_process(layout, "build", "--site-dir", str(site))
    assert built.returncode == 0, built.stderr
    assert built.stderr.count("note: skipped README.md") == 1, built.stderr
    for slug in ("a", "b", "terms-of-service"):
        assert (site / slug / "index.html").is_file()
    assert not (site / "readme").exists()
    logged = run(layout, "log", "b")
    assert logged.exit_code == 0, logged.output
    assert "2024-05-01" in logged.stdout and "2024-06-01" in logged.stdout
    linted = run(layout, "lint")
    assert linted.exit_code == 0, linted.output
    assert "duplicate-slug" not in linted.output


def test_a_slug_never_changes_when_a_policy_is_added_later(layout: GitRepo) -> None:
    before = slugs(layout)
    layout.write("Other Service/Terms of Service.md", TERMS)
    layout.write("c/index.md", PRIVACY)
    layout.commit("Add another service", date="2024-07-01")
    after = slugs(layout)
    assert {path: after[path] for path in before} == before
    assert after["Other Service/Terms of Service.md"] == "other-service-terms-of-service"
    assert after["c/index.md"] == "c"
    # lint sees a new, uncommitted file the same way: after the committed ones
    layout.write("Third Service/Terms of Service.md", TERMS)
    linted = run(layout, "lint")
    assert linted.exit_code == 0, linted.output


def test_stems_that_repeat_from_the_start_all_name_their_folder(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("Facebook/Terms of Service.md", TERMS)
    repo.write("Instagram/Terms of Service.md", TERMS)
    repo.commit("Add two services")
    assert set(slugs(repo).values()) == {"facebook-terms-of-service", "instagram-terms-of-service"}


def test_translations_side_by_side_are_no_error(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("de/privacy.md", "# Datenschutz\n\n1. Wenig.\n")
    repo.write("fr/privacy.md", "# Confidentialité\n\n1. Peu.\n")
    repo.commit("Add the translations")
    # one policy in two languages: no English file, so German (first) is the source
    assert slugs(repo) == {"de/privacy.md": "privacy"}
    linted = run(repo, "lint")
    assert linted.exit_code == 0, linted.output
    built = run(repo, "build", "--site-dir", str(tmp_path / "site"))
    assert built.exit_code == 0, built.output


def test_two_front_matter_slugs_that_collide_are_still_an_error(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("a.md", "---\nslug: terms\n---\n# A\n\n1. One.\n")
    repo.write("b.md", "---\nslug: terms\n---\n# B\n\n1. One.\n")
    repo.commit("Add")
    linted = run(repo, "lint")
    assert linted.exit_code != 0
    assert "duplicate-slug" in linted.output


def test_exclude_setting(layout: GitRepo) -> None:
    layout.write("publisher.toml", 'exclude = ["a/**"]\n')
    assert set(slugs(layout)) == {"b/index.md", "Some Service/Terms of Service.md"}
    layout.write("publisher.toml", 'exclude = ["[oops"]\n')
    result = run(layout, "list")
    assert result.exit_code != 0
    assert "exclude glob" in result.stderr and "Traceback" not in result.output


def test_db_sync_outside_a_repository_creates_nothing(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["-C", str(tmp_path), "db", "sync"])
    assert result.exit_code != 0
    assert "is not a git repository" in result.stderr and "hint:" in result.stderr
    assert "created schema" not in result.stderr and "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def broken_revision(tmp_path: Path) -> GitRepo:
    """A policy with one past revision that cannot be read (malformed front matter)."""
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("policies/terms.md", TERMS)
    repo.commit("Terms")
    repo.write("policies/terms.md", '---\ntitle: "unclosed\n---\n' + TERMS)
    repo.commit("Broken front matter")
    repo.write("policies/terms.md", TERMS + "3. Be fair.\n")
    repo.commit("Fix it")
    return repo


def test_build_warns_once_per_skipped_revision(broken_revision: GitRepo, tmp_path: Path) -> None:
    repo = broken_revision
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "publisher",
            "-C",
            str(repo.path),
            "build",
            "--site-dir",
            str(tmp_path / "site"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    assert built.stderr.count("skipped this revision") == 1, built.stderr


def test_publish_warns_once_per_skipped_revision(broken_revision: GitRepo, tmp_path: Path) -> None:
    repo = broken_revision
    published = subprocess.run(
        [
            sys.executable,
            "-m",
            "publisher",
            "-C",
            str(repo.path),
            "publish",
            "--to",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert published.returncode == 0, published.stderr
    assert published.stderr.count("skipped this revision") == 1, published.stderr
