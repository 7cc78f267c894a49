"""Which revision of a policy a name means: a version label, a commit-ish (on or off the
publishing branch) or a date (:func:`resolve_revision`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

from publisher.errors import NotFoundError
from publisher.gitio import Git
from publisher.history.policy import Policy, Revision, Version


def resolve_revision(git: Git, position: Mapping[str, int], policy: Policy, rev: str) -> Revision:
    """The revision of ``policy`` that ``rev`` names (see :meth:`PolicyRepo.resolve`);
    ``position``: commit -> index in the first-parent history (0 = tip)."""
    for version in policy.versions:
        if version.label == rev:
            return version.revision
    rev = rev.strip()
    commit = git.cat.commit(rev) if rev and not rev.startswith("-") else None
    if commit is not None:
        return at_commit(git, position, policy, commit.commit)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", rev):
        try:
            day = date.fromisoformat(rev)
        except ValueError:
            raise NotFoundError(
                f"{rev!r} is not a valid date", hint="dates are YYYY-MM-DD"
            ) from None
        return on_day(policy, day)
    raise NotFoundError(
        f"{rev!r} is not a version, commit or date of {policy.slug}",
        hint=f"versions of {policy.slug}: {', '.join(policy.labels)}; "
        "or give a commit (sha, HEAD~2, tag, branch) or a date YYYY-MM-DD",
    )


def at_commit(git: Git, position: Mapping[str, int], policy: Policy, sha: str) -> Revision:
    """The revision of ``policy`` in force at the full commit sha ``sha``."""
    where = position.get(sha)
    if where is None:
        return off_branch(git, policy, sha)
    if policy.deleted_in is not None and position[policy.deleted_in.commit] >= where:
        raise NotFoundError(
            f"{policy.slug} was deleted in commit {policy.deleted_in.commit[:12]}, "
            f"before {sha[:12]}",
            hint=f"versions of {policy.slug}: {', '.join(policy.labels)}",
        )
    for revision in reversed(policy.revisions):
        if position[revision.commit] >= where:
            return revision
    raise NotFoundError(
        f"{policy.slug} did not exist yet at commit {sha[:12]} "
        f"(first revision: {policy.revisions[0].short})",
        hint=f"versions of {policy.slug}: {', '.join(policy.labels)}",
    )


def off_branch(git: Git, policy: Policy, sha: str) -> Revision:
    """The policy's file at a commit outside the publishing branch (a preview branch)."""
    info = git.cat.commit(sha)
    assert info is not None
    for path in reversed(policy.paths):
        obj = git.cat.get(f"{sha}:{path}")
        if obj is not None and obj.type == "blob":
            return Revision.at(info, path, obj.sha, "")
    raise NotFoundError(
        f"{policy.path} does not exist at commit {sha[:12]}",
        hint=f"versions of {policy.slug}: {', '.join(policy.labels)}",
    )


def on_day(policy: Policy, day: date) -> Revision:
    """The revision of ``policy`` in force at the end of ``day`` (by commit date)."""
    if policy.deleted_in is not None and policy.deleted_in.committed.date() <= day:
        raise NotFoundError(
            f"{policy.slug} was deleted on {policy.deleted_in.committed.date().isoformat()}",
            hint=f"versions of {policy.slug}: {', '.join(policy.labels)}",
        )
    in_force = [r for r in policy.revisions if r.committed.date() <= day]
    if not in_force:
        raise NotFoundError(
            f"{policy.slug} did not exist yet on {day.isoformat()} "
            f"(first revision: {policy.revisions[0].committed.date().isoformat()})",
            hint=f"versions of {policy.slug}: {', '.join(policy.labels)}",
        )
    return in_force[-1]


def version_of(policy: Policy, revision: Revision) -> Version | None:
    """The version a revision of ``policy`` belongs to (None for a commit outside the
    publishing branch)."""
    for rev, label in zip(policy.revisions, policy.revision_labels, strict=True):
        if rev.commit == revision.commit:
            return policy.version(label)
    return None
