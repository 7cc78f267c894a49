"""The ``policies`` mkdocs plugin: puts the policy site (:mod:`publisher.site`) into a build.

A thin adapter and the only module that imports mkdocs. It reads the plugin's options, builds
the site model once per build, and hands every page to mkdocs: HTML pages as generated
Markdown files whose rendered content is replaced by the site's fragment (so the theme — the
default ``mkdocs`` theme, mkdocs-material, … — wraps them), feeds and JSON as static files. A
Markdown page containing ``<!-- policies -->`` gets the list of policies in its place. Under
``mkdocs serve`` the git refs are watched, so a new commit rebuilds the site.

Options are documented in docs/site.md.
"""

from __future__ import annotations

import filecmp
import hashlib
import html
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import MkDocsException, PluginError
from mkdocs.livereload import LiveReloadServer
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import get_toc

from publisher.config import load_settings
from publisher.errors import ConfigError, PublisherError
from publisher.history import PolicyRepo
from publisher.pages import TocEntry
from publisher.site import Site, SiteCache, SiteOptions, SitePage, build_site

__all__ = ["INDEX_MARKER", "BuildResult", "PoliciesConfig", "PoliciesPlugin", "build", "serve"]

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
    """A folder of templates that override the built-in ones (same relative names)."""
    cache_dir = c.Optional(c.Type(str))
    """Where change sets and rendered fragments are cached (default: the `cache_dir` setting)."""


def _markdown_for(page: SitePage) -> str:
    # Themes print page titles (and toc names) as HTML, unescaped: policy titles are text, so
    # they are escaped here. JSON is YAML: the title is quoted whatever it contains. Pages
    # outside the navigation (versions, histories, redlines) are kept out of search where the
    # search plugin allows it (mkdocs-material's honours `search: exclude`).
    meta = {"title": html.escape(page.title, quote=False)}
    if not page.in_nav:
        meta["search"] = {"exclude": True}  # type: ignore[assignment]
    return f"---\n{json.dumps(meta)}\n---\n"


def _src_uri(path: str) -> str:
    """``acceptable-use/v/3/`` → ``acceptable-use/v/3.md`` (served at the same URL)."""
    return path.rstrip("/") + ".md" if path else "index.md"


def _toc_tokens(entries: tuple[TocEntry, ...]) -> list[Any]:
    return [
        {"level": e.level, "id": e.anchor, "name": html.escape(e.title, quote=False),
         "children": _toc_tokens(e.children)}
        for e in entries
    ]


