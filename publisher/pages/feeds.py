"""The site's Atom feeds: one per policy and one of every policy, with absolute URLs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from publisher.i18n.catalogs import translations
from publisher.pages.model import PolicyInfo, VersionInfo
from publisher.templating import environment
from publisher.urls import Urls

__all__ = ["atom_time", "policy_feed", "site_feed"]


def atom_time(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat(timespec="seconds")


def policy_feed(
    urls: Urls,
    base_url: str,
    policy: PolicyInfo,
    *,
    site_name: str = "",
    templates: Path | None = None,
    language: str | None = None,
) -> str:
    """The Atom feed of one policy: one entry per published version, newest first; its
    titles and summaries in ``language`` (default English), its dates ISO."""
    entries = [(policy, v) for v in reversed(policy.versions)]
    ui = translations(language)
    return _feed(
        urls,
        base_url,
        entries,
        feed_path=urls.feed(policy.slug),
        alternate=urls.policy(policy.slug),
        title=ui.gettext("%(title)s: versions") % {"title": policy.title},
        updated=policy.updated,
        site_name=site_name,
        templates=templates,
        language=language,
    )


def site_feed(
    urls: Urls,
    base_url: str,
    policies: Sequence[PolicyInfo],
    *,
    site_name: str = "",
    templates: Path | None = None,
    language: str | None = None,
) -> str:
    """The Atom feed of every policy: one entry per published version, newest first (its
    words in ``language``, default English)."""
    entries = sorted(
        ((p, v) for p in policies for v in p.versions),
        key=lambda pv: (pv[1].published, pv[0].slug, pv[1].label),
        reverse=True,
    )
    updated = max((v.published for _, v in entries), default=datetime(1970, 1, 1, tzinfo=UTC))
    ui = translations(language)
    title = (
        ui.gettext("%(site)s: policy updates") % {"site": site_name}
        if site_name
        else ui.gettext("Policy updates")
    )
    return _feed(
        urls,
        base_url,
        entries,
        feed_path=urls.feed(),
        alternate=urls.root(),
        title=title,
        updated=updated,
        site_name=site_name,
        templates=templates,
        language=language,
    )


def _feed(
    urls: Urls,
    base_url: str,
    entries: Sequence[tuple[PolicyInfo, VersionInfo]],
    *,
    feed_path: str,
    alternate: str,
    title: str,
    updated: datetime,
    site_name: str,
    templates: Path | None,
    language: str | None,
) -> str:
    template = environment(templates, language=language).get_template("site/feed.xml")
    return template.render(
        link=urls.absolute(base_url),
        feed_path=feed_path,
        alternate=alternate,
        title=title,
        updated=atom_time(updated),
        atom_time=atom_time,
        entries=entries,
        site_name=site_name or "Policies",
    )
