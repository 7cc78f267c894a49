"""The rename walk: each policy's revisions, followed back through renames, moves and copies
over one ``git log`` pass (newest to oldest), like ``git log --follow --first-parent``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

from publisher.gitio import LogEntry
from publisher.history.policy import Revision


class PathTest(Protocol):
    """Which paths are policies (:class:`~publisher.history.globs.PolicyGlob`)."""

    def match(self, path: str) -> object: ...


class Lineage:
    """One policy's revisions, collected newest first while walking the history backwards."""

    def __init__(self, path: str, deleted_in: LogEntry | None = None) -> None:
        self.path = path
        self.deleted_in = deleted_in
        self.revisions: list[Revision] = []

    def add(self, entry: LogEntry, path: str, blob: str, status: str) -> None:
        self.revisions.append(
            Revision(
                commit=entry.commit,
                path=path,
                blob=blob,
                author_name=entry.author_name,
                author_email=entry.author_email,
                authored=entry.authored,
                committed=entry.committed,
                subject=entry.subject,
                trailers=entry.trailers,
                status=status,
            )
        )


def tip_files(entries: list[LogEntry]) -> dict[str, tuple[str, str]]:
    """Path -> (mode, blob) of every file at the tip, replaying the changes oldest first."""
    files: dict[str, tuple[str, str]] = {}
    for entry in reversed(entries):
        for change in entry.changes:
            if change.status == "D":
                files.pop(change.path, None)
                continue
            if change.status == "R" and change.old_path is not None:
                files.pop(change.old_path, None)
            files[change.path] = (change.new_mode, change.new_blob)
    return files


REGULAR = ("100644", "100755")

#: Finds the file a new policy file was copied from: (commit, path, blob, the policy files of
#: the parent commit as path -> blob) -> the source path, or None.
CopySource = Callable[[LogEntry, str, str, Mapping[str, str]], str | None]


def walk(
    entries: list[LogEntry],
    is_policy: PathTest,
    tip: Mapping[str, str],
    copy_source: CopySource,
) -> list[Lineage]:
    """Every policy lineage: those at the tip (``tip``: path -> blob), then those deleted (or
    moved out of the glob) along the way. ``entries`` are newest first.

    Like ``git log --follow``, a lineage follows its file back through renames, through copies
    (a file added as a copy of another: ``copy_source`` decides, among the policy files of the
    parent commit), and through a deletion and re-creation at the same path (the commit that
    deleted it is no revision: there is no file at that commit). Unlike git, it does not follow
    a copy of another policy still present at the tip: a policy started as a copy of a living
    one begins with that copy.
    """
    lineages = [Lineage(path) for path in sorted(tip)]
    tracked: dict[str, list[Lineage]] = {lin.path: [lin] for lin in lineages}
    state = dict(tip)  # policy files (path -> blob) after the commit being walked
    for position, entry in enumerate(entries):
        _undo(entry, state, is_policy)  # `state` is now the first parent's
        root = position == len(entries) - 1
        left: set[str] = set()
        moved: list[tuple[str, list[Lineage]]] = []
        started: list[Lineage] = []
        for change in entry.changes:
            following = tracked.get(change.path)
            if following and change.status == "D":
                continue  # deleted here, re-created later: keep following the same path
            status, source = change.status, change.old_path
            if following and status == "A" and not root and state:
                source = copy_source(entry, change.path, change.new_blob, state)
                if source is not None:
                    status = "C"
                    if any(lin.deleted_in is None for lin in tracked.get(source, ())):
                        status, source = "A", None  # a copy of a living policy: a new policy
            if following:
                for lin in following:
                    lin.add(entry, change.path, change.new_blob, status)
                if source is not None:
                    left.add(change.path)
                    moved.append((source, following))
            elif (
                status in "DR"
                and is_policy.match(source or change.path)
                and (source or change.path) not in tracked
            ):
                # deleted, or moved out of the glob: a policy that is gone at the tip
                started.append(Lineage(source or change.path, deleted_in=entry))
        for path in left:
            tracked.pop(path, None)
        for path, following in moved:
            tracked.setdefault(path, []).extend(following)
        for lin in started:
            tracked.setdefault(lin.path, []).append(lin)
            lineages.append(lin)
    return [lin for lin in lineages if lin.revisions]


def _undo(entry: LogEntry, state: dict[str, str], is_policy: PathTest) -> None:
    """Turn ``state`` (policy path -> blob after ``entry``) into its first parent's."""
    for change in entry.changes:
        if change.status != "D":
            state.pop(change.path, None)
        old = change.old_path or change.path
        if change.status != "A" and change.old_mode in REGULAR and is_policy.match(old):
            state[old] = change.old_blob
