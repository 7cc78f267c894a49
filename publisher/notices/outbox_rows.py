"""The outbox's rows: claiming a batch, recording the mailer's answer, recovering and
settling rows, and the notice's status from them (:mod:`publisher.notices.outbox` runs the
loop over these). A recipient group is the customers who last accepted the same version and
whose email is in the same language (their locales, see :mod:`publisher.notices.languages`).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, func, or_, select, update

from publisher.notices.campaign import NoticeInfo
from publisher.notices.mailers.base import BatchResult, EmailTemplate, Mailer, Outcome, Recipient
from publisher.notices.sendlock import heartbeat
from publisher.notices.states import SETTLED, NoticeStatus, State
from publisher.store.db import Database
from publisher.store.tables import CUSTOMERS, DELIVERIES, NOTICES

_STATE_OF: dict[Outcome, State] = {
    "sent": State.SENT,
    "failed": State.FAILED,
    "retry": State.QUEUED,
    "unknown": State.UNKNOWN,
}
"""The row state a mailer's outcome for it leads to."""


class Renderer(Protocol):
    """What the outbox needs from :class:`publisher.notices.render.NoticeRenderer`: one
    template per recipient group and language."""

    def language_of(self, locale: str | None) -> str: ...

    def template(self, since: str | None, language: str | None = None) -> EmailTemplate: ...

    def recipient(
        self,
        delivery_id: int,
        customer_id: str,
        email: str,
        name: str,
        organisation: str | None = None,
    ) -> Recipient: ...


def new_batch_id(notice_id: int) -> str:
    """``<notice>-<16 hex>``: unique, and names its notice."""
    return f"{notice_id}-{secrets.token_hex(8)}"


def state_counts(database: Database, notice_id: int) -> dict[State, int]:
    """Rows per state (every state present, zeros included)."""
    counts = dict.fromkeys(State, 0)
    with database.read() as connection:
        for state, count in connection.execute(
            select(DELIVERIES.c.state, func.count())
            .where(DELIVERIES.c.notice_id == notice_id)
            .group_by(DELIVERIES.c.state)
        ):
            counts[State(state)] = int(count)
    return counts


# ------------------------------------------------------------------------------ rows


@dataclass(frozen=True)
class _Row:
    id: int
    customer_id: str
    email: str
    name: str
    attempts: int
    on_behalf_of: str | None = None


def _rows_of_batch(connection: Connection, batch_id: str) -> list[_Row]:
    query = (
        select(
            DELIVERIES.c.id,
            DELIVERIES.c.customer_id,
            DELIVERIES.c.email,
            CUSTOMERS.c.name,
            DELIVERIES.c.attempts,
            DELIVERIES.c.on_behalf_of,
        )
        .join(CUSTOMERS, CUSTOMERS.c.id == DELIVERIES.c.customer_id)
        .where(DELIVERIES.c.batch_id == batch_id)
        .order_by(DELIVERIES.c.id)
    )
    return [
        _Row(r.id, r.customer_id, r.email, r.name, r.attempts, r.on_behalf_of)
        for r in connection.execute(query)
    ]


def claim(
    database: Database,
    notice_id: int,
    since: str | None,
    size: int,
    *,
    token: str,
    now: datetime,
    locales: Sequence[str | None] | None = None,
) -> tuple[str, list[_Row]]:
    """Move up to ``size`` queued rows of one group (``since``; customers whose locale is
    one of ``locales``, None: any) to ``sending`` under a new batch id, in one transaction
    (with the heartbeat); returns the batch id and its rows."""
    batch_id = new_batch_id(notice_id)
    group = (
        DELIVERIES.c.since_label.is_(None) if since is None else DELIVERIES.c.since_label == since
    )
    where = [DELIVERIES.c.notice_id == notice_id, DELIVERIES.c.state == State.QUEUED, group]
    if locales is not None:
        named = [locale for locale in locales if locale is not None]
        matches = [CUSTOMERS.c.locale.in_(named)] if named else []
        if None in locales:
            matches.append(CUSTOMERS.c.locale.is_(None))
        where.append(DELIVERIES.c.customer_id.in_(select(CUSTOMERS.c.id).where(or_(*matches))))
    chosen = (
        select(DELIVERIES.c.id)
        .where(*where)
        .order_by(DELIVERIES.c.id)
        .limit(size)
        .with_for_update(skip_locked=True)
    )
    with database.write() as connection:
        heartbeat(connection, notice_id, token, now)
        ids = list(connection.execute(chosen).scalars())
        if not ids:
            return batch_id, []
        connection.execute(
            update(DELIVERIES)
            .where(DELIVERIES.c.id.in_(ids), DELIVERIES.c.state == State.QUEUED)
            .values(
                state=State.SENDING,
                batch_id=batch_id,
                claimed_at=now,
                attempts=DELIVERIES.c.attempts + 1,
            )
        )
        return batch_id, _rows_of_batch(connection, batch_id)


