"""The pre-commit framework runs our hook (`.pre-commit-hooks.yaml`, id `publisher-lint`):
`pre-commit try-repo <this repository> publisher-lint --all-files` in a policy repository in
a temp dir. pre-commit builds a virtualenv from this repository with pip (from the run's
wheelhouse, offline; the environment is kept in a per-session PRE_COMMIT_HOME)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from gitrepo import GitRepo, isolated_git_env
from wheelhouse import offline_pip_env

ROOT = Path(__file__).resolve().parents[1]

TERMS = """---
title: Terms
slug: terms
version: "1"
---
# Terms

1. Keep your password safe.
"""

pytestmark = pytest.mark.skipif(importlib.util.find_spec("pre_commit") is None,
                                reason="pre-commit is not installed (pip install -e .[test])")


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def try_repo(repo: Path, home: Path, wheelhouse: Path) -> subprocess.CompletedProcess[str]:
    env = isolated_git_env(
        **offline_pip_env(wheelhouse),
        PRE_COMMIT_HOME=str(home),
        GIT_AUTHOR_NAME="CI", GIT_AUTHOR_EMAIL="ci@example.com",
        GIT_COMMITTER_NAME="CI", GIT_COMMITTER_EMAIL="ci@example.com",
    )
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "publisher-lint",
         "--all-files", "--color", "never"],
        cwd=repo, capture_output=True, text=True, env=env, check=False, timeout=900,
    )


def test_pre_commit_try_repo_runs_the_lint(tmp_path: Path, pre_commit_home: Path,
                                           wheelhouse: Path) -> None:
    repo = GitRepo.init(tmp_path / "policies-repo")
    repo.write("README.md", "# About these policies\n\n## B. Not a policy\n\n## D. Gaps are fine here\n")
    repo.write("policies/terms.md", TERMS.replace("title: Terms", "title: [unclosed"))

    failed = try_repo(repo.path, pre_commit_home, wheelhouse)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "publisher lint (policies)" in failed.stdout and "Failed" in failed.stdout
    assert "policies/terms.md:2: error: malformed front matter" in failed.stdout
    assert "[front-matter]" in failed.stdout
    assert "skipped 1 file that is not a policy" in failed.stdout  # README.md

    repo.write("policies/terms.md", TERMS)
    passed = try_repo(repo.path, pre_commit_home, wheelhouse)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout
