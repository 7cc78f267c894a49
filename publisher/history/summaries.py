"""What the history needs of each blob, kept on disk in one small SQLite file per parser
version, and read one blob at a time.

Listing policies and deriving their versions needs, per revision, only its front matter, body
hash and "Effective date:" line (a :class:`~publisher.history.versions.Head`), and for
unlabelled policies the fingerprint of what a reader sees and the first heading: a few hundred
bytes, against tens of kilobytes for a parsed document. The :class:`SummaryIndex` keeps these
by blob sha in ``<cache>/summaries/<key>.sqlite``, so that a warm ``publisher list`` reads
this file instead of every blob (no ``cat-file``) and every cached document (no JSON decoding
of clause trees). It also remembers the answers of the copy check for added files (which file
of the parent commit, if any, a new file was copied from: ``git log --follow``'s question),
which otherwise reads every policy blob of the parent commit.

Memory does not grow with the history: entries are looked up by key when asked for, the
most recently used :data:`MEMORY` of them are kept decoded, and new ones are written in
transactions of :data:`FLUSH` (and at :meth:`SummaryIndex.save`).

The key fingerprints everything a summary is computed by (the parser's version, this module
and the version rules), so a changed parser or rule makes a new index and the old one is
ignored. A corrupt or foreign file is an empty index (it is replaced); when the file cannot
be written the index lives in memory for the run. Concurrent runs write with SQLite's
locking: at worst an entry is computed twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from publisher.cache import PARSER_VERSION, decode_meta, encode_meta
from publisher.history.versions import Head

if TYPE_CHECKING:
    import sqlite3

log = logging.getLogger(__name__)

#: Decoded summaries kept in memory (the most recently used).
MEMORY = 4096
#: New entries written per transaction.
FLUSH = 1024
_SCHEMA = (
    "create table if not exists summary (blob text primary key, value text not null)",
    "create table if not exists copy (key text primary key, source text)",
)


def _key() -> str:
    from publisher.history import english_dates, versions

    digest = hashlib.sha256(PARSER_VERSION.encode())
    for source in (english_dates.__file__, versions.__file__, __file__):
        if source:
            digest.update(Path(source).read_bytes())
    return digest.hexdigest()[:20]


@dataclass(frozen=True)
class Summary:
    """One blob's head, and once a parse computed them its fingerprint and first heading
    (``title`` None with a fingerprint: the document has no heading)."""

    head: Head
    fingerprint: str | None = None
    title: str | None = None


class SummaryIndex:
    """Summaries by blob sha, in an SQLite file (``directory`` None: in memory only)."""

    def __init__(self, directory: Path | None) -> None:
        self.path = directory / "summaries" / f"{_key()}.sqlite" if directory else None
        self._db: sqlite3.Connection | None = None
        self._opened = False
        self._recent: OrderedDict[str, Summary] = OrderedDict()
        self._kept: dict[str, Summary] = {}  # memory only: not written, or not encodable
        self._dirty: dict[str, str] = {}  # blob -> encoded, not written yet
        self._copies: dict[str, str | None] = {}
        self._dirty_copies: dict[str, str | None] = {}

    # -- the file ------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection | None:
        if not self._opened:
            self._opened = True
            if self.path is not None:
                self._db = self._open(self.path)
        return self._db

    def _open(self, path: Path) -> sqlite3.Connection | None:
        import sqlite3

        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            for attempt in (1, 2):
                db = sqlite3.connect(path, timeout=30, isolation_level=None)
                try:
                    for statement in _SCHEMA:
                        db.execute(statement)
                    db.execute("select blob, value from summary limit 1").fetchall()
                    db.execute("select key, source from copy limit 1").fetchall()
                    return db
                except sqlite3.DatabaseError as exc:  # not SQLite, or damaged: replace it
                    db.close()
                    if attempt == 2:
                        raise
                    log.debug("replacing unreadable summary index %s: %s", path, exc)
                    path.unlink(missing_ok=True)
        except (OSError, sqlite3.Error) as exc:
            log.warning("cannot use the summary index at %s: %s", path, exc)
        return None

    @property
    def _memory_only(self) -> bool:
        return self.path is None or (self._opened and self._db is None)

    def _fail(self, exc: Exception) -> None:
        """A read or write failed: the rest of the run keeps summaries in memory."""
        log.warning("cannot use the summary index at %s: %s", self.path, exc)
        if self._db is not None:
            self._db.close()
        self._db = None
        for blob, encoded in self._dirty.items():
            self._kept[blob] = _decode(json.loads(encoded))
        self._dirty.clear()
        self._copies.update(self._dirty_copies)
        self._dirty_copies.clear()

    # -- summaries -----------------------------------------------------------------------

    def get(self, blob: str) -> Summary | None:
        found = self._recent.get(blob) or self._kept.get(blob)
        if found is not None:
            if blob in self._recent:
                self._recent.move_to_end(blob)
            return found
        if blob in self._dirty:
            return self._remember(blob, _decode(json.loads(self._dirty[blob])))
        return self.get_many([blob]).get(blob)

    def get_many(self, blobs: Iterable[str]) -> dict[str, Summary]:
        """The summaries of those of ``blobs`` the index has (one query per 500)."""
        found: dict[str, Summary] = {}
        missing: list[str] = []
        for blob in blobs:
            known = self._recent.get(blob) or self._kept.get(blob)
            if known is not None:
                found[blob] = known
            elif blob in self._dirty:
                found[blob] = self._remember(blob, _decode(json.loads(self._dirty[blob])))
            else:
                missing.append(blob)
        db = self._connection()
        if db is None or not missing:
            return found
        import sqlite3

        try:
            for start in range(0, len(missing), 500):
                chunk = missing[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = db.execute(
                    f"select blob, value from summary where blob in ({marks})",
                    chunk,
                ).fetchall()
                for blob, value in rows:
                    try:
                        found[blob] = self._remember(blob, _decode(json.loads(value)))
                    except Exception as exc:  # a damaged entry is a miss
                        log.debug("ignoring summary of %s: %s", blob, exc)
        except sqlite3.Error as exc:
            self._fail(exc)
        return found

    def _remember(self, blob: str, summary: Summary) -> Summary:
        self._recent[blob] = summary
        self._recent.move_to_end(blob)
        if len(self._recent) > MEMORY:
            self._recent.popitem(last=False)
        return summary

    def put(self, blob: str, summary: Summary) -> None:
        if self.get(blob) == summary:
            return
        self._remember(blob, summary)
        if self._memory_only:
            self._kept[blob] = summary
            return
        try:
            encoded = json.dumps(_encode(summary), ensure_ascii=False, separators=(",", ":"))
        except ValueError:  # a front matter value JSON cannot carry: memory only
            self._kept[blob] = summary
            return
        self._kept.pop(blob, None)
        self._dirty[blob] = encoded
        if len(self._dirty) >= FLUSH:
            self.save()

    # -- copy checks -------------------------------------------------------------------

    def copy_source(self, key: str) -> tuple[bool, str | None]:
        """(known, source) of the copy check ``key`` names (see :func:`copy_key`)."""
        if key in self._copies:
            return True, self._copies[key]
        db = self._connection()
        if db is None:
            return False, None
        import sqlite3

        try:
            row = db.execute("select source from copy where key = ?", (key,)).fetchone()
        except sqlite3.Error as exc:
            self._fail(exc)
            return False, None
        if row is None or not isinstance(row[0], str | None):
            return False, None
        return True, row[0]

    def put_copy_source(self, key: str, source: str | None) -> None:
        self._copies[key] = source
        if not self._memory_only:
            self._dirty_copies[key] = source
            if len(self._dirty_copies) >= FLUSH:
                self.save()

    @property
    def in_memory(self) -> int:
        """Entries held in memory now (decoded, or waiting to be written)."""
        return len(self._recent) + len(self._kept) + len(self._dirty)

    def __len__(self) -> int:
        db = self._connection()
        on_disk = db.execute("select count(*) from summary").fetchone()[0] if db else 0
        return int(on_disk) + len(self._dirty) + len(self._kept)

    def save(self) -> None:
        """Write what this run added and has not written yet (one transaction)."""
        if not (self._dirty or self._dirty_copies):
            return
        db = self._connection()
        if db is None:
            self._fail(OSError("the file cannot be opened"))
            return
        import sqlite3

        copies = dict(self._dirty_copies)
        try:
            with db:
                db.execute("begin immediate")
                db.executemany(
                    "insert or replace into summary (blob, value) values (?, ?)",
                    self._dirty.items(),
                )
                db.executemany(
                    "insert or replace into copy (key, source) values (?, ?)", copies.items()
                )
        except sqlite3.Error as exc:
            self._fail(exc)
            return
        for key in copies:
            self._copies.pop(key, None)  # on disk now: asked there again if needed
        self._dirty.clear()
        self._dirty_copies.clear()

    def close(self) -> None:
        """Write what is left and close the file."""
        self.save()
        if self._db is not None:
            self._db.close()
            self._db = None


def copy_key(path: str, blob: str, parent: Mapping[str, str]) -> str:
    """What decides whether an added file is a copy: its path and blob and the policy files
    (path and blob) of the parent commit."""
    digest = hashlib.sha256(f"{path}\0{blob}".encode())
    for name, sha in sorted(parent.items()):
        digest.update(f"\0{name}\0{sha}".encode())
    return digest.hexdigest()[:32]


def _encode(s: Summary) -> list[Any]:
    h = s.head
    return [
        encode_meta(h.meta),
        h.sha256,
        h.effective.isoformat() if h.effective is not None else None,
        s.fingerprint,
        s.title,
    ]


def _decode(data: Any) -> Summary:
    meta, sha256, effective, fingerprint, title = data
    if (
        not isinstance(sha256, str)
        or not isinstance(fingerprint, str | None)
        or not isinstance(title, str | None)
    ):
        raise TypeError("not a summary")
    head = Head(
        meta=decode_meta(meta),
        sha256=sha256,
        effective=date.fromisoformat(effective) if effective is not None else None,
    )
    return Summary(head=head, fingerprint=fingerprint, title=title)