Group = tuple[str | None, str, tuple[str | None, ...]]
"""A recipient group: the version last accepted, the email's language, the locales in it."""


def queued_groups(database: Database, notice_id: int, renderer: Renderer) -> list[Group]:
    """The groups that still have queued rows: by last accepted label (None first), then
    by language (``renderer.language_of`` each customer locale), each with its locales."""
    with database.read() as connection:
        pairs = list(
            connection.execute(
                select(DELIVERIES.c.since_label, CUSTOMERS.c.locale)
                .join(CUSTOMERS, CUSTOMERS.c.id == DELIVERIES.c.customer_id)
                .where(DELIVERIES.c.notice_id == notice_id, DELIVERIES.c.state == State.QUEUED)
                .distinct()
            )
        )
    groups: dict[tuple[str | None, str], list[str | None]] = {}
    for since, locale in pairs:
        groups.setdefault((since, renderer.language_of(locale)), []).append(locale)
    return [
        (since, language, tuple(sorted(locales, key=lambda x: x or "")))
        for (since, language), locales in sorted(
            groups.items(), key=lambda g: (g[0][0] is not None, g[0][0] or "", g[0][1])
        )
    ]


def record(
    database: Database,
    batch_id: str,
    rows: Sequence[_Row],
    result: BatchResult,
    *,
    max_attempts: int,
    now: datetime,
) -> dict[State, int]:
    """Write the mailer's answer for a batch; returns rows per resulting state. Only rows
    still ``sending`` in this batch are touched (a person may have settled them meanwhile).

    A rate-limited batch (``retry_after`` set: the provider is pacing us, not failing) and
    one the provider could not take (``unavailable``: an outage) do not use up the rows'
    attempts."""
    throttled = result.retry_after is not None or result.unavailable
    groups: dict[tuple[State, str | None, str | None, bool], list[int]] = {}
    counts = dict.fromkeys((*SETTLED, State.QUEUED), 0)
    for row in rows:
        outcome = result.outcome(row.id)
        state = _STATE_OF[outcome.outcome]
        error = outcome.error
        if state == State.QUEUED and not throttled and row.attempts >= max_attempts:
            state = State.FAILED
            error = f"gave up after {row.attempts} attempts: {error or 'not accepted'}"
        if state == State.UNKNOWN:
            error = (
                f"outcome unknown (batch {batch_id}): {error or 'no answer'}; settle "
                f"with `publisher notice settle` once you know"
            )
        counts[state] += 1
        key = (
            state,
            error if state != State.SENT else None,
            outcome.message_id if state == State.SENT else None,
            state == State.QUEUED and throttled,
        )
        groups.setdefault(key, []).append(row.id)
    # One UPDATE per distinct outcome (a SendGrid batch is one: 1,000 rows, one statement).
    with database.write() as connection:
        for (state, error, message_id, give_back), ids in groups.items():
            values: dict[str, Any] = {
                "state": state,
                "last_error": error,
                "message_id": message_id,
                "sent_at": now if state == State.SENT else None,
            }
            if give_back:
                values["attempts"] = DELIVERIES.c.attempts - 1
            connection.execute(
                update(DELIVERIES)
                .where(
                    DELIVERIES.c.id.in_(ids),
                    DELIVERIES.c.batch_id == batch_id,
                    DELIVERIES.c.state == State.SENDING,
                )
                .values(**values)
            )
    return counts


