"""What the history needs of each blob, kept on disk in one small file per parser version.

Listing policies and deriving their versions needs, per revision, only its front matter, body
hash and "Effective date:" line (a :class:`~publisher.history.versions.Head`), and for
unlabelled policies the fingerprint of what a reader sees and the first heading: a few hundred
bytes, against tens of kilobytes for a parsed document. The :class:`SummaryIndex` keeps these
by blob sha in ``<cache>/summaries/<key>.json``, so that a warm ``publisher list`` reads one
file instead of every blob (no ``cat-file``) and every cached document (no JSON decoding of
clause trees). It also remembers the answers of the copy check for added files (which file
of the parent commit, if any, a new file was copied from: ``git log --follow``'s question),
which otherwise reads every policy blob of the parent commit.

The key fingerprints everything a summary is computed by (the parser's version, this module
and the version rules), so a changed parser or rule makes a new index and the old one is
ignored. The file is plain JSON, written atomically; a corrupt, foreign or truncated file is
an empty index (it is rewritten at the end of the run). Concurrent runs each merge what is
on disk with what they found before writing: at worst an entry is computed again.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from publisher.cache import PARSER_VERSION, decode_meta, encode_meta, write_atomically
from publisher.history.versions import Head

log = logging.getLogger(__name__)


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
    """Summaries by blob sha, in memory and in one JSON file (None: memory only)."""

    def __init__(self, directory: Path | None) -> None:
        self.path = directory / "summaries" / f"{_key()}.json" if directory else None
        self._entries: dict[str, Summary] | None = None
        self._copies: dict[str, str | None] = {}
        self._dirty: dict[str, Summary] = {}
        self._dirty_copies: dict[str, str | None] = {}

    def _load(self) -> dict[str, Summary]:
        if self._entries is None:
            self._entries, self._copies = self._read()
        return self._entries

    def _read(self) -> tuple[dict[str, Summary], dict[str, str | None]]:
        if self.path is None:
            return {}, {}
        try:
            raw = json.loads(self.path.read_bytes())
            entries = {blob: _decode(value) for blob, value in raw["entries"].items()}
            copies = raw.get("copies", {})
            if not all(isinstance(v, str | None) for v in copies.values()):
                raise TypeError("not a copy source")
            return entries, copies
        except FileNotFoundError:
            return {}, {}
        except Exception as exc:  # any unreadable index is empty
            log.debug("ignoring unreadable summary index %s: %s", self.path, exc)
            return {}, {}

    def get(self, blob: str) -> Summary | None:
        return self._load().get(blob)

    def put(self, blob: str, summary: Summary) -> None:
        entries = self._load()
        if entries.get(blob) != summary:
            entries[blob] = summary
            self._dirty[blob] = summary

    def copy_source(self, key: str) -> tuple[bool, str | None]:
        """(known, source) of the copy check ``key`` names (see :func:`copy_key`)."""
        self._load()
        return key in self._copies, self._copies.get(key)

    def put_copy_source(self, key: str, source: str | None) -> None:
        self._load()
        self._copies[key] = self._dirty_copies[key] = source

    def __len__(self) -> int:
        return len(self._load())

    def save(self) -> None:
        """Write what this run added (merged with what is on disk now)."""
        if not (self._dirty or self._dirty_copies) or self.path is None:
            return
        merged, copies = self._read()
        merged.update(self._dirty)
        copies.update(self._dirty_copies)
        entries: dict[str, list[Any]] = {}
        for blob, summary in merged.items():
            try:
                entries[blob] = _encode(summary)
            except ValueError:  # a front matter value JSON cannot carry: memory only
                continue
        data = json.dumps(
            {"key": self.path.stem, "entries": entries, "copies": copies},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        write_atomically(self.path, data.encode("utf-8"), what="the summary index")
        self._dirty.clear()
        self._dirty_copies.clear()


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
