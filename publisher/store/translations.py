"""Translation versions in the store, with their exact text and the source version each
renders, and which of them a customer is shown.

``publisher db sync`` copies every version of every translation
(:func:`publisher.store.translation_sync.translations_from_repo`) with
:func:`store_translations`. The table is append-only: a text that changes under the same
label is a new row, so the text a customer was shown stays in the store for evidence.

:func:`pick_shown` is the one rule, for the acceptance page and for recording what it
showed: the customer's locale goes through its fallback chain (``de-AT`` -> ``de`` -> the
default language) over the languages the policy has translations in; the first that has one
is the customer's language, and its newest version rendering exactly the version asked for
is shown; if it has none, the source text is (the translation *lags*).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy import ColumnElement, SQLColumnExpression, select

from publisher.i18n.locales import fallback_chain
from publisher.store.db import Database
from publisher.store.models import Translation, utcnow


@dataclass(frozen=True)
class TranslationText:
    """One version of a translation with the exact body customers are shown."""

    slug: str
    language: str
    label: str
    position: int
    renders: str | None
    """The source version label it renders (None: its ``translation_of`` names none)."""
    inferred: bool
    title: str | None
    commit: str
    path: str
    blob: str
    sha256: str
    body: str

    @property
    def described(self) -> str:
        """How messages name it: ``privacy (de) version 2024-03-01``."""
        return f"{self.slug} ({self.language}) version {self.label}"

    @property
    def key(self) -> tuple[str, str, str, str, str | None]:
        """What makes a stored row (the table's unique key)."""
        return (self.slug, self.language, self.label, self.sha256, self.renders)


@dataclass(frozen=True)
class StoredTranslation(TranslationText):
    """A translation version as the store holds it."""

    id: int = field(kw_only=True)
    synced_at: datetime = field(kw_only=True)

    @classmethod
    def from_model(cls, row: Translation) -> StoredTranslation:
        return cls(
            slug=row.slug,
            language=row.language,
            label=row.label,
            position=row.position,
            renders=row.renders,
            inferred=row.inferred,
            title=row.title,
            commit=row.commit,
            path=row.path,
            blob=row.blob,
            sha256=row.sha256,
            body=row.body,
            id=row.id,
            synced_at=row.synced_at,
        )


def store_translations(
    database: Database,
    texts: Iterable[TranslationText],
    *,
    now: Callable[[], datetime] = utcnow,
) -> tuple[int, int]:
    """Append the translation versions the store does not hold yet, in one transaction;
    (added, unchanged)."""
    wanted = list(texts)
    added = unchanged = 0
    moment = now()
    with database.session() as session, session.begin():
        slugs = sorted({t.slug for t in wanted})
        held = {
            StoredTranslation.from_model(row).key
            for row in session.scalars(select(Translation).where(Translation.slug.in_(slugs)))
        }
        for text in wanted:
            if text.key in held:
                unchanged += 1
                continue
            held.add(text.key)
            session.add(
                Translation(
                    slug=text.slug,
                    language=text.language,
                    label=text.label,
                    position=text.position,
                    renders=text.renders,
                    inferred=text.inferred,
                    title=text.title,
                    commit=text.commit,
                    path=text.path,
                    blob=text.blob,
                    sha256=text.sha256,
                    body=text.body,
                    synced_at=moment,
                )
            )
            added += 1
    return added, unchanged


def stored_translations(
    database: Database, *, slug: str | None = None, sha256: str | None = None
) -> list[StoredTranslation]:
    """Stored translation versions (of ``slug``; with the text hashing to ``sha256``), by
    policy, language, then position and age."""
    query = select(Translation).order_by(
        Translation.slug, Translation.language, Translation.position, Translation.id
    )
    if slug is not None:
        query = query.where(Translation.slug == slug)
    if sha256 is not None:
        query = query.where(Translation.sha256 == sha256)
    with database.session() as session:
        return [StoredTranslation.from_model(row) for row in session.scalars(query)]


# -- which text a customer is shown ------------------------------------------------------------

Why = Literal["translation", "lagging", "source"]


@dataclass(frozen=True)
class Candidate:
    """What :func:`pick_shown` needs of a stored translation version."""

    id: int
    language: str
    position: int
    renders: str | None
    sha256: str


@dataclass(frozen=True)
class Shown:
    """Which text a customer's page shows for a version."""

    why: Why
    """``translation``: the translation in the customer's language (``candidate``);
    ``lagging``: the customer's language has a translation, but none of its versions renders
    this version, so the source text is shown; ``source``: no translation in the customer's
    language (or no locale), the source text is shown."""
    language: str | None
    """The customer's language among the translations (None: none of them)."""
    candidate: Candidate | None = None


SOURCE = Shown("source", None)
"""The source text shown: no translation in the customer's language."""


def pick_shown(locale: str | None, label: str, candidates: Sequence[Candidate]) -> Shown:
    """The text to show a customer with ``locale`` for the source version ``label``, given
    the stored translation versions of the policy: for every language, at least one version
    (any), and every version rendering ``label`` (:func:`candidates_filter`).

    The chain is the locale's own (``de-AT`` -> ``de``): the default language at its end
    is the source's, so a customer whose chain meets no translation gets the source text."""
    languages = {c.language.lower(): c.language for c in candidates}
    chain = [tag for tag in fallback_chain(locale, "") if tag]  # no default at its end
    for tag in chain:
        language = languages.get(tag.lower())
        if language is None:
            continue
        rendering = [c for c in candidates if c.language == language and c.renders == label]
        if not rendering:
            return Shown("lagging", language)
        newest = max(rendering, key=lambda c: (c.position, c.id))
        return Shown("translation", language, newest)
    return SOURCE


def candidates_filter(label: str | SQLColumnExpression[str]) -> ColumnElement[bool]:
    """The SQL condition on ``translations`` that selects what :func:`pick_shown` needs for
    the source version ``label`` (a value or a column): each language's first version and
    every version rendering ``label`` (the index ``ix_translations_renders`` and
    ``ix_translations_language`` serve it)."""
    return (Translation.renders == label) | (Translation.position == 0)


def candidates(database: Database, slug: str, label: str) -> list[StoredTranslation]:
    """The stored translations of ``slug`` that :func:`pick_shown` chooses from for
    ``label`` (see :func:`candidates_filter`)."""
    query = (
        select(Translation)
        .where(Translation.slug == slug)
        .where(candidates_filter(label))
        .order_by(Translation.language, Translation.position, Translation.id)
    )
    with database.session() as session:
        return [StoredTranslation.from_model(row) for row in session.scalars(query)]


def as_candidate(text: StoredTranslation) -> Candidate:
    return Candidate(text.id, text.language, text.position, text.renders, text.sha256)
