"""Group commit for the ledger: many concurrent acceptances, one transaction per batch.

Every ledger append takes the chain lock (on SQLite until its commit is durable), so one
transaction per acceptance caps a database at one lock turn, and on SQLite one fsync, per
record.
:class:`GroupCommit` lets the callers of one process share commits: a writer thread takes
whatever requests are waiting, records them with :func:`~publisher.store.ledger.
record_acceptances` (one lock, one commit) and only then answers each caller. Nothing is
acknowledged before its commit, and the order between processes is still decided by the
database's lock, so this is an optimisation, not state: a process that dies loses only
requests that were never answered.

On PostgreSQL the chain lock is released before the commit is flushed (see
:mod:`publisher.store.pg_append`): the writer hands each committed batch to a flusher thread,
which makes it durable (:func:`~publisher.store.pg_append.make_durable`) and only then answers
its callers, while the writer links the next batch. The flushes of several batches, and of
several processes, overlap on the server.

The writer survives any exception: a batch that fails is retried one request at a time, so a
request the driver cannot encode fails alone; an unexpected error fails that batch's waiters
with :class:`WriteFailed` and the writer takes the next batch. Should the thread die all the
same (a ``BaseException``), or hang in one commit for longer than ``stuck_after`` seconds,
:meth:`GroupCommit.healthy` says so (``/readyz`` fails) and new requests are refused at once
with :class:`WriterUnavailable` instead of waiting forever.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from publisher.errors import PublisherError
from publisher.store.db import Database
from publisher.store.ledger import AcceptanceRequest, Recorded, record_acceptances
from publisher.store.models import utcnow
from publisher.store.pg_append import make_durable

_log = logging.getLogger(__name__)

MAX_BATCH = 256
"""The most acceptances one transaction records."""

LINGER_POSTGRESQL = 0.002
"""Seconds the writer waits, after taking a request, for more to join its batch (PostgreSQL).
Each batch costs the database a fixed few statements (shown facts, checks, link, flush);
under load, waiting two milliseconds makes batches larger and the database's work per
record smaller, which on a machine whose cores the database shares is what limits the rate
(issue 19, two processes, quiet 2-core machine: no wait 1,465, 1 ms 1,563–1,841, 2 ms
1,689–1,691 accepted POSTs/s, p99 about 16 ms). Idle, a request waits two milliseconds
more. SQLite: 0 (its batch is in process)."""

FLUSHERS = 4
"""Batches one process may have waiting for their flush at once (PostgreSQL)."""

STUCK_AFTER = 30.0
"""Seconds one commit may take before the writer counts as stuck (``/readyz`` fails)."""


class WriterError(PublisherError):
    """The ledger writer could not record a request (not the request's own fault)."""


class WriteFailed(WriterError):
    """An unexpected error while recording this request's batch (HTTP 500)."""


class WriterUnavailable(WriterError):
    """The writer thread is dead: nothing can be recorded by this process (HTTP 503)."""


@dataclass(frozen=True)
class BatchPrepare:
    """A ``prepare`` whose read is done once for every request of a batch that carries the
    same ``run``: ``run`` gets each one's ``arg`` and request, in order, and returns each
    one's completed request or the exception that is its outcome alone (on PostgreSQL one
    round trip for the batch instead of one per request)."""

    run: Callable[[list[tuple[Any, AcceptanceRequest]]], list[AcceptanceRequest | Exception]]
    arg: Any


Prepare = Callable[[AcceptanceRequest], AcceptanceRequest] | BatchPrepare
"""Completes a request from what the store holds (see :meth:`GroupCommit.submit`)."""


def _each(
    items: list[tuple[Callable[[AcceptanceRequest], AcceptanceRequest], AcceptanceRequest]],
) -> list[AcceptanceRequest | Exception]:
    """A plain ``prepare`` as a :class:`BatchPrepare`: each request's own, one at a time."""
    done: list[AcceptanceRequest | Exception] = []
    for prepare, request in items:
        try:
            done.append(prepare(request))
        except Exception as error:
            done.append(error)
    return done


@dataclass
class _Item:
    request: AcceptanceRequest
    prepare: BatchPrepare | None = None
    future: Future[Recorded] = field(default_factory=Future)


_STOP = object()


class GroupCommit:
    """Records acceptances for concurrent callers, batching them into shared transactions."""

    def __init__(
        self,
        database: Database,
        *,
        max_batch: int = MAX_BATCH,
        now: Callable[[], datetime] = utcnow,
        stuck_after: float = STUCK_AFTER,
        linger: float | None = None,
    ) -> None:
        self.database = database
        self.max_batch = max_batch
        self.linger = (
            linger
            if linger is not None
            else LINGER_POSTGRESQL
            if database.dialect == "postgresql"
            else 0.0
        )
        """Seconds to wait after the first request of a batch for more (see
        :data:`LINGER_POSTGRESQL`)."""
        self.now = now
        self.stuck_after = stuck_after
        self._busy_since: float | None = None
        self._dead = False
        self._queue: queue.SimpleQueue[_Item | object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._flushers: ThreadPoolExecutor | None = (
            ThreadPoolExecutor(FLUSHERS, thread_name_prefix="publisher-ledger-flush")
            if database.dialect == "postgresql"
            else None
        )
        self.batches = 0
        """How many transactions were committed (for tests and tuning)."""

    def submit(
        self, request: AcceptanceRequest, *, prepare: Prepare | None = None
    ) -> Future[Recorded]:
        """Queue ``request``; the future resolves after its transaction committed.

        ``prepare``, when given, is called with ``request`` in the writer thread just before
        its batch is recorded, and its result recorded instead: a read that completes the
        request (on SQLite a few microseconds in process) is done there rather than in a
        thread of its own for every request. An exception it raises is this request's
        outcome alone. A :class:`BatchPrepare` is run once for all the requests of a batch
        that carry the same one (a read that is a round trip: one for the batch)."""
        if prepare is not None and not isinstance(prepare, BatchPrepare):
            prepare = BatchPrepare(_each, prepare)
        item = _Item(request, prepare)
        self._ensure_started()
        if self._dead:
            item.future.set_exception(
                WriterUnavailable(
                    "the ledger writer of this process stopped",
                    hint="restart the service (its /readyz fails)",
                )
            )
            return item.future
        self._queue.put(item)
        return item.future

    def state(self) -> str:
        """``ok`` (idle or committing), ``stuck`` (one commit longer than ``stuck_after``)
        or ``dead`` (the thread ended without being closed)."""
        if self._dead:
            return "dead"
        busy_since = self._busy_since
        if busy_since is not None and time.monotonic() - busy_since > self.stuck_after:
            return "stuck"
        return "ok"

    def healthy(self) -> bool:
        return self.state() == "ok"

    def join_dead(self, timeout: float) -> None:
        """Wait until the writer thread has ended (for tests of a dead writer)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def record(self, request: AcceptanceRequest) -> Recorded:
        """Record and wait (raises the request's own error, e.g. NotFoundError)."""
        return self.submit(request).result()

    def close(self) -> None:
        """Finish the queued requests and stop the writer thread."""
        with self._start_lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(_STOP)
            thread.join()
        if self._flushers is not None:
            self._flushers.shutdown(wait=True)

    def _ensure_started(self) -> None:
        if self._thread is not None:
            return
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="publisher-ledger-writer", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        try:
            self._serve()
        except BaseException:
            self._dead = True
            _log.critical(
                "the ledger writer stopped; this process records nothing more", exc_info=True
            )
            self._fail_queued()

    def _fail_queued(self) -> None:
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, _Item) and not item.future.done():
                item.future.set_exception(
                    WriterUnavailable(
                        "the ledger writer of this process stopped",
                        hint="restart the service (its /readyz fails)",
                    )
                )

    def _serve(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            deadline = time.monotonic() + self.linger
            while len(batch) < self.max_batch:
                try:
                    left = deadline - time.monotonic()
                    item = self._queue.get(timeout=left) if left > 0 else self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stopping = True
                    break
                batch.append(item)
            items = [i for i in batch if isinstance(i, _Item)]
            self._busy_since = time.monotonic()
            try:
                self._commit(items)
            except BaseException as error:
                self._fail(items, error)
                raise
            finally:
                self._busy_since = None

    def _commit(self, batch: list[_Item]) -> None:
        self._prepare(batch)
        batch = [item for item in batch if not item.future.done()]  # not failed preparing
        if not batch:
            return
        try:
            outcomes = record_acceptances(
                self.database,
                [i.request for i in batch],
                now=self.now,
                flush=self._flushers is None,
            )
        except Exception as error:
            if len(batch) > 1:
                # Do not let one request's error fail the others: one by one.
                for item in batch:
                    self._commit([item])
                return
            if isinstance(error, SQLAlchemyError | PublisherError | OSError | ValueError):
                batch[0].future.set_exception(error)  # the database's or the request's own
            else:
                failed = WriteFailed(
                    f"the acceptance could not be recorded: {type(error).__name__}: {error}"
                )
                failed.__cause__ = error
                batch[0].future.set_exception(failed)
            return
        self.batches += 1
        if self._flushers is not None and any(isinstance(o, Recorded) for o in outcomes):
            self._flushers.submit(self._flush_and_answer, batch, outcomes)
        else:
            self._answer(batch, outcomes)

    @staticmethod
    def _prepare(batch: list[_Item]) -> None:
        """Run each :class:`BatchPrepare` once for all the items that carry it (once each):
        an item it failed gets its exception, the others their completed request."""
        groups: dict[Any, list[tuple[_Item, BatchPrepare]]] = {}
        for item in batch:
            if item.prepare is not None:
                groups.setdefault(item.prepare.run, []).append((item, item.prepare))
                item.prepare = None
        for run, carriers in groups.items():
            try:
                results = run([(prepare.arg, item.request) for item, prepare in carriers])
            except Exception as error:
                results = [error] * len(carriers)
            for (item, _), result in zip(carriers, results, strict=True):
                if isinstance(result, Exception):
                    item.future.set_exception(result)
                else:
                    item.request = result

    def _flush_and_answer(
        self, batch: list[_Item], outcomes: Sequence[Recorded | PublisherError]
    ) -> None:
        try:
            make_durable(self.database)
        except Exception as error:  # committed, maybe not durable: the client tries again
            self._fail(batch, error)
            return
        self._answer(batch, outcomes)

    @staticmethod
    def _answer(batch: list[_Item], outcomes: Sequence[Recorded | PublisherError]) -> None:
        for item, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, PublisherError):
                item.future.set_exception(outcome)
            else:
                item.future.set_result(outcome)

    @staticmethod
    def _fail(batch: list[_Item], error: BaseException) -> None:
        for item in batch:
            if not item.future.done():
                failed = WriteFailed(
                    f"the acceptance could not be recorded: {type(error).__name__}: {error}"
                )
                failed.__cause__ = error
                item.future.set_exception(failed)
