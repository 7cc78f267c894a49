"""One long-lived ``git cat-file --batch`` process (:class:`CatFile`) that serves every blob,
commit and revision lookup of a run, and the commit objects it reads (:class:`CommitInfo`)."""

from __future__ import annotations

import subprocess
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO

from publisher.errors import GitError
from publisher.gitlog import parse_trailers
from publisher.gitrun import BLOB_CACHES, GIT_MISSING_HINT, git_env
from publisher.gitrun import decode as _decode
from publisher.gitrun import first_line as _first_line


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
                ["git", *BLOB_CACHES, "--git-dir", str(git_dir), "cat-file", "--batch"],
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