class _Incremental:
    """Skips rendering the version, history and redline pages whose output cannot differ
    from the file the previous ``publisher build`` left in the site folder.

    A page's output depends on its own values (title, content, table of contents) and on
    everything around it: the configuration, the theme's files, the navigation, the policies'
    stylesheet. Each page gets a signature of all of these; a page whose signature is the one
    recorded after the previous successful build, and whose file is still there, is marked
    unmodified for mkdocs' dirty mode. Every other file (the policies' own pages, the pages of
    docs_dir, the theme's templates, the search index) is built as usual. The signatures are
    saved only when the build succeeds.
    """

    def __init__(self, keep: Callable[[str], None]) -> None:
        self.keep = keep
        self.skipped = 0
        self._manifest: Path | None = None
        self._signatures: dict[str, str] = {}

    def plan(self, config: MkDocsConfig, files: Files, pages: dict[str, SitePage],
             cache_dir: Path | None, css: str) -> None:
        if cache_dir is None:
            return
        site_dir = os.path.abspath(config.site_dir)
        key = hashlib.sha256(site_dir.encode()).hexdigest()[:16]
        self._manifest = cache_dir / "output" / f"{key}.json"
        try:
            previous = json.loads(self._manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            previous = {}
        if not isinstance(previous, dict):
            previous = {}
        around = _surroundings(config, files, pages, css)
        for file in files:
            page = pages.get(file.src_uri)
            if page is None or file.generated_by is None:
                file.is_modified = _always  # type: ignore[method-assign]
                continue
            digest = hashlib.sha256(repr((around, file.src_uri, page.title, page.toc)).encode())
            digest.update(page.content.encode())
            signature = digest.hexdigest()
            self._signatures[file.src_uri] = signature
            if (not page.in_nav and previous.get(file.src_uri) == signature
                    and os.path.isfile(file.abs_dest_path)):
                file.is_modified = _never  # type: ignore[method-assign]
                self.keep(file.abs_dest_path)
                self.skipped += 1
            else:
                file.is_modified = _always  # type: ignore[method-assign]

    def save(self) -> None:
        if self._manifest is None:
            return
        try:
            self._manifest.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._manifest.with_suffix(".tmp")
            tmp.write_text(json.dumps(self._signatures), encoding="utf-8")
            os.replace(tmp, self._manifest)
        except OSError as exc:
            log.warning("cannot write %s: %s", self._manifest, exc)

    def forget(self) -> None:
        """After a failed build: the next one renders every page."""
        if self._manifest is not None:
            self._manifest.unlink(missing_ok=True)


def _always() -> bool:
    return True


def _never() -> bool:
    return False


def _surroundings(config: MkDocsConfig, files: Files, pages: dict[str, SitePage],
                  css: str) -> str:
    """A signature of everything a page's output depends on besides its own values."""
    import mkdocs

    digest = hashlib.sha256(f"{mkdocs.__version__} {_package_version()}".encode())
    if config.config_file_path and os.path.isfile(config.config_file_path):
        digest.update(Path(config.config_file_path).read_bytes())
    theme = config.theme
    digest.update(repr((config.site_url, config.site_name, config.use_directory_urls,
                        [str(x) for x in config.extra_css],
                        [str(x) for x in config.extra_javascript],
                        theme.name, sorted((k, str(v)) for k, v in dict(theme).items()))).encode())
    for folder in config.theme.dirs:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file():
                stat = path.stat()
                digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    # The navigation, on every page: the pages in it and their titles (a page of docs_dir is
    # taken whole: its title comes from its text).
    for file in sorted(files, key=lambda f: f.src_uri):
        if not (file.is_documentation_page() and file.inclusion.is_in_nav()):  # type: ignore[no-untyped-call]
            continue
        digest.update(file.src_uri.encode())
        page = pages.get(file.src_uri)
        if page is not None:
            digest.update(page.title.encode())
        elif file.abs_src_path and os.path.isfile(file.abs_src_path):
            digest.update(Path(file.abs_src_path).read_bytes())
    digest.update(css.encode())
    return digest.hexdigest()


def _package_version() -> str:
    from publisher import __version__

    return __version__


class _QuietDirty(logging.Filter):
    """Drops mkdocs' warning about dirty builds: ``publisher build`` decides page by page."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "'dirty' build" not in record.getMessage()


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

        def unless_excluded(context: Any, *, page: Page, _handler: Any = handler,
                            **kwargs: Any) -> Any:
            wanted = page.meta.get("search")
            if isinstance(wanted, dict) and wanted.get("exclude"):
                return context
            return _handler(context, page=page, **kwargs)

        handlers[i] = unless_excluded
        origins[unless_excluded] = origins.get(handler, "search")


class PoliciesPlugin(BasePlugin[PoliciesConfig]):  # type: ignore[no-untyped-call]
    """Publishes every policy of the repository: current text, versions, redlines, feeds,
    JSON API (see docs/site.md)."""

    supports_multiple_instances = False

    def __init__(self) -> None:
        self.site: Site | None = None
        self._pages: dict[str, SitePage] = {}
        self._git_dir: Path | None = None
        self.error: PublisherError | None = None
        """The library error that stopped the last build (re-raised by :func:`build`)."""
        self.incremental: _Incremental | None = None
        """Set by :func:`build`: skip rendering the pages whose output cannot have changed."""
        self._cache_dir: Path | None = None

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
        return config

    def _site_path(self, name: str) -> str:
        prefix = self.config.prefix.strip("/")
        return f"{prefix}/{name}" if prefix else name

    def _root(self, config: MkDocsConfig) -> Path:
        base_dir = Path(config.config_file_path or ".").resolve().parent
        repo = self.config.repo
        return (base_dir / repo).resolve() if repo else base_dir

    def _options(self, config: MkDocsConfig, site_url: str) -> SiteOptions:
        templates = self.config.templates
        return SiteOptions(
            prefix=self.config.prefix,
            versions=str(self.config.versions),
            feeds=self.config.feeds,
            api=self.config.api,
            site_url=config.site_url or site_url,
            site_name=config.site_name,
            templates=Path(templates) if templates else None,
        )

    # -- building ------------------------------------------------------------------------

    def _build(self, config: MkDocsConfig) -> Site:
        root = self._root(config)
        try:
            # The plugin's options are the site's configuration file: PUBLISHER_* variables
            # (and so `publisher serve --policies`) take precedence over them.
            from_plugin = {
                "policies": self.config.policies,
                "branch": self.config.branch,
                "cache_dir": self.config.cache_dir,
            }
            settings = load_settings(
                root,
                overrides={
                    k: v for k, v in from_plugin.items()
                    if not os.environ.get(f"PUBLISHER_{k.upper()}")
                },
            )
            options = self._options(config, settings.site_url)
            with PolicyRepo.open(settings) as repo:
                cache = SiteCache(repo.cache.directory)
                self._cache_dir = cache.directory
                self._git_dir = repo.git.info.git_dir
                site = build_site(repo, options, today=datetime.now(UTC).date(), cache=cache)
        except PublisherError as exc:
            self.error = exc
            raise PluginError(f"policies: {exc}") from exc
        stats = site.stats
        log.info(
            "policies: %d policies, %d versions, %d redlines (%d computed) in %.2fs",
            stats.policies, stats.versions, stats.changesets, stats.computed, stats.seconds,
        )
        return site

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        # Before mkdocs cleans the site directory: a failing history (shallow clone, broken
        # policy) leaves the last good site in place.
        self.site = self._build(config)

    def on_files(self, files: Files, /, *, config: MkDocsConfig) -> Files:
        site = self.site
        assert site is not None, "on_pre_build builds the site"
        self._pages = {}
        for page in site.pages:
            if page.kind == "html":
                src = _src_uri(page.path)
                inclusion = InclusionLevel.INCLUDED if page.in_nav else InclusionLevel.NOT_IN_NAV
                content = _markdown_for(page)
                self._pages[src] = page
            else:
                src, inclusion, content = page.path, InclusionLevel.INCLUDED, page.content
            self._add(files, File.generated(config, src, content=content, inclusion=inclusion))
        css = site.css()
        self._add(files, File.generated(config, self._site_path(CSS_NAME), content=css))
        if self.incremental is not None:
            self.incremental.plan(config, files, self._pages, self._cache_dir, css)
        return files

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
        page.toc = get_toc(_toc_tokens(found.toc))
        return found.content

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


# ------------------------------------------------------------------- publisher build/serve
#
# `publisher build` and `publisher serve` (publisher/cli/site.py) call these, so that mkdocs
# stays imported in this module only.


@dataclass(frozen=True)
class BuildResult:
    """What ``publisher build`` reports: where the site went and what it holds."""

    site_dir: Path
    config_file: Path | None
    pages: int
    files: int
    policies: int
    versions: int
    redlines: int
    computed: int
    seconds: float
    written: int = 0
    """Files written (new or changed) in the site folder."""
    unchanged: int = 0
    """Files left as they were: the same bytes as the previous build's."""
    removed: int = 0
    """Files of the previous build that this one no longer produces."""
    rendered: int = 0
    """Policy pages rendered (the others were unchanged since the previous build)."""


DEFAULT_INDEX = """\
# Policies

<!-- policies -->
"""


@contextmanager
def _config_file(root: Path, config_file: Path | None) -> Iterator[Path]:
    """The mkdocs.yml to use: the one given, the repository's, or a built-in default (the
    policies plugin with the default theme, a home page that lists the policies)."""
    if config_file is not None:
        if not config_file.is_file():
            raise ConfigError(f"{config_file} does not exist",
                              hint="give the mkdocs.yml of the site with --config")
        yield config_file
        return
    found = next((root / n for n in ("mkdocs.yml", "mkdocs.yaml") if (root / n).is_file()), None)
    if found is not None:
        yield found
        return
    with tempfile.TemporaryDirectory(prefix="publisher-site-") as tmp:
        docs = Path(tmp) / "docs"
        docs.mkdir()
        (docs / "index.md").write_text(DEFAULT_INDEX, encoding="utf-8")
        config = {
            "site_name": "Policies",
            "docs_dir": str(docs),
            "site_dir": str(root / "build" / "site"),
            "use_directory_urls": True,
            "theme": {"name": "mkdocs"},
            "plugins": ["search", {"policies": {"repo": str(root)}}],
        }
        path = Path(tmp) / "mkdocs.yml"
        path.write_text(json.dumps(config, indent=2), encoding="utf-8")
        log.info("no mkdocs.yml in %s: using the built-in site configuration", root)
        yield path


def _load(config_path: Path, plugin_overrides: dict[str, Any], **kwargs: Any) -> MkDocsConfig:
    from mkdocs.config import load_config

    try:
        config = load_config(str(config_path), **kwargs)
    except MkDocsException as exc:
        raise ConfigError(f"invalid site configuration: {exc}", path=config_path) from exc
    plugin = config.plugins.get("policies")
    if not isinstance(plugin, PoliciesPlugin):
        raise ConfigError(
            "the site configuration does not use the policies plugin",
            path=config_path,
            hint="add `plugins: [search, policies]` to it",
        )
    for key, value in plugin_overrides.items():
        if value is not None:
            setattr(plugin.config, key, value)
    return config


class _NotOurError(logging.Filter):
    """Drops mkdocs' log line of the plugin's own error (it is raised with its hint)."""

    def __init__(self, plugin: PoliciesPlugin) -> None:
        super().__init__()
        self.plugin = plugin

    def filter(self, record: logging.LogRecord) -> bool:
        return not (self.plugin.error is not None
                    and record.getMessage().startswith("policies: "))


@contextmanager
def _mkdocs_messages(plugin: PoliciesPlugin) -> Iterator[None]:
    """mkdocs' warnings and errors on stderr (``WARNING - …``) for the duration of a build."""
    logger = logging.getLogger("mkdocs")
    handler = logging.StreamHandler()
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(levelname)s - %(message)s"))
    handler.addFilter(_NotOurError(plugin))
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


@dataclass
class _Writes:
    """What an in-place build did to the site folder."""

    written: int = 0
    unchanged: int = 0
    removed: int = 0
    kept: set[str] = field(default_factory=set)

    def keep(self, path: str) -> None:
        """A file of the previous build that this one keeps without writing it."""
        self.kept.add(os.path.abspath(path))
        self.unchanged += 1


def _same_bytes(path: str, content: bytes) -> bool:
    try:
        if os.path.getsize(path) != len(content):
            return False
        with open(path, "rb") as fh:
            return fh.read() == content
    except OSError:
        return False


@contextmanager
def _written_in_place(site_dir: Path) -> Iterator[_Writes]:
    """Build into ``site_dir`` in place, writing only the files whose content changed.

    mkdocs cleans the site folder and rewrites every file on each build; for a policy site
    with thousands of version and redline pages, after one commit almost all of them are
    byte for byte the same, and the deletes and writes dominate a rebuild. Inside this block
    mkdocs' clean is skipped, its writes (``utils.write_file``, ``File.copy_file``) leave
    identical files untouched, and when the block succeeds the files of the previous build
    that this one did not produce are removed. A build that fails leaves every file of the
    previous site in place (some may be updated already). Only ``publisher build`` does this;
    a plain ``mkdocs build`` behaves as usual.
    """
    from mkdocs import utils

    writes = _Writes()
    kept = writes.kept
    started = time.time()
    before = [p for p in site_dir.rglob("*") if p.is_file()] if site_dir.is_dir() else []
    original_write, original_clean = utils.write_file, utils.clean_directory
    original_copy = File.copy_file

    def write_file(content: bytes, output_path: str) -> None:
        if _same_bytes(output_path, content):
            kept.add(os.path.abspath(output_path))
            writes.unchanged += 1
            return
        writes.written += 1
        original_write(content, output_path)

    def copy_file(self: File, dirty: bool = False) -> None:
        content = self._content
        if content is None:
            source = self.abs_src_path
            if source is not None and os.path.isfile(self.abs_dest_path) and filecmp.cmp(
                source, self.abs_dest_path, shallow=False
            ):
                kept.add(os.path.abspath(self.abs_dest_path))
                writes.unchanged += 1
                return
            writes.written += 1
            original_copy(self, dirty)
            return
        write_file(content.encode("utf-8") if isinstance(content, str) else content,
                   self.abs_dest_path)

    def clean_directory(directory: str) -> None:
        pass

    utils.write_file, utils.clean_directory = write_file, clean_directory
    File.copy_file = copy_file  # type: ignore[method-assign]
    try:
        yield writes
    finally:
        utils.write_file, utils.clean_directory = original_write, original_clean
        File.copy_file = original_copy  # type: ignore[method-assign]
    removed: list[Path] = []
    for path in before:
        try:
            if str(path) in kept or path.stat().st_mtime >= started:
                continue
            path.unlink()
            removed.append(path)
        except OSError:
            continue
    writes.removed = len(removed)
    folders = {parent for p in removed for parent in p.parents if parent.is_relative_to(site_dir)}
    for folder in sorted(folders - {site_dir}, key=lambda p: len(p.parts), reverse=True):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def build(
    root: Path,
    *,
    config_file: Path | None = None,
    site_dir: Path | None = None,
    strict: bool | None = None,
    policies: str | None = None,
) -> BuildResult:
    """Build the site of the repository at ``root`` with its mkdocs.yml (or the built-in
    configuration); PublisherError when the configuration is invalid, the build fails or,
    in strict mode, warns."""
    from mkdocs.commands.build import build as mkdocs_build

    with _config_file(root, config_file) as path:
        config = _load(path, {"policies": policies},
                       site_dir=str(site_dir) if site_dir else None, strict=strict)
        plugin = config.plugins["policies"]
        assert isinstance(plugin, PoliciesPlugin)
        written = Path(config.site_dir)
        config.plugins.on_startup(command="build", dirty=False)
        quiet = _QuietDirty()
        build_log = logging.getLogger("mkdocs.commands.build")
        build_log.addFilter(quiet)
        try:
            with _mkdocs_messages(plugin), _written_in_place(written) as writes:
                incremental = plugin.incremental = _Incremental(writes.keep)
                try:
                    mkdocs_build(config, dirty=True)
                except MkDocsException as exc:
                    incremental.forget()
                    if plugin.error is not None:
                        raise plugin.error from None
                    raise PublisherError(
                        f"the site build failed: {exc}", path=path,
                        hint="the messages above say which page or option") from exc
                finally:
                    config.plugins.on_shutdown()
                incremental.save()
        finally:
            build_log.removeFilter(quiet)
        assert plugin.site is not None
        stats = plugin.site.stats
        pages_total = sum(1 for p in plugin.site.pages if p.kind == "html")
        return BuildResult(
            site_dir=written,
            config_file=path if config_file or path.parent == root else None,
            pages=sum(1 for p in plugin.site.pages if p.kind == "html"),
            files=sum(1 for p in plugin.site.pages if p.kind == "file"),
            policies=stats.policies,
            versions=stats.versions,
            redlines=stats.changesets,
            computed=stats.computed,
            seconds=stats.seconds,
            written=writes.written,
            unchanged=writes.unchanged,
            removed=writes.removed,
            rendered=pages_total - incremental.skipped,
        )


def serve(
    root: Path,
    *,
    config_file: Path | None = None,
    dev_addr: str = "127.0.0.1:8001",
    policies: str | None = None,
    open_in_browser: bool = False,
) -> None:
    """Serve the site of the repository at ``root`` and rebuild it when a file of the site
    changes or a commit lands (until interrupted)."""
    from mkdocs.commands.serve import serve as mkdocs_serve

    with _config_file(root, config_file) as path:
        _load(path, {"policies": policies})  # fail early, with our message, on a bad config
        if policies is not None:
            os.environ["PUBLISHER_POLICIES"] = policies
        try:
            mkdocs_serve(str(path), livereload=True, dev_addr=dev_addr,
                         open_in_browser=open_in_browser)
        except MkDocsException as exc:
            raise PublisherError(f"the site server stopped: {exc}", path=path) from exc
