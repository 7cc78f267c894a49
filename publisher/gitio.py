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
import re
import subprocess
import threading
import weakref
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO

from publisher.errors import GitError

#: Environment variables that would point git at another repository than the one we open
#: (git hooks set some of them); object-directory variables are kept on purpose, since a
#: pre-receive hook's quarantine needs them.
_LOCATING_VARS = ("GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_INDEX_FILE", "GIT_PREFIX")

SHALLOW_MESSAGE = "this is a shallow clone: the policy history is incomplete"
SHALLOW_HINT = "run `git fetch --unshallow` (in CI: actions/checkout with fetch-depth: 0)"
GIT_MISSING_HINT = "install git (2.31 or newer) and make sure it is on PATH"

# One commit of `git log -z` with our format: a \x01 marker, then NUL-separated fields.
_FIELDS = ("commit", "author_name", "author_email", "authored", "committed", "subject", "trailers")
_LOG_FORMAT = "%x01%H%x00%an%x00%ae%x00%aI%x00%cI%x00%s%x00%(trailers:unfold,only)%x00"
_LOG_OPTIONS = (
    "--first-parent",
    "--diff-merges=first-parent",
    "--root",
    "--raw",
    "-z",
    "-M",
    "--no-abbrev",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--no-show-signature",
    "--no-mailmap",
    "--format=" + _LOG_FORMAT,
)


def git_env() -> dict[str, str]:
    """The environment git runs in: ours, minus what would redirect it to another repository,
    with a stable language for messages and no interactive prompts."""
    env = {k: v for k, v in os.environ.items() if k not in _LOCATING_VARS}
    env["LC_ALL"] = "C"
    env["GIT_TERMINAL_PROMPT"] = "0"
    return env


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


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


def _first_line(stderr: str) -> str:
    for line in stderr.splitlines():
        line = line.strip()
        if line:
            return line.removeprefix("fatal: ").removeprefix("error: ")
    return "git failed"


def run_git(
    args: Sequence[str],
    *,
    cwd: Path,
    input: bytes | None = None,
    what: str | None = None,
    env: Mapping[str, str] | None = None,
) -> bytes:
    """Run ``git <args>`` in ``cwd`` and return its stdout.

    Raises :class:`GitError` carrying git's stderr when git fails, and a clear error when git
    is not installed. ``what`` names the operation in the message ("cannot <what>: …");
    ``env`` adds variables to :func:`git_env` (e.g. ``GIT_INDEX_FILE`` in a hook).
    """
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd,
            input=input,
            capture_output=True,
            env={**git_env(), **(env or {})},
            check=False,
        )
    except FileNotFoundError as exc:
        raise GitError("git is not installed or not on PATH", hint=GIT_MISSING_HINT) from exc
    if proc.returncode != 0:
        stderr = _decode(proc.stderr)
        prefix = f"cannot {what}: " if what else f"git {args[0]} failed: "
        raise GitError(prefix + _first_line(stderr), stderr=stderr)
    return proc.stdout


def diff_color_wanted(cwd: Path, *, terminal: bool) -> bool:
    """Whether git colours diffs here (``color.diff``, else ``color.ui``; ``auto`` means
    colour when ``terminal``: stdout is a terminal, or git's pager). False when git cannot
    say (outside a repository, git missing)."""
    try:
        out = run_git(
            ["config", "--get-colorbool", "color.diff", "true" if terminal else "false"], cwd=cwd
        )
    except GitError:
        return False
    return out.strip() == b"true"


# --------------------------------------------------------------------------------- git log


@dataclass(frozen=True)
class RawChange:
    """One line of ``git log --raw``: a file changed by a commit (relative to its first parent).

    ``status`` is git's letter (``A`` added, ``M`` modified, ``D`` deleted, ``R`` renamed,
    ``C`` copied, ``T`` type changed); ``old_path`` is set for ``R`` and ``C``. Blobs are full
    object names; a side that does not exist has the all-zero name.
    """

    status: str
    old_mode: str
    new_mode: str
    old_blob: str
    new_blob: str
    path: str
    old_path: str | None = None
    score: int | None = None

    @property
    def is_file(self) -> bool:
        """True when the new side is a regular file (not a symlink or submodule)."""
        return self.new_mode in ("100644", "100755")


