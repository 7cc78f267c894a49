"""Where a build keeps its pages: on disk, by content hash, not in memory.

A site of 133 policies with long histories has tens of thousands of pages (every version,
every redline, their JSON and Word files); holding all of their text until mkdocs writes
them is what made a build's memory grow with the history. :class:`PageStore` writes each
page's content once, to a file named by its SHA-256 (under the cache directory, so a
rebuild finds the pages of the previous build, or in a temporary folder), and the build
keeps only a :class:`StoredPage`: the page's path, title and the digests of its content
and of its table of contents, which are read back when they are needed (mkdocs writing the
page, a test reading it).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from publisher.cache import write_atomically
from publisher.pages import PolicyInfo, TocEntry
from publisher.site_model import PageKind, SitePage

__all__ = ["PageRef", "PageStore", "PolicyPages", "StoredPage"]


@dataclass(frozen=True)
class PageRef:
    """A page without its content: what the per-policy page cache keeps (the content is in
    the store under ``digest``)."""

    path: str
    kind: PageKind
    digest: str
    binary: bool
    title: str = ""
    in_nav: bool = False
    toc: str = ""
    """The digest of the page's table of contents in the store ("" for none)."""
    head: str = ""
    lang: str = ""


@dataclass(frozen=True)
class PolicyPages:
    """A policy's pages as the page cache keeps them: what the site's index, feed and API
    need of the policy (None for the site's own feed and policies list), and its pages
    (their content is in the page store)."""

    info: PolicyInfo | None
    pages: tuple[PageRef, ...]


class PageStore:
    """Page contents as files named by their SHA-256 (``<dir>/ab/abcdef…``).

    ``directory`` None: a temporary folder, removed with the store. Writing content that is
    already there writes nothing (a rebuild of unchanged pages touches no file).
    """

    def __init__(self, directory: Path | None) -> None:
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if directory is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="publisher-pages-")
            directory = Path(self._tmp.name)
        self.directory = directory

    def file(self, digest: str) -> Path:
        """The file holding the content ``digest``."""
        return self.directory / digest[:2] / digest

    def put(self, content: str | bytes) -> tuple[str, bool]:
        """Store ``content``; its digest and whether it is bytes."""
        binary = isinstance(content, bytes)
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        digest = hashlib.sha256(data).hexdigest()
        path = self.file(digest)
        if not _has(path, len(data)):
            write_atomically(path, data, what="the site's page store")
        return digest, binary

    def read(self, digest: str, *, binary: bool) -> str | bytes:
        try:
            data = self.file(digest).read_bytes()
        except OSError as exc:
            raise RuntimeError(
                f"the site's page store lost {digest} ({exc}): was the cache folder "
                f"{self.directory} removed during the build?"
            ) from exc
        return data if binary else data.decode("utf-8")

    def stored(self, page: SitePage) -> StoredPage:
        """``page`` written to the store (its content, and its table of contents)."""
        digest, binary = self.put(page.content)
        toc = self.put(json.dumps(_toc_json(page.toc), ensure_ascii=False))[0] if page.toc else ""
        ref = PageRef(
            path=page.path,
            kind=page.kind,
            digest=digest,
            binary=binary,
            title=page.title,
            in_nav=page.in_nav,
            toc=toc,
            head=page.head,
            lang=page.lang,
        )
        return StoredPage(ref, self)

    def toc(self, digest: str) -> tuple[TocEntry, ...]:
        """The table of contents stored under ``digest``."""
        if not digest:
            return ()
        text = self.read(digest, binary=False)
        assert isinstance(text, str)
        return _toc_entries(json.loads(text))

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()


def _toc_json(entries: tuple[TocEntry, ...]) -> list[Any]:
    return [[e.level, e.anchor, e.title, _toc_json(e.children)] for e in entries]


def _toc_entries(data: list[Any]) -> tuple[TocEntry, ...]:
    return tuple(
        TocEntry(level=level, anchor=anchor, title=title, children=_toc_entries(children))
        for level, anchor, title, children in data
    )


def _has(path: Path, size: int) -> bool:
    try:
        return os.path.getsize(path) == size
    except OSError:
        return False


@dataclass(frozen=True)
class StoredPage:
    """A page of the site whose content is in a :class:`PageStore`: it reads like a
    :class:`~publisher.site_model.SitePage` (``content`` and ``text`` read the store)."""

    ref: PageRef
    store: PageStore = field(repr=False, compare=False)

    @property
    def path(self) -> str:
        return self.ref.path

    @property
    def kind(self) -> PageKind:
        return self.ref.kind

    @property
    def title(self) -> str:
        return self.ref.title

    @property
    def in_nav(self) -> bool:
        return self.ref.in_nav

    @property
    def toc(self) -> tuple[TocEntry, ...]:
        """The page's table of contents (read from the store)."""
        return self.store.toc(self.ref.toc)

    @property
    def head(self) -> str:
        return self.ref.head

    @property
    def lang(self) -> str:
        return self.ref.lang

    @property
    def digest(self) -> str:
        return self.ref.digest

    @property
    def file(self) -> Path:
        """The file holding the content (a static file of the site can be copied from it)."""
        return self.store.file(self.ref.digest)

    @property
    def content(self) -> str | bytes:
        return self.store.read(self.ref.digest, binary=self.ref.binary)

    @property
    def text(self) -> str:
        """The content of an HTML page (or of a text file)."""
        if self.ref.binary:
            raise TypeError(f"{self.ref.path} holds bytes, not text")
        content = self.content
        assert isinstance(content, str)
        return content

    def page(self) -> SitePage:
        """The page with its content (to change it: a translation's wrapper, say)."""
        ref = self.ref
        return SitePage(
            path=ref.path,
            kind=ref.kind,
            content=self.content,
            title=ref.title,
            in_nav=ref.in_nav,
            toc=self.toc,
            head=ref.head,
            lang=ref.lang,
        )
