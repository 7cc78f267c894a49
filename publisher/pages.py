"""Rendering of the public site's pages, feeds and API payloads. Pure: values in, strings and
dicts out (no git, no files, no clock: "today" and every URL base are passed in).

The site model (:mod:`publisher.site`) decides which pages exist and gathers their values;
this module turns them into HTML fragments through the shared jinja2 templates
(:mod:`publisher.templating`, ``templates/site/`` and ``templates/fragments/``), Atom XML and
JSON-ready dicts. Links between pages are relative (``../../changes/2..3/``) so a built site
works at any base path; feeds and API payloads carry absolute URLs (feed readers and API
clients need them).
"""

from __future__ import annotations

import html
import json
import posixpath
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, unquote

from markupsafe import Markup

from publisher.anchors import heading_aliases
from publisher.diff import ChangeSet, Summary, render_json
from publisher.document import Clause, Document
from publisher.sanitize import ClauseBody
from publisher.templating import environment

__all__ = [
    "BodyNode",
    "ListGroup",
    "PolicyInfo",
    "Status",
    "TocEntry",
    "Urls",
    "VersionInfo",
    "api_changes",
    "api_policies",
    "api_version",
    "api_version_json",
    "api_versions",
    "body_tree",
    "changes_page",
    "changes_toc",
    "clauses_json",
    "document_toc",
    "label_path",
    "policies_index",
    "policy_body",
    "policy_feed",
    "relative_url",
    "rewrite_policy_links",
    "site_feed",
    "version_page",
    "versions_page",
    "versions_toc",
]

Status = Literal["current", "upcoming", "superseded"]
"""``current``: in force today; ``upcoming``: its effective date is in the future;
``superseded``: replaced by a later version that is in force."""


# ------------------------------------------------------------------------------ URL scheme


