"""How ``publisher build`` writes the site: in place, only what changed.

mkdocs cleans the site folder and renders and rewrites every page on each build; for a
policy site with thousands of version and redline pages, after one commit almost all of
them come out byte for byte the same. :func:`written_in_place` skips the clean and the
identical writes and removes what the build no longer produces; :class:`Incremental` tells
mkdocs which pages it need not render at all.
"""

from __future__ import annotations

import filecmp
import gzip
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

from publisher.site_store import StoredPage

__all__ = ["Incremental", "QuietDirty", "Writes", "written_in_place"]

log = logging.getLogger("mkdocs.plugins.policies")


class Incremental:
    """Skips rendering the version, history and redline pages whose output cannot differ
    from the file the previous ``publisher build`` left in the site folder.

    A page's output depends on its own values (title, content, table of contents) and on
    everything around it: the configuration, the theme's files, the navigation, the policies'
    stylesheet. Each page gets a signature of all of these; a page whose signature is the one
    recorded after the previous successful build, and whose file is still there, is marked
    unmodified for mkdocs' dirty mode. A feed, JSON or Word file copied from the page store
    (``store``: its files are named by their content's digest) is left alone without being
    read when the previous build copied the same digest and the file in the site folder
    still has the size and mtime it had then. Every other file (the policies' own pages, the
    pages of docs_dir, the theme's templates, the search index) is built as usual. The
    signatures are saved only when the build succeeds.
    """

    def __init__(self, keep: Callable[[str], None]) -> None:
        self.keep = keep
        self.skipped = 0
        self._manifest: Path | None = None
        self._signatures: dict[str, str] = {}
        self._copies: dict[str, tuple[str, str]] = {}  # src_uri -> (digest, written file)

    def plan(
        self,
        config: MkDocsConfig,
        files: Files,
        pages: dict[str, StoredPage],
        cache_dir: Path | None,
        css: str,
        store: Path | None = None,
    ) -> None:
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
                source = file.abs_src_path
                if (
                    store is not None
                    and file.generated_by is not None
                    and source is not None
                    and Path(source).parent.parent == store
                ):
                    digest = os.path.basename(source)
                    self._copies[file.src_uri] = (digest, file.abs_dest_path)
                    if previous.get(file.src_uri) == _copied(digest, file.abs_dest_path):
                        file.is_modified = _never  # type: ignore[method-assign]
                        self.keep(file.abs_dest_path)
                continue
            signature = hashlib.sha256(
                repr((around, file.src_uri, page.title, page.ref.toc, page.digest)).encode()
            ).hexdigest()
            self._signatures[file.src_uri] = signature
            if (
                not page.in_nav
                and previous.get(file.src_uri) == signature
                and os.path.isfile(file.abs_dest_path)
            ):
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
            copies = {uri: _copied(*copy) for uri, copy in self._copies.items()}
            tmp.write_text(json.dumps({**self._signatures, **copies}), encoding="utf-8")
            os.replace(tmp, self._manifest)
        except OSError as exc:
            log.warning("cannot write %s: %s", self._manifest, exc)

    def forget(self) -> None:
        """After a failed build: the next one renders every page."""
        if self._manifest is not None:
            self._manifest.unlink(missing_ok=True)


def _copied(digest: str, path: str) -> str:
    """What the manifest records of a file copied from the page store: its digest, and
    the size and mtime of the copy in the site folder ("" when it is not there)."""
    try:
        stat = os.stat(path)
    except OSError:
        return ""
    return f"{digest}:{stat.st_size}:{stat.st_mtime_ns}"


def _always() -> bool:
    return True


def _never() -> bool:
    return False


def _surroundings(
    config: MkDocsConfig, files: Files, pages: dict[str, StoredPage], css: str
) -> str:
    """A signature of everything a page's output depends on besides its own values."""
    import mkdocs

    digest = hashlib.sha256(f"{mkdocs.__version__} {_package_version()}".encode())
    if config.config_file_path and os.path.isfile(config.config_file_path):
        # The built-in configuration lives in a new temporary folder each build: its path
        # is not part of what the pages depend on.
        folder = os.path.dirname(os.path.abspath(config.config_file_path))
        text = Path(config.config_file_path).read_bytes()
        digest.update(text.replace(folder.encode(), b"<config folder>"))
    theme = config.theme
    digest.update(
        repr(
            (
                config.site_url,
                config.site_name,
                config.use_directory_urls,
                [str(x) for x in config.extra_css],
                [str(x) for x in config.extra_javascript],
                theme.name,
                sorted((k, str(v)) for k, v in dict(theme).items()),
            )
        ).encode()
    )
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


