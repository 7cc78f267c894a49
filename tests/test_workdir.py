""".publisher/ gets a .gitignore of `*` whenever publisher creates something in it, so that
`git add -A` in a policy repository never commits caches, the generated secret key or the
local database."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from gitrepo import GitRepo

from publisher.cli import main
from publisher.config import load_settings
from publisher.links import secret_keys
from publisher.workdir import GITIGNORE_TEXT, create_secret_file, ensure_publisher_dir, make_folder


def test_ensure_publisher_dir(tmp_path: Path) -> None:
    folder = ensure_publisher_dir(tmp_path)
    assert folder == tmp_path / ".publisher" and folder.is_dir()
    assert (folder / ".gitignore").read_text() == GITIGNORE_TEXT
    assert "*" in GITIGNORE_TEXT.splitlines()
    assert ensure_publisher_dir(tmp_path) == folder  # idempotent
    (folder / ".gitignore").write_text("cache/\n")  # the user's own rules stay
    ensure_publisher_dir(tmp_path)
    assert (folder / ".gitignore").read_text() == "cache/\n"


def test_make_folder_inside_and_outside(tmp_path: Path) -> None:
    deep = make_folder(tmp_path / "repo" / ".publisher" / "cache" / "documents" / "ab")
    assert deep.is_dir()
    assert (tmp_path / "repo" / ".publisher" / ".gitignore").read_text() == GITIGNORE_TEXT
    assert not (deep / ".gitignore").exists()
    other = make_folder(tmp_path / "elsewhere" / "cache")
    assert other.is_dir() and not list((tmp_path / "elsewhere").rglob(".gitignore"))


def test_git_add_all_leaves_publishers_folder_out(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")  # no .gitignore of its own
    repo.write("policies/aup.md", "---\nversion: '1'\n---\n# AUP\n\n1. Be nice.\n")
    repo.commit("Publish the AUP")
    runner = CliRunner()
    result = runner.invoke(main, ["-C", str(repo.path), "lint"])  # the document cache
    assert result.exit_code == 0, result.output
    assert (repo.path / ".publisher" / ".gitignore").is_file()
    assert secret_keys(load_settings(repo.path), warn=lambda message: None)
    result = runner.invoke(main, ["-C", str(repo.path), "db", "upgrade"])  # the default store
    assert result.exit_code == 0, result.output
    made = {p.name for p in (repo.path / ".publisher").iterdir()}
    assert {"cache", "secret_key", "publisher.db"} <= made

    assert repo.git("status", "--porcelain", "--untracked-files=all") == ""
    repo.git("add", "-A")
    assert repo.git("diff", "--cached", "--name-only") == ""


def test_a_store_first_also_writes_the_gitignore(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    result = CliRunner().invoke(main, ["-C", str(repo.path), "db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert (repo.path / ".publisher" / ".gitignore").read_text() == GITIGNORE_TEXT
    assert repo.git("status", "--porcelain", "--untracked-files=all") == ""


def test_create_secret_file_once_private_and_first_writer_wins(tmp_path: Path) -> None:
    path = tmp_path / ".publisher" / "some_key"
    assert create_secret_file(path, "first") is True
    assert path.read_text(encoding="ascii") == "first\n"
    assert path.stat().st_mode & 0o777 == 0o600
    assert (path.parent / ".gitignore").read_text() == GITIGNORE_TEXT
    assert create_secret_file(path, "second") is False  # another writer was first
    assert path.read_text(encoding="ascii") == "first\n"
    assert sorted(p.name for p in path.parent.iterdir()) == [".gitignore", "some_key"]
