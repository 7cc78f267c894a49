"""The ``policies`` mkdocs plugin: puts the policy site (:mod:`publisher.site`) into a build.

A thin adapter. It reads the plugin's options, builds the site model once per build (before
mkdocs cleans the site folder, so a failing history leaves the last site in place), and hands
every page to mkdocs: HTML pages as generated Markdown files whose rendered content is
replaced by the site's fragment (so the theme — the default ``mkdocs`` theme,
mkdocs-material, … — wraps them), feeds and JSON as static files. A Markdown page containing
``<!-- policies -->`` gets the list of policies in its place. Under ``mkdocs serve`` the git
refs are watched, so a new commit rebuilds the site.
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.livereload import LiveReloadServer
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import get_toc

from publisher.config import Settings, load_settings
from publisher.counting import counted
from publisher.errors import NotFoundError, PublisherError
from publisher.history import PolicyRepo
from publisher.mkdocs_plugin.output import Incremental
from publisher.pages import TocEntry
from publisher.site import Site, SiteCache, SiteOptions
from publisher.site_builder import Progress, build_site
from publisher.site_languages import theme_words
from publisher.site_store import StoredPage
from publisher.templating import templates_folder

__all__ = ["INDEX_MARKER", "PoliciesConfig", "PoliciesPlugin"]

log = logging.getLogger("mkdocs.plugins.policies")

INDEX_MARKER = "<!-- policies -->"
CSS_NAME = "policies.css"


class PoliciesConfig(base.Config):  # type: ignore[no-untyped-call]
    """The plugin's options (``plugins: - policies: {...}`` in mkdocs.yml)."""

    repo = c.Optional(c.Type(str))
    """The policy repository (default: the folder of mkdocs.yml)."""
    policies = c.Optional(c.Type(str))
    """Glob of the policy files (default: the repository's `policies` setting)."""
    branch = c.Optional(c.Type(str))
    """The publishing branch (default: the `branch` setting, HEAD)."""
    prefix = c.Type(str, default="")
    """URL prefix of the policy pages, feeds and API (`legal` → /legal/<slug>/)."""
    versions = c.Type((str, int), default="all")
    """Which versions to publish: all, labelled, or a number N (the last N)."""
    feeds = c.Type(bool, default=True)
    """Publish the Atom feeds (/<slug>/feed.xml and /feed.xml)."""
    api = c.Type(bool, default=True)
    """Publish the JSON API (/api/…json)."""
    templates = c.Optional(c.Dir(exists=True))
    """A folder of templates that override the built-in ones (same relative names), relative
    to mkdocs.yml (default: the `templates` setting, `templates/` in the repository)."""
    cache_dir = c.Optional(c.Type(str))
    """Where change sets and rendered fragments are cached (default: the `cache_dir` setting)."""
    redline_window = c.Type((str, int), default=730)
    """Days: a superseded version in force within them keeps its redlines to the version in
    force and to the latest; older ones have only their consecutive redlines (`all`: every
    version keeps them)."""
    docx = c.Type(bool, default=True)
    """Publish a Word redline (.docx with tracked changes) beside each redline page."""
    nav_limit = c.Type(int, default=8)
    """Above this number of policies, their pages stay out of the navigation (a page holding
    the policies index lists them), so the navigation stays short."""


def _markdown_for(page: StoredPage) -> str:
    # Themes print page titles (and toc names) as HTML, unescaped: policy titles are text, so
    # they are escaped here. JSON is YAML: the title is quoted whatever it contains. Pages
    # outside the navigation (versions, histories, redlines) are kept out of search where the
    # search plugin allows it (mkdocs-material's honours `search: exclude`).
    meta = {"title": html.escape(page.title, quote=False)}
    if not page.in_nav:
        meta["search"] = {"exclude": True}  # type: ignore[assignment]
    return f"---\n{json.dumps(meta)}\n---\n"


def _marker(src_uri: str) -> str:
    """What stands for a page's content in mkdocs' memory until the page is written."""
    return f"<!-- policies: the content of {html.escape(src_uri)} -->"


def _src_uri(path: str) -> str:
    """``acceptable-use/v/3/`` → ``acceptable-use/v/3.md`` (served at the same URL)."""
    return path.rstrip("/") + ".md" if path else "index.md"


