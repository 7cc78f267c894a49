"""The outbox: a resumable, never-twice send loop over a notice's delivery rows.

Every (notice, customer) has one row, unique. A run:

1. takes the notice's **send lock** (``notices.sender``: host, pid and a token, with a
   heartbeat), so two ``notice send`` processes never work on the same notice; a lock whose
   process is gone (same host, pid dead) or silent for longer than the lease is taken over
   (:mod:`publisher.notices.sendlock`);
2. **recovers** rows left in ``sending`` by a run that died: their batch was handed to the
   mailer and its outcome is unknown, so they become ``unknown`` — never re-sent blindly —
   unless the mailer can look (the folder mailer sees which files exist);
3. **claims** a batch (≤ the mailer's limit, one recipient group) by moving its rows
   ``queued → sending`` with a new batch id in one transaction, *before* calling the mailer;
4. **records** the mailer's answer per row: ``sent`` (with the message id), ``failed`` (the
   error is kept; 4xx), back to ``queued`` (429/5xx/no connection: certainly not sent; retried
   with exponential backoff and jitter, honouring the provider's rate-limit reset, up to
   ``max_attempts`` per row) or ``unknown`` (a timeout after the request was written).

A crash or Ctrl-C at any point loses nothing: run the same command again. Memory stays flat:
rows are read one batch at a time and each group's email is rendered once.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from typing import Any, Protocol

from publisher.notices.campaign import get_notice
from publisher.notices.mailers.base import Batch, BatchResult, Mailer
from publisher.notices.outbox_rows import (
    Renderer,
    claim,
    queued_groups,
    record,
    recover,
    refresh_status,
    release,
    requeue_failed,
    state_counts,
)
from publisher.notices.sendlock import heartbeat, send_lock
from publisher.notices.states import SETTLED, State
from publisher.store.db import Database
from publisher.store.models import utcnow

__all__ = [
    "Progress",
    "RateLimiter",
    "Renderer",
    "SendOptions",
    "SendReport",
    "backoff",
    "claim",
    "queued_groups",
    "record",
    "recover",
    "refresh_status",
    "release",
    "requeue_failed",
    "send_notice",
    "state_counts",
]


class Progress(Protocol):
    """Receives what a run does (the CLI draws a progress bar from it)."""

    def start(self, total: int, done: int) -> None: ...

    def advance(self, outcome: State, count: int) -> None: ...

    def waiting(self, seconds: float, reason: str) -> None: ...


class _Quiet:
    def start(self, total: int, done: int) -> None:
        pass

    def advance(self, outcome: State, count: int) -> None:
        pass

    def waiting(self, seconds: float, reason: str) -> None:
        pass


@dataclass(frozen=True)
class SendOptions:
    """How a run sends. ``rate`` is recipients per second (None: as fast as the provider
    takes them); ``batch_size`` caps the mailer's own limit."""

    rate: float | None = None
    batch_size: int | None = None
    retry_failed: bool = False
    max_attempts: int = 8
    """Attempts per row before a retryable error becomes ``failed``."""
    backoff_base: float = 1.0
    backoff_cap: float = 60.0
    max_wait: float = 300.0
    """The longest rate-limit wait honoured; a longer reset stops the run (resume later)."""
    lease: float = 120.0
    """Seconds without a heartbeat after which another process may take the send lock."""
    max_failed_batches: int = 3
    """Consecutive batches refused outright before the run stops (a systematic error)."""
    max_unavailable: int = 4
    """Consecutive attempts the provider took none of (5xx, no connection) before the run
    stops with the rows still queued (an outage: resume later)."""
    max_throttled: int = 50
    """Consecutive rate-limited answers before the run stops (resume later)."""