@dataclass(frozen=True)
class LogEntry:
    """One commit of the first-parent history, with the files it changed."""

    commit: str
    author_name: str
    author_email: str
    authored: datetime
    committed: datetime
    subject: str
    trailers: tuple[tuple[str, str], ...]
    changes: tuple[RawChange, ...]


def parse_trailers(text: str) -> tuple[tuple[str, str], ...]:
    """``Key: value`` lines (as printed by ``%(trailers:unfold,only)``) as pairs, in order."""
    pairs: list[tuple[str, str]] = []
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip():
            pairs.append((key.strip(), value.strip()))
    return tuple(pairs)


def parse_log(output: bytes) -> list[LogEntry]:
    """Parse the output of ``git log -z --raw`` run with our format (see :data:`_LOG_OPTIONS`).

    Tokens are NUL-separated: each commit starts with ``\\x01<sha>`` followed by the other
    header fields, then its raw changes, each a ``:<modes> <blobs> <status>`` token followed
    by one path (two for renames and copies). Parsing is positional, so no path or subject
    can be mistaken for a marker.
    """
    tokens = output.split(b"\0")
    entries: list[LogEntry] = []
    i, n = 0, len(tokens)
    while i < n:
        token = tokens[i]
        if not token.startswith(b"\x01"):
            i += 1  # separators git writes between the header and the raw changes
            continue
        header = [_decode(t) for t in tokens[i : i + len(_FIELDS)]]
        if len(header) < len(_FIELDS):
            raise GitError("cannot parse git log output: truncated commit header")
        i += len(_FIELDS)
        changes: list[RawChange] = []
        while i < n and not tokens[i].startswith(b"\x01"):
            meta = tokens[i].lstrip(b"\n")
            if not meta.startswith(b":"):
                i += 1
                continue
            old_mode, new_mode, old_blob, new_blob, status = _decode(meta[1:]).split(" ")
            letter, score = status[0], int(status[1:]) if len(status) > 1 else None
            if letter in "RC":
                old_path, path = _decode(tokens[i + 1]), _decode(tokens[i + 2])
                i += 3
            else:
                old_path, path = None, _decode(tokens[i + 1])
                i += 2
            changes.append(
                RawChange(letter, old_mode, new_mode, old_blob, new_blob, path, old_path, score)
            )
        commit, name, email, authored, committed, subject, trailers = header
        entries.append(
            LogEntry(
                commit=commit[1:],
                author_name=name,
                author_email=email,
                authored=datetime.fromisoformat(authored),
                committed=datetime.fromisoformat(committed),
                subject=subject,
                trailers=parse_trailers(trailers),
                changes=tuple(changes),
            )
        )
    return entries


@dataclass(frozen=True)
class TreeEntry:
    """A file in a tree or in the index: its mode, blob name and path."""

    mode: str
    blob: str
    path: str


# ------------------------------------------------------------------ git's similarity score

#: git's scale for rename and copy similarity, and its default threshold (50%).
MAX_SCORE = 60000
DEFAULT_MIN_SCORE = 30000
_SPAN = re.compile(rb"[^\n]{0,63}\n|[^\n]{1,64}")


class Spans:
    """A blob cut the way git compares files for rename and copy detection (diffcore-delta):
    chunks ending at a newline or 64 bytes long, counted in bytes; CR of CRLF ignored in text.
    The chunks are counted on first use (a size check rules most pairs out before)."""

    __slots__ = ("_counts", "_data", "size")

    def __init__(self, data: bytes) -> None:
        self.size = len(data)
        self._data: bytes | None = data
        self._counts: Counter[bytes] | None = None

    @property
    def counts(self) -> Counter[bytes]:
        if self._counts is None:
            assert self._data is not None
            data, self._data = self._data, None
            text = data if b"\0" in data[:8000] else data.replace(b"\r\n", b"\n")
            counts: Counter[bytes] = Counter()
            for chunk in _SPAN.findall(text):
                counts[chunk] += len(chunk)
            self._counts = counts
        return self._counts


