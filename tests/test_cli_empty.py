"""Doing nothing never looks like success: `build` without policies fails, `lint` always
says what it checked, counts read "1 policy" / "2 policies", and `build` says when its output
folder is not git-ignored."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from gitrepo import GitRepo

from publisher.cli import main
from publisher.counting import counted

TERMS = """---
title: Terms
slug: terms
version: "1"
---
# Terms

1. Be kind.
"""
PRIVACY = TERMS.replace("Terms", "Privacy").replace("slug: terms", "slug: privacy")


def invoke(repo: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["-C", str(repo), *args], prog_name="publisher")


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    git = GitRepo.init(tmp_path / "repo")
    git.write("legal/terms.md", TERMS)
    git.commit("Publish the terms", date="2024-01-10")
    return git


def test_plural() -> None:
    assert [counted(n, "policy", "policies") for n in (0, 1, 2)] == [
        "0 policies",
        "1 policy",
        "2 policies",
    ]
    assert counted(1, "finding") == "1 finding" and counted(3, "finding") == "3 findings"


def test_build_without_matching_policies_fails_and_writes_nothing(repo: GitRepo) -> None:
    result = invoke(repo.path, "build")
    assert result.exit_code == 2, result.output
    assert "no policies match 'policies/**/*.md'" in result.stderr
    assert "--policies GLOB" in result.stderr and "Traceback" not in result.output
    assert result.stdout == ""
    assert not (repo.path / "build" / "site" / "index.html").exists()


def test_build_without_policies_with_format_json_fails_in_json(repo: GitRepo) -> None:
    result = invoke(repo.path, "build", "--format", "json")
    assert result.exit_code == 2 and result.stdout == ""
    assert '"message": "no policies match' in result.stderr


def test_build_says_singular_and_that_build_is_not_ignored(repo: GitRepo) -> None:
    result = invoke(repo.path, "--policies", "legal/*.md", "build")
    assert result.exit_code == 0, result.output
    assert "(1 policy, 1 version, 0 redlines," in result.stdout
    assert "build/site is not git-ignored" in result.stderr
    assert "add build/ to .gitignore" in result.stderr


def test_build_says_nothing_about_an_ignored_folder(repo: GitRepo) -> None:
    repo.write(".gitignore", "build/\n")
    repo.commit("Ignore the build")
    result = invoke(repo.path, "--policies", "legal/*.md", "build")
    assert result.exit_code == 0, result.output
    assert "git-ignored" not in result.stderr


def test_lint_with_no_findings_prints_a_summary(repo: GitRepo) -> None:
    repo.write("legal/privacy.md", PRIVACY)
    repo.commit("Publish the privacy policy")
    result = invoke(repo.path, "--policies", "legal/*.md", "lint")
    assert result.exit_code == 0, result.output
    assert result.stderr.strip().splitlines()[-1] == "0 findings in 2 policies"


def test_lint_summary_is_singular_for_one(repo: GitRepo) -> None:
    repo.write(
        "legal/terms.md",
        TERMS.replace('"1"', '"2"').replace("1. Be kind.", "1. Be kind.\n3. Be quick."),
    )
    result = invoke(repo.path, "--policies", "legal/*.md", "lint")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-2:] == [
        "1 finding (1 error, 0 warnings) in 1 policy",
        "error: 1 lint error",
    ]


def test_lint_without_matching_policies_says_so(repo: GitRepo) -> None:
    result = invoke(repo.path, "lint")
    assert result.exit_code == 0
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("0 findings in 0 policies: no files match 'policies/**/*.md'")
