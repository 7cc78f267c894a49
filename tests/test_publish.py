"""`publisher publish --to DIR` and `--branch NAME` on real repositories in temp dirs: the
branch is written with fast-import (work tree and index untouched, no commit when nothing
changed), the folder is replaced whole; plus the pure tree hashing against git's own."""

from __future__ import annotations

import hashlib
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from gitrepo import GitRepo, isolated_git_env

from publisher.cli import main
from publisher.publish import PublishTarget, fast_import_stream, tree_id
from publisher.site_folder import SITE_MARKER

TERMS = """---
title: Terms
slug: terms
version: "1"
effective: 2024-02-01
---
# Terms

1. Keep your password safe.
2. Tell us about breaches within 72 hours.
"""


def publish(repo: Path, *args: str) -> tuple[int, dict[str, object], str]:
    result = CliRunner().invoke(main, ["-C", str(repo), "publish", "--format", "json", *args])
    data = json.loads(result.stdout) if result.stdout.strip() else {}
    return result.exit_code, data, result.stderr


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    work = GitRepo.init(tmp_path / "repo")
    work.write(".gitignore", ".publisher/\n")
    work.write("policies/terms.md", TERMS)
    work.commit("Publish terms v1", date="2024-01-10")
    return work


def index_state(repo: GitRepo) -> tuple[str, str]:
    index = (repo.path / ".git" / "index").read_bytes()
    return hashlib.sha256(index).hexdigest(), repo.git("ls-files", "--stage")


def test_publish_to_a_branch_leaves_work_tree_and_index_alone(repo: GitRepo) -> None:
    (repo.path / "policies/terms.md").write_text(TERMS.replace("safe", "SECRET"))  # unstaged
    repo.write("notes.txt", "staged, not committed\n")
    before_status, before_index = repo.git("status", "--porcelain"), index_state(repo)
    code, data, err = publish(repo.path, "--branch", "gh-pages")
    assert code == 0, err
    assert repo.git("status", "--porcelain") == before_status
    assert index_state(repo) == before_index
    assert repo.git("symbolic-ref", "HEAD") == "refs/heads/main"
    assert repo.git("worktree", "list").count("\n") == 0  # the temporary checkout is gone

    head = repo.head()
    assert data["source"] == head and data["changed"] is True
    assert data["versions"] == [{"policy": "terms", "version": "1"}]
    message = repo.git("log", "-1", "--format=%B", "gh-pages")
    assert message.startswith(f"Publish the policy site from {head[:12]}")
    assert f"Source commit: {head} (Publish terms v1)" in message and "  terms 1" in message
    files = repo.git("ls-tree", "-r", "--name-only", "gh-pages").split("\n")
    assert "terms/index.html" in files and "terms/v/1/index.html" in files
    page = repo.git("show", "gh-pages:terms/index.html")
    assert "Keep your password safe." in page and "SECRET" not in page  # committed text only


def test_second_publish_of_the_same_content_makes_no_commit(repo: GitRepo) -> None:
    assert publish(repo.path, "--branch", "gh-pages")[0] == 0
    first = repo.head("gh-pages")
    code, data, _ = publish(repo.path, "--branch", "gh-pages")
    assert code == 0 and data["changed"] is False and data["commit"] is None
    assert repo.head("gh-pages") == first
    # A new version is a new commit on top of the previous one.
    repo.write("policies/terms.md", TERMS.replace('"1"', '"2"').replace("72", "24"))
    repo.commit("Terms v2", date="2024-01-20")
    code, data, _ = publish(repo.path, "--branch", "gh-pages")
    assert code == 0 and data["changed"] is True
    assert repo.git("rev-parse", "gh-pages~1") == first
    assert "terms/v/2/index.html" in repo.git("ls-tree", "-r", "--name-only", "gh-pages")


def test_publish_says_one_policy_not_one_policies(repo: GitRepo, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["-C", str(repo.path), "publish", "--to", str(tmp_path / "www")]
    )
    assert result.exit_code == 0, result.stderr
    assert "(1 policy, " in result.stdout and "1 policies" not in result.stdout


def test_publish_an_older_commit(repo: GitRepo) -> None:
    first = repo.head()
    repo.write("policies/terms.md", TERMS.replace('"1"', '"2"').replace("72", "24"))
    repo.commit("Terms v2", date="2024-01-20")
    code, data, _ = publish(repo.path, "--branch", "site", "--rev", first)
    assert code == 0 and data["source"] == first
    assert data["versions"] == [{"policy": "terms", "version": "1"}]
    assert "terms/v/2/" not in repo.git("ls-tree", "-r", "--name-only", "site")


def test_publish_to_a_folder_replaces_it_whole(repo: GitRepo, tmp_path: Path) -> None:
    site = tmp_path / "www"
    site.mkdir()  # an empty folder may be taken
    code, data, err = publish(repo.path, "--to", str(site))
    assert code == 0, err
    assert (site / "terms" / "v" / "1" / "index.html").is_file()
    assert "`publisher publish`" in (site / SITE_MARKER).read_text()
    (site / "stale.html").write_text("old")  # a file of an earlier site
    code, data, err = publish(repo.path, "--to", str(site))
    assert code == 0, err
    assert not (site / "stale.html").exists()
    assert data["target"] == str(site) and data["commit"] is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["repo", "www"]  # no staging left


def tree_state(folder: Path) -> list[tuple[str, bytes]]:
    return sorted(
        (p.relative_to(folder).as_posix(), p.read_bytes() if p.is_file() else b"")
        for p in folder.rglob("*")
    )