def release(database: Database, batch_id: str, *, state: State, error: str) -> int:
    """Move a claimed batch's rows still ``sending`` to ``state`` (queued: the request was
    certainly not made; unknown: it may have been)."""
    values: dict[str, Any] = {"state": state, "last_error": error}
    if state == State.QUEUED:
        values["attempts"] = DELIVERIES.c.attempts - 1
    with database.write() as connection:
        result = connection.execute(
            update(DELIVERIES)
            .where(DELIVERIES.c.batch_id == batch_id, DELIVERIES.c.state == State.SENDING)
            .values(**values)
        )
        return int(result.rowcount or 0)


def recover(
    database: Database, notice: NoticeInfo, mailer: Mailer, renderer: Renderer
) -> dict[str, int]:
    """Settle rows a dead run left in ``sending``: ask the mailer (the folder mailer can
    look), else mark them ``unknown``. Call only while holding the send lock."""
    with database.read() as connection:
        batches = list(
            connection.execute(
                select(DELIVERIES.c.batch_id)
                .where(DELIVERIES.c.notice_id == notice.id, DELIVERIES.c.state == State.SENDING)
                .distinct()
            ).scalars()
        )
    found: dict[str, int] = {}
    for batch_id in batches:
        with database.read() as connection:
            rows = _rows_of_batch(connection, batch_id)
        recipients = [
            renderer.recipient(r.id, r.customer_id, r.email, r.name, r.on_behalf_of) for r in rows
        ]
        known = mailer.probe(notice.id, recipients)
        with database.write() as connection:
            for row in rows:
                if known is not None and row.id in known:
                    state = State.SENT if known[row.id] else State.QUEUED
                    error = None if known[row.id] else "not written before the previous run stopped"
                else:
                    state = State.UNKNOWN
                    error = (
                        f"outcome unknown (batch {batch_id}): the sending process stopped "
                        "while the batch was with the mailer; settle with "
                        "`publisher notice settle`"
                    )
                connection.execute(
                    update(DELIVERIES)
                    .where(DELIVERIES.c.id == row.id, DELIVERIES.c.state == State.SENDING)
                    .values(state=state, last_error=error)
                )
                found[state] = found.get(state, 0) + 1
    return found


def requeue_failed(database: Database, notice_id: int) -> int:
    """Give failed rows another try (``send --retry-failed``): back to queued, attempts 0."""
    with database.write() as connection:
        result = connection.execute(
            update(DELIVERIES)
            .where(DELIVERIES.c.notice_id == notice_id, DELIVERIES.c.state == State.FAILED)
            .values(state=State.QUEUED, attempts=0)
        )
        return int(result.rowcount or 0)


def refresh_status(
    database: Database, notice_id: int, *, now: datetime, mailer: str | None = None
) -> dict[State, int]:
    """Set the notice's status from its rows (``sending`` while rows are queued or sending,
    then ``sent``, or ``incomplete`` with failed or unknown rows); returns the counts."""
    counts = state_counts(database, notice_id)
    if counts[State.QUEUED] or counts[State.SENDING]:
        status = NoticeStatus.SENDING
    elif counts[State.FAILED] or counts[State.UNKNOWN]:
        status = NoticeStatus.INCOMPLETE
    else:
        status = NoticeStatus.SENT
    values: dict[str, Any] = {"status": status}
    if mailer is not None:
        values["mailer"] = mailer
    with database.write() as connection:
        if status in (NoticeStatus.SENT, NoticeStatus.INCOMPLETE):
            connection.execute(
                update(NOTICES)
                .where(NOTICES.c.id == notice_id, NOTICES.c.sent_at.is_(None))
                .values(sent_at=now)
            )
        connection.execute(update(NOTICES).where(NOTICES.c.id == notice_id).values(**values))
    return counts
