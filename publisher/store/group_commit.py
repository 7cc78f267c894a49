"""Group commit for the ledger: many concurrent acceptances, one transaction per batch.

Every ledger append holds the chain lock until its commit is durable, so one commit per
acceptance caps a database at one fsync per record (about 200 a second on an ordinary disk).
:class:`GroupCommit` lets the callers of one process share commits: a writer thread takes
whatever requests are waiting, records them with :func:`~publisher.store.ledger.
record_acceptances` (one lock, one commit) and only then answers each caller. Nothing is
acknowledged before its commit, and the order between processes is still decided by the
database's lock, so this is an optimisation, not state: a process that dies loses only
requests that were never answered.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError

from publisher.errors import PublisherError
from publisher.store.db import Database
from publisher.store.ledger import AcceptanceRequest, Recorded, record_acceptances
from publisher.store.models import utcnow

MAX_BATCH = 256
"""The most acceptances one transaction records."""


@dataclass
class _Item:
    request: AcceptanceRequest
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
    ) -> None:
        self.database = database
        self.max_batch = max_batch
        self.now = now
        self._queue: queue.SimpleQueue[_Item | object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self.batches = 0
        """How many transactions were committed (for tests and tuning)."""

    def submit(self, request: AcceptanceRequest) -> Future[Recorded]:
        """Queue ``request``; the future resolves after its transaction committed."""
        item = _Item(request)
        self._ensure_started()
        self._queue.put(item)
        return item.future

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
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stopping = True
                    break
                batch.append(item)
            self._commit([i for i in batch if isinstance(i, _Item)])

    def _commit(self, batch: list[_Item]) -> None:
        try:
            outcomes = record_acceptances(self.database, [i.request for i in batch], now=self.now)
        except (SQLAlchemyError, PublisherError, OSError) as error:
            if len(batch) > 1:
                # Do not let one request's database error fail the others: one by one.
                for item in batch:
                    self._commit([item])
                return
            batch[0].future.set_exception(error)
            return
        self.batches += 1
        for item, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, PublisherError):
                item.future.set_exception(outcome)
            else:
                item.future.set_result(outcome)
