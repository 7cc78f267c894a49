"""The rename walk: each policy's revisions, followed back through renames, moves and copies
over one ``git log`` pass (newest to oldest), like ``git log --follow --first-parent``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
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
        self.revisions.append(Revision.at(entry, path, blob, status))


REGULAR = ("100644", "100755")

#: Finds the file a new policy file was copied from: (commit, path, blob, the policy files of
#: the parent commit as path -> blob) -> the source path, or None.
CopySource = Callable[[LogEntry, str, str, Mapping[str, str]], str | None]


def walk(
    entries: Iterable[LogEntry],
    is_policy: PathTest,
    tip: Mapping[str, str],
    copy_source: CopySource,
) -> list[Lineage]:
    """Every policy lineage: those at the tip (``tip``: path -> blob), then those deleted (or
    moved out of the glob) along the way. ``entries`` are newest first, read once (a stream
    of ``git log``: each is dropped once walked).

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
    for entry, root in _with_last(entries):
        _undo(entry, state, is_policy)  # `state` is now the first parent's
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


def _with_last(entries: Iterable[LogEntry]) -> Iterator[tuple[LogEntry, bool]]:
    """Each entry, and whether it is the last (the root commit of the first-parent history)."""
    it = iter(entries)
    entry = next(it, None)
    while entry is not None:
        after = next(it, None)
        yield entry, after is None
        entry = after


def _undo(entry: LogEntry, state: dict[str, str], is_policy: PathTest) -> None:
    """Turn ``state`` (policy path -> blob after ``entry``) into its first parent's."""
    for change in entry.changes:
        if change.status != "D":
            state.pop(change.path, None)
        old = change.old_path or change.path
        if change.status != "A" and change.old_mode in REGULAR and is_policy.match(old):
            state[old] = change.old_blob


def join_lineages(
    lineages: list[Lineage],
    position: Mapping[str, int],
    name_at: Callable[[Revision], str],
    preload: Callable[[list[Revision]], None],
) -> list[Lineage]:
    """Join each deleted lineage to the later lineage that continues it, which git's
    rename detection missed (a move with many edits, or a re-creation under another path).

    The rule: lineage L continues the deleted lineage D when L starts with an added file
    (status ``A``) in the commit that deleted D or after it, and L's name at its first
    revision is D's name at its last (``name_at``: front matter ``slug``, else the file
    name). Among several, the earliest such L; a lineage continues at most one. The joined
    policy keeps L's path and fate; L's first revision becomes a move (status ``R``) when it
    is the commit that deleted D. ``preload`` is given every revision ``name_at`` will be
    asked about, first (to read their blobs in one batch).
    """
    deleted = [lin for lin in lineages if lin.deleted_in is not None]
    if not deleted:
        return lineages
    # each candidate's first revision, as walked (before any join changes it)
    starts = {
        id(lin): (lin, lin.revisions[-1])
        for lin in lineages
        if lin.revisions and lin.revisions[-1].status == "A"
    }
    preload(
        [first for _, first in starts.values()]
        + [lin.revisions[0] for lin in deleted if lin.revisions]
    )
    # oldest deletion first, so that a chain D1 -> D2 -> L joins in order
    for gone in sorted(deleted, key=lambda lin: -position[_deleted(lin).commit]):
        if not gone.revisions:
            continue
        when = position[_deleted(gone).commit]
        name = name_at(gone.revisions[0])
        candidates = [
            (lin, first)
            for lin, first in starts.values()
            if lin is not gone and position[first.commit] <= when and name_at(first) == name
        ]
        if not candidates:
            continue
        later, first = max(candidates, key=lambda pair: position[pair[1].commit])
        del starts[id(later)]
        starts.pop(id(gone), None)
        if first.commit == _deleted(gone).commit:
            later.revisions[-1] = replace(first, status="R")
        later.revisions.extend(gone.revisions)
        gone.revisions = []
    return [lin for lin in lineages if lin.revisions]


def _deleted(lineage: Lineage) -> LogEntry:
    assert lineage.deleted_in is not None
    return lineage.deleted_in
