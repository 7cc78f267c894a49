"""What a translation renders and how far it lags its source, clause by clause.

A translation version renders the source version its front matter ``translation_of`` names,
else the source version in force at the commit that published the translation version
(inferred: a later fix that keeps the version does not make it current).
When the source has newer versions, the clause diff between the rendered source version and
the source's current one names the clauses a translator must revisit, each mapped to the
translation's clause at the same place (:mod:`.structure`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from publisher.diff import Change, compare
from publisher.errors import NotFoundError, PolicyError
from publisher.history import Policy, PolicyRepo, Version
from publisher.translations.structure import at_positions, positions

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Rendering:
    """The source version a translation version renders."""

    version: Version
    renders: Version | None
    """None when ``translation_of`` names a label the source does not have."""
    inferred: bool
    declared: str | None
    """The ``translation_of`` label as written, if any."""


@dataclass(frozen=True)
class ClauseToRevisit:
    """A source clause changed since the version the translation renders."""

    kind: str
    material: bool
    id: str
    number: str | None
    heading: str | None
    translation_id: str | None
    translation_line: int | None
    """The translation's clause at the same place (None for a clause the source added)."""


@dataclass(frozen=True)
class TranslationStatus:
    """A translation's current version against its source."""

    translation: Policy
    source: Policy
    rendering: Rendering
    newer: tuple[Version, ...]
    clauses: tuple[ClauseToRevisit, ...]
    severity: Severity | None
    in_force_since: date | None
    """The effective date of the oldest newer source version already in force, if any."""

    @property
    def behind(self) -> int:
        return len(self.newer)

    @property
    def lagging(self) -> bool:
        return bool(self.newer)

    def to_dict(self) -> dict[str, Any]:
        """The ``publisher translations --format json`` entry (docs/design.md)."""
        rendering = self.rendering
        return {
            "slug": self.translation.slug,
            "language": self.translation.language,
            "path": self.translation.path,
            "source": {
                "path": self.source.path,
                "language": self.source.language,
                "current": self.source.current.label,
            },
            "version": rendering.version.label,
            "renders": rendering.renders.label if rendering.renders else None,
            "declared": rendering.declared,
            "inferred": rendering.inferred,
            "behind": self.behind,
            "lagging": self.lagging,
            "newer": [v.label for v in self.newer],
            "in_force_since": self.in_force_since.isoformat() if self.in_force_since else None,
            "severity": self.severity,
            "clauses": [
                {
                    "kind": c.kind,
                    "material": c.material,
                    "id": c.id,
                    "number": c.number,
                    "heading": c.heading,
                    "translation": (
                        {"id": c.translation_id, "line": c.translation_line}
                        if c.translation_id is not None
                        else None
                    ),
                }
                for c in self.clauses
            ],
        }


def rendering(
    repo: PolicyRepo, source: Policy, version: Version, declared: object = None
) -> Rendering:
    """What the translation version ``version`` renders of ``source``; ``declared``: a
    ``translation_of`` that replaces the version's own (lint's uncommitted text)."""
    raw = declared
    if raw is None:
        try:
            raw = repo.meta(version.revision).extra.get("translation_of")
        except PolicyError:
            raw = None
    if raw is not None and not isinstance(raw, bool):
        declared = str(raw)
        found = next((v for v in source.versions if v.label == declared), None)
        return Rendering(version, found, inferred=False, declared=declared)
    try:
        revision = repo.revision_at(source, version.first_revision.commit)
    except NotFoundError:  # the source did not exist yet: the translation renders its first
        return Rendering(version, source.versions[0], inferred=True, declared=None)
    return Rendering(
        version,
        repo.version_of(source, revision) or source.versions[0],
        inferred=True,
        declared=None,
    )


Compared = dict[tuple[str, str], tuple[Change, ...]]
"""Clause changes between two source blobs, shared by the translations of one source."""


def translation_status(
    repo: PolicyRepo,
    translation: Policy,
    *,
    today: date,
    grace_days: int = 0,
    declared: object = None,
    source: Policy | None = None,
    compared: Compared | None = None,
) -> TranslationStatus:
    """The current version of ``translation`` against its source's current version
    (``declared``: see :func:`rendering`; ``source``: the source policy, when known;
    ``compared``: a cache of source comparisons to share between calls)."""
    assert translation.source is not None, "not a translation"
    source = source if source is not None else repo.policy(translation.source)
    render = rendering(repo, source, translation.current, declared)
    labels = list(source.labels)
    current = labels.index(source.current.label)
    start = labels.index(render.renders.label) + 1 if render.renders else current + 1
    newer = tuple(source.versions[start : current + 1])
    clauses: tuple[ClauseToRevisit, ...] = ()
    if newer and render.renders is not None:
        clauses = _to_revisit(
            repo, render.renders, source.current, translation, {} if compared is None else compared
        )
    in_force = [v.effective for v in newer if v.effective is not None and v.effective <= today]
    since = min(in_force) if in_force else None
    severity: Severity | None = None
    if newer or render.renders is None:
        late = since is not None and since + timedelta(days=grace_days) <= today
        severity = "error" if late or render.renders is None else "warning"
    return TranslationStatus(translation, source, render, newer, clauses, severity, since)


def _to_revisit(
    repo: PolicyRepo, rendered: Version, current: Version, translation: Policy, compared: Compared
) -> tuple[ClauseToRevisit, ...]:
    old = repo.document(rendered.revision)
    key = (rendered.revision.blob, current.revision.blob)
    if key not in compared:
        compared[key] = compare(old, repo.document(current.revision)).changes
    changes = compared[key]
    translated = repo.document(translation.current.revision)
    where, there = positions(old), at_positions(translated)
    found: list[ClauseToRevisit] = []
    for change in changes:
        clause = change.new or change.old
        assert clause is not None
        mapped = there.get(where[change.old.id]) if change.old is not None else None
        found.append(
            ClauseToRevisit(
                kind=change.kind,
                material=change.material,
                id=clause.id,
                number=clause.number,
                heading=clause.heading,
                translation_id=mapped.id if mapped else None,
                translation_line=mapped.lines[0] if mapped else None,
            )
        )
    return tuple(found)


def statuses(
    repo: PolicyRepo,
    name: str | None = None,
    *,
    language: str | None = None,
    today: date,
    grace_days: int = 0,
) -> list[TranslationStatus]:
    """The status of every translation (of the policy ``name``; in ``language``)."""
    sources = [repo.policy(name)] if name else repo.policies()
    found: list[TranslationStatus] = []
    compared: Compared = {}
    for source in sources:
        if source.is_translation:
            assert source.source is not None
            source = repo.policy(source.source)
        for translation in repo.translations(source):
            if language is None or translation.language.lower() == language.lower():
                found.append(
                    translation_status(
                        repo,
                        translation,
                        today=today,
                        grace_days=grace_days,
                        source=source,
                        compared=compared,
                    )
                )
    return found
