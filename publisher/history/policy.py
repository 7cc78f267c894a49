"""The values of a policy's history: :class:`Revision`, :class:`Version` and :class:`Policy`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from publisher.errors import NotFoundError
from publisher.gitio import CommitInfo, LogEntry


@dataclass(frozen=True, slots=True)
class Revision:
    """A policy file at one commit of the publishing branch."""

    commit: str
    path: str
    blob: str
    author_name: str
    author_email: str
    authored: datetime
    committed: datetime
    subject: str
    trailers: tuple[tuple[str, str], ...]
    status: str
    """git's status letter for this file in this commit: ``A`` added, ``M`` modified, ``R``
    renamed or moved into ``path``, ``C`` copied, ``T`` type changed; empty for a revision
    read from a commit outside the publishing branch (see :meth:`PolicyRepo.resolve`)."""

    @classmethod
    def at(cls, commit: LogEntry | CommitInfo, path: str, blob: str, status: str) -> Revision:
        """The revision of the file ``path`` (blob ``blob``) at ``commit``."""
        return cls(
            commit=commit.commit,
            path=path,
            blob=blob,
            author_name=commit.author_name,
            author_email=commit.author_email,
            authored=commit.authored,
            committed=commit.committed,
            subject=commit.subject,
            trailers=commit.trailers,
            status=status,
        )

    @property
    def short(self) -> str:
        """The abbreviated commit sha (12 characters)."""
        return self.commit[:12]

    def trailer(self, key: str) -> str | None:
        """The last value of trailer ``key`` (case-insensitive), or None."""
        values = [v for k, v in self.trailers if k.lower() == key.lower()]
        return values[-1] if values else None


@dataclass(frozen=True)
class Version:
    """A published state of a policy."""

    slug: str
    label: str
    effective: date | None
    revision: Revision
    """The last commit carrying this label: its content is the version."""
    first_revision: Revision
    """The commit where the label first appeared (when the version was published)."""
    sha256: str
    title: str | None
    summary: str | None
    """Front matter ``summary``; for a version labelled by its date (no ``version`` label),
    else the subject of the commit that made it."""
    labelled: bool
    """True if the label is front matter ``version``, False if it is the commit date."""

    @property
    def published(self) -> datetime:
        return self.first_revision.committed


@dataclass(frozen=True)
class Policy:
    """One policy and its whole history on the publishing branch."""

    slug: str
    title: str
    path: str
    """Current path, or the last path a deleted policy had."""
    revisions: tuple[Revision, ...]
    """Oldest first: every commit that changed the file, following renames and moves."""
    versions: tuple[Version, ...]
    """Oldest first (by first appearance)."""
    deleted: bool
    revision_labels: tuple[str, ...] = ()
    """The label of the version each revision belongs to, aligned with ``revisions``."""
    deleted_in: LogEntry | None = field(default=None, repr=False)
    """The commit that deleted the policy (or moved it out of the policies glob)."""
    language: str = "en"
    """The file's language (front matter ``lang``, else its path, else ``default_language``)."""
    source: str | None = None
    """For a translation, the path of the policy it translates (same slug); None for a source."""

    @property
    def is_translation(self) -> bool:
        return self.source is not None

    @property
    def current(self) -> Version:
        """The version in force at the tip (or when the policy was deleted)."""
        return self.version(self.revision_labels[-1]) if self.revision_labels else self.versions[-1]

    @property
    def latest(self) -> Revision:
        """The newest revision."""
        return self.revisions[-1]

    @property
    def paths(self) -> tuple[str, ...]:
        """Every path the policy had, oldest first, without repeats."""
        return tuple(dict.fromkeys(r.path for r in self.revisions))

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(v.label for v in self.versions)

    def version(self, label: str) -> Version:
        """The version labelled ``label``; NotFoundError listing the valid labels."""
        for version in self.versions:
            if version.label == label:
                return version
        raise NotFoundError(
            f"{self.slug} has no version {label!r}",
            hint=f"versions of {self.slug}: {', '.join(self.labels)}",
        )
