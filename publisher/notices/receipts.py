"""Receipt emails: an optional email after each acceptance (setting ``receipts: email``).

After an acceptance is recorded (by link, through the API, or by a member on an
organisation's behalf) the customer — and, for an on-behalf acceptance, the member who gave
it — may be mailed a receipt with the facts of the receipt page: the version and its content
hash, the record's seq and hash, and the ledger's head when the receipt is sent.

The records are written by the ledger (in its batches, which this module does not touch);
receipts are queued **after the commit, by an outbox scan**: :func:`enqueue` reads the records
after the cursor (``receipt_cursor.seq``) and, in the same transaction, adds their
``receipts`` rows and moves the cursor past them. A record that committed is therefore never
lost (the next scan finds it, whatever happened in between), and is queued once (the rows
and the cursor move together; ``(seq, recipient)`` is unique).

:func:`send_receipts` then sends like the notices' outbox: one process at a time (a lock
with a heartbeat on the cursor row, taken over from a dead process), rows a dead run left
``sending`` are settled first (the folder mailer can see which files it wrote: ``sent`` or
back to ``queued``; other mailers: ``unknown``, never re-sent blindly), and each row moves
``queued → sending`` before the mailer is called and to its outcome after. A crash between
recording and sending therefore sends the receipt exactly once on the next run.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from publisher.errors import PublisherError
from publisher.notices.mailers.base import Batch, Mailer, Recipient
from publisher.notices.receipt_render import (
    ReceiptFacts,
    ReceiptSender,
    receipt_context,
    render_receipt,
)
from publisher.notices.sendlock import describe_holder, holder_gone, this_host
from publisher.notices.states import State
from publisher.store.db import Database
from publisher.store.models import utcnow
from publisher.store.record import HEAD_QUERY, read_records
from publisher.store.tables import ACCEPTANCES, CUSTOMERS, RECEIPT_CURSOR, RECEIPTS, VERSIONS

METHODS = ("link", "api")
"""The methods whose records get a receipt (an imported record's acceptance was given
elsewhere, long ago)."""
SCAN = 500
"""Records read per scan transaction."""


class ReceiptError(PublisherError):
    """Receipts cannot be sent as asked."""


class ReceiptsLocked(ReceiptError):
    """Another live process is sending receipts."""


# ------------------------------------------------------------------------------ queueing


def _cursor(connection: Connection) -> int:
    row = connection.execute(
        select(RECEIPT_CURSOR.c.seq).where(RECEIPT_CURSOR.c.id == 1).with_for_update()
    ).first()
    if row is None:  # a store whose cursor row went missing: start after the head
        head = connection.execute(HEAD_QUERY).first()
        seq = int(head.seq) if head is not None else 0
        connection.execute(insert(RECEIPT_CURSOR).values(id=1, seq=seq))
        return seq
    return int(row.seq)


def enqueue(database: Database, *, now: Callable[[], datetime] = utcnow) -> int:
    """Queue the receipts of every record after the cursor; returns how many rows were
    added. Each step (up to :data:`SCAN` records) adds its rows and moves the cursor in one
    transaction."""
    added = 0
    while True:
        with database.write() as connection:
            after = _cursor(connection)
            found = read_records(
                connection,
                select(ACCEPTANCES)
                .where(ACCEPTANCES.c.seq > after)
                .order_by(ACCEPTANCES.c.seq)
                .limit(SCAN),
            )
            if not found:
                return added
            members = {r.acting_user for r in found if r.acting_user}
            known = set(
                connection.execute(
                    select(CUSTOMERS.c.id).where(CUSTOMERS.c.id.in_(sorted(members)))
                ).scalars()
            )
            rows: list[dict[str, Any]] = []
            moment = now()
            for record in found:
                if record.method not in METHODS:
                    continue
                recipients = [record.customer_id]
                member = record.acting_user
                if member is not None and member in known and member != record.customer_id:
                    recipients.append(member)
                rows.extend(
                    {
                        "seq": record.seq,
                        "customer_id": record.customer_id,
                        "recipient_id": recipient,
                        "state": State.QUEUED.value,
                        "attempts": 0,
                        "queued_at": moment,
                    }
                    for recipient in recipients
                )
            if rows:
                connection.execute(insert(RECEIPTS), rows)
            connection.execute(
                update(RECEIPT_CURSOR)
                .where(RECEIPT_CURSOR.c.id == 1)
                .values(seq=max(r.seq for r in found))
            )
            added += len(rows)


def skip_backlog(database: Database) -> int:
    """Move the cursor to the ledger's head without queueing anything (turning receipts on
    for a store whose earlier acceptances should get none); returns the records skipped."""
    with database.write() as connection:
        after = _cursor(connection)
        head = connection.execute(HEAD_QUERY).first()
        seq = int(head.seq) if head is not None else 0
        if seq > after:
            connection.execute(
                update(RECEIPT_CURSOR).where(RECEIPT_CURSOR.c.id == 1).values(seq=seq)
            )
        return max(0, seq - after)


def receipt_counts(database: Database) -> dict[State, int]:
    """Receipt rows per state (every state present)."""
    counts = dict.fromkeys(State, 0)
    with database.read() as connection:
        for state, count in connection.execute(
            select(RECEIPTS.c.state, func.count()).group_by(RECEIPTS.c.state)
        ):
            counts[State(state)] = int(count)
    return counts


# ------------------------------------------------------------------------------ the lock


@contextmanager
def receipts_lock(
    database: Database, *, lease: float, now: Callable[[], datetime] = utcnow
) -> Iterator[str]:
    """Hold the receipts' send lock (on the cursor row) for the block; yields its token."""
    token = f"{this_host()}:{os.getpid()}:{secrets.token_hex(6)}"
    with database.write() as connection:
        _cursor(connection)
        row = connection.execute(
            select(RECEIPT_CURSOR.c.sender, RECEIPT_CURSOR.c.sender_heartbeat)
            .where(RECEIPT_CURSOR.c.id == 1)
            .with_for_update()
        ).one()
        moment = now()
        if row.sender and not holder_gone(
            row.sender, row.sender_heartbeat, now=moment, lease=lease
        ):
            raise ReceiptsLocked(
                "receipts are being sent by another process "
                f"({describe_holder(row.sender, row.sender_heartbeat, moment)})",
                hint=f"wait for it to finish; if that process is gone, the lock expires "
                f"{int(lease)} s after its last heartbeat",
            )
        _hold(connection, token, moment, taking=True)
    try:
        yield token
    finally:
        with database.write() as connection:
            connection.execute(
                update(RECEIPT_CURSOR)
                .where(RECEIPT_CURSOR.c.id == 1, RECEIPT_CURSOR.c.sender == token)
                .values(sender=None, sender_heartbeat=None)
            )