def _toc_tokens(entries: tuple[TocEntry, ...]) -> list[Any]:
    return [
        {
            "level": e.level,
            "id": e.anchor,
            "name": html.escape(e.title, quote=False),
            "children": _toc_tokens(e.children),
        }
        for e in entries
    ]


def _builtin_search_honours_exclude(config: MkDocsConfig) -> None:
    """Make mkdocs' built-in search skip pages whose front matter says ``search: exclude``,
    as mkdocs-material's search does: the versions, histories and redlines (thousands of
    pages on a long history) stay out of the index, which then holds the text in force.

    mkdocs has no hook for this: the search plugin's ``on_page_context`` handler is wrapped
    in place. If mkdocs' plugin collection ever looks different, nothing is changed."""
    search = config.plugins.get("search")
    if search is None or type(search).__module__ != "mkdocs.contrib.search":
        return
    collection: Any = config.plugins
    handlers = getattr(collection, "events", {}).get("page_context")
    origins = getattr(collection, "_event_origins", None)
    if not isinstance(handlers, list) or not isinstance(origins, dict):
        return
    for i, handler in enumerate(handlers):
        if getattr(handler, "__self__", None) is not search:
            continue

        def unless_excluded(
            context: Any, *, page: Page, _handler: Any = handler, **kwargs: Any
        ) -> Any:
            wanted = page.meta.get("search")
            if isinstance(wanted, dict) and wanted.get("exclude"):
                return context
            return _handler(context, page=page, **kwargs)

        handlers[i] = unless_excluded
        origins[unless_excluded] = origins.get(handler, "search")


THEME_OVERRIDES = Path(__file__).resolve().parent.parent / "templates" / "mkdocs_theme"
"""The plugin's templates for the default ``mkdocs`` theme (skip link, footer, the table of
contents' toggle)."""


def _override_default_theme(config: MkDocsConfig) -> None:
    """Put :data:`THEME_OVERRIDES` in front of the default ``mkdocs`` theme's own templates,
    behind the site's ``custom_dir`` (whose templates still win). Other themes are left as
    they are."""
    theme = config.theme
    if theme.name != "mkdocs" or str(THEME_OVERRIDES) in theme.dirs:
        return
    own = next(
        (
            i
            for i, d in enumerate(theme.dirs)
            if Path(d).resolve().parent.name == "themes" and Path(d).name == "mkdocs"
        ),
        None,
    )
    theme.dirs.insert(own if own is not None else 0, str(THEME_OVERRIDES))


