"""Where a notice stands: rows per state, the batches whose outcome is unknown and how to
settle them, failed rows with their errors, and what the provider reported.

:func:`notice_status` reads the store; :func:`render_status` is a pure function of the
result. :func:`settle` is the one way a person resolves an unknown batch: ``sent`` when the
provider's activity log shows the messages went out, ``queued`` to send them (again).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, select, update

from publisher.counting import counted
from publisher.errors import NotFoundError
from publisher.notices.campaign import (
    NoticeError,
    NoticeInfo,
    RecipientGroup,
    get_notice,
    list_notices,
    recipient_groups,
)
from publisher.notices.outbox import refresh_status, state_counts
from publisher.notices.states import State
from publisher.store.db import Database
from publisher.store.ledger import format_time
from publisher.store.models import utcnow
from publisher.store.tables import DELIVERIES, NOTICES
from publisher.version_labels import label_text

FAILED_SHOWN = 20
"""Failed rows listed in the text output (JSON lists all)."""


@dataclass(frozen=True)
class UnknownBatch:
    """A batch handed to the mailer whose outcome was lost."""

    id: str
    size: int
    claimed_at: datetime | None
    error: str | None
    customers: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "batch": self.id,
            "size": self.size,
            "claimed_at": format_time(self.claimed_at) if self.claimed_at else None,
            "error": self.error,
            "customers": list(self.customers),
        }


@dataclass(frozen=True)
class FailedRow:
    customer_id: str
    email: str
    attempts: int
    error: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "customer": self.customer_id,
            "email": self.email,
            "attempts": self.attempts,
            "error": self.error,
        }


@dataclass(frozen=True)
class NoticeStatus:
    """Everything ``publisher notice status`` shows."""

    notice: NoticeInfo
    counts: dict[State, int]
    groups: tuple[RecipientGroup, ...]
    unknown_batches: tuple[UnknownBatch, ...]
    failed: tuple[FailedRow, ...]
    provider: dict[str, int]
    sender: str | None
    reminders: tuple[NoticeInfo, ...]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def next_steps(self) -> list[str]:
        """What to do next, as commands."""
        n = self.notice.id
        steps = []
        if self.counts[State.QUEUED] or self.counts[State.SENDING]:
            steps.append(
                f"publisher notice send {n}    # send the "
                f"{counted(self.counts[State.QUEUED], 'queued row')} (resumes where the last run stopped)"
            )
        for batch in self.unknown_batches:
            steps.append(
                f"publisher notice settle {n} --batch {batch.id} --as sent|queued"
                f"    # {counted(batch.size, 'row')} of unknown outcome"
            )
        if self.counts[State.FAILED]:
            steps.append(
                f"publisher notice send {n} --retry-failed    # after fixing the "
                "cause of the failures"
            )
        return steps

    def to_dict(self) -> dict[str, Any]:
        return {
            "notice": self.notice.to_dict(),
            "total": self.total,
            "counts": self.counts,
            "groups": [{"since": g.since, "count": g.count} for g in self.groups],
            "unknown_batches": [b.to_dict() for b in self.unknown_batches],
            "failed": [f.to_dict() for f in self.failed],
            "provider": self.provider,
            "sending_now": self.sender,
            "reminders": [
                {"id": r.id, "status": r.status, "created_at": format_time(r.created_at)}
                for r in self.reminders
            ],
            "settle": (
                "publisher notice settle NOTICE --batch ID --as sent (the provider "
                "accepted them: check its activity log) or --as queued (send them)"
            ),
            "next": self.next_steps(),
        }


def notice_status(database: Database, notice_id: int) -> NoticeStatus:
    """Read where ``notice_id`` stands."""
    notice = get_notice(database, notice_id)
    counts = state_counts(database, notice_id)
    with database.read() as connection:
        unknown_rows = connection.execute(
            select(
                DELIVERIES.c.batch_id,
                DELIVERIES.c.customer_id,
                DELIVERIES.c.claimed_at,
                DELIVERIES.c.last_error,
            )
            .where(DELIVERIES.c.notice_id == notice_id, DELIVERIES.c.state == State.UNKNOWN)
            .order_by(DELIVERIES.c.claimed_at, DELIVERIES.c.batch_id, DELIVERIES.c.id)
        ).all()
        failed = tuple(
            FailedRow(r.customer_id, r.email, r.attempts, r.last_error)
            for r in connection.execute(
                select(
                    DELIVERIES.c.customer_id,
                    DELIVERIES.c.email,
                    DELIVERIES.c.attempts,
                    DELIVERIES.c.last_error,
                )
                .where(DELIVERIES.c.notice_id == notice_id, DELIVERIES.c.state == State.FAILED)
                .order_by(DELIVERIES.c.id)
            )
        )
        provider = {
            str(status): int(count)
            for status, count in connection.execute(
                select(DELIVERIES.c.provider_status, func.count())
                .where(
                    DELIVERIES.c.notice_id == notice_id, DELIVERIES.c.provider_status.is_not(None)
                )
                .group_by(DELIVERIES.c.provider_status)
            )
        }
        sender = connection.execute(
            select(NOTICES.c.sender).where(NOTICES.c.id == notice_id)
        ).scalar()
    batches: dict[str, list[Any]] = {}
    for row in unknown_rows:
        batches.setdefault(row.batch_id or "(none)", []).append(row)
    unknown = tuple(
        UnknownBatch(
            id=batch_id,
            size=len(rows),
            claimed_at=rows[0].claimed_at if rows[0].claimed_at else None,
            error=rows[0].last_error,
            customers=tuple(r.customer_id for r in rows),
        )
        for batch_id, rows in batches.items()
    )
    reminders = tuple(
        n for n in list_notices(database, slug=notice.slug) if n.parent_id == notice.id
    )
    return NoticeStatus(
        notice,
        counts,
        tuple(recipient_groups(database, notice_id)),
        unknown,
        failed,
        provider,
        sender,
        reminders,
    )


def render_status(status: NoticeStatus, *, all_failed: bool = False) -> str:
    """The status for a terminal (pure)."""
    notice = status.notice
    kind = "reminder" if notice.kind == "reminder" else "notice"
    lines = [
        f"{kind} {notice.id}: {notice.slug} version {notice.version_label} — {notice.status}",
        f"subject: {notice.subject}",
    ]
    if notice.effective:
        lines.append(
            f"effective: {notice.effective.isoformat()}"
            + (
                f" ({notice.notice_days} days' notice required for material changes)"
                if notice.material and notice.notice_days
                else ""
            )
        )
    if notice.override:
        lines.append(f"override: {notice.override}")
    if notice.parent_id is not None:
        lines.append(f"reminder of notice {notice.parent_id}")
    groups = ", ".join(
        f"{g.count} since {label_text(g.since) if g.since else 'never accepted'}"
        for g in status.groups
    )
    lines.append(f"recipients: {status.total} ({groups or 'none'})")
    lines.append("  ".join(f"{state} {count}" for state, count in status.counts.items()))
    if status.provider:
        lines.append(
            "provider: " + ", ".join(f"{k} {v}" for k, v in sorted(status.provider.items()))
        )
    if status.sender:
        lines.append(f"being sent now by {status.sender}")
    if status.unknown_batches:
        lines.append("")
        lines.append(
            f"{counted(sum(b.size for b in status.unknown_batches), 'row')} in "
            f"{counted(len(status.unknown_batches), 'batch', 'batches')} of UNKNOWN outcome: they were "
            "handed to the mailer but the answer was lost (crash, timeout)."
        )
        lines.append(
            "They are never re-sent automatically. Check the provider's activity log "
            "(SendGrid: Activity Feed, search by the notice's custom arg notice_id="
            f"{notice.id}), then settle each batch:"
        )
        for batch in status.unknown_batches:
            when = format_time(batch.claimed_at) if batch.claimed_at else "?"
            lines.append(f"  batch {batch.id}: {counted(batch.size, 'row')}, claimed {when}")
            lines.append(
                f"    publisher notice settle {notice.id} --batch {batch.id} --as sent|queued"
            )
    if status.failed:
        lines.append("")
        lines.append(
            f"{counted(len(status.failed), 'FAILED row')} (kept with their error; "
            f"`publisher notice send {notice.id} --retry-failed` tries them again):"
        )
        shown = status.failed if all_failed else status.failed[:FAILED_SHOWN]
        for row in shown:
            lines.append(f"  {row.customer_id} <{row.email}>: {row.error}")
        if len(shown) < len(status.failed):
            lines.append(
                f"  … and {len(status.failed) - len(shown)} more (--format json lists all)"
            )
    if status.reminders:
        lines.append("")
        lines.append("reminders: " + ", ".join(f"{r.id} ({r.status})" for r in status.reminders))
    steps = status.next_steps()
    if steps:
        lines.append("")
        lines.append("next:")
        lines.extend(f"  {step}" for step in steps)
    return "\n".join(lines) + "\n"


SettleAs = Literal[State.SENT, State.QUEUED]


def settle(
    database: Database,
    notice_id: int,
    batch_id: str,
    as_state: SettleAs,
    *,
    now: Callable[[], datetime] = utcnow,
) -> int:
    """Resolve an unknown batch: ``sent`` (the provider has it) or ``queued`` (send it).
    Returns how many rows changed; NotFoundError when the batch has no unknown rows."""
    if as_state not in (State.SENT, State.QUEUED):
        raise NoticeError(f"cannot settle as {as_state!r}", hint="use --as sent or --as queued")
    get_notice(database, notice_id)
    moment = now()
    note = f"settled as {as_state} by a person at {format_time(moment)}"
    values: dict[str, Any] = {"state": as_state, "last_error": note}
    if as_state == State.SENT:
        values["sent_at"] = DELIVERIES.c.claimed_at
    else:
        values["attempts"] = 0
    with database.write() as connection:
        result = connection.execute(
            update(DELIVERIES)
            .where(
                DELIVERIES.c.notice_id == notice_id,
                DELIVERIES.c.batch_id == batch_id,
                DELIVERIES.c.state == State.UNKNOWN,
            )
            .values(**values)
        )
        changed = int(result.rowcount or 0)
    refresh_status(database, notice_id, now=moment)
    if changed == 0:
        raise NotFoundError(
            f"notice {notice_id} has no rows of unknown outcome in batch {batch_id!r}",
            hint=f"`publisher notice status {notice_id}` lists the unknown batches",
        )
    return changed