def _hold(connection: Connection, token: str, moment: datetime, *, taking: bool = False) -> None:
    where = [RECEIPT_CURSOR.c.id == 1]
    if not taking:
        where.append(RECEIPT_CURSOR.c.sender == token)
    result = connection.execute(
        update(RECEIPT_CURSOR).where(*where).values(sender=token, sender_heartbeat=moment)
    )
    if result.rowcount != 1:
        raise ReceiptError(
            "another process took over sending receipts",
            hint="this run stopped; run `publisher notice receipts` again",
        )


# ------------------------------------------------------------------------------ sending


@dataclass(frozen=True)
class ReceiptMail:
    """How receipts are written: the sender, the receipts' facts about the provider, the
    templates folder."""

    address: Address
    reply_to: Address | None
    sender: ReceiptSender
    templates: Path | None = None


@dataclass
class ReceiptReport:
    """What one run of :func:`send_receipts` did, and the rows per state afterwards."""

    queued: int = 0
    sent: int = 0
    failed: int = 0
    unknown: int = 0
    recovered: dict[str, int] = field(default_factory=dict)
    aborted: str | None = None
    counts: dict[State, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "queued": self.queued,
            "sent": self.sent,
            "failed": self.failed,
            "unknown": self.unknown,
            "recovered": self.recovered,
            "aborted": self.aborted,
            "counts": self.counts,
        }


@dataclass(frozen=True)
class _Row:
    id: int
    seq: int
    recipient_id: str


def _recipient(connection: Connection, row: _Row) -> tuple[Recipient, str | None]:
    found = connection.execute(
        select(CUSTOMERS.c.email, CUSTOMERS.c.name, CUSTOMERS.c.locale).where(
            CUSTOMERS.c.id == row.recipient_id
        )
    ).first()
    email, name, locale = (found.email, found.name, found.locale) if found else ("", "", None)
    return Recipient(row.id, row.recipient_id, email or "", name or ""), locale


def _facts(connection: Connection, seq: int) -> tuple[ReceiptFacts, str | None]:
    """The receipt's facts for record ``seq`` (the head as it is now) and the language the
    acceptance page was shown in."""
    [record] = read_records(connection, select(ACCEPTANCES).where(ACCEPTANCES.c.seq == seq))
    version = connection.execute(
        select(VERSIONS.c.title, VERSIONS.c.effective).where(
            VERSIONS.c.slug == record.policy, VERSIONS.c.label == record.version
        )
    ).first()
    names = {
        row.id: row
        for row in connection.execute(
            select(CUSTOMERS.c.id, CUSTOMERS.c.name, CUSTOMERS.c.company).where(
                CUSTOMERS.c.id.in_([record.customer_id, record.acting_user or ""])
            )
        )
    }
    customer = names.get(record.customer_id)
    member = names.get(record.acting_user or "") if record.acting_user else None
    head = connection.execute(HEAD_QUERY).one()
    facts = ReceiptFacts(
        seq=record.seq,
        record_hash=record.hash,
        content_sha256=record.content_sha256,
        accepted_at=record.accepted_at,
        slug=record.policy,
        version=record.version,
        title=(version.title if version is not None else None) or record.policy,
        effective=version.effective if version is not None else None,
        customer_name=customer.name if customer is not None else record.customer_id,
        company=(customer.company or "") if customer is not None else "",
        member_name=(member.name if member is not None else record.acting_user)
        if record.acting_user and record.acting_user != record.customer_id
        else None,
        head_seq=int(head.seq),
        head_hash=str(head.hash),
    )
    return facts, record.language


