"""The site's values: how it is built (:class:`SiteOptions`, the mkdocs plugin's options),
its outputs (:class:`SitePage`) and what a build did (:class:`BuildStats`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from publisher.errors import ConfigError
from publisher.pages import TocEntry, Urls
from publisher.site_versions import RedlineWindow, VersionsChoice

__all__ = ["BuildStats", "PageKind", "SiteOptions", "SitePage"]


@dataclass(frozen=True)
class SiteOptions:
    """How the site is built (the mkdocs plugin's options; see docs/site.md)."""

    prefix: str = ""
    """URL prefix of every policy page, feed and API file (``legal`` → ``/legal/<slug>/``)."""
    versions: VersionsChoice = "all"
    feeds: bool = True
    api: bool = True
    site_url: str = "http://127.0.0.1:8001/"
    """Absolute base URL of the site: feeds and the API carry absolute links."""
    site_name: str = ""
    templates: Path | None = None
    """A folder whose templates override the package's (same relative names)."""
    redline_window: RedlineWindow = 730
    """Days: a superseded version in force within the last N days keeps its redlines to the
    version in force and to the latest one; None: every version keeps them (see
    :func:`~publisher.site_versions.redline_pairs`)."""
    docx: bool = True
    """Publish a Word redline (tracked changes) beside each redline page."""
    language: str = ""
    """The language of the pages' own words and dates (a tag; a translation's pages are built
    with theirs). Empty: the repository's ``default_language``."""

    def __post_init__(self) -> None:
        choice = str(self.versions)
        if choice not in ("all", "labelled") and not (choice.isdigit() and int(choice) > 0):
            raise ConfigError(
                f"versions must be 'all', 'labelled' or a number of versions, not {choice!r}",
                hint="e.g. versions: all",
            )
        if self.redline_window is not None and (
            isinstance(self.redline_window, bool)
            or not isinstance(self.redline_window, int)
            or self.redline_window < 0
        ):
            raise ConfigError(
                f"redline_window must be a number of days (0 or more) or 'all', "
                f"not {self.redline_window!r}",
                hint="e.g. redline_window: 730",
            )
        if self.templates is not None and not Path(self.templates).is_dir():
            raise ConfigError(
                f"the templates folder {self.templates} does not exist",
                hint="create it, or remove the `templates` option to use the built-in templates",
            )

    @staticmethod
    def window(value: object) -> RedlineWindow:
        """The ``redline_window`` option as written (``365``, ``"365"``, ``all``)."""
        if isinstance(value, str) and value.strip() == "all":
            return None
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        raise ConfigError(
            f"redline_window must be a number of days (0 or more) or 'all', not {value!r}",
            hint="e.g. redline_window: 730",
        )

    @property
    def urls(self) -> Urls:
        return Urls(self.prefix.strip("/"))


PageKind = Literal["html", "file"]


@dataclass(frozen=True)
class SitePage:
    """One output of the site: an HTML fragment for a themed page, or a file (feed, JSON,
    redirect page, .docx: only a file's content may be bytes).

    ``path`` is the site path (``acceptable-use/v/3/``, ``feed.xml``); ``in_nav`` marks the
    policies' own pages (the rest stays out of the navigation); ``toc`` the page's headings.
    """

    path: str
    kind: PageKind
    content: str | bytes
    title: str = ""
    in_nav: bool = False
    toc: tuple[TocEntry, ...] = ()
    head: str = ""
    """HTML for the page's ``<head>`` (``hreflang`` alternates of a translated policy)."""
    lang: str = ""
    """The page's language when it is not the site's (a translation's pages)."""

    @property
    def text(self) -> str:
        """The content of an HTML page (or of a text file)."""
        if isinstance(self.content, bytes):
            raise TypeError(f"{self.path} holds bytes, not text")
        return self.content


@dataclass
class BuildStats:
    policies: int = 0
    versions: int = 0
    changesets: int = 0
    computed: int = 0
    docx: int = 0
    """Word redlines made (not taken from the cache)."""
    docx_by_workers: int = 0
    """Of which by worker processes (publisher.site_docx)."""
    redirects: int = 0
    reused: int = 0
    """Policies whose pages came from the page cache (nothing they depend on changed)."""
    seconds: float = 0.0
