"""The site's cache: change sets and what the pages need of each version and each redline
(:class:`SiteCache`, on disk under the ``cache_dir`` setting), and the digests of the code
those values depend on (:func:`diff_engine_version`, :func:`renderer_version`)."""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from publisher.cache import PARSER_VERSION, ValueCodec, dataclasses_of, write_atomically
from publisher.diff import Summary, model
from publisher.document import Clause
from publisher.pages import PolicyInfo, TocEntry, VersionInfo
from publisher.sanitize import SANITIZER_VERSION
from publisher.site_store import PageRef, PolicyPages

__all__ = [
    "PairRecord",
    "SiteCache",
    "VersionRecord",
    "cache_key",
    "diff_engine_version",
    "formats_version",
    "renderer_version",
]

log = logging.getLogger("publisher.site")


@dataclass(frozen=True)
class VersionRecord:
    """What the pages need of one version's text (cached by blob): the rendered body, its
    table of contents and the JSON of its clause tree."""

    body: str
    toc: tuple[TocEntry, ...]
    clauses_json: str


@dataclass(frozen=True)
class PairRecord:
    """What the pages need of one redline (cached by the two revisions and their labels): the
    change summary, the table of contents and redline HTML of both views (all changes, and
    material changes only) and the API's JSON."""

    summary: Summary
    toc: tuple[TocEntry, ...]
    redline: str
    material_toc: tuple[TocEntry, ...]
    material_redline: str
    api_json: str


def _sources_digest(paths: Iterable[Path], seed: str = "") -> str:
    digest = hashlib.sha256(seed.encode())
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@cache
def diff_engine_version() -> str:
    """What a cached change set depends on besides its blobs: the parser and the diff code."""
    package = Path(str(resources.files("publisher") / "diff"))
    return _sources_digest(sorted(package.glob("*.py")), PARSER_VERSION)


@cache
def renderer_version() -> str:
    """What cached page fragments depend on besides their inputs and the templates: the code
    that renders them."""
    package = Path(str(resources.files("publisher")))
    names = (
        "sanitize.py",
        "site.py",
        "site_builder.py",
        "site_cache.py",
        "site_model.py",
        "site_pages.py",
        "site_store.py",
        "site_versions.py",
        "templating.py",
        "urls.py",
    )
    sources = [package / n for n in names] + sorted((package / "pages").glob("*.py"))
    return _sources_digest(sources, SANITIZER_VERSION + diff_engine_version())


@cache
def formats_version() -> str:
    """What a cached Word redline depends on besides its change set: the formats code."""
    package = Path(str(resources.files("publisher") / "formats"))
    return _sources_digest(sorted(package.glob("*.py")), diff_engine_version())


class SiteCache:
    """Change sets and rendered fragments, in memory and on disk (``<dir>/site/``).

    Keys are hashes of everything the value depends on; entries are JSON (never pickles: see
    :class:`~publisher.cache.ValueCodec`), written atomically, and an unreadable entry is a
    miss. ``directory`` None keeps everything in memory; with a directory only the last
    :data:`MEMORY_ENTRIES` values used stay in memory (a change set is wanted again for its
    Word redline right after its pages), so a build's memory does not grow with the site.
    """

    MEMORY_ENTRIES = 8

    def __init__(self, directory: Path | str | None) -> None:
        self.directory = Path(directory) / "site" if directory is not None else None
        self._memory: OrderedDict[str, Any] = OrderedDict()
        self._kept: dict[str, Any] = {}
        """Values the JSON codec cannot store: in memory for the whole build."""

    def _remember(self, name: str, value: Any) -> None:
        memory = self._memory
        memory[name] = value
        if self.directory is not None:
            memory.move_to_end(name)
            while len(memory) > self.MEMORY_ENTRIES:
                memory.popitem(last=False)

    def _path(self, kind: str, key: str) -> Path | None:
        if self.directory is None:
            return None
        return self.directory / kind / key[:2] / key

    def get(self, kind: str, key: str) -> Any:
        memo = self._memory.get(f"{kind}/{key}") or self._kept.get(f"{kind}/{key}")
        if memo is not None:
            if self.directory is not None:
                self._memory.move_to_end(f"{kind}/{key}")
            return memo
        path = self._path(kind, key)
        if path is not None:
            try:
                with path.open("rb") as fh:
                    value = _codec().loads(fh.read())
            except FileNotFoundError:
                value = None
            except Exception as exc:  # truncated, foreign or old entry: a miss
                log.debug("ignoring unreadable cache entry %s: %s", path, exc)
                value = None
            if value is not None:
                self._remember(f"{kind}/{key}", value)
                return value
        return None

    def get_bytes(self, kind: str, key: str) -> bytes | None:
        """A file's bytes stored by :meth:`put_bytes` (on disk, not kept in memory: a .docx
        is read when its page is written, not held for the whole build)."""
        path = self._path(kind, key)
        if path is None:
            found = self._memory.get(f"{kind}/{key}")
            return found if isinstance(found, bytes) else None
        try:
            return path.read_bytes()
        except OSError:
            return None

    def has_bytes(self, kind: str, key: str) -> bool:
        path = self._path(kind, key)
        if path is None:
            return f"{kind}/{key}" in self._memory
        return path.is_file()

    def put_bytes(self, kind: str, key: str, data: bytes) -> None:
        path = self._path(kind, key)
        if path is None:
            self._memory[f"{kind}/{key}"] = data
            return
        write_atomically(path, data, what="the site cache")

    def put(self, kind: str, key: str, value: Any) -> None:
        path = self._path(kind, key)
        if path is None:
            self._memory[f"{kind}/{key}"] = value
            return
        self._remember(f"{kind}/{key}", value)
        try:
            data = _codec().dumps(value)
        except ValueError as exc:
            log.debug("keeping %s/%s in memory only: %s", kind, key, exc)
            self._kept[f"{kind}/{key}"] = value
            return
        write_atomically(path, data, what="the site cache")


@cache
def _codec() -> ValueCodec:
    """The classes the site cache stores."""
    return ValueCodec(
        [
            *dataclasses_of(model),
            Clause,
            TocEntry,
            VersionRecord,
            PairRecord,
            PolicyInfo,
            VersionInfo,
            PageRef,
            PolicyPages,
        ]
    )


def cache_key(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:40]
