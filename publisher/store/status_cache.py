"""Status answers remembered between requests, each with the change mark it was read under.

The mark is the one row of ``status_marks`` (migration ``0013_status_marks``), which the
store's triggers move with every committed change to what a status answer reads
(customers, policy versions, acceptances, personal data) and with nothing else. An answer is
served from :class:`StatusCache` only while the mark it was stored under is still the mark
read for the request; so the mark must be read *before* the answer's rows (the answer is
then at least as new as its mark), and read again for every request, after the request
arrived (:class:`MarkReader`; the web service shares one read between the requests that
arrived before it started: :mod:`publisher.web.status_answers`).

Memory is bounded: at most ``size`` answers (setting ``status_cache_size``), the least
recently used evicted first; ``size`` 0 keeps nothing.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from publisher.store.db import SQLITE_BUSY_TIMEOUT_S, Database, StoreError
from publisher.store.status import CustomerPolicies

MARK_SQL = "SELECT mark FROM status_marks WHERE id = 1"

Key = tuple[str, tuple[str, ...]]
"""(customer, requested policies sorted and unique; empty for every policy)."""


def cache_key(customer: str, policies: Sequence[str]) -> Key:
    return customer, tuple(sorted(set(policies)))


@dataclass(frozen=True)
class CacheStats:
    size: int
    entries: int
    hits: int
    misses: int
    evictions: int


class StatusCache:
    """At most ``size`` answers by :func:`cache_key`, each valid under one mark (LRU).

    Thread-safe: the web service fills it from worker threads on PostgreSQL."""

    def __init__(self, size: int) -> None:
        if size < 0:
            raise ValueError(f"a cache size is 0 or more, not {size}")
        self.size = size
        self._entries: OrderedDict[Key, tuple[int, CustomerPolicies]] = OrderedDict()
        self._lock = threading.Lock()
        self._hits = self._misses = self._evictions = 0

    def get(self, key: Key, mark: int) -> CustomerPolicies | None:
        """The answer stored for ``key`` under ``mark`` (None: none, or under another mark)."""
        with self._lock:
            found = self._entries.get(key)
            if found is None or found[0] != mark:
                self._misses += 1
                return None
            self._entries.move_to_end(key)
            self._hits += 1
            return found[1]

    def put(self, key: Key, mark: int, answer: CustomerPolicies) -> None:
        """Remember ``answer``, read after ``mark`` was: the least recently used answer goes
        when the cache is full."""
        if not self.size:
            return
        with self._lock:
            self._entries[key] = (mark, answer)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
                self._evictions += 1

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(
                self.size, len(self._entries), self._hits, self._misses, self._evictions
            )


class MarkReader:
    """Reads the store's status mark, each call a fresh read of the latest commit.

    SQLite: one connection of its own (a local read of one row, microseconds, cheaper than a
    pool checkout), never used to write. PostgreSQL: the store's autocommit pool, one round
    trip."""

    def __init__(self, database: Database) -> None:
        self._lock = threading.Lock()
        self._sqlite: sqlite3.Connection | None = None
        self._database = database
        self.local = database.dialect == "sqlite"
        """True when a read is cheap enough to run on the event loop (SQLite)."""

    def read(self) -> int:
        if not self.local:
            return self._read_postgresql()
        with self._lock:
            if self._sqlite is None:
                self._sqlite = sqlite3.connect(
                    self._database.url.database or "",
                    timeout=SQLITE_BUSY_TIMEOUT_S,
                    isolation_level=None,  # each SELECT its own read of the newest commit
                    check_same_thread=False,  # the lock serialises it
                )
            row = self._sqlite.execute(MARK_SQL).fetchone()
        return _mark(row)

    def _read_postgresql(self) -> int:
        with self._database.autocommit_engine.connect() as connection:
            cursor = connection.connection.cursor()
            try:
                cursor.execute(MARK_SQL)
                return _mark(cursor.fetchone())
            finally:
                cursor.close()

    def close(self) -> None:
        with self._lock:
            if self._sqlite is not None:
                self._sqlite.close()
                self._sqlite = None


def _mark(row: Sequence[object] | None) -> int:
    if row is None:
        raise StoreError(
            "the store has no status mark (its status_marks table is empty)",
            hint="run `publisher db upgrade`; if it is at head, re-create the row with "
            "INSERT INTO status_marks (id, mark) VALUES (1, 0)",
        )
    value = row[0]
    assert isinstance(value, int)
    return value
