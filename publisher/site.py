"""The site model: which pages the public policy site has for a policy, and their content.

:class:`_Builder` decides which versions of a policy are published and their status on a
given day (in force, upcoming, superseded), computes the change sets the site shows
(consecutive versions, each version in force within the ``redline_window`` to the one in
force and to the latest, the one in force to each upcoming) and renders the policy's pages
through :mod:`publisher.pages` as :class:`SitePage` values (site path, content).
:func:`publisher.site_builder.build_site` runs it policy by policy and keeps the pages in a
:class:`~publisher.site_store.PageStore`; :class:`Site` is the result, which the mkdocs
plugin hands to mkdocs (anything else could write it to a folder).

Builds are incremental (:class:`SiteCache`, on disk under the ``cache_dir`` setting): change
sets are cached by (old blob, new blob, diff engine, overrides); what a version's pages need
(rendered body, table of contents, clause JSON) by its blob; what a redline's page needs
(summary, redline HTML, table of contents, API JSON) by its two revisions and labels; all of
them also by the code and templates that made them; and a policy's pages as a whole by
everything they are made of (:mod:`publisher.site_builder`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from publisher import pages
from publisher.cache import PARSER_VERSION
from publisher.diff import REDLINE_CSS, ChangeSet, Side, compare, render_html
from publisher.diff.sources import overrides_between
from publisher.history import Policy, PolicyRepo, Version
from publisher.i18n.catalogs import translations
from publisher.pages import PageContext, PolicyInfo, Status, VersionInfo
from publisher.sanitize import SANITIZER_VERSION, clause_bodies
from publisher.site_cache import (
    PairRecord,
    SiteCache,
    VersionRecord,
    cache_key,
    diff_engine_version,
    formats_version,
    renderer_version,
)
from publisher.site_docx import DocxJob, DocxMaker
from publisher.site_model import BuildStats, SiteOptions, SitePage
from publisher.site_pages import redirect_pages, redline_docx
from publisher.site_store import PageStore, StoredPage
from publisher.site_versions import (
    dropped_pairs,
    published_versions,
    redline_pairs,
    version_status,
)
from publisher.templating import environment, templates_fingerprint

__all__ = [
    "Site",
    "SiteCache",
    "SiteOptions",
    "SitePage",
    "diff_engine_version",
    "published_versions",
    "version_status",
]


@dataclass
class Site:
    """Every page of the site (their content in ``store``), and what the home page needs
    to list the policies."""

    options: SiteOptions
    today: date
    policies: tuple[PolicyInfo, ...]
    pages: list[StoredPage]
    store: PageStore
    stats: BuildStats = field(default_factory=BuildStats)

    def index_html(self, page: str) -> str:
        """The policies list as an HTML fragment for the page at site path ``page``."""
        ctx = PageContext(
            urls=self.options.urls,
            page=page,
            today=self.today,
            site_name=self.options.site_name,
            templates=self.options.templates,
        )
        return pages.policies_index(ctx, self.policies)

    def updated(self) -> datetime | None:
        """When the last published version's commit was made (None without policies)."""
        return max(
            (v.last_changed or v.published for p in self.policies for v in p.versions),
            default=None,
        )

    def css(self) -> str:
        """The stylesheet of the policy pages (``site/policies.css``)."""
        template = environment(self.options.templates).get_template("site/policies.css")
        return template.render(redline_css=REDLINE_CSS)


# ------------------------------------------------------------------------------- building


@dataclass
class _PolicyBuild:
    policy: Policy
    versions: tuple[Version, ...]
    current: int | None
    statuses: list[Status]
    pairs: list[tuple[int, int]]
    dropped: list[tuple[int, int]]
    """Redlines of a site without a window that this one redirects (see dropped_pairs)."""
    records: dict[tuple[int, int], PairRecord] = field(default_factory=dict)
    docx: dict[tuple[int, int], str] = field(default_factory=dict)
    """The cache keys of the pairs' Word redlines (SiteCache.get_bytes "docx")."""


