"""How the site is built: policy by policy, each policy's pages into the page store, in
memory that does not grow with the history, reusing a policy's pages when nothing they
depend on changed.

:func:`build_site` reads the history, then for each policy in turn plans its versions and
redlines (:mod:`publisher.site_versions`), computes or takes from the cache its change sets
and page fragments (:class:`~publisher.site._Builder`), renders its pages and writes them
to the :class:`~publisher.site_store.PageStore`; what stays in memory is the policy's
:class:`~publisher.pages.PolicyInfo` and a :class:`~publisher.site_store.StoredPage` per
page (path, title, table of contents, digest), never the pages' text.

A policy's pages are cached as a whole (``SiteCache`` kind ``policies``) under a key of
everything they are made of: the policy's published versions (their revisions, blobs,
labels, dates), their statuses today, the redlines and redirects planned, the overrides
between them, the policy's languages, the site's options, the templates and the code that
renders (parser, sanitizer, diff engine, renderer, formats for Word redlines), and where
every other policy lives (links between policies). When a custom template names ``today``
the day is part of the key too (the built-in templates do not print it). A rebuild with no new commit finds every policy
under its key and renders nothing; one new commit renders the pages of its policy.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from functools import cache
from pathlib import Path

from publisher import pages
from publisher.cache import PARSER_VERSION
from publisher.diff.sources import overrides_between
from publisher.errors import PolicyError
from publisher.history import Policy, PolicyRepo
from publisher.history.prefetch import default_jobs
from publisher.pages import PolicyInfo
from publisher.sanitize import SANITIZER_VERSION
from publisher.site import Site, _Builder, _json_page, _PolicyBuild
from publisher.site_cache import SiteCache, cache_key, diff_engine_version, formats_version
from publisher.site_docx import DocxMaker
from publisher.site_languages import language_pages
from publisher.site_model import SiteOptions, SitePage
from publisher.site_store import PageStore, PolicyPages, StoredPage
from publisher.slugs import SITE_RESERVED

__all__ = ["Progress", "build_site", "pages_key", "policy_pages"]

PAGES_FORMAT = "2"
"""Bumped when what a cached policy's pages hold changes."""

SITE_TEMPLATES = ("site", "fragments")
"""The template folders the site's pages are rendered with (notices' and acceptance pages'
templates live beside them)."""

Progress = Callable[[str, int, int], None]
"""``(phase, done, total)``: see :func:`build_site`."""


def _no_progress(phase: str, done: int, total: int) -> None:
    pass


def _check_slugs(policies: Sequence[Policy]) -> None:
    seen: dict[str, Policy] = {}
    for policy in policies:
        if policy.slug in SITE_RESERVED:
            raise PolicyError(
                f"the slug {policy.slug!r} is reserved on the site",
                path=policy.path,
                hint=f"set another `slug` in its front matter (reserved: "
                f"{', '.join(sorted(SITE_RESERVED))})",
            )
        other = seen.get(policy.slug)
        if other is not None:
            raise PolicyError(
                f"two policies have the slug {policy.slug!r}: {other.path} and {policy.path}",
                path=policy.path,
                hint="give one of them another `slug` in its front matter",
            )
        seen[policy.slug] = policy


def pages_key(builder: _Builder, build: _PolicyBuild, languages: tuple[str, ...]) -> str:
    """The key of ``build``'s pages in the page cache: everything they are made of."""
    policy, versions, options = build.policy, build.versions, builder.options
    overrides = [
        overrides_between(policy, versions[a].revision, versions[b].revision)
        for a, b in build.pairs
    ]
    return cache_key(
        "policy-pages",
        PAGES_FORMAT,
        policy.slug,
        policy.title,
        policy.path,
        policy.language,
        versions,
        build.current,
        build.statuses,
        build.pairs,
        build.dropped,
        overrides,
        languages,
        options,
        builder.language,
        builder.fingerprint,
        PARSER_VERSION,
        SANITIZER_VERSION,
        diff_engine_version(),
        formats_version() if options.docx else "",
        hashlib.sha256(repr(sorted(builder.targets.items())).encode()).hexdigest(),
        builder.today if _templates_use_today(options.templates) else None,
    )


@cache
def _templates_use_today(folder: Path | None) -> bool:
    """Whether a custom template may print the build's day (the built-in ones do not):
    then a policy's pages are made again each day."""
    if folder is None:
        return False
    return any(b"today" in path.read_bytes() for path in Path(folder).rglob("*") if path.is_file())


def _cached(cache: SiteCache, store: PageStore, key: str) -> PolicyPages | None:
    """The policy's pages from the page cache, if every one is still in the store."""
    found = cache.get("policies", key)
    if not isinstance(found, PolicyPages):
        return None
    for ref in found.pages:
        if not store.file(ref.digest).is_file() or (ref.toc and not store.file(ref.toc).is_file()):
            return None
    return found


