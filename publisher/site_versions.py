"""Which versions of a policy the site publishes, their status on a day (in force, upcoming,
superseded), and which redlines it shows between them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from publisher.history import Policy, Version
from publisher.pages import Status

__all__ = [
    "RedlineWindow",
    "VersionsChoice",
    "dropped_pairs",
    "published_versions",
    "redline_pairs",
    "version_status",
]

VersionsChoice = str
"""``all``, ``labelled`` (only versions with a front matter ``version`` label) or a number N
(the last N versions)."""


def published_versions(policy: Policy, choice: VersionsChoice) -> tuple[Version, ...]:
    """The versions of ``policy`` the site publishes (see :class:`SiteOptions.versions`);
    never none: when the choice leaves nothing, the latest version."""
    versions = policy.versions
    choice = str(choice)
    if choice == "labelled":
        versions = tuple(v for v in versions if v.labelled)
    elif choice.isdigit():
        versions = versions[-int(choice) :]
    return versions or policy.versions[-1:]


def version_status(versions: Sequence[Version], today: date) -> tuple[int | None, list[Status]]:
    """The index of the version in force on ``today`` (the last one whose effective date has
    come; None when none has) and every version's status."""
    current: int | None = None
    for i, version in enumerate(versions):
        if version.effective is None or version.effective <= today:
            current = i
    statuses: list[Status] = []
    for i, version in enumerate(versions):
        if i == current:
            statuses.append("current")
        elif version.effective is not None and version.effective > today:
            statuses.append("upcoming")
        else:
            statuses.append("superseded")
    return current, statuses


RedlineWindow = int | None
"""Days (``redline_window``): a superseded version gets redlines to the version in force and
to the latest one when it was in force within the N days before the version in force took
effect; None: every one."""


def _since(version: Version) -> date:
    """The day a version took (or takes) effect: its effective date, else its publication."""
    return version.effective or version.published.date()


def _in_window(versions: Sequence[Version], i: int, current: int, window: RedlineWindow) -> bool:
    """Whether version ``i`` (before ``current``) was in force within the window: the
    version after it took its place no more than ``window`` days before the version in force
    took effect. Counted from that day, not from the day of the build, so the site does not
    change as days pass without a new version."""
    if window is None or i >= current:
        return True
    return (_since(versions[current]) - _since(versions[i + 1])).days <= window


def redline_pairs(
    versions: Sequence[Version],
    current: int | None,
    statuses: Sequence[Status],
    window: RedlineWindow = None,
) -> list[tuple[int, int]]:
    """Which redlines the site shows, as (old, new) indexes into the published versions:
    every consecutive pair; from each version in force within ``window`` days before the
    version in force took effect (and from each upcoming one) to the version in force and to
    the latest; from the version in force to each upcoming one. At most three per version,
    whatever the length of the history."""
    count = len(versions)
    found: dict[tuple[int, int], None] = {}
    for i in range(count - 1):
        found[(i, i + 1)] = None
    latest = count - 1
    for i in range(count - 1):
        if current is not None and not _in_window(versions, i, current, window):
            continue
        if current is not None and i < current:
            found[(i, current)] = None
        found[(i, latest)] = None
    if current is not None:
        for j, status in enumerate(statuses):
            if status == "upcoming" and j > current:
                found[(current, j)] = None
    return sorted(found)


def dropped_pairs(
    versions: Sequence[Version],
    current: int | None,
    statuses: Sequence[Status],
    window: RedlineWindow,
) -> list[tuple[int, int]]:
    """The redlines a site with no window would show that this one does not (from a version
    outside the window to the version in force or to the latest): their addresses get
    redirect pages, at most two per version."""
    kept = set(redline_pairs(versions, current, statuses, window))
    return [p for p in redline_pairs(versions, current, statuses) if p not in kept]
