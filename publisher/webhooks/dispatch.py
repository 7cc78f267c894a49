"""The dispatcher: queue what the ledger has, then send every due delivery, signed.

:func:`dispatch_once` is one pass (``publisher webhooks dispatch``): queue new acceptances,
then claim due rows in small batches under a lease and POST each one until none is due.
:func:`watch` repeats passes (``--watch``, and the background thread of ``publisher web
--webhooks``). Any number of dispatchers may run at once, on any hosts: the claim decides who
sends what. A dispatcher killed mid-batch leaves its rows ``sending``; when the lease ends
another dispatcher (or the next run) sends them again with the same event id — delivery is
at least once, and the event id lets the receiver drop the repeat.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from publisher.background import Background, repeat
from publisher.store.db import Database
from publisher.store.models import utcnow
from publisher.webhooks import http
from publisher.webhooks.endpoints import Endpoint
from publisher.webhooks.events import PING, payload
from publisher.webhooks.outbox import (
    Claimed,
    WebhookState,
    claim,
    enqueue_acceptances,
    new_token,
    record_answer,
    release,
)
from publisher.webhooks.signature import EVENT_ID_HEADER, signature_header

EVENT_TYPE_HEADER = "Publisher-Event-Type"
ATTEMPT_HEADER = "Publisher-Attempt"

log = logging.getLogger("publisher.webhooks")

Poster = Callable[[str, bytes, dict[str, str]], http.Answer]


@dataclass(frozen=True)
class DispatchOptions:
    """How deliveries are sent and retried."""

    max_attempts: int = 10
    """Attempts per delivery before it becomes ``failed``."""
    timeout: float = 10.0
    """Seconds to wait for a receiver's answer."""
    batch_size: int = 20
    """Rows claimed at once."""
    concurrency: int = 4
    """Requests in flight at once (worker threads of one dispatcher)."""
    backoff_base: float = 30.0
    """Seconds before the first retry; doubled each attempt (with jitter)."""
    backoff_cap: float = 6 * 3600.0
    lease: float = 60.0
    """The least a claim is held for (longer when a batch may take longer to send)."""

    @property
    def effective_lease(self) -> float:
        rounds = -(-self.batch_size // max(1, self.concurrency))
        return max(self.lease, rounds * (self.timeout + 1.0) + 30.0)


@dataclass
class DispatchReport:
    """What one pass did."""

    queued: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    lost: int = 0
    """Answers not recorded: the lease had ended and another dispatcher had the row."""
    elapsed: float = 0.0
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "queued": self.queued,
            "delivered": self.delivered,
            "retried": self.retried,
            "failed": self.failed,
            "lost_leases": self.lost,
            "elapsed_seconds": round(self.elapsed, 3),
            "errors": self.errors[:20],
        }


def backoff(attempts: int, options: DispatchOptions, rng: random.Random) -> float:
    """Seconds before the next attempt after ``attempts``: doubling, "equal jitter"."""
    delay = min(options.backoff_cap, options.backoff_base * 2.0 ** max(0, attempts - 1))
    return delay / 2 + rng.uniform(0, delay / 2)


def headers(
    event_id: str, event_type: str, secret: str, body: bytes, attempt: int
) -> dict[str, str]:
    """The headers of one signed request (signed now)."""
    return {
        "Publisher-Signature": signature_header(secret, body),
        EVENT_ID_HEADER: event_id,
        EVENT_TYPE_HEADER: event_type,
        ATTEMPT_HEADER: str(attempt),
    }


def _default_poster(timeout: float) -> Poster:
    def poster(url: str, body: bytes, extra: dict[str, str]) -> http.Answer:
        return http.post(url, body, extra, timeout=timeout)

    return poster


def _send(row: Claimed, poster: Poster) -> http.Answer:
    body = row.payload.encode("utf-8")
    return poster(
        row.url, body, headers(row.event_id, row.event_type, row.secret, body, row.attempts)
    )