@lru_cache(maxsize=4096)
def label_path(label: str) -> str:
    """A version label as a URL path segment: kept as is when it is URL-safe (``3``,
    ``2024-03-07.2``), else every run of other characters becomes ``-``."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", label).strip("-")
    return safe or "version"


def relative_url(target: str, page: str) -> str:
    """The link from the page at site path ``page`` (``acceptable-use/v/2/``; ``""`` is the
    site root) to site path ``target`` (``acceptable-use/changes/1..2/#c-3``)."""
    path, hash_, fragment = target.partition("#")
    base = page if page == "" or page.endswith("/") else posixpath.dirname(page) + "/"
    if path == base:
        rel = "./"
    else:
        rel = posixpath.relpath("/" + path, "/" + base.rstrip("/"))
        if path.endswith("/") and not rel.endswith("/"):
            rel += "/"
    return rel + (hash_ + fragment if hash_ else "")


@dataclass(frozen=True)
class Urls:
    """The site's URL scheme (DESIGN's table) under a prefix, as site paths (no leading
    slash): ``policy("aup")`` is ``aup/`` (or ``legal/aup/`` with prefix ``legal``).

    :meth:`bind` gives links relative to one page, :meth:`absolute` absolute URLs on a base.
    """

    prefix: str = ""

    def _p(self, path: str) -> str:
        prefix = self.prefix.strip("/")
        return f"{prefix}/{path}" if prefix else path

    def root(self) -> str:
        return self._p("")

    def policy(self, slug: str) -> str:
        return self._p(f"{slug}/")

    def versions(self, slug: str) -> str:
        return self._p(f"{slug}/versions/")

    def version(self, slug: str, label: str) -> str:
        return self._p(f"{slug}/v/{label_path(label)}/")

    def changes(self, slug: str, old: str, new: str) -> str:
        return self._p(f"{slug}/changes/{label_path(old)}..{label_path(new)}/")

    def changes_material(self, slug: str, old: str, new: str) -> str:
        """The redline's "material changes only" view, a page of its own."""
        return self.changes(slug, old, new) + "material/"

    def feed(self, slug: str | None = None) -> str:
        return self._p(f"{slug}/feed.xml" if slug else "feed.xml")

    def api_policies(self) -> str:
        return self._p("api/policies.json")

    def api_versions(self, slug: str) -> str:
        return self._p(f"api/{slug}/versions.json")

    def api_version(self, slug: str, label: str) -> str:
        return self._p(f"api/{slug}/v/{label_path(label)}.json")

    def api_changes(self, slug: str, old: str, new: str) -> str:
        return self._p(f"api/{slug}/changes/{label_path(old)}..{label_path(new)}.json")

    def bind(self, page: str) -> Linker:
        """Links relative to the page at site path ``page``."""
        return Linker(self, lambda target: relative_url(target, page))

    def absolute(self, base_url: str) -> Linker:
        """Absolute URLs on ``base_url`` (``https://policies.example.com/``)."""
        base = base_url.rstrip("/") + "/"
        return Linker(self, lambda target: base + quote(target, safe="/#.-_~:"))


@dataclass(frozen=True)
class Linker:
    """:class:`Urls` whose every method returns a usable link (relative or absolute)."""

    urls: Urls
    convert: Callable[[str], str]

    def __getattr__(self, name: str) -> Callable[..., str]:
        method = getattr(self.urls, name)

        def link(*args: str) -> str:
            return self.convert(method(*args))

        return link

    def to(self, site_path: str) -> str:
        """The link to any site path."""
        return self.convert(site_path)


# ----------------------------------------------------------------------------- page values


@dataclass(frozen=True)
class VersionInfo:
    """One published version as the pages show it."""

    label: str
    effective: date | None
    published: datetime
    commit: str
    sha256: str
    title: str
    summary: str | None
    status: Status
    previous: str | None = None
    """Label of the published version before this one (None for the first)."""
    counts: Summary | None = None
    """The change summary against ``previous``."""
    last_commit: str | None = None
    last_changed: datetime | None = None
    """The last commit that changed the version's file without a new label (a front-matter
    fix, say) and its date; None when no commit did after ``commit``, which published it."""

    @property
    def material(self) -> bool | None:
        return None if self.counts is None else self.counts.material > 0


@dataclass(frozen=True)
class PolicyInfo:
    """A policy as the site shows it: its published versions, oldest first."""

    slug: str
    title: str
    path: str
    versions: tuple[VersionInfo, ...]
    current: str | None
    """The version in force today (None when every version is still upcoming)."""
    languages: tuple[str, ...] = ()
    """The policy's language, then its translations' (each under ``/<lang>/``)."""

    def version(self, label: str) -> VersionInfo:
        for version in self.versions:
            if version.label == label:
                return version
        raise KeyError(label)

    @property
    def shown(self) -> VersionInfo:
        """The version on the policy's main page: the one in force, else the first upcoming."""
        return self.version(self.current) if self.current else self.versions[0]

    @property
    def upcoming(self) -> tuple[VersionInfo, ...]:
        return tuple(v for v in self.versions if v.status == "upcoming")

    @property
    def latest(self) -> VersionInfo:
        return self.versions[-1]

    @property
    def updated(self) -> datetime:
        return max(v.published for v in self.versions)


# ------------------------------------------------------------------------- policy bodies


@dataclass(frozen=True)
class ListGroup:
    """Consecutive sibling clauses rendered as one HTML list (``ol``/``ul``) or as blocks
    (``div``)."""

    tag: Literal["ol", "ul", "div"]
    nodes: tuple[BodyNode, ...]


@dataclass(frozen=True)
class BodyNode:
    """One clause ready for the ``fragments/policy_body.html`` template."""

    id: str
    anchor: str
    kind: str
    number: str | None
    heading: Markup | None
    html: Markup
    marker: str | None
    level: int
    groups: tuple[ListGroup, ...] = ()
    alias: str | None = None
    """A section's GitHub-style heading anchor (:func:`publisher.anchors.heading_aliases`)."""


def _groups(clauses: Sequence[Clause], bodies: dict[str, ClauseBody], depth: int,
            aliases: Mapping[str, str]) -> tuple[ListGroup, ...]:
    groups: list[ListGroup] = []
    run: list[BodyNode] = []
    run_tag: Literal["ol", "ul", "div"] | None = None
    for clause in clauses:
        tag: Literal["ol", "ul", "div"] = (
            "ol" if clause.kind == "item" else "ul" if clause.kind == "bullet" else "div"
        )
        if tag != run_tag and run:
            assert run_tag is not None
            groups.append(ListGroup(run_tag, tuple(run)))
            run = []
        run_tag = tag
        run.append(_node(clause, bodies, depth, aliases))
    if run and run_tag is not None:
        groups.append(ListGroup(run_tag, tuple(run)))
    return tuple(groups)


def _node(clause: Clause, bodies: dict[str, ClauseBody], depth: int,
          aliases: Mapping[str, str]) -> BodyNode:
    body = bodies.get(clause.id) or ClauseBody(heading=None, html="")
    return BodyNode(
        id=clause.id,
        anchor=clause.anchor,
        kind=clause.kind,
        number=clause.number,
        heading=Markup(body.heading) if body.heading is not None else None,
        html=Markup(body.html),
        marker=body.marker,
        level=depth,
        groups=_groups(clause.children, bodies, depth + 1, aliases),
        alias=aliases.get(clause.id),
    )


def body_tree(document: Document, bodies: dict[str, ClauseBody]) -> tuple[ListGroup, ...]:
    """The document's clauses grouped for rendering: consecutive numbered items become one
    ``ol``, bullets one ``ul``, everything else blocks."""
    return _groups(document.clauses, bodies, 0, heading_aliases(document))


def policy_body(
    document: Document, bodies: dict[str, ClauseBody], *, templates: Path | None = None
) -> str:
    """The policy text as HTML: every clause in its own element with ``id="c-<id>"`` and a
    self-link, sections as headings (``h2`` and below). The ``fragments/policy_body.html``
    fragment, also used by notices and acceptance pages."""
    template = environment(templates).get_template("fragments/policy_body.html")
    return template.render(groups=body_tree(document, bodies))


_MD_LINK = re.compile(r'href="([^"#?:]+\.md)(#[^"]*)?"')


def rewrite_policy_links(
    body: str, source: str, page: str, targets: Mapping[str, str], urls: Urls
) -> str:
    """Links in a policy body to another policy's file (``privacy.md``, ``../legal/tos.md``,
    relative to ``source``, the policy's path in the repository) made links to that policy's
    page on the site, relative to ``page``. ``targets`` maps every path a policy had to its
    slug, with its fragment (a ``#c-…`` clause anchor, or a GitHub-style heading anchor,
    which the target page has as an alias). Links to files that are not policies stay as
    written."""
    if ".md" not in body:
        return body

    def replace(match: re.Match[str]) -> str:
        href, fragment = match.group(1), match.group(2) or ""
        path = unquote(html.unescape(href))
        joined = path.lstrip("/") if path.startswith("/") else posixpath.join(
            posixpath.dirname(source), path)
        slug = targets.get(posixpath.normpath(joined))
        if slug is None:
            return match.group(0)
        return f'href="{html.escape(relative_url(urls.policy(slug) + fragment, page))}"'

    return _MD_LINK.sub(replace, body)


@dataclass(frozen=True)
class TocEntry:
    """A section heading of a page, for the theme's table of contents."""

    level: int
    anchor: str
    title: str
    children: tuple[TocEntry, ...] = field(default_factory=tuple)


def document_toc(document: Document, *, depth: int = 2) -> tuple[TocEntry, ...]:
    """The section headings of a policy (``depth`` levels), for a theme's table of contents."""

    def entries(clauses: Sequence[Clause], level: int) -> tuple[TocEntry, ...]:
        found: list[TocEntry] = []
        for clause in clauses:
            if clause.kind != "section":
                continue
            children = entries(clause.children, level + 1) if level < depth else ()
            found.append(TocEntry(level + 1, clause.anchor, clause.label or clause.id, children))
        return (found and tuple(found)) or ()

    return entries(document.clauses, 1)


def versions_toc(policy: PolicyInfo) -> tuple[TocEntry, ...]:
    """The rows of the version history, newest first, for a theme's table of contents."""
    return tuple(TocEntry(2, f"v-{label_path(v.label)}", f"Version {v.label}")
                 for v in reversed(policy.versions))


def changes_toc(
    changeset: ChangeSet, *, id_prefix: str = "redline", material_only: bool = False
) -> tuple[TocEntry, ...]:
    """The changes of a redline (the ids :func:`publisher.diff.render_html` gives them with
    the same ``material_only``: it numbers the changes it lists), for a theme's table of
    contents."""
    return tuple(
        TocEntry(2, f"{id_prefix}-change-{n}", f"{change.kind.capitalize()}: {change.label}")
        for n, change in enumerate(changeset.listed(material_only=material_only), start=1)
    )


# ---------------------------------------------------------------------------------- pages


@dataclass(frozen=True)
class PageContext:
    """What every page template gets besides its own values."""

    urls: Urls
    page: str
    today: date
    site_name: str = ""
    templates: Path | None = None

    @property
    def link(self) -> Linker:
        return self.urls.bind(self.page)


def _render(ctx: PageContext, name: str, **values: Any) -> str:
    template = environment(ctx.templates).get_template(name)
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
) -> str:
    """The redline between two versions (``redline`` is the diff's HTML rendering, with the
    same ``material_only``), with links between its two views, all changes
    (:meth:`Urls.changes`) and material changes only (:meth:`Urls.changes_material`): two
    pages, so each has its own table of contents and needs no JavaScript."""
    return _render(
        ctx,
        "site/changes.html",
        policy=policy,
        old=old,
        new=new,
        summary=summary,
        redline=Markup(redline),
        material_only=material_only,
    )