@dataclass
class SendReport:
    """What one run did, and the notice's counts afterwards."""

    notice_id: int
    sent: int = 0
    failed: int = 0
    unknown: int = 0
    retried: int = 0
    recovered: dict[str, int] = field(default_factory=dict)
    """Rows found ``sending`` at the start, by what they became (unknown, sent, queued)."""
    requeued_failed: int = 0
    batches: int = 0
    """Batches that settled at least one row (sent, failed or unknown); an attempt whose
    every row went back to the queue (a retry, a connection that failed) is not one."""
    topped_up: int = 0
    aborted: str | None = None
    counts: dict[State, int] = field(default_factory=dict)
    elapsed: float = 0.0

    @property
    def complete(self) -> bool:
        """Nothing left to send (rows may still be failed or unknown)."""
        return not self.counts.get(State.QUEUED) and not self.counts.get(State.SENDING)

    def to_dict(self) -> dict[str, Any]:
        return {
            "notice": self.notice_id,
            "sent": self.sent,
            "failed": self.failed,
            "unknown": self.unknown,
            "retried": self.retried,
            "recovered": self.recovered,
            "requeued_failed": self.requeued_failed,
            "batches": self.batches,
            "topped_up": self.topped_up,
            "aborted": self.aborted,
            "counts": self.counts,
            "complete": self.complete,
            "elapsed_seconds": round(self.elapsed, 3),
        }


# ------------------------------------------------------------------------------ pacing


class RateLimiter:
    """At most ``rate`` recipients per second, on average (None: no limit).

    The send loop waits for its turn *before* it claims a batch and spends the batch's
    share after: a crash while waiting then leaves nothing claimed (no batch of unknown
    outcome for rows that were never handed to the mailer)."""

    def __init__(
        self, rate: float | None, *, clock: Callable[[], float], sleep: Callable[[float], None]
    ) -> None:
        self.rate = rate
        self._clock = clock
        self._sleep = sleep
        self._next = clock()

    def wait_turn(self) -> None:
        """Sleep until the next batch may go."""
        if not self.rate:
            return
        now = self._clock()
        if self._next > now:
            self._sleep(self._next - now)

    def spend(self, count: int) -> None:
        """Account for ``count`` recipients just handed to the mailer."""
        if self.rate:
            self._next = max(self._clock(), self._next) + count / self.rate


