"""Which versions of a policy the site publishes, their status on a day (in force, upcoming,
superseded), and which redlines it shows between them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from publisher.history import Policy, Version
from publisher.pages import Status

__all__ = ["VersionsChoice", "published_versions", "redline_pairs", "version_status"]

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


def redline_pairs(
    count: int, current: int | None, statuses: Sequence[Status]
) -> list[tuple[int, int]]:
    """Which redlines the site shows, as (old, new) indexes into the published versions."""
    found: dict[tuple[int, int], None] = {}
    for i in range(count - 1):
        found[(i, i + 1)] = None
    latest = count - 1
    for i in range(count - 1):
        if current is not None and i < current:
            found[(i, current)] = None
        found[(i, latest)] = None
    if current is not None:
        for j, status in enumerate(statuses):
            if status == "upcoming" and j > current:
                found[(current, j)] = None
    return sorted(found)
