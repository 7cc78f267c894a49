"""The site's HTML pages (a version, the version history, a redline, the policies index)
through the shared jinja2 templates in ``templates/site/``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from markupsafe import Markup

from publisher.diff import Summary
from publisher.pages.model import PolicyInfo, VersionInfo
from publisher.templating import environment
from publisher.urls import Linker, Urls

__all__ = ["PageContext", "changes_page", "policies_index", "version_page", "versions_page"]


@dataclass(frozen=True)
class PageContext:
    """What every page template gets besides its own values."""

    urls: Urls
    page: str
    today: date
    site_name: str = ""
    templates: Path | None = None
    language: str | None = None
    """The page's language (a tag): its UI strings and dates are said in it (default:
    English)."""

    @property
    def link(self) -> Linker:
        return self.urls.bind(self.page)


def _render(ctx: PageContext, name: str, **values: Any) -> str:
    template = environment(ctx.templates, language=ctx.language).get_template(name)
    return template.render(link=ctx.link, today=ctx.today, site_name=ctx.site_name, **values)


def version_page(
    ctx: PageContext, policy: PolicyInfo, version: VersionInfo, body: str, *, main: bool
) -> str:
    """A policy version: title, version banner (label, effective date, status, "what
    changed"), then the text. ``main`` is the policy's own page (``/<slug>/``, the version in
    force), else the version's permanent page (``/<slug>/v/<label>/``)."""
    return _render(
        ctx,
        "site/policy.html",
        policy=policy,
        version=version,
        body=Markup(body),
        main=main,
        current=policy.version(policy.current) if policy.current else None,
    )


def versions_page(ctx: PageContext, policy: PolicyInfo) -> str:
    """The version history: label, effective date, published, commit, summary, change
    counts and a material badge, newest first, each with its page and redline."""
    return _render(ctx, "site/versions.html", policy=policy)


def changes_page(
    ctx: PageContext,
    policy: PolicyInfo,
    old: VersionInfo,
    new: VersionInfo,
    summary: Summary,
    redline: str,
    *,
    material_only: bool = False,
    docx: bool = False,
) -> str:
    """The redline between two versions (``redline`` is the diff's HTML rendering, with the
    same ``material_only``), with links between its two views, all changes
    (:meth:`Urls.changes`) and material changes only (:meth:`Urls.changes_material`): two
    pages, so each has its own table of contents and needs no JavaScript. ``docx``: the
    site publishes the redline's Word document (:meth:`Urls.changes_docx`) and links it."""
    return _render(
        ctx,
        "site/changes.html",
        policy=policy,
        old=old,
        new=new,
        summary=summary,
        redline=Markup(redline),
        material_only=material_only,
        docx=docx,
    )


def policies_index(ctx: PageContext, policies: Sequence[PolicyInfo]) -> str:
    """The list of policies with their version in force (for the home page)."""
    return _render(ctx, "site/index.html", policies=policies)