def _attempt(
    database: Database,
    row: Claimed,
    *,
    token: str,
    poster: Poster,
    options: DispatchOptions,
    rng: random.Random,
    now: Callable[[], datetime],
) -> tuple[WebhookState | None, http.Answer]:
    """Send one claimed row and record the answer (in a worker thread)."""
    answer = _send(row, poster)
    moment = now()
    retry_at = (
        None
        if row.attempts >= options.max_attempts
        else moment + timedelta(seconds=backoff(row.attempts, options, rng))
    )
    state = record_answer(
        database,
        row,
        token=token,
        status=answer.status,
        error=answer.error,
        retry_at=retry_at,
        now=moment,
    )
    return state, answer


def dispatch_once(
    database: Database,
    *,
    options: DispatchOptions = DispatchOptions(),
    now: Callable[[], datetime] = utcnow,
    poster: Poster | None = None,
    rng: random.Random | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> DispatchReport:
    """Queue new acceptances, then send every due delivery until none is due (a batch at a
    time, ``options.concurrency`` requests at once)."""
    started = time.monotonic()
    rng = rng or random.Random()
    poster = poster or _default_poster(options.timeout)
    report = DispatchReport(queued=enqueue_acceptances(database, now=now()))
    token = new_token()
    pool = ThreadPoolExecutor(max(1, options.concurrency), thread_name_prefix="webhook")
    try:
        while not should_stop():
            rows = claim(
                database,
                token=token,
                size=max(1, options.batch_size),
                lease=options.effective_lease,
                now=now(),
            )
            if not rows:
                break
            futures = {
                pool.submit(
                    _attempt,
                    database,
                    row,
                    token=token,
                    poster=poster,
                    options=options,
                    rng=rng,
                    now=now,
                ): row
                for row in rows
            }
            try:
                for future in as_completed(futures):
                    state, answer = future.result()
                    _tally(report, state, answer, futures[future])
            except BaseException:
                # Ctrl-C, or a bug: what was not answered goes back (sent again later with
                # the same event id: at least once)
                pool.shutdown(wait=False, cancel_futures=True)
                waiting = [row for future, row in futures.items() if not future.done()]
                release(database, waiting, token=token, error="dispatcher interrupted")
                raise
    finally:
        pool.shutdown(wait=True)
    report.elapsed = time.monotonic() - started
    return report


def _tally(
    report: DispatchReport, state: WebhookState | None, answer: http.Answer, row: Claimed
) -> None:
    if state is None:
        report.lost += 1
    elif state == WebhookState.DELIVERED:
        report.delivered += 1
    elif state == WebhookState.FAILED:
        report.failed += 1
    else:
        report.retried += 1
    if state != WebhookState.DELIVERED and answer.error:
        report.errors.append(f"{row.url}: {answer.error}")


def watch(
    database: Database,
    *,
    options: DispatchOptions = DispatchOptions(),
    interval: float = 5.0,
    stop: threading.Event | None = None,
    on_pass: Callable[[DispatchReport], None] | None = None,
    now: Callable[[], datetime] = utcnow,
) -> None:
    """Run passes every ``interval`` seconds until ``stop`` is set (or KeyboardInterrupt).

    A pass that fails (the database went away) is logged and the next one tried: the loop
    itself never dies of it."""
    repeat(
        lambda stopping: dispatch_once(
            database, options=options, now=now, should_stop=stopping.is_set
        ),
        interval=interval,
        stop=stop or threading.Event(),
        log=log,
        what="webhook dispatch pass",
        on_pass=on_pass,
    )


def background_dispatcher(
    database: Database, *, options: DispatchOptions = DispatchOptions(), interval: float = 5.0
) -> Background:
    """:func:`watch` in a daemon thread (for ``publisher web --webhooks``), not started."""
    return Background(
        "publisher-webhooks",
        lambda stop: watch(database, options=options, interval=interval, stop=stop),
    )


def send_ping(
    endpoint: Endpoint, *, timeout: float = 10.0, now: Callable[[], datetime] = utcnow
) -> tuple[str, http.Answer]:
    """POST a signed ``ping`` event to ``endpoint`` (not queued); returns its id and answer."""
    identifier = str(uuid.uuid4())
    body = payload(identifier, PING, now(), {"endpoint": endpoint.id, "url": endpoint.url})
    data = body.encode("utf-8")
    answer = http.post(
        endpoint.url, data, headers(identifier, PING, endpoint.secret, data, 1), timeout=timeout
    )
    return identifier, answer
