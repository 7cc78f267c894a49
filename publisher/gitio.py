"""The only place that runs git.

Reading a policy repository's history costs two git processes, whatever its size: one
``git log --first-parent --raw -M`` pass over the publishing branch (:meth:`Git.log`), and one
long-lived ``git cat-file --batch`` process that serves every blob, commit and revision
lookup afterwards (:class:`CatFile`). Opening a repository (:meth:`Git.open`) runs one
``git rev-parse`` to validate it (a git repository, not shallow) and to find its git dir.
:func:`similarity` computes git's rename/copy score in-process, so that copies can be
followed like ``git log --follow`` does without ``--find-copies-harder`` (which compares every
file of the tree with each added file, commit after commit: seconds on a large repository).

Every failure becomes a :class:`~publisher.errors.GitError` that carries git's stderr and a
hint how to fix it.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from publisher.catfile import CatFile, CommitInfo, GitObject, parse_commit
from publisher.errors import GitError
from publisher.gitlog import (
    LOG_OPTIONS,
    LogEntry,
    RawChange,
    iter_log,
    parse_log,
    parse_trailers,
    tokens_of,
)
from publisher.gitrun import (
    GIT_MISSING_HINT,
    LOG_CACHES,
    diff_color_wanted,
    first_line,
    git_env,
    run_git,
)
from publisher.gitrun import decode as _decode
from publisher.similarity import DEFAULT_MIN_SCORE, MAX_SCORE, Spans, similarity, spans

__all__ = [
    "DEFAULT_MIN_SCORE",
    "GIT_MISSING_HINT",
    "LOG_OPTIONS",
    "MAX_SCORE",
    "SHALLOW_HINT",
    "SHALLOW_MESSAGE",
    "CatFile",
    "CommitInfo",
    "Git",
    "GitObject",
    "LogEntry",
    "RawChange",
    "RepoInfo",
    "Spans",
    "TreeEntry",
    "diff_color_wanted",
    "git_env",
    "parse_commit",
    "parse_log",
    "parse_trailers",
    "run_git",
    "similarity",
    "spans",
]

SHALLOW_MESSAGE = "this is a shallow clone: the policy history is incomplete"
SHALLOW_HINT = "run `git fetch --unshallow` (in CI: actions/checkout with fetch-depth: 0)"


def _listing(out: bytes) -> list[tuple[tuple[str, str, str], str]]:
    """The records of ``git ls-files --stage -z`` or ``git ls-tree -z``: the three fields
    before the tab (``mode blob stage`` or ``mode type blob``) and the path."""
    records: list[tuple[tuple[str, str, str], str]] = []
    for record in out.split(b"\0"):
        if record:
            meta, _, path = record.partition(b"\t")
            first, second, third = _decode(meta).split(" ")
            records.append(((first, second, third), _decode(path)))
    return records


@dataclass(frozen=True)
class TreeEntry:
    """A file in a tree or in the index: its mode, blob name and path."""

    mode: str
    blob: str
    path: str


# ------------------------------------------------------------------------------- repository


@dataclass(frozen=True)
class RepoInfo:
    """Where a repository is: its git dir, whether it is bare, and its top-level directory
    (the work tree root, or the git dir for a bare repository)."""

    git_dir: Path
    bare: bool
    top: Path


class Git:
    """A validated repository: runs ``git log`` and owns the ``cat-file --batch`` reader."""

    def __init__(self, info: RepoInfo) -> None:
        self.info = info
        self._cat: CatFile | None = None

    @classmethod
    def open(cls, root: Path | str) -> Git:
        """Validate ``root`` (a work tree, a directory inside one, or a bare repository).

        Raises GitError when it does not exist, is not a git repository, or is a shallow
        clone (whose history is incomplete).
        """
        root = Path(root)
        if not root.is_dir():
            raise GitError(
                f"{root} does not exist or is not a directory",
                hint="pass --repo PATH: a git work tree or a bare repository",
            )
        try:
            out = run_git(
                [
                    "rev-parse",
                    "--is-shallow-repository",
                    "--absolute-git-dir",
                    "--is-bare-repository",
                    "--show-cdup",
                ],
                cwd=root,
            )
        except GitError as exc:
            if "not a git repository" in exc.stderr:
                raise GitError(
                    f"{root.resolve()} is not a git repository",
                    stderr=exc.stderr,
                    hint="run publisher inside the policy repository, or pass --repo PATH "
                    "(a work tree or a bare repository); `git init` creates one",
                ) from exc
            raise
        lines = _decode(out).split("\n")
        shallow, git_dir, bare = lines[0], Path(lines[1]), lines[2] == "true"
        cdup = lines[3] if len(lines) > 3 else ""
        if shallow == "true":
            raise GitError(SHALLOW_MESSAGE, path=root, hint=SHALLOW_HINT)
        top = git_dir if bare else (root / cdup).resolve()
        return cls(RepoInfo(git_dir=git_dir, bare=bare, top=top))

    def run(
        self,
        args: Sequence[str],
        *,
        what: str | None = None,
        input: bytes | None = None,
        env: Mapping[str, str] | None = None,
    ) -> bytes:
        """``git <args>`` against this repository."""
        return run_git(
            ["--git-dir", str(self.info.git_dir), *args],
            cwd=self.info.top,
            what=what,
            input=input,
            env=env,
        )

    def log(self, branch: str) -> list[LogEntry]:
        """Every commit of ``branch``'s first-parent history, newest first, with the files each
        changed relative to its first parent (renames detected). One git process."""
        try:
            out = self.run(
                ["log", *LOG_OPTIONS, "--end-of-options", branch, "--"],
                what=f"read the history of {branch!r}",
            )
        except GitError as exc:
            if "bad revision" in exc.stderr or "unknown revision" in exc.stderr:
                raise self._no_branch(branch, exc.stderr) from exc
            raise
        return parse_log(out)

    def _no_branch(self, branch: str, stderr: str) -> GitError:
        if not self.run(["rev-list", "-n1", "--all"]).strip():
            return GitError(
                "the repository has no commits yet", stderr=stderr, hint="commit the policies first"
            )
        return GitError(
            f"there is no branch or commit {branch!r}",
            stderr=stderr,
            hint="set `branch` to an existing branch (default HEAD)",
        )

    def iter_log(self, branch: str) -> Iterator[LogEntry]:
        """:meth:`log` as a stream: the commits are parsed while git writes them, and only the
        one being read is in memory (git waits while the reader works). GitError, before the
        first commit, when there is no such branch."""
        import tempfile

        args = ["git", *LOG_CACHES, "--git-dir", str(self.info.git_dir), "log", *LOG_OPTIONS]
        with tempfile.TemporaryFile() as stderr:
            try:
                proc = subprocess.Popen(
                    [*args, "--end-of-options", branch, "--"],
                    cwd=self.info.top,
                    stdout=subprocess.PIPE,
                    stderr=stderr,
                    env=git_env(),
                )
            except FileNotFoundError as exc:
                raise GitError(
                    "git is not installed or not on PATH", hint=GIT_MISSING_HINT
                ) from exc
            assert proc.stdout is not None
            try:
                yield from iter_log(tokens_of(proc.stdout.read))
            finally:
                proc.stdout.close()
                if proc.poll() is None:
                    proc.kill()
                code = proc.wait()
            if code != 0:
                stderr.seek(0)
                text = _decode(stderr.read())
                if "bad revision" in text or "unknown revision" in text:
                    raise self._no_branch(branch, text)
                raise GitError(
                    f"cannot read the history of {branch!r}: {first_line(text)}", stderr=text
                )

    # -- the index, trees, config, hooks and fast-import (lint, hooks and publish) ---------

    def index_files(self, *, index_file: str | None = None) -> list[TreeEntry]:
        """Every file staged in the index (``git ls-files --stage``), stage 0 only (a path
        with a merge conflict is left out). ``index_file`` is the ``GIT_INDEX_FILE`` a hook
        runs with (``git commit -a`` and ``git commit PATH`` stage into a temporary index)."""
        out = self.run(
            ["ls-files", "--stage", "-z"], env=self._index_env(index_file), what="read the index"
        )
        return [
            TreeEntry(mode, blob, path)
            for (mode, blob, stage), path in _listing(out)
            if stage == "0"
        ]

    def staged_paths(self, *, index_file: str | None = None) -> list[str]:
        """Paths added, copied, modified, renamed or retyped in the index relative to HEAD
        (all staged paths before the first commit)."""
        out = self.run(
            [
                "diff",
                "--cached",
                "--name-only",
                "-z",
                "--no-renames",
                "--diff-filter=ACMRT",
                "--no-ext-diff",
                "--no-textconv",
            ],
            env=self._index_env(index_file),
            what="list the staged files",
        )
        return [_decode(p) for p in out.split(b"\0") if p]

    def _index_env(self, index_file: str | None) -> dict[str, str]:
        if not index_file:
            return {}
        path = Path(index_file)
        return {"GIT_INDEX_FILE": str(path if path.is_absolute() else self.info.top / path)}

    def tree_files(self, rev: str) -> list[TreeEntry]:
        """Every file of ``rev``'s tree (``git ls-tree -r``); GitError for an unknown rev."""
        out = self.run(
            ["ls-tree", "-r", "-z", "--full-tree", "--end-of-options", rev],
            what=f"list the files of {rev!r}",
        )
        return [
            TreeEntry(mode, blob, path)
            for (mode, kind, blob), path in _listing(out)
            if kind == "blob"
        ]

    def rev_parse(self, rev: str) -> str | None:
        """The commit ``rev`` names, or None (no such branch, tag or commit)."""
        info = self.cat.commit(rev) if rev and not rev.startswith("-") else None
        return info.commit if info is not None else None

    def symbolic_head(self) -> str | None:
        """The branch HEAD points at (``refs/heads/main``), None when detached."""
        try:
            out = self.run(["symbolic-ref", "-q", "HEAD"])
        except GitError:
            return None
        return _decode(out).strip() or None

    def config_get(self, key: str) -> str | None:
        """The value of a (repository, global or system) config key, or None when unset."""
        try:
            out = self.run(["config", "--get", key])
        except GitError:
            return None
        return _decode(out).rstrip("\n")

    def config_set(self, key: str, value: str) -> None:
        """Set a key in the repository's own config (``.git/config``)."""
        self.run(["config", "--local", key, value], what=f"set {key}")

    def config_unset(self, key: str) -> None:
        """Remove a key from the repository's own config (nothing if it is unset)."""
        with contextlib.suppress(GitError):  # exit status 5: the key was not set
            self.run(["config", "--local", "--unset-all", key])

    def git_path(self, name: str) -> Path:
        """Where git keeps ``name`` (``hooks``, ``info/attributes``), honouring
        ``core.hooksPath`` and linked work trees."""
        out = _decode(self.run(["rev-parse", "--git-path", name])).strip()
        path = Path(out)
        return path if path.is_absolute() else (self.info.top / path).resolve()

    def identity(self) -> str | None:
        """``Name <email>`` of the configured committer, or None when git has none."""
        try:
            out = _decode(self.run(["var", "GIT_COMMITTER_IDENT"])).strip()
        except GitError:
            return None
        name_email, _, _ = out.rpartition(">")
        return name_email + ">" if name_email else None

    def fast_import(self, stream: bytes) -> None:
        """Feed a ``git fast-import`` stream (objects and ref updates only: the work tree and
        the index are never touched). A non-fast-forward ref update is refused."""
        self.run(
            ["fast-import", "--quiet", "--done"],
            input=stream,
            what="write the commit with git fast-import",
        )

    def object_format(self) -> str:
        """The repository's hash algorithm: ``sha1`` or ``sha256``."""
        out = _decode(self.run(["rev-parse", "--show-object-format"])).strip()
        return out or "sha1"

    def worktree_add(self, path: Path, rev: str) -> None:
        """Check ``rev`` out, detached, into a new linked work tree at ``path`` (this
        repository's own work tree and index are not touched; no hooks run)."""
        self.run(
            [
                "-c",
                "core.hooksPath=" + os.devnull,
                "worktree",
                "add",
                "--detach",
                "--force",
                "--quiet",
                str(path),
                rev,
            ],
            what=f"check out {rev!r} into a temporary work tree",
        )

    def worktree_remove(self, path: Path) -> None:
        """Remove a linked work tree made by :meth:`worktree_add` (and forget it)."""
        with contextlib.suppress(GitError):
            self.run(["worktree", "remove", "--force", "--force", str(path)])
        with contextlib.suppress(GitError):
            self.run(["worktree", "prune"])

    @property
    def cat(self) -> CatFile:
        """The shared ``cat-file --batch`` reader (started on first use)."""
        if self._cat is None:
            self._cat = CatFile(self.info.git_dir)
        return self._cat

    def close(self) -> None:
        if self._cat is not None:
            self._cat.close()
            self._cat = None

    def __enter__(self) -> Git:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
