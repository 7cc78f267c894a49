"""Status answers for ``GET /api/v1/status``: from the store's answer cache while the store's
status mark has not moved, else read (:func:`~publisher.store.status.read_status`) and
remembered (:mod:`publisher.store.status_cache`).

Freshness: every request is answered under a mark read that *started after the request
arrived*, so no answer is older than a commit (of any process) that finished before the
request came in. On SQLite each request reads the mark itself, on the event loop (a local
one-row read). On PostgreSQL a read is a round trip, so reads are shared
(:class:`SharedMark`): one read in flight serves every request that arrived before it
started; a request that arrives while a read is in flight waits for the next one, which
starts as soon as that read ends and serves everyone who arrived meanwhile. So under load
there is about one mark query per batch of concurrent requests, not one per request.
(LISTEN/NOTIFY would save even that query, but a notification arrives some time after the
commit, so an answer could be older than a commit that finished before its request.)

An answer keeps its rendered JSON too (:meth:`Answer.rendered`), re-rendered at most
:data:`RENDER_MAX_AGE_S` after it was made: its acceptance links are signed with the time
of rendering, so a link served from the cache is at most that much older than a fresh one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from publisher.store.db import Database
from publisher.store.reaccept import NotCached
from publisher.store.status import CustomerPolicies, read_status
from publisher.store.status_cache import MarkReader, StatusCache, cache_key

RENDER_MAX_AGE_S = 60.0
"""How long a cached answer's rendered body (with its signed links) is served."""


@dataclass
class Answer:
    """A status answer, and its response body once rendered (with when it was)."""

    policies: CustomerPolicies
    body: bytes | None = None
    rendered_at: float = 0.0

    def rendered(self, render: Callable[[CustomerPolicies], bytes], now: float) -> bytes:
        """The body ``render`` made of the answer, made again when older than
        :data:`RENDER_MAX_AGE_S` (``now``: a monotonic clock, in seconds)."""
        body = self.body
        if body is None or now - self.rendered_at > RENDER_MAX_AGE_S:
            body = render(self.policies)
            self.body, self.rendered_at = body, now
        return body


class SharedMark:
    """The mark from a read that started after the caller arrived, one read shared by every
    caller waiting for it."""

    def __init__(self, read: Callable[[], Awaitable[int]]) -> None:
        self._read = read
        self._loop: asyncio.AbstractEventLoop | None = None
        self._running: asyncio.Future[int] | None = None
        """The read in flight (started before anyone who arrives now)."""
        self._next: asyncio.Future[int] | None = None
        """The read that starts when the one in flight ends (for those who arrived since)."""
        self._task: asyncio.Task[None] | None = None
        self.reads = 0
        """How many reads were made (for tests and benchmarks)."""

    async def current(self) -> int:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new event loop (a test client's): nothing carries over
            self._loop, self._running, self._next, self._task = loop, None, None, None
        if self._running is None:
            self._running = loop.create_future()
            self._task = loop.create_task(self._check(self._running))
            waiting = self._running
        else:
            if self._next is None:
                self._next = loop.create_future()
            waiting = self._next
        return await asyncio.shield(waiting)  # one caller's cancellation is not everyone's

    async def _check(self, result: asyncio.Future[int]) -> None:
        while True:
            self.reads += 1
            try:
                value = await self._read()
            except asyncio.CancelledError:
                result.cancel()
                if self._next is not None:
                    self._next.cancel()
                self._running = self._next = None
                raise
            except Exception as error:  # every waiter gets it (e.g. the database is down)
                result.set_exception(error)
            else:
                result.set_result(value)
            if self._next is None:
                self._running = None
                return
            result, self._running, self._next = self._next, self._next, None


class StatusAnswers:
    """Answers of one store: the cache (``size`` answers) and how its mark is read."""

    def __init__(self, database: Database, engine: Engine, size: int) -> None:
        self.database = database
        self.engine = engine
        self.cache: StatusCache[Answer] = StatusCache(size)
        self.marks = MarkReader(database)
        self.shared = SharedMark(self.marks.read_in_thread)

    async def mark(self) -> int:
        """The store's status mark, read after the caller arrived."""
        if self.marks.local:
            return self.marks.read()
        return await self.shared.current()

    async def answer(self, customer: str, policies: Sequence[str]) -> Answer:
        """``customer``'s status for ``policies`` (NotFoundError as :func:`read_status`)."""
        if not self.cache.size:
            return Answer(await self._read(customer, policies))
        mark = await self.mark()  # before the rows, so the answer is at least this new
        key = cache_key(customer, policies)
        found = self.cache.get(key, mark)
        if found is not None:
            return found
        answer = Answer(await self._read(customer, policies))
        self.cache.put(key, mark, answer)
        return answer

    async def _read(self, customer: str, policies: Sequence[str]) -> CustomerPolicies:
        database, engine = self.database, self.engine
        try:
            if self.marks.local:  # a local file: faster inline than via a thread
                return read_status(database, customer, policies, diff=False, engine=engine)
            # a network round trip: never block the event loop on it
            return await run_in_threadpool(
                lambda: read_status(database, customer, policies, diff=False, engine=engine)
            )
        except NotCached:  # a pair of versions never compared in this process: diff it once
            return await run_in_threadpool(
                lambda: read_status(database, customer, policies, engine=engine)
            )

    def close(self) -> None:
        self.marks.close()