def spans(data: bytes) -> Spans:
    return Spans(data)


def similarity(src: Spans, dst: Spans, *, minimum: int = DEFAULT_MIN_SCORE) -> int:
    """git's similarity of two files, 0 … :data:`MAX_SCORE` (what ``git diff -M -C`` prints as
    a percentage, ``C059``): the bytes of ``dst`` found in ``src``, over the larger size.
    Files whose sizes differ too much for ``minimum`` score 0 without being compared."""
    larger, smaller = max(src.size, dst.size), min(src.size, dst.size)
    if larger == 0 or larger * (MAX_SCORE - minimum) < (larger - smaller) * MAX_SCORE:
        return 0
    if len(src.counts) > len(dst.counts):
        common = sum(min(n, src.counts[k]) for k, n in dst.counts.items() if k in src.counts)
    else:
        common = sum(min(n, dst.counts[k]) for k, n in src.counts.items() if k in dst.counts)
    return common * MAX_SCORE // larger


# --------------------------------------------------------------------------- cat-file --batch


@dataclass(frozen=True)
class GitObject:
    """An object read by ``git cat-file --batch``: its full name, type and content."""

    sha: str
    type: str
    data: bytes


@dataclass(frozen=True)
class CommitInfo:
    """The parts of a commit object the history needs (parsed from ``cat-file`` output)."""

    commit: str
    tree: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    authored: datetime
    committed: datetime
    subject: str
    trailers: tuple[tuple[str, str], ...]


def _parse_signature(value: str) -> tuple[str, str, datetime]:
    """``Name <email> 1700000000 +0100`` -> (name, email, aware datetime)."""
    head, _, rest = value.rpartition(">")
    name, _, email = head.partition("<")
    stamp, _, offset = rest.strip().partition(" ")
    sign = -1 if offset.startswith("-") else 1
    hours, minutes = int(offset[1:3] or 0), int(offset[3:5] or 0)
    tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    return name.strip(), email.strip(), datetime.fromtimestamp(int(stamp), tz)


def parse_commit(sha: str, data: bytes) -> CommitInfo:
    """Parse a raw commit object (headers, blank line, message)."""
    text = _decode(data)
    headers, _, message = text.partition("\n\n")
    tree, parents = "", []
    author = committer = ("", "", datetime.fromtimestamp(0).astimezone())
    for line in headers.splitlines():
        key, _, value = line.partition(" ")
        if key == "tree":
            tree = value
        elif key == "parent":
            parents.append(value)
        elif key == "author":
            author = _parse_signature(value)
        elif key == "committer":
            committer = _parse_signature(value)
    paragraphs = [p for p in message.strip("\n").split("\n\n") if p.strip()]
    subject = " ".join(paragraphs[0].split("\n")).strip() if paragraphs else ""
    trailers = ""
    if len(paragraphs) > 1 and all(
        ":" in line and " " not in line.partition(":")[0].strip()
        for line in paragraphs[-1].splitlines()
        if not line.startswith((" ", "\t"))
    ):
        trailers = paragraphs[-1]
    return CommitInfo(
        commit=sha,
        tree=tree,
        parents=tuple(parents),
        author_name=author[0],
        author_email=author[1],
        authored=author[2],
        committed=committer[2],
        subject=subject,
        trailers=parse_trailers(trailers.replace("\n ", " ").replace("\n\t", " ")),
    )


#: Requests written to ``cat-file --batch`` before reading its answers: small enough (at
#: most ~70 bytes each) to fit a pipe's buffer, so that neither side can block the other.
_BATCH = 256


