"""Reminders of a notice: writing again to those it was sent to who have not accepted.

A reminder is a notice of its own (kind ``reminder``, ``parent_id`` the notice) with its own
outbox rows, so it is sent, resumed and followed like a notice. :func:`create_reminder` plans
one, or resumes an unfinished one. A member written to for their organisation is reminded
for it too, until the organisation has accepted (by any of its members).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, exists, func, insert, literal, or_, select

from publisher.counting import counted
from publisher.notices.campaign import (
    NOTICE,
    REMINDER,
    NoticeError,
    NoticeInfo,
    carried_labels,
    get_notice,
    queue_deliveries,
    recipient_groups,
)
from publisher.notices.members import account_of
from publisher.notices.states import NoticeStatus, State
from publisher.store.db import Database
from publisher.store.models import (
    UTCDateTime,
    utcnow,
)
from publisher.store.tables import ACCEPTANCES, CUSTOMERS, DELIVERIES, NOTICES, VERSIONS
from publisher.store.versions import get_version


@dataclass(frozen=True)
class ReminderPlan:
    """The reminder to send (None: nobody needs one yet) and why."""

    reminder: NoticeInfo | None
    resumed: bool
    recipients: int
    message: str


def create_reminder(
    database: Database,
    notice_id: int,
    *,
    after_days: int,
    now: Callable[[], datetime] = utcnow,
) -> ReminderPlan:
    """A reminder of ``notice_id`` to everyone it was sent to who has not accepted, whose
    last message about it (the notice or a reminder) is at least ``after_days`` old.

    An unfinished reminder (rows still queued or sending) is resumed instead of creating a
    new one, so running ``notice remind`` again after a crash continues where it stopped.
    """
    parent = get_notice(database, notice_id)
    if parent.kind != NOTICE:
        raise NoticeError(
            f"notice {notice_id} is itself a reminder (of notice {parent.parent_id})",
            hint=f"remind notice {parent.parent_id}",
        )
    with database.read() as connection:
        unfinished = (
            connection.execute(
                select(NOTICES.c.id)
                .where(
                    NOTICES.c.parent_id == notice_id,
                    NOTICES.c.kind == REMINDER,
                    exists(
                        select(DELIVERIES.c.id).where(
                            DELIVERIES.c.notice_id == NOTICES.c.id,
                            DELIVERIES.c.state.in_((State.QUEUED, State.SENDING)),
                        )
                    ),
                )
                .order_by(NOTICES.c.id)
            )
            .scalars()
            .first()
        )
    if unfinished is not None:
        reminder = get_notice(database, int(unfinished))
        count = sum(g.count for g in recipient_groups(database, reminder.id))
        return ReminderPlan(
            reminder, True, count, f"resuming reminder {reminder.id} of notice {notice_id}"
        )
    version = get_version(database, parent.slug, parent.version_label)
    moment = now()
    cutoff = moment - timedelta(days=after_days)
    first = DELIVERIES.alias("first")
    later = DELIVERIES.alias("later")
    reminders = NOTICES.alias("reminders")
    carried = sorted(carried_labels(database, version))
    accepted = exists(
        select(ACCEPTANCES.c.id)
        .join(
            VERSIONS,
            and_(
                VERSIONS.c.slug == ACCEPTANCES.c.slug,
                VERSIONS.c.label == ACCEPTANCES.c.version_label,
            ),
        )
        .where(
            ACCEPTANCES.c.customer_id == account_of(first.c.customer_id, first.c.on_behalf_of),
            ACCEPTANCES.c.slug == parent.slug,
            or_(VERSIONS.c.position >= version.position, ACCEPTANCES.c.version_label.in_(carried)),
        )
    )
    recent = exists(
        select(later.c.id)
        .join(reminders, reminders.c.id == later.c.notice_id)
        .where(
            reminders.c.parent_id == notice_id,
            later.c.customer_id == first.c.customer_id,
            or_(later.c.state != State.SENT, later.c.sent_at > cutoff),
        )
    )
    eligible = (
        select(first.c.customer_id, CUSTOMERS.c.email, first.c.since_label, first.c.on_behalf_of)
        .join(CUSTOMERS, CUSTOMERS.c.id == first.c.customer_id)
        .where(
            first.c.notice_id == notice_id,
            first.c.state == State.SENT,
            first.c.sent_at <= cutoff,
            ~accepted,
            ~recent,
        )
    )
    with database.write() as connection:
        count = int(
            connection.execute(select(func.count()).select_from(eligible.subquery())).scalar_one()
        )
        if count == 0:
            return ReminderPlan(None, False, 0, _nobody(connection, parent, after_days))
        reminder_id = int(
            connection.execute(
                insert(NOTICES)
                .values(
                    slug=parent.slug,
                    version_label=parent.version_label,
                    subject=f"Reminder: {parent.subject}",
                    summary=parent.summary,
                    effective=parent.effective,
                    status=NoticeStatus.DRAFT,
                    forced=parent.forced,
                    override=parent.override,
                    notice_days=parent.notice_days,
                    material=parent.material,
                    created_at=moment,
                    kind=REMINDER,
                    parent_id=notice_id,
                )
                .returning(NOTICES.c.id)
            ).scalar_one()
        )
        rows = eligible.with_only_columns(
            literal(reminder_id),
            first.c.customer_id,
            CUSTOMERS.c.email,
            first.c.since_label,
            first.c.on_behalf_of,
            literal(State.QUEUED.value),
            literal(0),
            literal(moment, UTCDateTime()),
        )
        connection.execute(queue_deliveries(rows))
    reminder = get_notice(database, reminder_id)
    return ReminderPlan(
        reminder,
        False,
        count,
        f"reminder {reminder_id} of notice {notice_id} to {counted(count, 'customer')}",
    )


def _nobody(connection: Connection, parent: NoticeInfo, after_days: int) -> str:
    sent = int(
        connection.execute(
            select(func.count()).where(
                DELIVERIES.c.notice_id == parent.id, DELIVERIES.c.state == State.SENT
            )
        ).scalar_one()
    )
    if sent == 0:
        return (
            f"nobody to remind: notice {parent.id} has not been sent to anyone yet "
            f"(run `publisher notice send {parent.id}`)"
        )
    return (
        f"nobody to remind: of the {counted(sent, 'customer')} notice {parent.id} was sent to, "
        f"every one has accepted or was written to less than {counted(after_days, 'day')} ago"
    )
