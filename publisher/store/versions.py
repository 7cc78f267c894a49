"""Policy versions copied from git into the store, with their exact text.

The acceptance service and the evidence export read versions from the database only (no git
checkout needed on the web hosts), so every command that hands out links syncs first.
:func:`versions_from_repo` reads git; :func:`store_versions` writes the database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from publisher.config import Settings
from publisher.counting import counted
from publisher.diff.classify import TRAILER
from publisher.document import body_sha256
from publisher.errors import NotFoundError, PolicyError
from publisher.store.db import Database
from publisher.store.models import Acceptance, PolicyVersion, utcnow
from publisher.store.translations import store_translations

if TYPE_CHECKING:
    from publisher.history import PolicyRepo


@dataclass(frozen=True)
class VersionText:
    """A policy version with the exact body customers accept."""

    slug: str
    label: str
    position: int
    title: str | None
    summary: str | None
    effective: date | None
    commit: str
    path: str
    sha256: str
    body: str
    reaccept: str | None = None
    """Front matter ``reaccept``; None: the default (``material``)."""
    policy_change: tuple[str, ...] = ()
    """``Policy-Change`` trailer values of the commits after the previous version up to this
    one (what the re-acceptance rule applies without git)."""

    @property
    def described(self) -> str:
        """How messages name it: ``privacy version 3``."""
        return f"{self.slug} version {self.label}"


@dataclass(frozen=True)
class StoredVersion(VersionText):
    """A policy version as the store holds it: the version and when it was copied."""

    synced_at: datetime = field(kw_only=True)

    @classmethod
    def from_model(cls, row: PolicyVersion) -> StoredVersion:
        return cls(
            slug=row.slug,
            label=row.label,
            position=row.position,
            title=row.title,
            summary=row.summary,
            effective=row.effective,
            commit=row.commit,
            path=row.path,
            sha256=row.sha256,
            body=row.body,
            synced_at=row.synced_at,
            reaccept=row.reaccept,
            policy_change=split_trailers(row.policy_change),
        )


def split_trailers(stored: str | None) -> tuple[str, ...]:
    """The stored ``policy_change`` column as trailer values."""
    return tuple(line for line in (stored or "").split("\n") if line)


def join_trailers(values: tuple[str, ...]) -> str | None:
    """Trailer values as stored (None for none); a value never holds a line break."""
    return "\n".join(" ".join(v.split()) for v in values) or None


@dataclass(frozen=True)
class SyncResult:
    """How many versions :func:`store_versions` added, updated or found unchanged."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    translations_added: int = 0
    """Translation versions appended (:mod:`publisher.store.translations`)."""
    translations_unchanged: int = 0


def versions_from_repo(
    repo: PolicyRepo, *, slugs: Iterable[str] | None = None
) -> list[VersionText]:
    """Every version of every policy (or of ``slugs``) with its body, read from git."""
    wanted = set(slugs) if slugs is not None else None
    found: list[VersionText] = []
    for policy in repo.policies():
        if wanted is not None and policy.slug not in wanted:
            continue
        commits = [r.commit for r in policy.revisions]
        start = 0
        for position, version in enumerate(policy.versions):
            document = repo.document(version.revision)
            end = (
                commits.index(version.revision.commit) + 1
                if version.revision.commit in commits
                else start
            )
            window = policy.revisions[start:end]
            start = max(start, end)
            found.append(
                VersionText(
                    slug=policy.slug,
                    label=version.label,
                    position=position,
                    title=version.title or policy.title,
                    summary=version.summary,
                    effective=version.effective,
                    commit=version.revision.commit,
                    path=version.revision.path,
                    sha256=body_sha256(document.body),
                    body=document.body,
                    reaccept=document.meta.reaccept,
                    policy_change=tuple(
                        value
                        for r in window
                        for key, value in r.trailers
                        if key.strip().lower() == TRAILER.lower()
                    ),
                )
            )
    if wanted:
        missing = wanted - {v.slug for v in found}
        if missing:
            raise NotFoundError(f"no policy with slug {', '.join(sorted(missing))}")
    return found


_SYNCED_FIELDS = (
    "position",
    "title",
    "summary",
    "effective",
    "commit",
    "path",
    "sha256",
    "body",
    "reaccept",
    "policy_change",
)
"""The columns of a stored version that a sync compares and updates, in this order."""


