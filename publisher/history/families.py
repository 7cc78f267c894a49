"""Families of translations among a repository's policy files: each file's language, its
family's source, and the slugs (assigned to sources, shared by their translations). Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from publisher.config import Settings
from publisher.document import PolicyMeta
from publisher.languages import (
    FileLanguage,
    Member,
    file_language,
    group_families,
    order_languages,
)
from publisher.slugs import SlugClaim, assign_slugs


def language_of(path: str, meta: PolicyMeta | None, settings: Settings, base: str) -> FileLanguage:
    """The language of the file ``path`` whose front matter is ``meta`` (None: unreadable)."""
    declared = meta.extra.get("lang") if meta is not None else None
    return file_language(
        path,
        base=base,
        declared=declared if isinstance(declared, str) else None,
        default=settings.default_language,
        languages=settings.languages,
    )


@dataclass(frozen=True)
class Families:
    """Each file's language and the index of its family's source (its own for a source)."""

    found: tuple[FileLanguage, ...]
    source: tuple[int, ...]

    @classmethod
    def of(
        cls,
        paths: Sequence[str],
        metas: Sequence[PolicyMeta | None],
        live: Sequence[bool],
        settings: Settings,
        base: str,
    ) -> Families:
        """Families of the files ``paths``; files that are not ``live`` (deleted) stand alone."""
        found = tuple(language_of(p, m, settings, base) for p, m in zip(paths, metas, strict=True))
        alive = [i for i, is_live in enumerate(live) if is_live]
        grouped = group_families(
            [Member(found[i].neutral, _slug(metas[i]), found[i].language) for i in alive],
            default=settings.default_language,
            languages=settings.languages,
        )
        source = list(range(len(paths)))
        for at, i in enumerate(alive):
            source[i] = alive[grouped[at]]
        return cls(found, tuple(source))

    @classmethod
    def of_claims(cls, claims: Sequence[SlugClaim], settings: Settings, base: str) -> Families:
        """Families of slug claims, by path and front-matter slug (languages from paths)."""
        metas = [PolicyMeta(slug=c.explicit) for c in claims]
        return cls.of([c.path for c in claims], metas, [True] * len(claims), settings, base)

    def members(self, index: int, settings: Settings) -> list[int]:
        """The translations in ``index``'s family (not its source), in language order."""
        head = self.source[index]
        members = [i for i, s in enumerate(self.source) if s == head and i != head]
        order = order_languages(
            [self.found[i].language for i in members], settings.default_language, settings.languages
        )
        return sorted(members, key=lambda i: order.index(self.found[i].language))

    def slugs(self, claims: Sequence[SlugClaim], base: str) -> list[str]:
        """Slugs assigned to the sources' claims only; each translation takes its source's."""
        keep = [i for i in range(len(claims)) if self.source[i] == i]
        assigned = dict(zip(keep, assign_slugs([claims[i] for i in keep], base), strict=True))
        return [assigned[self.source[i]] for i in range(len(claims))]


def _slug(meta: PolicyMeta | None) -> str | None:
    return meta.slug if meta is not None else None