class _Builder:
    def __init__(
        self, repo: PolicyRepo, options: SiteOptions, today: date, cache: SiteCache
    ) -> None:
        self.repo = repo
        self.options = options
        self.today = today
        self.cache = cache
        self.urls = options.urls
        self.language = options.language or repo.settings.default_language
        """The language of the pages' own words (i18n: one catalog, loaded once)."""
        self.ui = translations(self.language)
        self.fingerprint = templates_fingerprint(options.templates) + renderer_version()
        self.stats = BuildStats()
        self.targets: dict[str, str] = {}
        """Every path a published policy had → its slug (for links between policies)."""
        self.docx_maker: DocxMaker | None = None
        """Where Word redlines are made (None: in this process, one after another)."""

    # -- values ------------------------------------------------------------------------

    def plan(self, policy: Policy) -> _PolicyBuild:
        versions = published_versions(policy, self.options.versions)
        current, statuses = version_status(versions, self.today)
        return _PolicyBuild(
            policy=policy,
            versions=versions,
            current=current,
            statuses=statuses,
            pairs=redline_pairs(versions, current, statuses, self.options.redline_window),
            dropped=dropped_pairs(versions, current, statuses, self.options.redline_window),
        )

    @staticmethod
    def changeset_key(policy: Policy, old_v: Version, new_v: Version) -> str:
        overrides = overrides_between(policy, old_v.revision, new_v.revision)
        return cache_key(old_v.revision.blob, new_v.revision.blob, diff_engine_version(), overrides)

    def changeset(self, policy: Policy, old_v: Version, new_v: Version) -> ChangeSet:
        """The change set between two versions, labelled like ``publisher diff`` labels it
        (cached by blob pair, diff engine and overrides)."""
        key = self.changeset_key(policy, old_v, new_v)
        overrides = overrides_between(policy, old_v.revision, new_v.revision)
        found = self.cache.get("changesets", key)
        if not isinstance(found, ChangeSet):
            found = compare(
                self.repo.document(old_v.revision),
                self.repo.document(new_v.revision),
                overrides=overrides,
            )
            self.cache.put("changesets", key, found)
            self.stats.computed += 1
        # Version.sha256 is the document's (history computes it from the parsed body).
        return found.labelled(
            policy=policy.slug,
            old=Side(rev=old_v.revision.commit, version=old_v.label, sha256=old_v.sha256),
            new=Side(rev=new_v.revision.commit, version=new_v.label, sha256=new_v.sha256),
        )

    def pair(self, build: _PolicyBuild, pair: tuple[int, int]) -> PairRecord:
        old_v, new_v = build.versions[pair[0]], build.versions[pair[1]]
        overrides = overrides_between(build.policy, old_v.revision, new_v.revision)
        key = cache_key(
            "pair",
            build.policy.slug,
            build.policy.language,
            old_v.revision.commit,
            old_v.label,
            new_v.revision.commit,
            new_v.label,
            overrides,
            diff_engine_version(),
            self.fingerprint,
        )
        if self.options.docx:
            build.docx[pair] = self.docx(build.policy, old_v, new_v, key)
        found = self.cache.get("pairs", key)
        if isinstance(found, PairRecord):
            return found
        changeset = self.changeset(build.policy, old_v, new_v)
        slug = build.policy.slug

        def redline(page: str, material_only: bool) -> str:
            return render_html(
                changeset,
                material_only=material_only,
                old_href=pages.relative_url(self.urls.version(slug, old_v.label), page),
                new_href=pages.relative_url(self.urls.version(slug, new_v.label), page),
                header=False,
                gettext=self.ui.gettext,
            )

        record = PairRecord(
            summary=changeset.summary,
            toc=pages.changes_toc(changeset, t=self.ui),
            redline=redline(self.urls.changes(slug, old_v.label, new_v.label), False),
            material_toc=pages.changes_toc(changeset, material_only=True, t=self.ui),
            material_redline=redline(
                self.urls.changes_material(slug, old_v.label, new_v.label), True
            ),
            api_json=_json(pages.api_changes(changeset)),
        )
        self.cache.put("pairs", key, record)
        return record

    def docx(self, policy: Policy, old_v: Version, new_v: Version, pair_key: str) -> str:
        """The cache key of the pair's Word redline, made now (or by :attr:`docx_maker`'s
        workers: :meth:`DocxMaker.wait` before reading it) unless the cache has it."""
        key = cache_key("docx", pair_key, formats_version())
        if self.cache.has_bytes("docx", key):
            return key
        self.stats.docx += 1

        def here() -> None:
            changeset = self.changeset(policy, old_v, new_v)
            self.cache.put_bytes("docx", key, redline_docx(self.repo, changeset, old_v, new_v))

        documents = self.repo.cache.directory
        if self.docx_maker is None or self.cache.directory is None or documents is None:
            here()
            return key
        changeset = self.changeset(policy, old_v, new_v)  # in the site cache for the worker
        for version in (old_v, new_v):
            self.repo.document(version.revision)  # in the document cache for the worker
        old, new = old_v.revision, new_v.revision
        job = DocxJob(
            site_cache=str(self.cache.directory.parent),
            documents=str(documents),
            document_version=self.repo.cache.version,
            changeset_key=self.changeset_key(policy, old_v, new_v),
            policy=changeset.policy,
            old=changeset.old,
            new=changeset.new,
            old_blob=old.blob,
            new_blob=new.blob,
            author=new.author_name,
            authored=new.authored,
            docx_key=key,
        )
        self.docx_maker.submit(job, here)
        return key

    def version_record(self, version: Version) -> VersionRecord:
        key = cache_key(
            "version",
            version.revision.blob,
            PARSER_VERSION,
            SANITIZER_VERSION,
            self.fingerprint,
            self.language,
        )
        found = self.cache.get("versions", key)
        if isinstance(found, VersionRecord):
            return found
        document = self.repo.document(version.revision)
        record = VersionRecord(
            body=pages.policy_body(
                document,
                clause_bodies(document),
                templates=self.options.templates,
                language=self.language,
            ),
            toc=pages.document_toc(document),
            clauses_json=pages.clauses_json(document),
        )
        self.cache.put("versions", key, record)
        return record

    def info(self, build: _PolicyBuild) -> PolicyInfo:
        infos: list[VersionInfo] = []
        for i, version in enumerate(build.versions):
            counts = build.records[(i - 1, i)].summary if i else None
            # the commit is the one that published the version; a later one that kept its
            # label (a front-matter fix, say) is shown beside it
            last = (
                version.revision
                if version.revision.commit != version.first_revision.commit
                else None
            )
            infos.append(
                VersionInfo(
                    label=version.label,
                    effective=version.effective,
                    published=version.published,
                    commit=version.first_revision.commit,
                    sha256=version.sha256,
                    title=version.title or build.policy.title,
                    summary=version.summary,
                    status=build.statuses[i],
                    previous=build.versions[i - 1].label if i else None,
                    counts=counts,
                    last_commit=last.commit if last else None,
                    last_changed=last.committed if last else None,
                    compared_to_current=build.current is None
                    or i >= build.current
                    or (i, build.current) in build.records,
                )
            )
        return PolicyInfo(
            slug=build.policy.slug,
            title=build.policy.title,
            path=build.policy.path,
            versions=tuple(infos),
            current=build.versions[build.current].label if build.current is not None else None,
        )

    # -- pages -------------------------------------------------------------------------

    def linked(self, body: str, version: Version, page: str) -> str:
        """``body`` with its links to other policies' files pointing at their pages."""
        return pages.rewrite_policy_links(
            body, version.revision.path, page, self.targets, self.urls
        )

    def ctx(self, page: str) -> PageContext:
        return PageContext(
            urls=self.urls,
            page=page,
            today=self.today,
            site_name=self.options.site_name,
            templates=self.options.templates,
            language=self.language,
        )

    def policy_pages(self, build: _PolicyBuild, info: PolicyInfo) -> Iterable[SitePage]:
        urls, slug = self.urls, info.slug
        base = self.options.site_url
        shown = build.current if build.current is not None else 0
        for i, version in enumerate(build.versions):
            record = self.version_record(version)
            vinfo = info.versions[i]
            if i == shown:
                path = urls.policy(slug)
                yield SitePage(
                    path=path,
                    kind="html",
                    title=info.title,
                    in_nav=True,
                    toc=record.toc,
                    content=pages.version_page(
                        self.ctx(path),
                        info,
                        vinfo,
                        self.linked(record.body, version, path),
                        main=True,
                    ),
                )
            path = urls.version(slug, version.label)
            yield SitePage(
                path=path,
                kind="html",
                toc=record.toc,
                title=pages.version_title(vinfo.title, version.label, self.ui),
                content=pages.version_page(
                    self.ctx(path), info, vinfo, self.linked(record.body, version, path), main=False
                ),
            )
            if self.options.api:
                yield SitePage(
                    path=urls.api_version(slug, version.label),
                    kind="file",
                    content=pages.api_version_json(urls, base, info, vinfo, record.clauses_json)
                    + "\n",
                )
        path = urls.versions(slug)
        yield SitePage(
            path=path,
            kind="html",
            title=pages.history_title(info.title, self.ui),
            content=pages.versions_page(self.ctx(path), info),
            toc=pages.versions_toc(info, self.ui),
        )
        for (a, b), pair in build.records.items():
            old, new = info.versions[a], info.versions[b]
            docx = (a, b) in build.docx
            path = urls.changes(slug, old.label, new.label)
            yield SitePage(
                path=path,
                kind="html",
                title=pages.changes_title(info.title, old.label, new.label, t=self.ui),
                content=pages.changes_page(
                    self.ctx(path), info, old, new, pair.summary, pair.redline, docx=docx
                ),
                toc=pair.toc,
            )
            if docx:
                data = self.cache.get_bytes("docx", build.docx[(a, b)])
                if data is not None:
                    yield SitePage(
                        path=urls.changes_docx(slug, old.label, new.label),
                        kind="file",
                        content=data,
                    )
            path = urls.changes_material(slug, old.label, new.label)
            yield SitePage(
                path=path,
                kind="html",
                title=pages.changes_title(
                    info.title, old.label, new.label, material_only=True, t=self.ui
                ),
                content=pages.changes_page(
                    self.ctx(path),
                    info,
                    old,
                    new,
                    pair.summary,
                    pair.material_redline,
                    material_only=True,
                    docx=docx,
                ),
                toc=pair.material_toc,
            )
            if self.options.api:
                yield SitePage(
                    path=urls.api_changes(slug, old.label, new.label),
                    kind="file",
                    content=pair.api_json,
                )
        for a, b in build.dropped:
            yield from redirect_pages(
                urls,
                base,
                slug,
                build.versions[a].label,
                build.versions[b].label,
                api=self.options.api,
                language=self.language,
            )
        if self.options.feeds:
            yield SitePage(
                path=urls.feed(slug),
                kind="file",
                content=pages.policy_feed(
                    urls,
                    base,
                    info,
                    site_name=self.options.site_name,
                    templates=self.options.templates,
                    language=self.language,
                ),
            )
        if self.options.api:
            yield _json_page(urls.api_versions(slug), pages.api_versions(urls, base, info))


def _json(data: Any) -> str:
    # Compact: the C encoder (indent= would use the pure-Python one, ten times slower).
    return json.dumps(data, ensure_ascii=False) + "\n"


def _json_page(path: str, data: Any) -> SitePage:
    return SitePage(path=path, kind="file", content=_json(data))
