"""The pre-commit framework runs our hook (`.pre-commit-hooks.yaml`, id `publisher-lint`) the
way a policy repository's `.pre-commit-config.yaml` names it: `repo:` this repository, `rev:`
its HEAD, `pre-commit run --all-files`, in a policy repository in a temp dir. pre-commit
builds a virtualenv from this repository with pip (from the run's wheelhouse, offline) once,
in a per-session PRE_COMMIT_HOME, and the second run reuses it. (`pre-commit try-repo` would
build it afresh on every call, in a temporary store of its own.)"""

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

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("pre_commit") is None,
    reason="pre-commit is not installed (pip install -e .[test])",
)


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def run_hook(repo: GitRepo, home: Path, wheelhouse: Path) -> subprocess.CompletedProcess[str]:
    """``pre-commit run --all-files`` in ``repo`` with a config naming this repository's
    hook at its HEAD."""
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    repo.write(
        ".pre-commit-config.yaml",
        f"repos:\n  - repo: {ROOT}\n    rev: {head}\n    hooks:\n      - id: publisher-lint\n",
    )
    env = isolated_git_env(
        **offline_pip_env(wheelhouse),
        PRE_COMMIT_HOME=str(home),
        GIT_AUTHOR_NAME="CI",
        GIT_AUTHOR_EMAIL="ci@example.com",
        GIT_COMMITTER_NAME="CI",
        GIT_COMMITTER_EMAIL="ci@example.com",
    )
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"],
        cwd=repo.path,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=900,
    )


def test_pre_commit_runs_the_lint_hook(
    tmp_path: Path, pre_commit_home: Path, wheelhouse: Path
) -> None:
    repo = GitRepo.init(tmp_path / "policies-repo")
    repo.write(
        "README.md", "# About these policies\n\n## B. Not a policy\n\n## D. Gaps are fine here\n"
    )
    repo.write("policies/terms.md", TERMS.replace("title: Terms", "title: [unclosed"))

    failed = run_hook(repo, pre_commit_home, wheelhouse)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "publisher lint (policies)" in failed.stdout and "Failed" in failed.stdout
    assert "policies/terms.md:2: error: malformed front matter" in failed.stdout
    assert "[front-matter]" in failed.stdout
    assert "skipped 1 file that is not a policy" in failed.stdout  # README.md

    repo.write("policies/terms.md", TERMS)
    passed = run_hook(repo, pre_commit_home, wheelhouse)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout
