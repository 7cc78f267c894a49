"""The ``git log`` pass: the first-parent history of a branch with the files each commit
changed (``--raw -M``), parsed from ``-z`` output (:func:`parse_log`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from sys import intern

from publisher.errors import GitError
from publisher.gitrun import decode as _decode

# One commit of `git log -z` with our format: a \x01 marker, then NUL-separated fields.
_FIELDS = ("commit", "tree", "name", "email", "authored", "committed", "subject", "trailers")
_LOG_FORMAT = "%x01%H%x00%T%x00%an%x00%ae%x00%aI%x00%cI%x00%s%x00%(trailers:unfold,only)%x00"
LOG_OPTIONS = (
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
    tree: str = ""  # the commit's tree (its full name)


def parse_trailers(text: str) -> tuple[tuple[str, str], ...]:
    """``Key: value`` lines (as printed by ``%(trailers:unfold,only)``) as pairs, in order."""
    pairs: list[tuple[str, str]] = []
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip():
            pairs.append((key.strip(), value.strip()))
    return tuple(pairs)


def parse_log(output: bytes) -> list[LogEntry]:
    """Parse the output of ``git log -z --raw`` run with our format (see :data:`LOG_OPTIONS`),
    all at once (:func:`iter_log` reads it as a stream)."""
    return list(iter_log(output.split(b"\0")))


def tokens_of(read: Callable[[int], bytes], size: int = 1 << 16) -> Iterator[bytes]:
    """The NUL-separated tokens of a stream, read ``size`` bytes at a time."""
    rest = b""
    while chunk := read(size):
        parts = (rest + chunk).split(b"\0")
        rest = parts.pop()
        yield from parts
    if rest:
        yield rest


def iter_log(tokens: Iterable[bytes]) -> Iterator[LogEntry]:
    """The commits of ``git log -z --raw`` output (our format), one at a time, from its
    NUL-separated tokens (:func:`tokens_of` a pipe): no more than one commit in memory.

    Each commit starts with ``\\x01<sha>`` followed by the other header fields, then its raw
    changes, each a ``:<modes> <blobs> <status>`` token followed by one path (two for renames
    and copies). Parsing is positional, so no path or subject can be mistaken for a marker.
    """
    it = iter(tokens)
    token = next(it, None)
    while token is not None:
        if not token.startswith(b"\x01"):
            token = next(it, None)  # separators git writes between header and raw changes
            continue
        header = [token, *islice(it, len(_FIELDS) - 1)]
        if len(header) < len(_FIELDS):
            raise GitError("cannot parse git log output: truncated commit header")
        changes: list[RawChange] = []
        token = next(it, None)
        while token is not None and not token.startswith(b"\x01"):
            meta = token.lstrip(b"\n")
            if meta.startswith(b":"):
                changes.append(_change(meta, it))
            token = next(it, None)
        commit, tree, name, email, authored, committed, subject, trailers = map(_decode, header)
        when = datetime.fromisoformat(committed)
        yield LogEntry(
            commit=commit[1:],
            author_name=intern(name),  # a few authors and paths, thousands of commits
            author_email=intern(email),
            authored=when if authored == committed else datetime.fromisoformat(authored),
            committed=when,
            subject=subject,
            trailers=parse_trailers(trailers),
            changes=tuple(changes),
            tree=tree,
        )


def _change(meta: bytes, it: Iterator[bytes]) -> RawChange:
    old_mode, new_mode, old_blob, new_blob, status = _decode(meta[1:]).split(" ")
    letter, score = status[0], int(status[1:]) if len(status) > 1 else None
    old_path = intern(_decode(next(it, b""))) if letter in "RC" else None
    path = intern(_decode(next(it, b"")))
    return RawChange(
        intern(letter),
        intern(old_mode),
        intern(new_mode),
        old_blob,
        new_blob,
        path,
        old_path,
        score,
    )
