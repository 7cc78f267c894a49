"""Erasure of a customer's personal data (GDPR Art. 17), keeping the chain verifiable.

:func:`erase_customer`, in one transaction: the customer's name, email and company become a
pseudonym (the provider's customer id stays: it is the pseudonymous key the records are
under); the outbox rows and delivery events lose the email address, provider payloads and
errors; the app-forwarded IP address and user agent (``app_acceptances``) go; the personal
values of the customer's sealed records (format 3: IP address, user agent, acting user) and
their salts are deleted from ``personal_data`` (the row stays as a tombstone with
``erased_at``); and an erasure record (method ``erasure``, no personal data) is appended to
the chain. The records' hashes cover only the commitments, so ``audit verify`` still passes,
and without the salt the value cannot be guessed from its commitment.

Not erasable (and reported as such): the IP address and user agent of records of format 1
and 2 (written before migration ``0007_ledger_erasure``), which are inside their hashes.

:func:`apply_retention` erases the IP addresses and user agents of records older than the
``retention_days`` setting the same way (no erasure record: a retention run is policy, not a
request).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select, update

from publisher.store.customers import get_customer
from publisher.store.db import Database
from publisher.store.ledger import append_within
from publisher.store.ledger_rules import AcceptanceRequest, sealed_values
from publisher.store.models import (
    Acceptance,
    AppAcceptance,
    Customer,
    Delivery,
    DeliveryEvent,
    PersonalData,
    utcnow,
)
from publisher.store.record import (
    ERASURE,
    PERSONAL_FIELDS,
    SEALED_SINCE,
    AcceptanceRecord,
    canonical_json,
    format_time,
)

ERASED_NAME = "erased customer"
RETAINED_FIELDS = ("ip", "user_agent")
"""What ``retention_days`` erases (the acting user stays with the record until erasure)."""


def pseudonym_email(customer_id: str) -> str:
    """The address an erased customer's email is replaced with (never deliverable)."""
    return f"erased-{hashlib.sha256(customer_id.encode('utf-8')).hexdigest()[:16]}@erased.invalid"


@dataclass(frozen=True)
class ErasureResult:
    """What :func:`erase_customer` changed, and what it could not."""

    customer_id: str
    deliveries: int
    events: int
    records_erased: int
    """Sealed records whose personal values were erased now."""
    records_keeping_ip: int
    """Records of format 1 or 2 whose IP address or user agent stays inside their hash."""
    erasure_record: AcceptanceRecord | None
    """The erasure record appended to the chain (None: nothing was left to erase)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "customer": self.customer_id,
            "erased": ["name", "email", "company", *(f.key for f in PERSONAL_FIELDS)],
            "deliveries": self.deliveries,
            "delivery_events": self.events,
            "records_erased": self.records_erased,
            "records_keeping_ip_or_user_agent": self.records_keeping_ip,
            "erasure_record": self.erasure_record.to_dict() if self.erasure_record else None,
        }


def erase_customer(
    database: Database, customer_id: str, *, now: Callable[[], datetime] = utcnow
) -> ErasureResult:
    """Erase the customer's personal data and record the erasure in the chain, in one
    transaction (NotFoundError for an unknown id). Running it again changes nothing more
    and appends no second erasure record."""
    customer = get_customer(database, customer_id)
    email = pseudonym_email(customer_id)
    already = (customer.name, customer.email, customer.company) == (ERASED_NAME, email, "")
    with database.write() as connection:
        moment = now()
        if not already:
            connection.execute(
                update(Customer)
                .where(Customer.id == customer_id)
                .values(name=ERASED_NAME, email=email, company="", locale=None, updated_at=moment)
            )
        deliveries, events = _erase_outbox(connection, customer_id, email)
        ids = select(Acceptance.id).where(Acceptance.customer_id == customer_id)
        connection.execute(
            update(AppAcceptance)
            .where(AppAcceptance.acceptance_id.in_(ids))
            .values(forwarded_ip=None, forwarded_user_agent=None)
        )
        erased = _erase_personal(connection, ids, [f.column for f in PERSONAL_FIELDS], moment)
        keeping = (
            connection.scalar(
                select(func.count())
                .select_from(Acceptance)
                .where(
                    Acceptance.customer_id == customer_id,
                    Acceptance.format < SEALED_SINCE,
                    or_(Acceptance.ip.is_not(None), Acceptance.user_agent.is_not(None)),
                )
            )
            or 0
        )
        record = None
        if erased or not already:
            record = _append_erasure(connection, database.dialect, customer_id, erased, moment)
    return ErasureResult(customer_id, deliveries, events, len(erased), keeping, record)


def _erase_outbox(connection: Connection, customer_id: str, email: str) -> tuple[int, int]:
    """Pseudonymise the customer's outbox rows and empty their events: (rows, events)."""
    delivery_ids = list(
        connection.scalars(select(Delivery.id).where(Delivery.customer_id == customer_id))
    )
    connection.execute(
        update(Delivery)
        .where(Delivery.customer_id == customer_id)
        .values(email=email, last_error=None)
    )
    events = 0
    for start in range(0, len(delivery_ids), 500):
        chunk = delivery_ids[start : start + 500]
        events += (
            connection.scalar(
                select(func.count())
                .select_from(DeliveryEvent)
                .where(DeliveryEvent.delivery_id.in_(chunk))
            )
            or 0
        )
        connection.execute(
            update(DeliveryEvent)
            .where(DeliveryEvent.delivery_id.in_(chunk))
            .values(payload=None, reason=None)
        )
    return len(delivery_ids), events


