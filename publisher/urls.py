"""The public site's URL scheme: where each page, feed and API file of a policy lives, as site
paths (no leading slash), and links to them relative to a page or absolute on a base URL.

Links between pages are relative (``../../changes/2..3/``) so a built site works at any base
path; feeds and API payloads carry absolute URLs (feed readers and API clients need them).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote

__all__ = ["Linker", "Urls", "label_path", "relative_url"]


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

    def changes_docx(self, slug: str, old: str, new: str) -> str:
        """The redline as a Word document with tracked changes, beside its page."""
        return self._p(f"{slug}/changes/{label_path(old)}..{label_path(new)}.docx")

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