class CatFile:
    """One long-lived ``git cat-file --batch`` process, reused for every object read.

    Requests are object names in git's extended syntax (a sha, ``HEAD~2``, ``v1^{commit}``,
    ``<commit>:<path>``), so revision lookups need no further process either. Thread-safe
    (one request at a time); closed by :meth:`close` or when garbage-collected.
    """

    def __init__(self, git_dir: Path) -> None:
        self._git_dir = git_dir
        self._lock = threading.Lock()
        import tempfile  # here: the diff driver imports this module only to ask git for colour

        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        try:
            self._proc = subprocess.Popen(
                ["git", "--git-dir", str(git_dir), "cat-file", "--batch"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                env=git_env(),
                bufsize=-1,
            )
        except FileNotFoundError as exc:
            self._stderr.close()
            raise GitError("git is not installed or not on PATH", hint=GIT_MISSING_HINT) from exc
        self._finalizer = weakref.finalize(self, _shutdown, self._proc, self._stderr)

    def get(self, name: str) -> GitObject | None:
        """The object ``name`` resolves to, or None when it does not exist (or is ambiguous)."""
        return self.get_many([name])[0]

    def get_many(self, names: Sequence[str]) -> list[GitObject | None]:
        """Several objects in one round trip per batch of requests (pipelined: requests are
        written in batches small enough for the pipe, then the answers are read)."""
        found: list[GitObject | None] = []
        for start in range(0, len(names), _BATCH):
            found.extend(self._exchange(names[start : start + _BATCH]))
        return found

    def _exchange(self, names: Sequence[str]) -> list[GitObject | None]:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        valid = ["\n" not in name and "\r" not in name for name in names]
        request = b"".join(
            name.encode("utf-8", "surrogateescape") + b"\n"
            for name, ok in zip(names, valid, strict=True)
            if ok
        )
        found: list[GitObject | None] = []
        with self._lock:
            try:
                self._proc.stdin.write(request)
                self._proc.stdin.flush()
                for ok in valid:
                    found.append(self._answer() if ok else None)
            except (BrokenPipeError, OSError, ValueError) as exc:
                raise self._died() from exc
        return found

    def _answer(self) -> GitObject | None:
        assert self._proc.stdout is not None
        header = self._proc.stdout.readline()
        if not header:
            raise BrokenPipeError
        if header.endswith((b" missing\n", b" ambiguous\n")):
            return None
        fields = header.split()
        size = int(fields[2])
        data = self._proc.stdout.read(size + 1)[:-1]
        if len(data) != size:
            raise BrokenPipeError
        return GitObject(_decode(fields[0]), _decode(fields[1]), data)

    def read_blob(self, sha: str) -> bytes:
        """The content of blob ``sha``; GitError if there is no such blob."""
        obj = self.get(sha)
        if obj is None or obj.type != "blob":
            raise GitError(
                f"blob {sha} is missing from the repository",
                hint="run `git fsck` — the repository may be damaged or partial",
            )
        return obj.data

    def commit(self, name: str) -> CommitInfo | None:
        """The commit ``name`` (any commit-ish) resolves to, or None."""
        obj = self.get(f"{name}^{{commit}}")
        if obj is None or obj.type != "commit":
            return None
        return parse_commit(obj.sha, obj.data)

    def _died(self) -> GitError:
        self._proc.poll()
        self._stderr.seek(0)
        stderr = _decode(self._stderr.read())
        return GitError(f"git cat-file stopped unexpectedly: {_first_line(stderr)}", stderr=stderr)

    def close(self) -> None:
        """Stop the process (idempotent)."""
        self._finalizer()

    def __enter__(self) -> CatFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _shutdown(proc: subprocess.Popen[bytes], stderr: IO[bytes]) -> None:
    try:
        if proc.stdin is not None:
            proc.stdin.close()
        proc.wait(timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        proc.kill()
        proc.wait()
    finally:
        if proc.stdout is not None:
            proc.stdout.close()
        stderr.close()


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
                ["log", *_LOG_OPTIONS, "--end-of-options", branch, "--"],
                what=f"read the history of {branch!r}",
            )
        except GitError as exc:
            if "bad revision" in exc.stderr or "unknown revision" in exc.stderr:
                if not self.run(["rev-list", "-n1", "--all"]).strip():
                    raise GitError(
                        "the repository has no commits yet",
                        stderr=exc.stderr,
                        hint="commit the policies first",
                    ) from exc
                raise GitError(
                    f"there is no branch or commit {branch!r}",
                    stderr=exc.stderr,
                    hint="set `branch` to an existing branch (default HEAD)",
                ) from exc
            raise
        return parse_log(out)

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