def policies_index(ctx: PageContext, policies: Sequence[PolicyInfo]) -> str:
    """The list of policies with their version in force (for the home page)."""
    return _render(ctx, "site/index.html", policies=policies)


# ---------------------------------------------------------------------------------- feeds


def _atom_time(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat(timespec="seconds")


def policy_feed(
    urls: Urls, base_url: str, policy: PolicyInfo, *, site_name: str = "",
    templates: Path | None = None,
) -> str:
    """The Atom feed of one policy: one entry per published version, newest first."""
    entries = [(policy, v) for v in reversed(policy.versions)]
    return _feed(
        urls, base_url, entries,
        feed_path=urls.feed(policy.slug),
        alternate=urls.policy(policy.slug),
        title=f"{policy.title}: versions",
        updated=policy.updated,
        site_name=site_name,
        templates=templates,
    )


def site_feed(
    urls: Urls, base_url: str, policies: Sequence[PolicyInfo], *, site_name: str = "",
    templates: Path | None = None,
) -> str:
    """The Atom feed of every policy: one entry per published version, newest first."""
    entries = sorted(
        ((p, v) for p in policies for v in p.versions),
        key=lambda pv: (pv[1].published, pv[0].slug, pv[1].label),
        reverse=True,
    )
    updated = max((v.published for _, v in entries), default=datetime(1970, 1, 1, tzinfo=UTC))
    return _feed(
        urls, base_url, entries,
        feed_path=urls.feed(),
        alternate=urls.root(),
        title=f"{site_name}: policy updates" if site_name else "Policy updates",
        updated=updated,
        site_name=site_name,
        templates=templates,
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
) -> str:
    template = environment(templates).get_template("site/feed.xml")
    return template.render(
        link=urls.absolute(base_url),
        feed_path=feed_path,
        alternate=alternate,
        title=title,
        updated=_atom_time(updated),
        atom_time=_atom_time,
        entries=entries,
        site_name=site_name or "Policies",
    )


# ---------------------------------------------------------------------------------- API


def _version_json(link: Linker, slug: str, version: VersionInfo) -> dict[str, Any]:
    data: dict[str, Any] = {
        "label": version.label,
        "status": version.status,
        "effective": version.effective.isoformat() if version.effective else None,
        "published": _atom_time(version.published),
        "commit": version.commit,
        "last_commit": version.last_commit or version.commit,
        "sha256": version.sha256,
        "title": version.title,
        "summary": version.summary,
        "previous": version.previous,
        "changes": version.counts.as_dict() if version.counts else None,
        "material": version.material,
        "url": link.version(slug, version.label),
        "api": link.api_version(slug, version.label),
    }
    if version.previous is not None:
        data["redline"] = link.changes(slug, version.previous, version.label)
        data["changes_api"] = link.api_changes(slug, version.previous, version.label)
    return data


def api_policies(urls: Urls, base_url: str, policies: Sequence[PolicyInfo]) -> dict[str, Any]:
    """``/api/policies.json``: every policy with its version in force and upcoming ones."""
    link = urls.absolute(base_url)
    return {
        "policies": [
            {
                "slug": p.slug,
                "title": p.title,
                "path": p.path,
                "current": p.current,
                "upcoming": [v.label for v in p.upcoming],
                "effective": p.shown.effective.isoformat() if p.shown.effective else None,
                "versions": len(p.versions),
                "url": link.policy(p.slug),
                "feed": link.feed(p.slug),
                "api": link.api_versions(p.slug),
                "languages": [
                    {"language": lang,
                     "url": (link if i == 0 else _in_language(urls, lang, base_url)).policy(p.slug),
                     "api": (link if i == 0 else _in_language(urls, lang, base_url))
                     .api_versions(p.slug)}
                    for i, lang in enumerate(p.languages)
                ],
            }
            for p in policies
        ]
    }


def _in_language(urls: Urls, language: str, base_url: str) -> Linker:
    """Absolute links of a translation's pages (``/<lang>/…`` under the prefix)."""
    prefix = "/".join(part for part in (urls.prefix.strip("/"), language) if part)
    return Urls(prefix).absolute(base_url)


def api_versions(urls: Urls, base_url: str, policy: PolicyInfo) -> dict[str, Any]:
    """``/api/<slug>/versions.json``: the policy's published versions, oldest first."""
    link = urls.absolute(base_url)
    return {
        "policy": policy.slug,
        "title": policy.title,
        "current": policy.current,
        "versions": [_version_json(link, policy.slug, v) for v in policy.versions],
    }


def _clause_json(clause: Clause) -> dict[str, Any]:
    return {
        "id": clause.id,
        "kind": clause.kind,
        "number": clause.number,
        "heading": clause.heading,
        "text": clause.text,
        "anchor": clause.anchor,
        "lines": list(clause.lines),
        "children": [_clause_json(c) for c in clause.children],
    }


def api_version(
    urls: Urls, base_url: str, policy: PolicyInfo, version: VersionInfo, document: Document
) -> dict[str, Any]:
    """``/api/<slug>/v/<label>.json``: one version and its clause tree."""
    link = urls.absolute(base_url)
    data = _version_json(link, policy.slug, version)
    data["policy"] = policy.slug
    data["clauses"] = [_clause_json(c) for c in document.clauses]
    return data


def clauses_json(document: Document) -> str:
    """The clause tree of a document as JSON text (the ``clauses`` of a version's API file)."""
    return json.dumps([_clause_json(c) for c in document.clauses], ensure_ascii=False)


def api_version_json(
    urls: Urls, base_url: str, policy: PolicyInfo, version: VersionInfo, clauses: str
) -> str:
    """:func:`api_version` as JSON text, from the clause tree's JSON (:func:`clauses_json`),
    which a site caches per blob."""
    link = urls.absolute(base_url)
    data = _version_json(link, policy.slug, version)
    data["policy"] = policy.slug
    head = json.dumps(data, ensure_ascii=False)
    return head[:-1] + ', "clauses": ' + clauses + "}"


def api_changes(changeset: ChangeSet) -> dict[str, Any]:
    """``/api/<slug>/changes/<old>..<new>.json``: the change set in the ``publisher diff
    --format json`` shape."""
    return render_json(changeset)