class PoliciesPlugin(BasePlugin[PoliciesConfig]):  # type: ignore[no-untyped-call]
    """Publishes every policy of the repository: current text, versions, redlines, feeds,
    JSON API (see docs/site.md)."""

    supports_multiple_instances = False

    def __init__(self) -> None:
        self.site: Site | None = None
        self._pages: dict[str, StoredPage] = {}
        self._git_dir: Path | None = None
        self.error: PublisherError | None = None
        """The library error that stopped the last build (re-raised by :func:`build`)."""
        self.progress: Progress | None = None
        """Set by :func:`build`: told how the site model's work advances."""
        self.incremental: Incremental | None = None
        """Set by :func:`build`: skip rendering the pages whose output cannot have changed."""
        self._cache_dir: Path | None = None
        self.require_policies = False
        """Set by :func:`build` for ``publisher build``: no policies is an error."""
        self.reproducible = False
        """Set by :func:`build`: mkdocs' build date is the last published change's."""
        self.set_epoch = False
        """Whether this build set ``SOURCE_DATE_EPOCH`` (for :func:`build` to remove)."""

    # -- configuration -------------------------------------------------------------------

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        if not config.use_directory_urls:
            raise PluginError(
                "the policies plugin needs `use_directory_urls: true` "
                "(its permanent URLs are /<slug>/v/<label>/)"
            )
        css = self._site_path(CSS_NAME)
        if css not in config.extra_css:
            config.extra_css.append(css)
        _builtin_search_honours_exclude(config)
        _override_default_theme(config)
        return config

    def _site_path(self, name: str) -> str:
        prefix = self.config.prefix.strip("/")
        return f"{prefix}/{name}" if prefix else name

    def _root(self, config: MkDocsConfig) -> Path:
        base_dir = Path(config.config_file_path or ".").resolve().parent
        repo = self.config.repo
        return (base_dir / repo).resolve() if repo else base_dir

    def _options(self, config: MkDocsConfig, settings: Settings) -> SiteOptions:
        return SiteOptions(
            prefix=self.config.prefix,
            versions=str(self.config.versions),
            feeds=self.config.feeds,
            api=self.config.api,
            site_url=config.site_url or settings.site_url,
            site_name=config.site_name,
            templates=templates_folder(settings),
            redline_window=SiteOptions.window(self.config.redline_window),
            docx=self.config.docx,
        )

    # -- building ------------------------------------------------------------------------

    def check_repository(self, config: MkDocsConfig) -> None:
        """Open the policy repository as a build would: GitError (shallow clone, not a
        repository, no commits) or ConfigError now, before a server starts."""
        with PolicyRepo.open(self._settings(config)) as repo:
            _ = repo.head

    def _settings(self, config: MkDocsConfig) -> Settings:
        # The plugin's options are the site's configuration file: PUBLISHER_* variables
        # (and so `publisher serve --policies`) take precedence over them.
        from_plugin = {
            "policies": self.config.policies,
            "branch": self.config.branch,
            "cache_dir": self.config.cache_dir,
            "templates": self.config.templates,
        }
        return load_settings(
            self._root(config),
            overrides={
                k: v for k, v in from_plugin.items() if not os.environ.get(f"PUBLISHER_{k.upper()}")
            },
        )

    def _build(self, config: MkDocsConfig) -> Site:
        try:
            settings = self._settings(config)
            options = self._options(config, settings)
            with PolicyRepo.open(settings) as repo:
                cache = SiteCache(repo.cache.directory)
                self._cache_dir = cache.directory
                self._git_dir = repo.git.info.git_dir
                site = build_site(
                    repo,
                    options,
                    today=datetime.now(UTC).date(),
                    cache=cache,
                    progress=self.progress,
                )
            if self.require_policies and site.stats.policies == 0:
                raise NotFoundError(
                    f"no policies match {settings.policies!r} in {settings.root}",
                    hint="set `policies` in [tool.publisher] (or the plugin's `policies`) or "
                    "pass --policies GLOB; `publisher list --policies GLOB` shows what matches",
                )
        except PublisherError as exc:
            self.error = exc
            raise PluginError(f"policies: {exc}") from exc
        stats = site.stats
        log.info(
            "policies: %s, %s, %s (%d computed) in %.2fs",
            counted(stats.policies, "policy"),
            counted(stats.versions, "version"),
            counted(stats.changesets, "redline"),
            stats.computed,
            stats.seconds,
        )
        return site

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        # Before mkdocs cleans the site directory: a failing history (shallow clone, broken
        # policy) leaves the last good site in place.
        self.site = self._build(config)
        if self.reproducible and "SOURCE_DATE_EPOCH" not in os.environ:
            # mkdocs stamps its build date into pages and the sitemap: the date of the last
            # published change instead, so a rebuild with nothing new gives the same bytes.
            # `publisher build` removes the variable after the build.
            updated = self.site.updated()
            if updated is not None:
                os.environ["SOURCE_DATE_EPOCH"] = str(int(updated.timestamp()))
                self.set_epoch = True

    def on_files(self, files: Files, /, *, config: MkDocsConfig) -> Files:
        site = self.site
        assert site is not None, "on_pre_build builds the site"
        self._pages = {}
        in_nav = self._policies_in_nav(site, files)
        for page in site.pages:
            if page.kind == "html":
                src = _src_uri(page.path)
                inclusion = (
                    InclusionLevel.INCLUDED if page.in_nav and in_nav else InclusionLevel.NOT_IN_NAV
                )
                self._pages[src] = page
                file = File.generated(config, src, content=_markdown_for(page), inclusion=inclusion)
            else:
                # copied from the page store when mkdocs writes it: not held in memory
                file = File.generated(config, page.path, abs_src_path=str(page.file))
            self._add(files, file)
        css = site.css()
        self._add(files, File.generated(config, self._site_path(CSS_NAME), content=css))
        if self.incremental is not None:
            self.incremental.plan(
                config, files, self._pages, self._cache_dir, css, site.store.directory
            )
        return files

    def _policies_in_nav(self, site: Site, files: Files) -> bool:
        """Whether the policies' own pages go into the navigation: yes up to ``nav_limit``
        policies, or when no page of docs_dir holds the policies index (nothing else would
        link them)."""
        if site.stats.policies <= self.config.nav_limit:
            return True
        if any(INDEX_MARKER in f.content_string for f in files.documentation_pages()):
            return False
        log.info(
            "policies: %d policies are more than nav_limit (%d), but no page holds the "
            "policies index (%s): the policies stay in the navigation",
            site.stats.policies,
            self.config.nav_limit,
            INDEX_MARKER,
        )
        return True

    @staticmethod
    def _add(files: Files, file: File) -> None:
        existing = files.get_file_from_path(file.src_uri)
        if existing is not None:
            raise PluginError(
                f"policies: {file.src_uri} is both a page of docs_dir and a policy page; "
                "rename the page, or set the plugin's `prefix` option"
            )
        files.append(file)

    # -- pages ---------------------------------------------------------------------------

    def on_page_markdown(
        self, markdown: str, /, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str:
        if INDEX_MARKER in markdown and self.site is not None:
            index = self.site.index_html(page.file.url)
            return markdown.replace(INDEX_MARKER, "\n" + index.strip() + "\n")
        return markdown

    @event_priority(-50)
    def on_page_content(
        self, html: str, /, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str:
        found = self._pages.get(page.file.src_uri)
        if found is None or page.file.generated_by is None:
            return html
        if found.lang:
            page.meta["policy_ui"] = theme_words(found.lang)
        if found.in_nav:
            page.toc = get_toc(_toc_tokens(found.toc))
            return found.text  # the search index has the text in force
        # mkdocs reads every page before it writes any, and keeps them until the build
        # ends: until the page is written, a marker stands for its content (on_post_page
        # puts the page's text in its place) and its table of contents is not read
        return _marker(page.file.src_uri)

    @event_priority(100)
    def on_page_context(
        self, context: Any, /, *, page: Page, config: MkDocsConfig, nav: Any
    ) -> Any:
        """The table of contents of a version, history or redline page, for the theme."""
        found = self._pages.get(page.file.src_uri)
        if found is not None and page.file.generated_by is not None and not found.in_nav:
            page.toc = get_toc(_toc_tokens(found.toc))
        return context

    @event_priority(100)
    def on_post_page(self, output: str, /, *, page: Page, config: MkDocsConfig) -> str:
        """A page's text in place of its marker; a translated policy page's ``hreflang``
        alternates and ``<html lang>``."""
        found = self._pages.get(page.file.src_uri)
        if found is None or page.file.generated_by is None:
            return output
        if not found.in_nav:
            marker = _marker(page.file.src_uri)
            if marker not in output:
                raise PluginError(
                    f"policies: the theme's template did not show the content of "
                    f"{page.file.src_uri} (no {{{{ page.content }}}} in it?)"
                )
            output = output.replace(marker, found.text, 1)
            page.toc = get_toc([])  # written: mkdocs keeps the page, not its headings
        if found.head:
            output = output.replace("</head>", found.head + "</head>", 1)
        if found.lang:
            output = re.sub(
                r"<html\b([^>]*?)\blang=\"[^\"]*\"",
                lambda m: f'<html{m[1]}lang="{html.escape(found.lang)}"',
                output,
                count=1,
            )
        return output

    def on_serve(
        self, server: LiveReloadServer, /, *, config: MkDocsConfig, builder: Any
    ) -> LiveReloadServer:
        """Rebuild when a commit lands: watch the repository's refs (and HEAD)."""
        if self._git_dir is not None:
            refs = self._git_dir / "refs"
            if refs.is_dir():
                server.watch(str(refs))
            for name in ("HEAD", "packed-refs"):
                if (self._git_dir / name).exists():
                    server.watch(str(self._git_dir / name), recursive=False)
        return server
