"""publisher.gitio against real repositories built in temporary directories."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from gitrepo import GitRepo

from publisher.errors import GitError
from publisher.gitio import (
    MAX_SCORE,
    SHALLOW_HINT,
    SHALLOW_MESSAGE,
    Git,
    parse_trailers,
    run_git,
    similarity,
    spans,
)


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("policies/aup.md", "# AUP\n\nBe nice.\n")
    repo.write("README.md", "readme\n")
    repo.commit("Add the AUP", date="2024-03-07T09:30:00+01:00")
    repo.write("policies/aup.md", "# AUP\n\nBe very nice.\n")
    repo.commit(
        "Tighten the AUP",
        date="2024-03-08",
        committed="2024-03-09T10:00:00-05:00",
        author=("Bob Ünicode", "bob@example.com"),
        trailers={"Policy-Change": "editorial", "Reviewed-by": "Carol <carol@example.com>"},
    )
    repo.rename("policies/aup.md", "policies/use/acceptable use ü.md")
    repo.commit("Move the AUP")
    return repo


def test_log_reads_every_commit_with_its_changes(repo: GitRepo) -> None:
    with Git.open(repo.path) as git:
        entries = git.log("HEAD")
    assert [e.commit for e in entries] == repo.log()
    moved, tightened, added = entries
    assert {(c.status, c.old_path, c.path) for c in added.changes} == {
        ("A", None, "README.md"),
        ("A", None, "policies/aup.md"),
    }
    (change,) = tightened.changes
    assert (change.status, change.path) == ("M", "policies/aup.md")
    assert change.new_blob == repo.git("rev-parse", f"{tightened.commit}:policies/aup.md")
    assert change.old_blob == repo.git("rev-parse", f"{added.commit}:policies/aup.md")
    (rename,) = moved.changes
    assert rename.status == "R" and rename.score == 100
    assert rename.old_path == "policies/aup.md"
    assert rename.path == "policies/use/acceptable use ü.md"


def test_log_header_fields(repo: GitRepo) -> None:
    with Git.open(repo.path) as git:
        tightened = git.log("HEAD")[1]
    assert tightened.author_name == "Bob Ünicode"
    assert tightened.author_email == "bob@example.com"
    assert tightened.authored.isoformat() == "2024-03-08T12:00:00+00:00"
    assert tightened.committed.isoformat() == "2024-03-09T10:00:00-05:00"
    assert tightened.subject == "Tighten the AUP"
    assert tightened.trailers == (
        ("Policy-Change", "editorial"),
        ("Reviewed-by", "Carol <carol@example.com>"),
    )


def test_log_follows_the_first_parent_of_merges(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.commit("Start", files={"policies/a.md": "# A\n"})
    repo.branch("topic")
    repo.checkout("topic")
    repo.commit("Change A on a branch", files={"policies/a.md": "# A\n\nNew.\n"})
    repo.commit("Add B on a branch", files={"policies/b.md": "# B\n"})
    repo.checkout("main")
    merge = repo.merge("topic", "Merge topic")
    with Git.open(repo.path) as git:
        entries = git.log("main")
    assert [e.commit for e in entries] == repo.log("--first-parent")
    assert entries[0].commit == merge
    assert {(c.status, c.path) for c in entries[0].changes} == {
        ("M", "policies/a.md"),
        ("A", "policies/b.md"),
    }


def test_log_of_unknown_branch_and_of_empty_repository(repo: GitRepo, tmp_path: Path) -> None:
    with Git.open(repo.path) as git, pytest.raises(GitError, match="no branch or commit 'nope'"):
        git.log("nope")
    empty = GitRepo.init(tmp_path / "empty")
    with Git.open(empty.path) as git, pytest.raises(GitError, match="has no commits yet"):
        git.log("HEAD")


def test_cat_file_reads_blobs_commits_and_revision_expressions(repo: GitRepo) -> None:
    with Git.open(repo.path) as git:
        blob = repo.git("rev-parse", "HEAD~2:policies/aup.md")
        assert git.cat.read_blob(blob) == b"# AUP\n\nBe nice.\n"
        obj = git.cat.get("HEAD:policies/use/acceptable use ü.md")
        assert obj is not None and obj.type == "blob" and obj.data == b"# AUP\n\nBe very nice.\n"
        assert git.cat.get("HEAD:policies/no such file.md") is None
        assert git.cat.get("deadbeef" * 5) is None
        assert git.cat.get("HEAD\nHEAD") is None
        info = git.cat.commit("HEAD~1")
        assert info is not None
        assert info.commit == repo.head("HEAD~1")
        assert info.parents == (repo.head("HEAD~2"),)
        assert info.subject == "Tighten the AUP"
        assert info.author_name == "Bob Ünicode"
        assert info.committed.isoformat() == "2024-03-09T10:00:00-05:00"
        assert info.trailers == (
            ("Policy-Change", "editorial"),
            ("Reviewed-by", "Carol <carol@example.com>"),
        )
        assert git.cat.commit("no-such-branch") is None
        with pytest.raises(GitError, match="missing from the repository"):
            git.cat.read_blob("0" * 40)


def test_cat_file_process_is_reused(repo: GitRepo) -> None:
    with Git.open(repo.path) as git:
        first = git.cat
        for _ in range(50):
            git.cat.get("HEAD")
        assert git.cat is first
        pid = first._proc.pid
    assert first._proc.poll() is not None, f"cat-file process {pid} still running after close"


def test_open_bare_repository_and_subdirectory(repo: GitRepo, tmp_path: Path) -> None:
    bare = repo.clone(tmp_path / "bare.git", bare=True)
    with Git.open(bare) as git:
        assert git.info.bare
        assert git.info.top == bare.resolve()
        assert [e.commit for e in git.log("HEAD")] == repo.log()
    with Git.open(repo.path / "policies") as git:
        assert not git.info.bare
        assert git.info.top == repo.path.resolve()


def test_open_rejects_a_shallow_clone(repo: GitRepo, tmp_path: Path) -> None:
    shallow = repo.clone(tmp_path / "shallow", depth=1)
    with pytest.raises(GitError) as info:
        Git.open(shallow)
    assert info.value.message == SHALLOW_MESSAGE
    assert info.value.hint == SHALLOW_HINT


def test_open_rejects_what_is_not_a_repository(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(GitError, match="is not a git repository") as info:
        Git.open(plain)
    assert info.value.hint and "--repo" in info.value.hint
    assert "not a git repository" in info.value.stderr
    with pytest.raises(GitError, match="does not exist"):
        Git.open(tmp_path / "missing")


def test_git_not_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(GitError, match="git is not installed") as info:
        run_git(["version"], cwd=tmp_path)
    assert info.value.hint and "PATH" in info.value.hint


def test_git_failure_carries_stderr(repo: GitRepo) -> None:
    with pytest.raises(GitError, match="cannot show it: ") as info:
        run_git(["show", "no-such-rev"], cwd=repo.path, what="show it")
    assert "no-such-rev" in info.value.stderr


def test_hook_environment_does_not_redirect_git(
    repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = GitRepo.init(tmp_path / "other")
    other.commit("Other", files={"x.md": "x\n"})
    monkeypatch.setenv("GIT_DIR", str(other.path / ".git"))
    with Git.open(repo.path) as git:
        assert [e.commit for e in git.log("HEAD")] == repo.log()


def test_parse_trailers() -> None:
    assert parse_trailers("Policy-Change: editorial\nSigned-off-by: A <a@x>\n") == (
        ("Policy-Change", "editorial"),
        ("Signed-off-by", "A <a@x>"),
    )
    assert parse_trailers("") == ()


def test_two_processes_for_log_and_many_reads(
    repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    git = Git.open(repo.path)
    spawned: list[list[str]] = []
    real_popen = subprocess.Popen

    class CountingPopen(real_popen):  # type: ignore[misc,valid-type]
        def __init__(self, args: list[str], *rest: object, **kwargs: object) -> None:
            spawned.append(list(args))
            super().__init__(args, *rest, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", CountingPopen)
    try:
        entries = git.log("HEAD")
        for entry in entries:
            for change in entry.changes:
                git.cat.read_blob(change.new_blob)
            git.cat.commit(entry.commit)
    finally:
        git.close()
    assert [args[args.index("--git-dir") + 2] for args in spawned] == ["log", "cat-file"]


def _clauses(n: int, *, every: int = 0, word: str = "changed", eol: str = "\n") -> str:
    lines = [
        f"{i}. The customer shall not use the service for {'spam ' * (i % 4)}purpose {i}."
        + (" A long sentence that runs past sixty-four bytes, " * (i % 3))
        for i in range(1, n + 1)
    ]
    if every:
        lines = [line + f" {word}" if i % every == 0 else line for i, line in enumerate(lines)]
    return eol.join(lines) + eol


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (_clauses(40), _clauses(40, every=3)),
        (_clauses(40), _clauses(40, every=2, word="and more")),
        (_clauses(40), _clauses(30)),
        (_clauses(20, eol="\r\n"), _clauses(20, every=4)),
        (_clauses(40), _clauses(40, every=1, word="x" * 70)),
        ("tiny\n", "tiny!\n"),
    ],
)
def test_similarity_is_gits_rename_score(tmp_path: Path, old: str, new: str) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.commit("Add", files={"a/old.md": old})
    repo.delete("a/old.md")
    repo.commit("Move and edit", files={"b/new.md": new})
    raw = repo.git("diff", "--raw", "-M1%", "--no-abbrev", "HEAD~1", "HEAD")
    ours = similarity(spans(old.encode()), spans(new.encode()), minimum=MAX_SCORE // 100)
    status = raw.split("\t")[0].split()[-1]
    if status.startswith("R"):
        assert ours * 100 // MAX_SCORE == int(status[1:])
    else:  # git did not pair them at all: too different
        assert ours * 100 // MAX_SCORE < 1


def test_the_streamed_log_is_the_log(repo: GitRepo) -> None:
    with Git.open(repo.path) as git:
        assert list(git.iter_log("HEAD")) == git.log("HEAD")
        first = next(git.iter_log("HEAD"))
        assert first.tree == repo.git("rev-parse", "HEAD^{tree}").strip()
        stream = git.iter_log("HEAD")
        next(stream)
        stream.close()  # abandoned after one commit: git is stopped, no error


def test_the_streamed_log_of_an_unknown_branch(repo: GitRepo, tmp_path: Path) -> None:
    with Git.open(repo.path) as git, pytest.raises(GitError, match="no branch or commit 'nope'"):
        next(git.iter_log("nope"))
    empty = GitRepo.init(tmp_path / "empty")
    with Git.open(empty.path) as git, pytest.raises(GitError, match="no commits yet"):
        list(git.iter_log("HEAD"))


def test_log_tokens_are_read_across_chunk_boundaries() -> None:
    from io import BytesIO

    from publisher.gitlog import tokens_of

    data = b"a\0bb\0\0ccc\0dddd"
    for size in (1, 2, 3, 100):
        assert list(tokens_of(BytesIO(data).read, size)) == data.split(b"\0")


def test_the_long_reads_bound_gits_object_caches(
    repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """git's delta-base cache and pack mappings grow with the repository unless bounded:
    the streamed log and the cat-file reader run with small ones."""
    spawned: list[list[str]] = []
    real_popen = subprocess.Popen

    class CountingPopen(real_popen):  # type: ignore[misc,valid-type]
        def __init__(self, args: list[str], *rest: object, **kwargs: object) -> None:
            spawned.append(list(args))
            super().__init__(args, *rest, **kwargs)

    git = Git.open(repo.path)
    monkeypatch.setattr(subprocess, "Popen", CountingPopen)
    with git:
        entries = list(git.iter_log("HEAD"))
        git.cat.read_blob(entries[0].changes[0].new_blob)
    assert len(spawned) == 2
    for args in spawned:
        assert any(a.startswith("core.deltaBaseCacheLimit=") for a in args), args
        assert any(a.startswith("core.packedGitLimit=") for a in args), args