class QuietDirty(logging.Filter):
    """Drops mkdocs' warning about dirty builds: ``publisher build`` decides page by page."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "'dirty' build" not in record.getMessage()


@dataclass
class Writes:
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


def _previous_files(site_dir: Path) -> list[str]:
    """The files of the site folder a build may replace or remove: like mkdocs' own clean,
    hidden top-level entries (``.git`` of a gh-pages checkout, ``.nojekyll``) are left alone.
    (``os.walk``: ``Path.rglob`` costs seconds on a site of 30,000 files.)"""
    if not site_dir.is_dir():
        return []
    found: list[str] = []
    for entry in os.scandir(site_dir):
        if entry.name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=False):
            for folder, _, names in os.walk(entry.path):
                found.extend(
                    path
                    for path in (os.path.join(folder, name) for name in names)
                    if os.path.isfile(path)
                )
        elif entry.is_file():
            found.append(entry.path)
    return found


@dataclass
class _Gzipped:
    """A gzip file of the previous build (``sitemap.xml.gz``, which mkdocs writes itself,
    with the build's time in its header): put back as it was when the new one holds the
    same text, so a build with nothing new leaves every file's bytes and mtime alone."""

    path: Path
    data: bytes
    text: bytes
    times: tuple[int, int]

    @classmethod
    def read(cls, path: Path) -> _Gzipped | None:
        try:
            data = path.read_bytes()
            stat = path.stat()
            return cls(path, data, gzip.decompress(data), (stat.st_atime_ns, stat.st_mtime_ns))
        except (OSError, EOFError, gzip.BadGzipFile):
            return None

    def restore(self) -> bool:
        try:
            data = self.path.read_bytes()
            if data != self.data and gzip.decompress(data) != self.text:
                return False
            if data != self.data:
                self.path.write_bytes(self.data)
            os.utime(self.path, ns=self.times)
        except (OSError, EOFError, gzip.BadGzipFile):
            return False
        return True


@contextmanager
def written_in_place(site_dir: Path) -> Iterator[Writes]:
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

    writes = Writes()
    kept = writes.kept
    started = time.time()
    before = _previous_files(site_dir)
    sitemap = _Gzipped.read(site_dir / "sitemap.xml.gz")
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
        if dirty and not self.is_modified():
            return  # the same as the previous build's (Incremental kept it)
        content = self._content
        if content is None:
            source = self.abs_src_path
            if (
                source is not None
                and os.path.isfile(self.abs_dest_path)
                and filecmp.cmp(source, self.abs_dest_path, shallow=False)
            ):
                kept.add(os.path.abspath(self.abs_dest_path))
                writes.unchanged += 1
                return
            writes.written += 1
            original_copy(self, dirty)
            return
        write_file(
            content.encode("utf-8") if isinstance(content, str) else content, self.abs_dest_path
        )

    def clean_directory(directory: str) -> None:
        pass

    utils.write_file, utils.clean_directory = write_file, clean_directory
    File.copy_file = copy_file  # type: ignore[method-assign]
    try:
        yield writes
    finally:
        utils.write_file, utils.clean_directory = original_write, original_clean
        File.copy_file = original_copy  # type: ignore[method-assign]
    if sitemap is not None and sitemap.restore():
        kept.add(os.path.abspath(sitemap.path))
        writes.unchanged += 1
    removed: list[Path] = []
    for path in before:
        try:
            if os.path.abspath(path) in kept or os.stat(path).st_mtime >= started:
                continue
            os.unlink(path)
            removed.append(Path(path))
        except OSError:
            continue
    writes.removed = len(removed)
    folders = {parent for p in removed for parent in p.parents if parent.is_relative_to(site_dir)}
    for folder in sorted(folders - {site_dir}, key=lambda p: len(p.parts), reverse=True):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
