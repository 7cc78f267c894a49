"""The rules that need the policy's history: ``unversioned-change`` and ``notice-period``.

Both place the linted text in its policy's history (:func:`standing`): which version it is
(a committed one, or a new one about to be committed), the version before it, and when it
was published: the commit date of the version's first commit, or today for text that is
not committed yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from publisher.counting import counted
from publisher.diff import compare, overrides_from_trailers
from publisher.diff.model import Override
from publisher.diff.sources import overrides_between
from publisher.document import Document
from publisher.gitio import parse_trailers
from publisher.history import Policy, PolicyRepo, Revision, Version, effective_date_in
from publisher.lint.findings import Finding, key_line, version_line


@dataclass(frozen=True)
class Standing:
    """Where a policy text stands in its history."""

    version: Version | None
    """The committed version this text is (None: a new version, not committed yet)."""
    previous: Version | None
    """The version before it (None: the first version)."""
    published: date
    """The commit date of the version's first commit, or today for a new version."""

    @property
    def committed(self) -> Revision | None:
        return self.version.revision if self.version is not None else None


def standing(policy: Policy, document: Document, today: date) -> Standing:
    """Which version ``document`` (the policy's text in the work tree, the index or a
    commit) is, relative to the committed history of ``policy``."""
    labels = list(policy.labels)
    label = document.meta.version
    if label is not None and label in labels:
        version: Version | None = policy.version(label)
    elif label is None and policy.current.sha256 == document.sha256:
        version = policy.current
    else:
        version = None
    if version is None:
        return Standing(None, policy.current, today)
    index = labels.index(version.label)
    previous = policy.versions[index - 1] if index > 0 else None
    return Standing(version, previous, version.published.date())


def unversioned_change_findings(
    repo: PolicyRepo, policy: Policy, path: str, source: str, document: Document
) -> list[Finding]:
    """The text under a version label must stay what was published under it (the first
    commit carrying the label), in history and in the work tree."""
    label = document.meta.version
    if label is None or label not in policy.labels:
        return []
    version = policy.version(label)
    if not version.labelled:
        return []
    published = repo.document(version.first_revision)
    if published.sha256 == document.sha256:
        return []
    return [
        Finding(
            "unversioned-change",
            "error",
            path,
            version_line(source),
            f"the text of version {label!r} differs from what was published as {label!r} in commit "
            f"{version.first_revision.short} ({version.first_revision.committed:%Y-%m-%d})",
            "customers accepted the published text: give this text a new `version:` label "
            "(and an `effective:` date and `summary:`)",
        )
    ]


def _effective_line(source: str, document: Document) -> int:
    line = key_line(source, "effective")
    if line > 1 or document.meta.effective is not None:
        return line
    for number, text in enumerate(source.splitlines(), start=1):
        if number >= document.body_start_line and "effective" in text.lower():
            return number
    return version_line(source)


def notice_period_findings(
    repo: PolicyRepo,
    policy: Policy,
    path: str,
    source: str,
    document: Document,
    *,
    notice_days: int,
    today: date,
    trailers: Sequence[tuple[str, str]] = (),
) -> list[Finding]:
    """A version with material changes since the version before it must take effect at
    least ``notice_days`` (the policy's front matter ``notice_days`` wins) after it was
    published. ``Policy-Change`` trailers of the version's commits (and ``trailers``, those
    of a commit being made) override the classification. Nothing to check without an
    effective date (front matter ``effective`` or an "Effective date:" line)."""
    effective = document.meta.effective or effective_date_in(document.body)
    if effective is None:
        return []
    place = standing(policy, document, today)
    if place.previous is None:
        return []
    required = document.meta.notice_days if document.meta.notice_days is not None else notice_days
    days = (effective - place.published).days
    if days >= required:
        return []
    overrides: tuple[Override, ...] = ()
    if place.committed is not None:
        overrides = overrides_between(policy, place.previous.revision, place.committed)
    overrides += overrides_from_trailers([("(this commit)", tuple(trailers))])
    changes = compare(repo.document(place.previous.revision), document, overrides=overrides)
    material = changes.summary.material
    if not material:
        return []
    label = f"version {document.meta.version!r}" if document.meta.version else "this text"
    if place.version is not None:
        when = (
            f"{'after' if days >= 0 else 'before'} it was published on {place.published} "
            f"(commit {place.version.first_revision.short})"
        )
    else:
        when = f"{'from' if days >= 0 else 'before'} today ({place.published})"
    source_of_days = (
        "its front matter `notice_days`"
        if document.meta.notice_days is not None
        else "the `notice_days` setting"
    )
    return [
        Finding(
            "notice-period",
            "error",
            path,
            _effective_line(source, document),
            f"{label} makes {counted(material, 'material change')} since {place.previous.label!r} and takes "
            f"effect on {effective}, {counted(abs(days), 'day')} {when}; {required} days of notice "
            "are required",
            f"set `effective:` to {place.published + timedelta(days=required)} or later "
            f"({required} days come from {source_of_days}); if the changes are only editorial, "
            "say so with the commit trailer `Policy-Change: editorial`",
        )
    ]


def message_trailers(message: str) -> tuple[tuple[str, str], ...]:
    """The trailers (``Key: value`` lines of the last paragraph) of a commit message being
    written, without git's ``#`` comment lines — what a commit-msg hook reads."""
    lines = [line for line in message.splitlines() if not line.startswith("#")]
    paragraphs = [p for p in "\n".join(lines).strip().split("\n\n") if p.strip()]
    if len(paragraphs) < 2:
        return ()
    last = paragraphs[-1].splitlines()
    if not all(":" in line and " " not in line.partition(":")[0].strip() for line in last):
        return ()
    return parse_trailers("\n".join(last))