def _batch(connection: Connection, row: _Row, mail: ReceiptMail, batch_id: str) -> Batch | str:
    """The receipt's message for ``row``, or why it cannot be written."""
    recipient, locale = _recipient(connection, row)
    if "@" not in recipient.email:
        return f"no email address for customer {row.recipient_id!r} (erased or missing)"
    facts, language = _facts(connection, row.seq)
    context = receipt_context(
        facts, recipient_name=recipient.name, language=language or locale, sender=mail.sender
    )
    return Batch(
        id=batch_id,
        notice_id=row.seq,
        template=render_receipt(context, templates=mail.templates),
        recipients=(recipient,),
        sender=mail.address,
        reply_to=mail.reply_to,
        headers={"X-Publisher-Receipt": str(row.seq)},
        kind="receipt",
    )


def _settle(connection: Connection, row_id: int, state: State, **values: Any) -> None:
    connection.execute(
        update(RECEIPTS)
        .where(RECEIPTS.c.id == row_id, RECEIPTS.c.state == State.SENDING)
        .values(state=state, **values)
    )


def _recover(database: Database, mailer: Mailer) -> dict[str, int]:
    """Settle the rows a dead run left ``sending`` (call while holding the lock)."""
    with database.read() as connection:
        stuck = [
            _Row(r.id, r.seq, r.recipient_id)
            for r in connection.execute(
                select(RECEIPTS.c.id, RECEIPTS.c.seq, RECEIPTS.c.recipient_id).where(
                    RECEIPTS.c.state == State.SENDING
                )
            )
        ]
    found: dict[str, int] = {}
    for row in stuck:
        with database.read() as connection:
            recipient, _ = _recipient(connection, row)
        known = mailer.probe(row.seq, [recipient])
        with database.write() as connection:
            if known is not None and row.id in known:
                state = State.SENT if known[row.id] else State.QUEUED
                _settle(connection, row.id, state, last_error=None)
            else:
                state = State.UNKNOWN
                _settle(
                    connection,
                    row.id,
                    state,
                    last_error="outcome unknown: the sending process stopped while the "
                    "receipt was with the mailer",
                )
        found[state] = found.get(state, 0) + 1
    return found


def send_receipts(
    database: Database,
    mailer: Mailer,
    mail: ReceiptMail,
    *,
    lease: float = 120.0,
    max_attempts: int = 5,
    now: Callable[[], datetime] = utcnow,
) -> ReceiptReport:
    """Queue the receipts of new records (:func:`enqueue`) and send every queued one."""
    report = ReceiptReport()
    with receipts_lock(database, lease=lease, now=now) as token:
        report.recovered = _recover(database, mailer)
        report.queued = enqueue(database, now=now)
        while report.aborted is None:
            batch_id = f"r-{secrets.token_hex(8)}"
            with database.write() as connection:
                _hold(connection, token, now())
                found = connection.execute(
                    select(RECEIPTS.c.id, RECEIPTS.c.seq, RECEIPTS.c.recipient_id)
                    .where(RECEIPTS.c.state == State.QUEUED)
                    .order_by(RECEIPTS.c.id)
                    .limit(1)
                    .with_for_update(skip_locked=True)
                ).first()
                if found is None:
                    break
                row = _Row(found.id, found.seq, found.recipient_id)
                connection.execute(
                    update(RECEIPTS)
                    .where(RECEIPTS.c.id == row.id)
                    .values(
                        state=State.SENDING, batch_id=batch_id, attempts=RECEIPTS.c.attempts + 1
                    )
                )
                batch = _batch(connection, row, mail, batch_id)
            if isinstance(batch, str):
                with database.write() as connection:
                    _settle(connection, row.id, State.FAILED, last_error=batch)
                report.failed += 1
                continue
            result = mailer.send(batch).outcome(row.id)
            with database.write() as connection:
                attempts = connection.execute(
                    select(RECEIPTS.c.attempts).where(RECEIPTS.c.id == row.id)
                ).scalar_one()
                if result.outcome == "sent":
                    _settle(
                        connection, row.id, State.SENT, message_id=result.message_id, sent_at=now()
                    )
                    report.sent += 1
                elif result.outcome == "unknown":
                    _settle(connection, row.id, State.UNKNOWN, last_error=result.error)
                    report.unknown += 1
                elif result.outcome == "failed" or attempts >= max_attempts:
                    _settle(connection, row.id, State.FAILED, last_error=result.error)
                    report.failed += 1
                else:  # certainly not sent: back in the queue, and stop for now
                    _settle(connection, row.id, State.QUEUED, last_error=result.error)
                    report.aborted = f"the mailer did not take a receipt ({result.error})"
    report.counts = receipt_counts(database)
    return report