def store_versions(
    database: Database, versions: Iterable[VersionText], *, now: Callable[[], datetime] = utcnow
) -> SyncResult:
    """Insert or update policy versions, in one transaction.

    A version whose text changed after someone accepted it is refused (that text is what they
    accepted): publish the change under a new version label.
    """
    added = updated = unchanged = 0
    moment = now()
    with database.session() as session, session.begin():
        for version in versions:
            row = session.scalars(
                select(PolicyVersion).where(
                    PolicyVersion.slug == version.slug, PolicyVersion.label == version.label
                )
            ).first()
            if row is None:
                session.add(
                    PolicyVersion(
                        slug=version.slug,
                        label=version.label,
                        position=version.position,
                        title=version.title,
                        summary=version.summary,
                        effective=version.effective,
                        commit=version.commit,
                        path=version.path,
                        sha256=version.sha256,
                        body=version.body,
                        synced_at=moment,
                        reaccept=version.reaccept,
                        policy_change=join_trailers(version.policy_change),
                    )
                )
                added += 1
                continue
            if row.sha256 != version.sha256:
                accepted = session.scalar(
                    select(func.count())
                    .select_from(Acceptance)
                    .where(
                        Acceptance.slug == version.slug,
                        Acceptance.version_label == version.label,
                    )
                )
                if accepted:
                    raise PolicyError(
                        f"{version.slug} version {version.label} changed after "
                        f"{counted(accepted, 'customer')} accepted it (sha256 {row.sha256[:12]}… -> "
                        f"{version.sha256[:12]}…)",
                        path=version.path,
                        hint="give the new text a new `version` label in the front matter",
                    )
            new = (
                version.position,
                version.title,
                version.summary,
                version.effective,
                version.commit,
                version.path,
                version.sha256,
                version.body,
                version.reaccept,
                join_trailers(version.policy_change),
            )
            old = tuple(getattr(row, field) for field in _SYNCED_FIELDS)
            if new == old:
                unchanged += 1
                continue
            for field, value in zip(_SYNCED_FIELDS, new, strict=True):
                setattr(row, field, value)
            row.synced_at = moment
            updated += 1
    return SyncResult(added, updated, unchanged)


def sync_versions(
    database: Database,
    settings: Settings,
    *,
    slugs: Iterable[str] | None = None,
    repo: PolicyRepo | None = None,
) -> SyncResult:
    """Copy the policy versions of the repository at ``settings.root`` (or of ``repo``, a
    reader already open on it) into the store, and the versions of their translations."""
    if repo is not None:
        return _sync(database, repo, slugs)
    from publisher.history import PolicyRepo

    with PolicyRepo.open(settings) as opened:
        return _sync(database, opened, slugs)


def _sync(database: Database, repo: PolicyRepo, slugs: Iterable[str] | None) -> SyncResult:
    from publisher.store.translation_sync import translations_from_repo

    wanted = list(slugs) if slugs is not None else None
    result = store_versions(database, versions_from_repo(repo, slugs=wanted))
    added, unchanged = store_translations(database, translations_from_repo(repo, slugs=wanted))
    return replace(result, translations_added=added, translations_unchanged=unchanged)


def stored_versions(database: Database, *, slug: str | None = None) -> list[StoredVersion]:
    """Stored versions, by policy then publication order."""
    query = select(PolicyVersion).order_by(PolicyVersion.slug, PolicyVersion.position)
    if slug is not None:
        query = query.where(PolicyVersion.slug == slug)
    with database.session() as session:
        return [StoredVersion.from_model(row) for row in session.scalars(query)]


def get_version(database: Database, slug: str, label: str | None = None) -> StoredVersion:
    """One stored version (the latest when ``label`` is None); NotFoundError lists the known."""
    versions = stored_versions(database, slug=slug)
    if not versions:
        raise NotFoundError(
            f"no versions of {slug!r} in the store",
            hint="check the slug, or run `publisher db sync` to copy versions from git",
        )
    if label is None:
        return versions[-1]
    for version in versions:
        if version.label == label:
            return version
    raise NotFoundError(
        f"{slug} has no version {label!r}",
        hint="known versions: " + ", ".join(v.label for v in versions),
    )
