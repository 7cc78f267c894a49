"""The ``git log`` pass: the first-parent history of a branch with the files each commit
changed (``--raw -M``), parsed from ``-z`` output (:func:`parse_log`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from publisher.errors import GitError
from publisher.gitrun import decode as _decode

# One commit of `git log -z` with our format: a \x01 marker, then NUL-separated fields.
_FIELDS = ("commit", "author_name", "author_email", "authored", "committed", "subject", "trailers")
_LOG_FORMAT = "%x01%H%x00%an%x00%ae%x00%aI%x00%cI%x00%s%x00%(trailers:unfold,only)%x00"
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


def parse_trailers(text: str) -> tuple[tuple[str, str], ...]:
    """``Key: value`` lines (as printed by ``%(trailers:unfold,only)``) as pairs, in order."""
    pairs: list[tuple[str, str]] = []
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip():
            pairs.append((key.strip(), value.strip()))
    return tuple(pairs)


def parse_log(output: bytes) -> list[LogEntry]:
    """Parse the output of ``git log -z --raw`` run with our format (see :data:`LOG_OPTIONS`).

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
