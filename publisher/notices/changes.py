"""What a notice tells each group of recipients: the change set from the version they last
accepted to the notice's version, from git (with ``Policy-Change`` overrides) or from the
texts copied into the store, and whether a version brings material changes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from publisher.diff import ChangeSet, Side, compare
from publisher.store.versions import StoredVersion


@dataclass(frozen=True)
class GroupChanges:
    """What changed for one group: from the version they accepted to the notice's version.

    ``base`` is the version compared against: ``since`` itself, or for customers who never
    accepted anything the version before the notice's (None when there is none: the first
    version). ``versions`` are the versions published after ``base`` up to the notice's, each
    with its front matter summary.
    """

    since: str | None
    base: str | None
    changes: ChangeSet | None
    versions: tuple[StoredVersion, ...]

    @property
    def material(self) -> bool:
        return self.changes is not None and self.changes.material


class ChangeSource(Protocol):
    """Where change sets come from: git (with ``Policy-Change`` overrides) or the store."""

    def compare(self, old: StoredVersion, new: StoredVersion) -> ChangeSet: ...

    def notice_days(self, version: StoredVersion) -> int | None:
        """The version's front matter ``notice_days`` override, if any."""
        ...


class StoredChanges:
    """Change sets from the texts copied into the store (no git needed; no overrides)."""

    def compare(self, old: StoredVersion, new: StoredVersion) -> ChangeSet:
        from publisher.markdown import parse_document

        changes = compare(parse_document(old.body), parse_document(new.body))
        return changes.labelled(
            policy=new.slug,
            old=Side(rev=old.commit, version=old.label, sha256=old.sha256),
            new=Side(rev=new.commit, version=new.label, sha256=new.sha256),
        )

    def notice_days(self, version: StoredVersion) -> int | None:
        return None


class GitChanges:
    """Change sets from git through :func:`publisher.diff.sources.compare_revisions`, so a
    commit's ``Policy-Change`` trailer overrides the classification as everywhere else."""

    def __init__(self, repo: Any) -> None:
        self.repo = repo

    def compare(self, old: StoredVersion, new: StoredVersion) -> ChangeSet:
        from publisher.diff.sources import compare_revisions

        return compare_revisions(self.repo, new.slug, old.label, new.label)

    def notice_days(self, version: StoredVersion) -> int | None:
        policy = self.repo.policy(version.slug)
        document = self.repo.document(policy.version(version.label).revision)
        days = document.meta.notice_days
        return int(days) if days is not None else None


def group_changes(
    source: ChangeSource,
    versions: Sequence[StoredVersion],
    target: StoredVersion,
    since: str | None,
) -> GroupChanges:
    """The changes one group is told about: from ``since`` (or, for customers who never
    accepted, from the version before ``target``) to ``target``."""
    by_label = {v.label: v for v in versions}
    if since is not None and since in by_label:
        base: StoredVersion | None = by_label[since]
    else:
        earlier = [v for v in versions if v.position < target.position]
        base = earlier[-1] if earlier else None
    if base is None:
        return GroupChanges(since, None, None, (target,))
    between = tuple(v for v in versions if base.position < v.position <= target.position)
    return GroupChanges(since, base.label, source.compare(base, target), between)


def is_material(
    source: ChangeSource,
    versions: Sequence[StoredVersion],
    target: StoredVersion,
    since: Sequence[str | None] = (),
) -> bool:
    """Whether ``target`` brings material changes: to the version before it (whoever the
    recipients are, so an empty store cannot waive the notice period) or to any version in
    ``since`` (recipients who accepted an older one)."""
    return any(
        group_changes(source, versions, target, label).material
        for label in dict.fromkeys([None, *since])
    )