def backoff(streak: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with "equal jitter": half fixed, half random."""
    delay: float = min(cap, base * 2.0 ** max(0, streak - 1))
    return delay / 2 + rng.uniform(0, delay / 2)


# ------------------------------------------------------------------------------ the loop


def send_notice(
    database: Database,
    notice_id: int,
    mailer: Mailer,
    renderer: Renderer,
    *,
    sender: Address,
    reply_to: Address | None = None,
    options: SendOptions = SendOptions(),
    progress: Progress | None = None,
    now: Callable[[], datetime] = utcnow,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> SendReport:
    """Send (or resume sending) every queued row of the notice through ``mailer``.

    Returns when nothing is queued, or when the mailer asked to stop (``aborted``: bad
    credentials, a long rate-limit reset, repeated refusals). A KeyboardInterrupt leaves the
    outbox consistent (the batch in the mailer's hands becomes ``unknown``, a batch not yet
    handed over goes back to ``queued``) and is re-raised.
    """
    progress = progress or _Quiet()
    rng = rng or random.Random()
    notice = get_notice(database, notice_id)
    report = SendReport(notice_id)
    started = clock()
    size = max(1, min(mailer.max_batch, options.batch_size or mailer.max_batch))
    if options.rate:
        size = max(1, min(size, int(options.rate)))
    headers = {"X-Publisher-Notice": str(notice.id)}
    with send_lock(database, notice_id, lease=options.lease, now=now) as token:
        report.recovered = recover(database, notice, mailer, renderer)
        if options.retry_failed:
            report.requeued_failed = requeue_failed(database, notice_id)
        counts = state_counts(database, notice_id)
        total = sum(counts.values())
        progress.start(total, total - counts[State.QUEUED])
        limiter = RateLimiter(options.rate, clock=clock, sleep=sleep)
        streak = 0
        refused = 0
        throttled = 0
        unavailable = 0
        claimed: str | None = None
        in_flight = False
        try:
            for since, language, locales in queued_groups(database, notice_id, renderer):
                template = renderer.template(since, language)
                while report.aborted is None:
                    limiter.wait_turn()
                    claimed, rows = claim(
                        database, notice_id, since, size, token=token, now=now(), locales=locales
                    )
                    if not rows:
                        claimed = None
                        break
                    batch = Batch(
                        id=claimed,
                        notice_id=notice_id,
                        template=template,
                        recipients=tuple(
                            renderer.recipient(r.id, r.customer_id, r.email, r.name, r.on_behalf_of)
                            for r in rows
                        ),
                        sender=sender,
                        reply_to=reply_to,
                        headers=headers,
                    )
                    limiter.spend(len(rows))
                    in_flight = True
                    result = mailer.send(batch)
                    outcome = record(
                        database,
                        claimed,
                        rows,
                        result,
                        max_attempts=options.max_attempts,
                        now=now(),
                    )
                    in_flight = False
                    claimed = None
                    if outcome[State.QUEUED] < len(rows):
                        report.batches += 1
                    report.sent += outcome[State.SENT]
                    report.failed += outcome[State.FAILED]
                    report.unknown += outcome[State.UNKNOWN]
                    report.retried += outcome[State.QUEUED]
                    for state in SETTLED:
                        if outcome[state]:
                            progress.advance(state, outcome[state])
                    if result.abort:
                        report.aborted = result.abort
                        break
                    refused = refused + 1 if outcome[State.FAILED] == len(rows) else 0
                    if refused >= options.max_failed_batches:
                        report.aborted = (
                            f"{refused} batches in a row were refused; stopping "
                            f"(last error: {_first_error(result)})"
                        )
                        break
                    unavailable = unavailable + 1 if result.unavailable else 0
                    if unavailable >= options.max_unavailable:
                        report.aborted = (
                            f"the provider took none of {unavailable} requests in a row (last "
                            f"error: {_first_error(result)}); the rows stay queued: "
                            f"{mailer.unavailable_hint}"
                        )
                        break
                    throttled = throttled + 1 if result.retry_after is not None else 0
                    if throttled >= options.max_throttled:
                        report.aborted = (
                            f"rate-limited {throttled} times in a row; run the "
                            "same command again later to resume"
                        )
                        break
                    if outcome[State.QUEUED]:
                        streak += 1
                        wait = _wait_for(result, streak, options, rng)
                        if wait is None:
                            report.aborted = (
                                f"the provider asks to wait {result.retry_after:.0f} s "
                                f"(more than {options.max_wait:.0f} s); run the same command "
                                "again later to resume"
                            )
                            break
                        progress.waiting(wait, _first_error(result))
                        _sleep_with_heartbeat(
                            database,
                            notice_id,
                            token,
                            wait,
                            sleep=sleep,
                            now=now,
                            lease=options.lease,
                        )
                    else:
                        streak = 0
                if report.aborted is not None:
                    break
        except BaseException:
            if claimed is not None:
                if in_flight:
                    release(
                        database,
                        claimed,
                        state=State.UNKNOWN,
                        error=f"outcome unknown (batch {claimed}): interrupted while the "
                        "batch was with the mailer; settle with `publisher notice settle`",
                    )
                else:
                    release(
                        database, claimed, state=State.QUEUED, error="interrupted before sending"
                    )
            raise
        finally:
            report.counts = refresh_status(database, notice_id, now=now(), mailer=mailer.name)
            report.elapsed = clock() - started
    return report


def _first_error(result: BatchResult) -> str:
    for outcome in result.results.values():
        if outcome.error:
            return outcome.error
    return "not accepted"


def _wait_for(
    result: BatchResult, streak: int, options: SendOptions, rng: random.Random
) -> float | None:
    if result.retry_after is not None:
        if result.retry_after > options.max_wait:
            return None
        return result.retry_after + rng.uniform(0, min(1.0, options.backoff_base))
    return backoff(streak, base=options.backoff_base, cap=options.backoff_cap, rng=rng)


def _sleep_with_heartbeat(
    database: Database,
    notice_id: int,
    token: str,
    seconds: float,
    *,
    sleep: Callable[[float], None],
    now: Callable[[], datetime],
    lease: float,
) -> None:
    step = max(1.0, lease / 4)
    remaining = seconds
    while remaining > 0:
        chunk = min(step, remaining)
        sleep(chunk)
        remaining -= chunk
        if remaining > 0:
            with database.write() as connection:
                heartbeat(connection, notice_id, token, now())