def _erase_personal(
    connection: Connection, ids: Any, fields: list[str], moment: datetime
) -> list[int]:
    """Delete the values and salts of ``fields`` of the records ``ids`` selects (a tombstone
    with ``erased_at`` stays); returns the seqs of the records that had any."""
    kept = and_(
        PersonalData.acceptance_id.in_(ids),
        PersonalData.field.in_(fields),
        or_(PersonalData.value.is_not(None), PersonalData.salt.is_not(None)),
    )
    seqs = sorted(
        set(
            connection.scalars(
                select(Acceptance.seq)
                .join(PersonalData, PersonalData.acceptance_id == Acceptance.id)
                .where(kept)
            )
        )
    )
    if seqs:
        connection.execute(
            update(PersonalData).where(kept).values(salt=None, value=None, erased_at=moment)
        )
    return seqs


def erasure_summary(customer_id: str, seqs: list[int]) -> str:
    """What an erasure record's ``content_sha256`` is the sha256 of: the canonical JSON of
    the customer, the records whose personal values were erased and which fields."""
    return canonical_json(
        {
            "customer": customer_id,
            "records": seqs,
            "fields": sorted(["name", "email", "company", *(f.key for f in PERSONAL_FIELDS)]),
        }
    )


def _append_erasure(
    connection: Connection, dialect: str, customer_id: str, seqs: list[int], moment: datetime
) -> AcceptanceRecord:
    summary = erasure_summary(customer_id, seqs)
    request = AcceptanceRequest(
        customer_id, "", format_time(moment), ERASURE, source="publisher customers erase"
    )
    content = (hashlib.sha256(summary.encode("utf-8")).hexdigest(), "", -1)
    values = sealed_values(request, content, accepted_at=moment)
    return append_within(connection, dialect, values, position=-1)


@dataclass(frozen=True)
class RetentionResult:
    """What :func:`apply_retention` erased (or, with ``dry_run``, would erase)."""

    days: int
    cutoff: datetime
    records: int
    """Sealed records whose IP address or user agent was erased."""
    app_calls: int
    """App calls (``app_acceptances``) whose forwarded IP and user agent were erased."""
    records_keeping_ip: int
    """Older records of format 1 or 2, whose IP and user agent are inside their hash."""
    dry_run: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "retention_days": self.days,
            "cutoff": format_time(self.cutoff),
            "dry_run": self.dry_run,
            "records_erased": self.records,
            "app_calls_erased": self.app_calls,
            "records_keeping_ip_or_user_agent": self.records_keeping_ip,
        }


def apply_retention(
    database: Database,
    days: int,
    *,
    dry_run: bool = False,
    now: Callable[[], datetime] = utcnow,
) -> RetentionResult:
    """Erase the IP addresses and user agents of records accepted more than ``days`` days
    ago (and of the app calls received then), in one transaction."""
    if days < 1:
        raise ValueError("retention needs at least one day")
    moment = now()
    cutoff = moment - timedelta(days=days)
    with database.write() as connection:
        old = select(Acceptance.id).where(Acceptance.accepted_at < cutoff)
        app_rows = and_(
            AppAcceptance.received_at < cutoff,
            or_(
                AppAcceptance.forwarded_ip.is_not(None),
                AppAcceptance.forwarded_user_agent.is_not(None),
            ),
        )
        app_calls = (
            connection.scalar(select(func.count()).select_from(AppAcceptance).where(app_rows)) or 0
        )
        keeping = (
            connection.scalar(
                select(func.count())
                .select_from(Acceptance)
                .where(
                    Acceptance.accepted_at < cutoff,
                    Acceptance.format < SEALED_SINCE,
                    or_(Acceptance.ip.is_not(None), Acceptance.user_agent.is_not(None)),
                )
            )
            or 0
        )
        if dry_run:
            kept = and_(
                PersonalData.acceptance_id.in_(old),
                PersonalData.field.in_(RETAINED_FIELDS),
                PersonalData.value.is_not(None),
            )
            records = (
                connection.scalar(
                    select(func.count(func.distinct(PersonalData.acceptance_id))).where(kept)
                )
                or 0
            )
        else:
            records = len(_erase_personal(connection, old, list(RETAINED_FIELDS), moment))
            connection.execute(
                update(AppAcceptance)
                .where(app_rows)
                .values(forwarded_ip=None, forwarded_user_agent=None)
            )
    return RetentionResult(days, cutoff, records, app_calls, keeping, dry_run)