@pytest.mark.parametrize("where", [".", "..", "policies", ".git", "victim", "ignored"])
def test_publish_refuses_a_folder_it_did_not_make(
    repo: GitRepo, tmp_path: Path, where: str
) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "thesis.docx").write_bytes(b"four years of work")
    repo.write(".gitignore", ".publisher/\nignored/\n")
    repo.commit("Ignore a folder")
    (repo.path / "ignored").mkdir()
    (repo.path / "ignored" / "notes.txt").write_text("not tracked, not a site\n")
    folder = {"victim": victim, "..": tmp_path}.get(where, repo.path / where)
    before = tree_state(tmp_path)
    code, _, err = publish(repo.path, "--to", str(folder))
    assert code == 2 and "Traceback" not in err and json.loads(err)["error"]["hint"]
    assert tree_state(tmp_path) == before  # nothing deleted, nothing written
    assert repo.git("status", "--porcelain") == ""


def test_publish_refuses_a_folder_inside_the_repository_that_holds_tracked_files(
    repo: GitRepo,
) -> None:
    (repo.path / "policies" / SITE_MARKER).write_text("planted\n")  # even with a marker
    code, _, err = publish(repo.path, "--to", str(repo.path / "policies"))
    assert code == 2 and "tracked" in err
    assert (repo.path / "policies" / "terms.md").read_text() == TERMS


def test_publish_to_an_ignored_folder_in_the_work_tree(repo: GitRepo) -> None:
    repo.write(".gitignore", ".publisher/\nbuild/\n")
    repo.commit("Ignore build/")
    for _ in range(2):  # the second time, the folder holds the first site
        code, _, err = publish(repo.path, "--to", str(repo.path / "build" / "site"))
        assert code == 0, err
    assert (repo.path / "build/site/terms/index.html").is_file()
    assert repo.git("status", "--porcelain") == ""


def test_a_failed_build_keeps_the_published_folder(repo: GitRepo, tmp_path: Path) -> None:
    site = tmp_path / "www"
    assert publish(repo.path, "--to", str(site))[0] == 0
    before = sorted(p.relative_to(site).as_posix() for p in site.rglob("*"))
    repo.write("policies/other.md", TERMS)  # a second policy with the slug "terms"
    repo.commit("Add a clashing policy")
    code, _, err = publish(repo.path, "--to", str(site))
    assert code == 2 and "slug 'terms'" in err and "Traceback" not in err
    assert sorted(p.relative_to(site).as_posix() for p in site.rglob("*")) == before


def test_errors_are_one_line_with_a_hint(repo: GitRepo, tmp_path: Path) -> None:
    code, _, err = publish(repo.path, "--branch", "main")
    assert code == 2 and "checked out in this work tree" in err and json.loads(err)["error"]["hint"]
    code, _, err = publish(repo.path, "--branch", "gh-pages", "--rev", "nope")
    assert code == 2 and "no commit 'nope'" in err
    code, _, err = publish(repo.path, "--branch", "bad name")
    assert code == 2 and "not a valid branch name" in err
    result = CliRunner().invoke(main, ["-C", str(repo.path), "publish"])
    assert result.exit_code == 2 and "--to DIR or --branch NAME" in result.stderr
    empty = GitRepo.init(tmp_path / "empty")
    code, _, err = publish(empty.path, "--branch", "gh-pages")
    assert code == 2 and "no commit" in err


def test_publish_from_a_bare_repository(repo: GitRepo, tmp_path: Path) -> None:
    bare = repo.clone(tmp_path / "server.git", bare=True)
    code, _, err = publish(bare, "--branch", "gh-pages")
    assert code == 0, err
    files = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", "gh-pages"],
        cwd=bare,
        capture_output=True,
        text=True,
        env=isolated_git_env(),
        check=True,
    )
    assert "terms/index.html" in files.stdout.split("\n")
    for folder in (bare, bare / "refs", tmp_path):  # the git dir, inside it, holding it
        code, _, err = publish(bare, "--to", str(folder))
        assert code == 2 and "publish folder" in err, err
    assert (
        subprocess.run(
            ["git", "fsck", "--no-progress"], cwd=bare, env=isolated_git_env()
        ).returncode
        == 0
    )
    code, _, err = publish(bare, "--to", str(tmp_path / "www"))
    assert code == 0, err


# --- pure helpers against git itself -----------------------------------------------------


FILES = {
    "index.html": b"<h1>Policies</h1>\n",
    "terms/index.html": b"terms\n",
    "terms/v/1/index.html": b"v1\n",
    "terms-of-service/index.html": b"sorts after terms/ in git's tree order\n",
    "a b/c.json": b"{}\n",
}


@pytest.mark.parametrize("object_format", ["sha1", "sha256"])
def test_tree_id_equals_what_git_writes(tmp_path: Path, object_format: str) -> None:
    path = tmp_path / object_format
    path.mkdir()
    env = isolated_git_env()
    subprocess.run(
        ["git", "init", "-q", f"--object-format={object_format}", str(path)], check=True, env=env
    )
    stream = fast_import_stream(
        "refs/heads/site",
        FILES,
        message="m\n",
        committer="A <a@example.com>",
        when=datetime(2024, 1, 1, tzinfo=UTC),
        parent=None,
    )
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, input=stream, check=True, env=env)
    written = subprocess.run(
        ["git", "rev-parse", "site^{tree}"],
        cwd=path,
        check=True,
        capture_output=True,
        text=True,
        env=env,
    ).stdout.strip()
    assert tree_id(FILES, object_format) == written
    assert tree_id({**FILES, "x": b""}, object_format) != written


def test_publish_targets() -> None:
    assert PublishTarget.parse("branch:gh-pages") == PublishTarget("branch", "gh-pages")
    assert str(PublishTarget.parse("site", base=Path("/srv"))) == "/srv/site"
    assert str(PublishTarget.branch("refs/heads/pages")) == "branch:pages"
