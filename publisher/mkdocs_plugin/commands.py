"""``publisher build`` and ``publisher serve`` (publisher/cli/site.py) run mkdocs through
these, so that mkdocs stays imported in this package only."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import MkDocsException

from publisher.counting import counted
from publisher.errors import ConfigError, PublisherError
from publisher.mkdocs_plugin.output import Incremental, QuietDirty, written_in_place
from publisher.mkdocs_plugin.plugin import PoliciesPlugin
from publisher.site_builder import Progress
from publisher.site_folder import check_build_folder, mark_site_folder

__all__ = ["BuildResult", "build", "serve"]

log = logging.getLogger("mkdocs.plugins.policies")


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
    redirects: int = 0
    """Redlines outside the ``redline_window`` whose addresses redirect to the history."""
    docx: int = 0
    """Word redlines made (the others came from the cache)."""
    reused: int = 0
    """Policies whose pages came from the page cache (not rendered again)."""

    def counts(self) -> str:
        """``3 policies, 9 versions, 9 redlines`` (in the right number)."""
        return ", ".join(
            (
                counted(self.policies, "policy"),
                counted(self.versions, "version"),
                counted(self.redlines, "redline"),
            )
        )

    def describe(self) -> str:
        """What ``publisher build`` says when it is done."""
        return (
            f"built {counted(self.pages, 'page')} and {counted(self.files, 'feed and API file')} "
            f"({self.counts()}, {self.computed} computed, "
            f"{counted(self.rendered, 'page')} rendered) into {self.site_dir}: "
            f"{counted(self.written, 'file')} written, {self.unchanged} unchanged, "
            f"{self.removed} removed"
        )


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
            raise ConfigError(
                f"{config_file} does not exist",
                hint="give the mkdocs.yml of the site with --config",
            )
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
            # highlight.js would come from a public CDN: no third-party requests.
            "theme": {"name": "mkdocs", "highlightjs": False},
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
        return not (self.plugin.error is not None and record.getMessage().startswith("policies: "))


@contextmanager
def _mkdocs_messages(plugin: PoliciesPlugin, *, level: int = logging.WARNING) -> Iterator[None]:
    """mkdocs' messages from ``level`` up on stderr (``WARNING - …``) while it runs."""
    logger = logging.getLogger("mkdocs")
    handler = logging.StreamHandler()
    handler.setLevel(level)
    previous = logger.level
    if level < logger.getEffectiveLevel():
        logger.setLevel(level)
    handler.setFormatter(logging.Formatter("%(levelname)s - %(message)s"))
    handler.addFilter(_NotOurError(plugin))
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def build(
    root: Path,
    *,
    config_file: Path | None = None,
    site_dir: Path | None = None,
    strict: bool | None = None,
    policies: str | None = None,
    progress: Progress | None = None,
    require_policies: bool = False,
    written_by: str = "publisher build",
) -> BuildResult:
    """Build the site of the repository at ``root`` with its mkdocs.yml (or the built-in
    configuration); PublisherError when the configuration is invalid, the build fails or,
    in strict mode, warns. With ``require_policies``, a repository where no file matches the
    policies glob is an error before anything is written (``publisher build``). The site
    folder's marker names ``written_by``."""
    from mkdocs.commands.build import build as mkdocs_build

    with _config_file(root, config_file) as path:
        config = _load(
            path,
            {"policies": policies},
            site_dir=str(site_dir) if site_dir else None,
            strict=strict,
        )
        plugin = config.plugins["policies"]
        assert isinstance(plugin, PoliciesPlugin)
        plugin.progress = progress
        plugin.require_policies = require_policies
        plugin.reproducible = True
        written = Path(config.site_dir)
        check_build_folder(written, root)
        config.plugins.on_startup(command="build", dirty=False)
        quiet = QuietDirty()
        build_log = logging.getLogger("mkdocs.commands.build")
        build_log.addFilter(quiet)
        try:
            with _mkdocs_messages(plugin), written_in_place(written) as writes:
                incremental = plugin.incremental = Incremental(writes.keep)
                try:
                    mkdocs_build(config, dirty=True)
                except MkDocsException as exc:
                    incremental.forget()
                    if plugin.error is not None:
                        raise plugin.error from None
                    raise PublisherError(
                        f"the site build failed: {exc}",
                        path=path,
                        hint="the messages above say which page or option",
                    ) from exc
                finally:
                    config.plugins.on_shutdown()
                incremental.save()
                mark_site_folder(written, written_by=written_by)
        finally:
            build_log.removeFilter(quiet)
            if plugin.set_epoch:
                os.environ.pop("SOURCE_DATE_EPOCH", None)
                plugin.set_epoch = False
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
            redirects=stats.redirects,
            docx=stats.docx,
            reused=stats.reused,
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
    changes or a commit lands (until interrupted). mkdocs' messages (where it serves, what it
    rebuilds) go to stderr."""
    from mkdocs.commands.serve import serve as mkdocs_serve

    with _config_file(root, config_file) as path:
        config = _load(path, {"policies": policies})  # a bad config fails here, clearly
        plugin = config.plugins["policies"]
        assert isinstance(plugin, PoliciesPlugin)
        plugin.check_repository(config)  # so does a shallow clone or a missing repository
        if policies is not None:
            os.environ["PUBLISHER_POLICIES"] = policies
        with _mkdocs_messages(plugin, level=logging.INFO):
            try:
                mkdocs_serve(
                    str(path), livereload=True, dev_addr=dev_addr, open_in_browser=open_in_browser
                )
            except OSError as exc:
                raise PublisherError(
                    f"cannot serve on {dev_addr}: {exc.strerror or exc}",
                    hint="pass --dev-addr HOST:PORT with a free port",
                ) from exc
            except MkDocsException as exc:
                raise PublisherError(
                    f"the site server stopped: {exc}", path=path, hint="the messages above say why"
                ) from exc
