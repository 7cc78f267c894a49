"""Status answers remembered between requests, each with the change mark it was read under.

The mark is the one row of ``status_marks`` (migration ``0014_status_marks``), which the
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

import asyncio
import sqlite3
import threading
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from publisher.store.db import SQLITE_BUSY_TIMEOUT_S, Database, StoreError

MARK_SQL = "SELECT mark FROM status_marks WHERE id = 1"

V = TypeVar("V")

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


class StatusCache(Generic[V]):
    """At most ``size`` answers by :func:`cache_key`, each valid under one mark (LRU). An
    answer is whatever the caller keeps for a :class:`~publisher.store.status.CustomerPolicies`
    (the web service: the answer and its rendered response).

    Thread-safe: the web service fills it from worker threads on PostgreSQL."""

    def __init__(self, size: int) -> None:
        if size < 0:
            raise ValueError(f"a cache size is 0 or more, not {size}")
        self.size = size
        self._entries: OrderedDict[Key, tuple[int, V]] = OrderedDict()
        self._lock = threading.Lock()
        self._hits = self._misses = self._evictions = 0

    def get(self, key: Key, mark: int) -> V | None:
        """The answer stored for ``key`` under ``mark`` (None: none, or under another mark)."""
        with self._lock:
            found = self._entries.get(key)
            if found is None or found[0] != mark:
                self._misses += 1
                return None
            self._entries.move_to_end(key)
            self._hits += 1
            return found[1]

    def put(self, key: Key, mark: int, answer: V) -> None:
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

    SQLite (:meth:`read`): one connection of its own, a local read of one row (microseconds,
    cheaper than a pool checkout), never used to write. PostgreSQL (:meth:`read_in_thread`):
    one thread and one connection of its own, so a read is one round trip with no pool
    checkout, and the event loop never waits on the socket (measured: faster than an
    asynchronous connection on the loop, whose sends stall the loop on a busy machine);
    when that connection fails the read is made again through the store's pool (whose
    errors the service answers with 503).
    """

    def __init__(self, database: Database) -> None:
        self._lock = threading.Lock()
        self._database = database
        self.local = database.dialect == "sqlite"
        """True when a read is cheap enough to run on the event loop (SQLite)."""
        self._open = _Connections()
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="status-mark")
        weakref.finalize(self, self._open.close)  # an app dropped without its shutdown

    def read(self) -> int:
        """The mark, read now (blocking; any backend)."""
        if not self.local:
            return self._read_pooled()
        with self._lock:
            if self._open.sqlite is None:
                self._open.sqlite = sqlite3.connect(
                    self._database.url.database or "",
                    timeout=SQLITE_BUSY_TIMEOUT_S,
                    isolation_level=None,  # each SELECT its own read of the newest commit
                    check_same_thread=False,  # the lock serialises it
                )
            row = self._open.sqlite.execute(MARK_SQL).fetchone()
        return _mark(row)

    async def read_in_thread(self) -> int:
        """PostgreSQL: the mark, read now by this reader's own thread, on its own connection
        (one read at a time; the caller shares reads: :class:`SharedMark`)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, self._read_postgresql)

    def _read_postgresql(self) -> int:
        import psycopg

        try:
            connection = self._open.postgresql
            if connection is None or connection.closed:
                url = self._database.url.set(drivername="postgresql")
                connection = psycopg.Connection.connect(
                    url.render_as_string(hide_password=False), autocommit=True
                )
                self._open.postgresql = connection
            return _mark(connection.execute(MARK_SQL).fetchone())
        except psycopg.Error:  # reconnect next time; this time through the pool
            self._open.drop_postgresql()
            return self._read_pooled()

    def _read_pooled(self) -> int:
        with self._database.autocommit_engine.connect() as connection:
            cursor = connection.connection.cursor()
            try:
                cursor.execute(MARK_SQL)
                return _mark(cursor.fetchone())
            finally:
                cursor.close()

    def close(self) -> None:
        self._thread.shutdown(wait=True)
        with self._lock:
            self._open.close()


@dataclass
class _Connections:
    """The connections of a :class:`MarkReader` (apart, so a finaliser can close them)."""

    sqlite: sqlite3.Connection | None = None
    postgresql: Any = None  # psycopg.Connection (psycopg imported only for PostgreSQL)

    def drop_postgresql(self) -> None:
        if self.postgresql is not None:
            self.postgresql.close()
            self.postgresql = None

    def close(self) -> None:
        self.drop_postgresql()
        if self.sqlite is not None:
            self.sqlite.close()
            self.sqlite = None


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
