"""On-disk cache of parsed documents, keyed by git blob sha.

A blob's content never changes, so a parsed :class:`~publisher.document.Document` is valid for
as long as the parser is the same: each entry records the parser version it was made with
(:data:`PARSER_VERSION`) and is ignored when that differs. Entries live in
``<dir>/documents/<blob[:2]>/<blob>.pkl``, are written atomically (a temporary file, then
``os.replace``), and a corrupt or unreadable entry is treated as missing and rewritten. The
cache is an optimisation only: failing to write it never fails a command.

The files are pickles: the cache directory must be writable only by the people who may run
code in the repository (it lives inside the repository, under ``.publisher/``).
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import pickle
import tempfile
from pathlib import Path

from publisher import __version__
from publisher.document import Document

log = logging.getLogger(__name__)


def _parser_version() -> str:
    """The parser's declared version (``publisher.markdown.PARSER_VERSION``, else the package
    version) plus a fingerprint of the modules that turn bytes into a Document and of mistune's
    version, so that any change to the parser invalidates the cache, declared or not."""
    import mistune

    from publisher import document, frontmatter, markdown

    declared = str(getattr(markdown, "PARSER_VERSION", __version__))
    digest = hashlib.sha256(f"mistune {getattr(mistune, '__version__', '?')}".encode())
    for module in (markdown, frontmatter, document):
        source = getattr(module, "__file__", None)
        if source:
            digest.update(Path(source).read_bytes())
    return f"{declared}+{digest.hexdigest()[:16]}"


#: What a cached document depends on besides the blob: the parser, and this cache's format.
PARSER_VERSION = _parser_version()
_FORMAT = 1


class DocumentCache:
    """Parsed documents by blob sha: in memory for this process, and on disk across runs."""

    def __init__(self, directory: Path | str | None, *, version: str = PARSER_VERSION) -> None:
        """``directory`` None keeps the cache in memory only."""
        self.directory = Path(directory) if directory is not None else None
        self.version = version
        self._memory: dict[str, Document] = {}

    def path(self, blob: str) -> Path | None:
        """Where the entry for ``blob`` lives on disk (None for a memory-only cache)."""
        if self.directory is None:
            return None
        return self.directory / "documents" / blob[:2] / f"{blob}.pkl"

    def memory(self, blob: str) -> Document | None:
        """The document of ``blob`` if this process already holds it (no disk access)."""
        return self._memory.get(blob)

    def get(self, blob: str) -> Document | None:
        """The cached document of ``blob``, or None (missing, stale, corrupt)."""
        doc = self._memory.get(blob)
        if doc is not None:
            return doc
        path = self.path(blob)
        if path is None:
            return None
        collecting = gc.isenabled()
        try:
            with path.open("rb") as fh:
                data = fh.read()
            gc.disable()  # unpickling builds many objects: skip needless collections (~25%)
            entry = pickle.loads(data)
        except FileNotFoundError:
            return None
        except Exception as exc:  # any unreadable entry (truncated, foreign, old) is a miss
            log.debug("ignoring unreadable cache entry %s: %s", path, exc)
            return None
        finally:
            if collecting:
                gc.enable()
        if not (
            isinstance(entry, tuple)
            and len(entry) == 4
            and entry[:3] == (_FORMAT, self.version, blob)
            and isinstance(entry[3], Document)
        ):
            return None
        self._memory[blob] = entry[3]
        return entry[3]

    def put(self, blob: str, doc: Document) -> None:
        """Remember ``doc`` as the parse of ``blob`` (in memory, and on disk if possible)."""
        self._memory[blob] = doc
        path = self.path(blob)
        if path is not None:
            data = pickle.dumps((_FORMAT, self.version, blob, doc), pickle.HIGHEST_PROTOCOL)
            _write_atomically(path, data)

    def __contains__(self, blob: str) -> bool:
        return self.get(blob) is not None

    def __len__(self) -> int:
        """Documents held in memory (for diagnostics)."""
        return len(self._memory)


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and ``os.replace`` (readers never
    see a partial entry). Failures are logged: the cache is an optimisation."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        log.warning("cannot write the document cache at %s: %s", path, exc)
