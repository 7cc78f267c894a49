"""Which language each recipient of a notice gets, and the rule on lagging translations.

A customer's ``locale`` goes through its fallback chain (``pt-BR`` -> ``pt`` -> the default
language; :func:`publisher.i18n.locales.pick_language`) over the policy's languages and the
languages our UI is shipped in. The email is in that language (subject, template strings,
dates); its change list and redline are the translation's own when a version of the
translation renders the noticed version (*current*), else the default language's with a
translated note saying why. A notice is refused (:class:`TranslationLagError`, unless
``force``) while any recipient's language has a translation that does not render the noticed
version yet (*lagging*): those customers would be asked to accept a text they cannot read in
their language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from babel import Locale, UnknownLocaleError
from sqlalchemy import select

from publisher.diff import ChangeSet
from publisher.i18n.catalogs import UI_LANGUAGES, translations, ui_language
from publisher.i18n.locales import pick_language
from publisher.languages import normalise_tag
from publisher.notices.campaign import NoticeError
from publisher.notices.states import State
from publisher.store.db import Database
from publisher.store.tables import CUSTOMERS, DELIVERIES
from publisher.urls import Urls

__all__ = [
    "LaggingRecipient",
    "LanguagePlan",
    "Listed",
    "TranslatedChanges",
    "TranslationLagError",
    "check_lagging",
    "lagging_recipients",
    "language_name",
    "plan_languages",
]


def N_(message: str) -> str:
    """Marks a msgid for extraction."""
    return message


MISSING = N_(
    "This policy is not published in your language; the changes below are those of the "
    "%(source)s text, which is the one that applies."
)
UNCOMPARED = N_(
    "The changes below are those of the %(source)s text, which is the one that applies: "
    "the %(language)s translation has no earlier version to compare."
)
LAGGING = N_(
    "The %(language)s translation of this version is not ready yet; the changes below are "
    "those of the %(source)s text, which is the one that applies."
)


class TranslationLagError(NoticeError):
    """Recipients whose language has a translation that does not render the noticed version."""


def language_name(tag: str, in_language: str) -> str:
    """``de`` as written in ``in_language`` (``German``, ``Deutsch``, ``allemand``)."""
    try:
        locale = Locale.parse(tag.replace("-", "_"))
        name = locale.get_display_name(Locale.parse(ui_language(in_language)))
    except (UnknownLocaleError, ValueError):
        return tag
    return name or tag


@dataclass(frozen=True)
class LanguagePlan:
    """The languages of a notice's policy: the default, the translations that render the
    noticed version (with their own label of it and of every source version they render)
    and the lagging ones."""

    default: str
    current: dict[str, dict[str, str]] = field(default_factory=dict)
    """language -> {source label: the translation's version label rendering it}."""
    lagging: dict[str, str | None] = field(default_factory=dict)
    """language -> the source version its current version renders (None: unknown)."""
    policies: dict[str, Any] = field(default_factory=dict)
    """language -> the translation's :class:`~publisher.history.Policy`."""

    def language_of(self, locale: str | None) -> str:
        """The language of a customer's email."""
        available = [self.default, *self.current, *self.lagging, *UI_LANGUAGES]
        return pick_language(locale, available, self.default)

    def note(self, language: str) -> str | None:
        """The translated note for a language whose changes are listed in the default
        language (None for the default language itself)."""
        if language.lower() == self.default.lower():
            return None
        gettext = translations(language).gettext
        source = language_name(self.default, language)
        if language in self.current:
            return gettext(UNCOMPARED) % {
                "language": language_name(language, language),
                "source": source,
            }
        if language in self.lagging:
            return gettext(LAGGING) % {
                "language": language_name(language, language),
                "source": source,
            }
        return gettext(MISSING) % {"source": source}


def plan_languages(repo: Any | None, slug: str, label: str, default: str) -> LanguagePlan:
    """The plan of ``slug`` version ``label`` from the policy repository (None: no
    repository here, so no translation is known and every email lists the default
    language's changes)."""
    plan = LanguagePlan(normalise_tag(default))
    if repo is None:
        return plan
    from publisher.translations.status import rendering

    source = repo.policy(slug)
    for translation in repo.translations(source):
        renders: dict[str, str] = {}
        for version in translation.versions:
            found = rendering(repo, source, version).renders
            if found is not None:
                renders[found.label] = version.label  # the newest version rendering it
        plan.policies[translation.language] = translation
        if label in renders:
            plan.current[translation.language] = renders
        else:
            now = rendering(repo, source, translation.current).renders
            plan.lagging[translation.language] = now.label if now is not None else None
    return plan


@dataclass(frozen=True)
class Listed:
    """The changes an email lists, and the site pages they link to: the source's, or a
    current translation's (its own version labels, pages under ``/<lang>/``)."""

    urls: Urls
    base: str | None
    """The version compared from (None: the first version, no comparison)."""
    target: str
    changes: ChangeSet | None


class TranslatedChanges:
    """The change lists of a notice in its current translations, from git (each computed
    once): between the translation's versions that render the group's base version and the
    noticed one."""

    def __init__(self, repo: Any, plan: LanguagePlan) -> None:
        self.repo = repo
        self.plan = plan
        self._compared: dict[tuple[str, str, str], ChangeSet] = {}

    def listed(self, language: str, base: str | None, target: str) -> Listed | None:
        """The translation's changes from source version ``base`` to ``target``; None when
        ``language`` has no current translation, or none of ``base`` (the email then lists
        the default language's changes with a note)."""
        renders = self.plan.current.get(language)
        if renders is None or target not in renders:
            return None
        urls = Urls(language)  # the translation's pages: /<lang>/<slug>/…
        own_target = renders[target]
        if base is None:
            return Listed(urls, None, own_target, None)
        own_base = renders.get(base)
        if own_base is None or own_base == own_target:
            return None
        key = (language, own_base, own_target)
        if key not in self._compared:
            from publisher.diff.sources import compare_revisions

            policy = self.plan.policies[language]
            self._compared[key] = compare_revisions(self.repo, policy, own_base, own_target)
        return Listed(urls, own_base, own_target, self._compared[key])

    def title(self, language: str, target: str) -> str | None:
        """The translation's title of its version rendering ``target``."""
        renders = self.plan.current.get(language, {})
        policy = self.plan.policies.get(language)
        if policy is None or target not in renders:
            return None
        version = next((v for v in policy.versions if v.label == renders[target]), None)
        return version.title if version is not None else None


@dataclass(frozen=True)
class LaggingRecipient:
    customer_id: str
    locale: str | None
    language: str
    renders: str | None


def lagging_recipients(
    database: Database, notice_id: int, plan: LanguagePlan
) -> list[LaggingRecipient]:
    """The queued recipients whose language has a lagging translation."""
    if not plan.lagging:
        return []
    query = (
        select(CUSTOMERS.c.id, CUSTOMERS.c.locale)
        .join(DELIVERIES, DELIVERIES.c.customer_id == CUSTOMERS.c.id)
        .where(DELIVERIES.c.notice_id == notice_id, DELIVERIES.c.state == State.QUEUED)
        .order_by(CUSTOMERS.c.id)
    )
    found = []
    with database.read() as connection:
        for row in connection.execute(query):
            language = plan.language_of(row.locale)
            if language in plan.lagging:
                found.append(LaggingRecipient(row.id, row.locale, language, plan.lagging[language]))
    return found


def check_lagging(
    database: Database, notice_id: int, slug: str, label: str, plan: LanguagePlan
) -> Sequence[LaggingRecipient]:
    """Refuse (TranslationLagError listing them) when recipients' languages lag; returns
    them (empty) otherwise. Callers skip this with ``--force``."""
    lagging = lagging_recipients(database, notice_id, plan)
    if not lagging:
        return lagging
    from publisher.counting import counted

    shown = ", ".join(f"{r.customer_id} ({r.locale or '-'} -> {r.language})" for r in lagging[:20])
    more = f" and {len(lagging) - 20} more" if len(lagging) > 20 else ""
    languages = ", ".join(
        f"{lang} renders {plan.lagging[lang] or 'no known version'}"
        for lang in sorted({r.language for r in lagging})
    )
    raise TranslationLagError(
        f"{counted(len(lagging), 'recipient')} of notice {notice_id} would get {slug} "
        f"version {label} in a language whose translation lags ({languages}): {shown}{more}",
        hint="update the translation first, or send with --force (they get the "
        f"{plan.default} text with a note)",
    )
