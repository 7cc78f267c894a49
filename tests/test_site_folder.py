"""`publisher build --site-dir` never writes (and prunes) a folder it must not touch."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from gitrepo import GitRepo

from publisher.cli import main
from publisher.site_folder import SITE_MARKER

POLICY = '---\ntitle: Terms\nversion: "1"\neffective: 2024-02-01\n---\n# Terms\n\n1. Be fair.\n'


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    git = GitRepo.init(tmp_path / "repo")
    git.write("policies/terms.md", POLICY)
    git.write(".gitignore", "build/\n.publisher/\n")
    git.commit("Add terms")
    return git


def build(repo: GitRepo, site_dir: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["-C", str(repo.path), "build", "--site-dir", str(site_dir)])
    return result.exit_code, result.stderr


def test_refuses_the_repository_its_parents_and_tracked_folders(repo: GitRepo) -> None:
    for folder in (repo.path, repo.path.parent, repo.path / "policies"):
        code, err = build(repo, folder)
        assert code == 2, err
        assert "publish folder" in err and "Traceback" not in err
    assert (repo.path / "policies" / "terms.md").read_text() == POLICY


def test_refuses_a_foreign_folder_and_keeps_its_files(repo: GitRepo, tmp_path: Path) -> None:
    foreign = tmp_path / "thesis"
    foreign.mkdir()
    (foreign / "thesis.docx").write_text("years of work")
    code, err = build(repo, foreign)
    assert code == 2 and "not made by publisher" in err
    assert (foreign / "thesis.docx").read_text() == "years of work"


def test_builds_into_a_new_folder_twice_and_marks_it(repo: GitRepo) -> None:
    site = repo.path / "build" / "site"
    assert build(repo, site)[0] == 0
    assert (site / SITE_MARKER).is_file() and (site / "terms" / "index.html").is_file()
    marker = (site / SITE_MARKER).read_text()
    assert "`publisher build`" in marker and "publish --to" not in marker  # says who wrote it
    assert build(repo, site)[0] == 0


def test_accepts_an_unmarked_earlier_build(repo: GitRepo) -> None:
    site = repo.path / "build" / "site"
    assert build(repo, site)[0] == 0
    (site / SITE_MARKER).unlink()
    assert build(repo, site)[0] == 0
