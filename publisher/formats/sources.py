"""The input of a redline document: the change set, both documents, and who made the new
revision and when (a commit's author and date; for two plain files, the new file's mtime and
``publisher``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from publisher.diff.model import ChangeSet
from publisher.diff.sources import compare_files, compare_revisions, read_file
from publisher.document import Document
from publisher.history import Policy, PolicyRepo

FILE_AUTHOR = "publisher"
"""The revisions' author in a redline of two plain files (they have no commit)."""


@dataclass(frozen=True)
class Redline:
    """A change set with what a document of it needs besides."""

    changes: ChangeSet
    old: Document
    new: Document
    author: str
    date: datetime


def redline_of_files(old_path: str | Path, new_path: str | Path) -> Redline:
    """Two policy files: the revisions are dated by the new file's modification time."""
    changes = compare_files(old_path, new_path)
    mtime = Path(new_path).stat().st_mtime
    return Redline(
        changes,
        read_file(old_path),
        read_file(new_path),
        FILE_AUTHOR,
        datetime.fromtimestamp(int(mtime), tz=UTC),
    )


def redline_of_revisions(
    repo: PolicyRepo, policy: Policy, from_rev: str | None = None, to_rev: str | None = None
) -> Redline:
    """Two revisions of a policy in git (see :func:`compare_revisions`): the revisions carry
    the author and author date of the new revision's commit."""
    changes = compare_revisions(repo, policy, from_rev, to_rev)
    assert changes.old.rev is not None and changes.new.rev is not None
    old_rev = repo.resolve(policy, changes.old.rev)
    new_rev = repo.resolve(policy, changes.new.rev)
    return Redline(
        changes,
        repo.document(old_rev),
        repo.document(new_rev),
        new_rev.author_name,
        new_rev.authored,
    )
