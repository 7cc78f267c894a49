"""The values the site's pages show: a policy and its published versions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from publisher.diff import Summary

__all__ = ["PolicyInfo", "Status", "VersionInfo"]


Status = Literal["current", "upcoming", "superseded"]
"""``current``: in force today; ``upcoming``: its effective date is in the future;
``superseded``: replaced by a later version that is in force."""


@dataclass(frozen=True)
class VersionInfo:
    """One published version as the pages show it."""

    label: str
    effective: date | None
    published: datetime
    commit: str
    sha256: str
    title: str
    summary: str | None
    status: Status
    previous: str | None = None
    """Label of the published version before this one (None for the first)."""
    counts: Summary | None = None
    """The change summary against ``previous``."""
    last_commit: str | None = None
    last_changed: datetime | None = None
    compared_to_current: bool = True
    """Whether the site has a redline from this version to the one in force (a superseded
    version outside the ``redline_window`` has only its consecutive ones)."""
    """The last commit that changed the version's file without a new label (a front-matter
    fix, say) and its date; None when no commit did after ``commit``, which published it."""

    @property
    def material(self) -> bool | None:
        return None if self.counts is None else self.counts.material > 0


@dataclass(frozen=True)
class PolicyInfo:
    """A policy as the site shows it: its published versions, oldest first."""

    slug: str
    title: str
    path: str
    versions: tuple[VersionInfo, ...]
    current: str | None
    """The version in force today (None when every version is still upcoming)."""
    languages: tuple[str, ...] = ()
    """The policy's language, then its translations' (each under ``/<lang>/``)."""

    def version(self, label: str) -> VersionInfo:
        for version in self.versions:
            if version.label == label:
                return version
        raise KeyError(label)

    def following(self, label: str) -> VersionInfo | None:
        """The published version after ``label`` (None for the latest): a superseded
        version was in force until the one after it took effect."""
        labels = [v.label for v in self.versions]
        index = labels.index(label) + 1
        return self.versions[index] if index < len(self.versions) else None

    @property
    def shown(self) -> VersionInfo:
        """The version on the policy's main page: the one in force, else the first upcoming."""
        return self.version(self.current) if self.current else self.versions[0]

    @property
    def upcoming(self) -> tuple[VersionInfo, ...]:
        return tuple(v for v in self.versions if v.status == "upcoming")

    @property
    def latest(self) -> VersionInfo:
        return self.versions[-1]

    @property
    def updated(self) -> datetime:
        return max(v.published for v in self.versions)