def policy_pages(
    builder: _Builder,
    build: _PolicyBuild,
    languages: tuple[str, ...],
    store: PageStore,
    on_pair: Callable[[], None] = lambda: None,
) -> tuple[PolicyInfo, list[StoredPage]]:
    """``build``'s policy info and its pages, from the page cache or made now (its change
    sets and fragments computed or read from the cache, its pages rendered and stored);
    ``on_pair`` is called after each redline."""
    cache = builder.cache
    key = pages_key(builder, build, languages)
    found = _cached(cache, store, key)
    if found is not None and found.info is not None:
        builder.stats.reused += 1
        for _ in build.pairs:
            on_pair()
        return found.info, [StoredPage(ref, store) for ref in found.pages]
    for pair in build.pairs:
        build.records[pair] = builder.pair(build, pair)
        on_pair()
    if builder.docx_maker is not None:
        builder.docx_maker.wait()  # the Word redlines are pages too
    info = replace(builder.info(build), languages=languages)
    stored = [store.stored(page) for page in builder.policy_pages(build, info)]
    build.records.clear()  # the redlines' HTML is in the store now
    cache.put("policies", key, PolicyPages(info, tuple(p.ref for p in stored)))
    return info, stored


def _site_files(
    builder: _Builder, infos: tuple[PolicyInfo, ...], store: PageStore
) -> list[StoredPage]:
    """The site's own feed and policies list (API), taken from the cache when no policy
    changed (the feed lists every version of every policy)."""
    options, cache = builder.options, builder.cache
    urls, base = options.urls, options.site_url
    key = cache_key(
        "site-files",
        PAGES_FORMAT,
        infos,
        options,
        builder.fingerprint,
        builder.today if _templates_use_today(options.templates) else None,
    )
    found = _cached(cache, store, key)
    if found is not None:
        return [StoredPage(ref, store) for ref in found.pages]
    made: list[SitePage] = []
    if options.feeds:
        made.append(
            SitePage(
                path=urls.feed(),
                kind="file",
                content=pages.site_feed(
                    urls, base, infos, site_name=options.site_name, templates=options.templates
                ),
            )
        )
    if options.api:
        made.append(_json_page(urls.api_policies(), pages.api_policies(urls, base, infos)))
    stored = [store.stored(page) for page in made]
    cache.put("policies", key, PolicyPages(None, tuple(p.ref for p in stored)))
    return stored


def build_site(
    repo: PolicyRepo,
    options: SiteOptions,
    *,
    today: date,
    cache: SiteCache | None = None,
    progress: Progress | None = None,
    store: PageStore | None = None,
) -> Site:
    """Every page of the site for ``repo`` as of ``today`` (which versions are in force).

    ``progress`` is called as the work advances: ``("redlines", done, total)`` as change
    sets are compared (or taken from the cache), ``("pages", done, total)`` per policy. The
    pages go to ``store`` (default: under the cache's directory, or a temporary folder).
    Raises GitError for a shallow clone or a missing branch (from the history reader) and
    PolicyError for unreadable policies or clashing slugs.
    """
    started = time.perf_counter()
    cache = cache if cache is not None else SiteCache(None)
    if store is None:
        store = PageStore(cache.directory / "pages" if cache.directory is not None else None)
    report = progress or _no_progress
    builder = _Builder(repo, options, today, cache)
    policies = [p for p in repo.policies() if p.versions]
    _check_slugs(policies)
    builder.targets = {path: p.slug for p in policies for path in p.paths}
    builds = [builder.plan(p) for p in policies]
    total = sum(len(b.pairs) for b in builds)
    done = 0

    def pair_done() -> None:
        nonlocal done
        done += 1
        report("redlines", done, total)

    report("redlines", 0, total)
    report("pages", 0, len(builds))
    infos: list[PolicyInfo] = []
    site_pages: list[StoredPage] = []
    builder.docx_maker = DocxMaker(default_jobs()) if options.docx else None
    try:
        for count, build in enumerate(builds, start=1):
            languages = tuple(repo.languages(build.policy))
            info, made = policy_pages(builder, build, languages, store, pair_done)
            infos.append(info)
            site_pages += made
            report("pages", count, len(builds))
    finally:
        if builder.docx_maker is not None:
            builder.docx_maker.close()
            builder.stats.docx_by_workers = builder.docx_maker.by_workers
    site_pages += language_pages(
        repo,
        options,
        today,
        cache,
        policies,
        site_pages,
        _Builder,
        lambda builder, build, languages: policy_pages(builder, build, languages, store),
        store,
    )
    site_pages += _site_files(builder, tuple(infos), store)
    stats = builder.stats
    stats.policies = len(builds)
    stats.versions = sum(len(b.versions) for b in builds)
    stats.changesets = total
    stats.redirects = sum(len(b.dropped) for b in builds)
    stats.seconds = time.perf_counter() - started
    return Site(
        options=options,
        today=today,
        policies=tuple(infos),
        pages=site_pages,
        stats=stats,
        store=store,
    )
