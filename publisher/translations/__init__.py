"""Translations: what each translation renders of its source, how far it lags, clause by
clause, and where its structure differs (docs/design.md "Translations")."""

from __future__ import annotations

from publisher.translations.status import (
    ClauseToRevisit,
    Rendering,
    TranslationStatus,
    rendering,
    statuses,
    translation_status,
)
from publisher.translations.structure import Mismatch, mismatches

__all__ = [
    "ClauseToRevisit",
    "Mismatch",
    "Rendering",
    "TranslationStatus",
    "mismatches",
    "rendering",
    "statuses",
    "translation_status",
]
