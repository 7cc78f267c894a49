"""The webhook outbox: one row per (endpoint, event), never lost, never duplicated.

**Queueing.** A notice delivery event is queued in the very transaction that records it
(:func:`enqueue_delivery_events`, called by :func:`publisher.notices.events.record_events`):
both commit or neither does. Acceptances are queued from the ledger itself
(:func:`enqueue_acceptances`): each endpoint keeps a cursor (``acceptance_seq``) and every
record with a higher ``seq`` is queued and the cursor moved in one transaction. The ledger's
``seq`` has no gaps and records commit in ``seq`` order (writers serialise on the chain head),
so a record can never be skipped; a crash before the commit leaves the cursor where it was.
The unique (endpoint, event id) constraint makes queueing the same event twice a no-op.

**Sending.** A dispatcher *claims* due rows (``pending`` and due, or ``sending`` with an
expired lease: their dispatcher died) by moving them to ``sending`` with its lease token and
a lease end, in one transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite writers are
serialised): two dispatchers never hold the same row. It then records each answer only while
it still holds the lease: 2xx → ``delivered``; anything else → ``pending`` again with an
exponential back-off, or ``failed`` after the last attempt.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from publisher.store.db import Database
from publisher.store.tables import (
    ACCEPTANCES,
    CHAIN_HEAD,
    DELIVERIES,
    WEBHOOK_DELIVERIES,
    WEBHOOK_ENDPOINTS,
)
from publisher.webhooks.events import (
    ACCEPTANCE,
    DELIVERY,
    acceptance_data,
    delivery_data,
    event_id,
    payload,
    subscribes,
)

ACCEPTANCE_BATCH = 500
"""Ledger records queued per transaction."""
_INSERT_CHUNK = 200
"""Rows per INSERT (SQLite caps the bound parameters of one statement)."""


class WebhookState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True)
class Claimed:
    """A row a dispatcher holds under its lease."""

    id: int
    event_id: str
    event_type: str
    payload: str
    attempts: int
    url: str
    secret: str


@dataclass(frozen=True)
class DeliveryEventIn:
    """A recorded mail-provider event about one outbox row of a notice."""

    provider_event_id: str
    event: str
    reason: str | None
    occurred_at: datetime
    delivery_id: int


def _insert_once(connection: Connection, rows: Sequence[dict[str, Any]]) -> int:
    if not rows:
        return 0
    module = postgresql if connection.dialect.name == "postgresql" else sqlite
    inserted = 0
    for start in range(0, len(rows), _INSERT_CHUNK):
        statement = (
            module.insert(WEBHOOK_DELIVERIES)
            .values(list(rows[start : start + _INSERT_CHUNK]))
            .on_conflict_do_nothing(index_elements=["endpoint_id", "event_id"])
            .returning(WEBHOOK_DELIVERIES.c.id)
        )
        inserted += len(connection.execute(statement).all())
    return inserted


def _row(endpoint_id: int, identifier: str, kind: str, body: str, now: datetime) -> dict[str, Any]:
    return {
        "event_id": identifier,
        "endpoint_id": endpoint_id,
        "event_type": kind,
        "payload": body,
        "state": WebhookState.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def enqueue_delivery_events(
    connection: Connection, events: Sequence[DeliveryEventIn], *, now: datetime
) -> int:
    """Queue a ``notice.delivery`` event per subscribed endpoint, on the caller's connection
    (inside its transaction); returns the rows queued. No endpoint: one cheap query."""
    if not events:
        return 0
    endpoints = [
        row.id
        for row in connection.execute(select(WEBHOOK_ENDPOINTS.c.id, WEBHOOK_ENDPOINTS.c.events))
        if subscribes(row.events, DELIVERY)
    ]
    if not endpoints:
        return 0
    ids = sorted({event.delivery_id for event in events})
    outbox = {
        row.id: row
        for row in connection.execute(
            select(
                DELIVERIES.c.id,
                DELIVERIES.c.notice_id,
                DELIVERIES.c.customer_id,
                DELIVERIES.c.email,
            ).where(DELIVERIES.c.id.in_(ids))
        )
    }
    rows = []
    for event in events:
        found = outbox.get(event.delivery_id)
        if found is None:
            continue
        identifier = event_id(DELIVERY, event.provider_event_id)
        body = payload(
            identifier,
            DELIVERY,
            now,
            delivery_data(
                provider_event_id=event.provider_event_id,
                event=event.event,
                reason=event.reason,
                occurred_at=event.occurred_at,
                delivery_id=found.id,
                notice_id=found.notice_id,
                customer_id=found.customer_id,
            ),
        )
        rows += [_row(endpoint, identifier, DELIVERY, body, now) for endpoint in endpoints]
    return _insert_once(connection, rows)


def enqueue_acceptances(database: Database, *, now: datetime, batch: int = ACCEPTANCE_BATCH) -> int:
    """Queue an ``acceptance.created`` event for every ledger record past each subscribed
    endpoint's cursor; returns the rows queued. Safe to run from many processes at once.
    Nothing new (the usual case between acceptances) costs one read, no write lock."""
    with database.read() as connection:
        cursors = [
            row.acceptance_seq
            for row in connection.execute(
                select(WEBHOOK_ENDPOINTS.c.events, WEBHOOK_ENDPOINTS.c.acceptance_seq)
            )
            if subscribes(row.events, ACCEPTANCE)
        ]
        head = connection.execute(select(CHAIN_HEAD.c.seq).where(CHAIN_HEAD.c.id == 1)).scalar()
    if not cursors or head is None or head <= min(cursors):
        return 0
    queued = 0
    while True:
        with database.write() as connection:
            endpoints = [
                row
                for row in connection.execute(
                    select(
                        WEBHOOK_ENDPOINTS.c.id,
                        WEBHOOK_ENDPOINTS.c.events,
                        WEBHOOK_ENDPOINTS.c.acceptance_seq,
                    )
                    .order_by(WEBHOOK_ENDPOINTS.c.id)
                    .with_for_update()
                )
                if subscribes(row.events, ACCEPTANCE)
            ]
            if not endpoints:
                return queued
            lowest = min(row.acceptance_seq for row in endpoints)
            records = list(
                connection.execute(
                    select(ACCEPTANCES)
                    .where(ACCEPTANCES.c.seq > lowest)
                    .order_by(ACCEPTANCES.c.seq)
                    .limit(batch)
                )
            )
            if not records:
                return queued
            rows = []
            for endpoint in endpoints:
                mine = [r for r in records if r.seq > endpoint.acceptance_seq]
                if not mine:
                    continue
                for record in mine:
                    identifier = event_id(ACCEPTANCE, record.hash)
                    body = payload(identifier, ACCEPTANCE, now, acceptance_data(record))
                    rows.append(_row(endpoint.id, identifier, ACCEPTANCE, body, now))
                connection.execute(
                    update(WEBHOOK_ENDPOINTS)
                    .where(WEBHOOK_ENDPOINTS.c.id == endpoint.id)
                    .values(acceptance_seq=mine[-1].seq)
                )
            queued += _insert_once(connection, rows)
            if len(records) < batch:
                return queued


def new_token() -> str:
    return secrets.token_hex(16)


def claim(
    database: Database, *, token: str, size: int, lease: float, now: datetime
) -> list[Claimed]:
    """Take up to ``size`` due rows of enabled endpoints under ``token`` until
    ``now + lease``; counts an attempt for each."""
    due = or_(
        and_(
            WEBHOOK_DELIVERIES.c.state == WebhookState.PENDING,
            WEBHOOK_DELIVERIES.c.next_attempt_at <= now,
        ),
        and_(
            WEBHOOK_DELIVERIES.c.state == WebhookState.SENDING,
            WEBHOOK_DELIVERIES.c.lease_until < now,
        ),
    )
    enabled = select(WEBHOOK_ENDPOINTS.c.id).where(WEBHOOK_ENDPOINTS.c.enabled.is_(True))
    chosen = (
        select(WEBHOOK_DELIVERIES.c.id)
        .where(due, WEBHOOK_DELIVERIES.c.endpoint_id.in_(enabled))
        .order_by(WEBHOOK_DELIVERIES.c.next_attempt_at, WEBHOOK_DELIVERIES.c.id)
        .limit(size)
        .with_for_update(skip_locked=True)
    )
    with database.write() as connection:
        ids = list(connection.execute(chosen).scalars())
        if not ids:
            return []
        connection.execute(
            update(WEBHOOK_DELIVERIES)
            .where(WEBHOOK_DELIVERIES.c.id.in_(ids))
            .values(
                state=WebhookState.SENDING,
                lease_token=token,
                lease_until=now + timedelta(seconds=lease),
                attempts=WEBHOOK_DELIVERIES.c.attempts + 1,
            )
        )
        rows = connection.execute(
            select(
                WEBHOOK_DELIVERIES.c.id,
                WEBHOOK_DELIVERIES.c.event_id,
                WEBHOOK_DELIVERIES.c.event_type,
                WEBHOOK_DELIVERIES.c.payload,
                WEBHOOK_DELIVERIES.c.attempts,
                WEBHOOK_ENDPOINTS.c.url,
                WEBHOOK_ENDPOINTS.c.secret,
            )
            .join(WEBHOOK_ENDPOINTS, WEBHOOK_ENDPOINTS.c.id == WEBHOOK_DELIVERIES.c.endpoint_id)
            .where(WEBHOOK_DELIVERIES.c.id.in_(ids))
            .order_by(WEBHOOK_DELIVERIES.c.next_attempt_at, WEBHOOK_DELIVERIES.c.id)
        )
        return [Claimed(*row) for row in rows]


def _held(row_id: int, token: str) -> Any:
    return and_(
        WEBHOOK_DELIVERIES.c.id == row_id,
        WEBHOOK_DELIVERIES.c.lease_token == token,
        WEBHOOK_DELIVERIES.c.state == WebhookState.SENDING,
    )


def record_answer(
    database: Database,
    row: Claimed,
    *,
    token: str,
    status: int | None,
    error: str | None,
    retry_at: datetime | None,
    now: datetime,
) -> WebhookState | None:
    """Write one attempt's outcome (``retry_at`` None: no retry left); returns the row's new
    state, or None when the lease was lost meanwhile (another dispatcher took the row)."""
    if status is not None and 200 <= status < 300:
        state = WebhookState.DELIVERED
        values: dict[str, Any] = {"delivered_at": now, "last_error": None}
    elif retry_at is None:
        state = WebhookState.FAILED
        values = {"last_error": f"gave up after {row.attempts} attempts: {error}"}
    else:
        state = WebhookState.PENDING
        values = {"last_error": error, "next_attempt_at": retry_at}
    values.update(state=state, last_status=status, lease_token=None, lease_until=None)
    with database.write() as connection:
        result = connection.execute(
            update(WEBHOOK_DELIVERIES).where(_held(row.id, token)).values(**values)
        )
    return state if result.rowcount else None


def release(database: Database, rows: Sequence[Claimed], *, token: str, error: str) -> int:
    """Give claimed rows not attempted back to ``pending`` (their attempt not counted)."""
    released = 0
    with database.write() as connection:
        for row in rows:
            result = connection.execute(
                update(WEBHOOK_DELIVERIES)
                .where(_held(row.id, token))
                .values(
                    state=WebhookState.PENDING,
                    attempts=WEBHOOK_DELIVERIES.c.attempts - 1,
                    lease_token=None,
                    lease_until=None,
                    last_error=error,
                )
            )
            released += int(result.rowcount or 0)
    return released


def retry_failed(database: Database, *, now: datetime, endpoint_id: int | None = None) -> int:
    """Give ``failed`` rows another round of attempts (attempts back to 0)."""
    where = [WEBHOOK_DELIVERIES.c.state == WebhookState.FAILED]
    if endpoint_id is not None:
        where.append(WEBHOOK_DELIVERIES.c.endpoint_id == endpoint_id)
    with database.write() as connection:
        result = connection.execute(
            update(WEBHOOK_DELIVERIES)
            .where(*where)
            .values(state=WebhookState.PENDING, attempts=0, next_attempt_at=now)
        )
        return int(result.rowcount or 0)


def state_counts(database: Database) -> dict[int, dict[str, int]]:
    """Rows per endpoint and state (every state present, zeros included)."""
    counts: dict[int, dict[str, int]] = {}
    with database.read() as connection:
        for endpoint in connection.execute(select(WEBHOOK_ENDPOINTS.c.id)).scalars():
            counts[endpoint] = dict.fromkeys(WebhookState, 0)
        for endpoint, state, count in connection.execute(
            select(
                WEBHOOK_DELIVERIES.c.endpoint_id, WEBHOOK_DELIVERIES.c.state, func.count()
            ).group_by(WEBHOOK_DELIVERIES.c.endpoint_id, WEBHOOK_DELIVERIES.c.state)
        ):
            counts.setdefault(endpoint, dict.fromkeys(WebhookState, 0))[state] = int(count)
    return counts


@dataclass(frozen=True)
class Problem:
    """A row that failed, or whose last attempt did."""

    endpoint_id: int
    event_id: str
    event_type: str
    state: str
    attempts: int
    last_status: int | None
    last_error: str | None
    next_attempt_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint_id,
            "event_id": self.event_id,
            "type": self.event_type,
            "state": self.state,
            "attempts": self.attempts,
            "last_status": self.last_status,
            "last_error": self.last_error,
            "next_attempt_at": self.next_attempt_at.isoformat(),
        }


def recent_problems(database: Database, *, limit: int = 10) -> list[Problem]:
    """The latest failed rows and rows waiting for a retry, newest first."""
    with database.read() as connection:
        rows = connection.execute(
            select(
                WEBHOOK_DELIVERIES.c.endpoint_id,
                WEBHOOK_DELIVERIES.c.event_id,
                WEBHOOK_DELIVERIES.c.event_type,
                WEBHOOK_DELIVERIES.c.state,
                WEBHOOK_DELIVERIES.c.attempts,
                WEBHOOK_DELIVERIES.c.last_status,
                WEBHOOK_DELIVERIES.c.last_error,
                WEBHOOK_DELIVERIES.c.next_attempt_at,
            )
            .where(WEBHOOK_DELIVERIES.c.last_error.is_not(None))
            .where(WEBHOOK_DELIVERIES.c.state != WebhookState.DELIVERED)
            .order_by(WEBHOOK_DELIVERIES.c.id.desc())
            .limit(limit)
        )
        return [Problem(*row) for row in rows]
