"""The synthetic histories of ``benchmarks/make_history.py`` (issue 14) and reading them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from make_history import fast_import_stream, make_history

from publisher.config import Settings
from publisher.history import PolicyRepo


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout


def test_history_has_the_policies_commits_and_kinds_of_edit(tmp_path: Path) -> None:
    repo = make_history(tmp_path / "r", policies=12, commits=150, seed=3)
    assert _git(repo, "rev-list", "--count", "main").strip() == "150"
    subjects = _git(repo, "log", "--format=%s", "main")
    for kind in ("Reword", "Add a section", "Insert a clause", "Remove", "Fix punctuation"):
        assert kind in subjects, kind
    with PolicyRepo.open(Settings(root=repo)) as history:
        policies = history.policies()
        assert len(policies) == 12
        revisions = sum(len(p.revisions) for p in policies)
        assert revisions >= 150 - 12  # every commit touches at least one policy
        labels = [v.label for p in policies for v in p.versions]
        assert any("." in label and label[:4] == "2024" for label in labels)  # same-day
        assert any(p.versions[-1].labelled for p in policies)
        longest = max(len(history.document(p.revisions[-1]).clauses) for p in policies)
        assert longest >= 25  # at least one very long document (sections at the top level)


def test_same_seed_same_repository_other_seed_other(tmp_path: Path) -> None:
    assert fast_import_stream(5, 30, seed=1) == fast_import_stream(5, 30, seed=1)
    assert fast_import_stream(5, 30, seed=1) != fast_import_stream(5, 30, seed=2)
    a = make_history(tmp_path / "a", 5, 30, seed=1)
    b = make_history(tmp_path / "b", 5, 30, seed=1)
    assert _git(a, "rev-parse", "main") == _git(b, "rev-parse", "main")


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="one commit per policy"):
        fast_import_stream(10, 5)
    with pytest.raises(ValueError):
        fast_import_stream(0, 5)
