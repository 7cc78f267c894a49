"""Translation versions read from git for the store: every version of every translation of
the policies synced, with its exact body, blob and the source version it renders
(:func:`publisher.translations.rendering`: front matter ``translation_of``, else inferred).
:func:`publisher.store.translations.store_translations` writes them."""

from __future__ import annotations

from collections.abc import Iterable

from publisher.document import body_sha256
from publisher.history import PolicyRepo
from publisher.store.translations import TranslationText
from publisher.translations.status import rendering


def translations_from_repo(
    repo: PolicyRepo, *, slugs: Iterable[str] | None = None
) -> list[TranslationText]:
    """Every version of every translation of every policy (or of ``slugs``), from git."""
    wanted = set(slugs) if slugs is not None else None
    found: list[TranslationText] = []
    for source in repo.policies():
        if wanted is not None and source.slug not in wanted:
            continue
        for translation in repo.translations(source):
            for position, version in enumerate(translation.versions):
                document = repo.document(version.revision)
                renders = rendering(repo, source, version)
                found.append(
                    TranslationText(
                        slug=source.slug,
                        language=translation.language,
                        label=version.label,
                        position=position,
                        renders=renders.renders.label if renders.renders else None,
                        inferred=renders.inferred,
                        title=version.title or translation.title,
                        commit=version.revision.commit,
                        path=version.revision.path,
                        blob=version.revision.blob,
                        sha256=body_sha256(document.body),
                        body=document.body,
                    )
                )
    return found
