"""The acceptance store's tables, as SQLAlchemy 2 declarative models.

The schema itself is created and evolved only by the Alembic revisions in
``publisher/store/migrations/versions`` (never by ``create_all``); these models describe it for
queries. Times are stored as UTC (naive in SQLite, ``timestamptz`` in PostgreSQL) and always
come back tz-aware UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always returned tz-aware in UTC.

    Naive values are refused on the way in: a time without a zone is a bug here.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a tz-aware UTC time")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    """The server clock, tz-aware UTC (the only clock the store uses)."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), date: Date()}


class Customer(Base):
    """A customer, identified by the provider's stable external id."""

    __tablename__ = "customers"
    __table_args__ = (Index("ix_customers_organisation", "organisation_id"),)

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(300))
    company: Mapped[str] = mapped_column(String(300), default="")
    locale: Mapped[str | None] = mapped_column(String(35))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(20), default="person", server_default="person")
    """``person``, or ``organisation`` (whose members may accept on its behalf)."""
    organisation_id: Mapped[str | None] = mapped_column(String(200))
    """The organisation a person belongs to (checked by the store; no foreign key)."""


class PolicyVersion(Base):
    """A published version of a policy, copied from git so evidence holds the exact text."""

    __tablename__ = "policy_versions"
    __table_args__ = (UniqueConstraint("slug", "label", name="uq_policy_versions_slug_label"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    slug: Mapped[str] = mapped_column(String(200))
    label: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer)
    """0 for the policy's oldest version, then 1, 2… in publication order."""
    title: Mapped[str | None] = mapped_column(String(500))
    summary: Mapped[str | None] = mapped_column(Text)
    effective: Mapped[date | None]
    commit: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(1000))
    sha256: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    synced_at: Mapped[datetime]
    reaccept: Mapped[str | None] = mapped_column(String(10))
    """Front matter ``reaccept`` (material, always, never); None: the default (material)."""
    policy_change: Mapped[str | None] = mapped_column(Text)
    """``Policy-Change`` trailer values of the commits that made the version, one a line."""


class Translation(Base):
    """A version of a translation (the same policy in another language), copied from git with
    its exact text and the source version it renders. Append-only (migration
    ``0012_translations``): a text that changes under the same label is a new row, so the
    text a customer was shown stays in the store."""

    __tablename__ = "translations"
    __table_args__ = (
        UniqueConstraint(
            "slug", "language", "label", "sha256", "renders", name="uq_translations_text"
        ),
        Index("ix_translations_renders", "slug", "renders"),
        Index("ix_translations_language", "slug", "language", "position"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    slug: Mapped[str] = mapped_column(String(200))
    """The source's slug (a translation has its source's)."""
    language: Mapped[str] = mapped_column(String(35))
    label: Mapped[str] = mapped_column(String(100))
    """The translation's own version label."""
    position: Mapped[int] = mapped_column(Integer)
    """0 for the translation's oldest version, then 1, 2… (its own history)."""
    renders: Mapped[str | None] = mapped_column(String(100))
    """The label of the source version it renders (None: ``translation_of`` names none)."""
    inferred: Mapped[bool]
    """True when ``renders`` was inferred, False when front matter ``translation_of`` said."""
    title: Mapped[str | None] = mapped_column(String(500))
    commit: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(1000))
    blob: Mapped[str] = mapped_column(String(64))
    """The git blob of ``path`` at ``commit``."""
    sha256: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    synced_at: Mapped[datetime]


class Notice(Base):
    """A change notice (campaign) for one policy version."""

    __tablename__ = "notices"
    __table_args__ = (Index("ix_notices_parent", "parent_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    slug: Mapped[str] = mapped_column(String(200))
    version_label: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(500))
    summary: Mapped[str | None] = mapped_column(Text)
    effective: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(20), default="draft")
    forced: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    kind: Mapped[str] = mapped_column(String(20), default="notice", server_default="notice")
    """``notice``, or ``reminder`` (of the notice ``parent_id``)."""
    parent_id: Mapped[int | None] = mapped_column(Integer)
    notice_days: Mapped[int | None] = mapped_column(Integer)
    """The notice period that applied when the notice was created."""
    material: Mapped[bool | None]
    """Whether any recipient group's changes were material when the notice was created."""
    override: Mapped[str | None] = mapped_column(Text)
    """Why the notice-period rule was overridden (``--force``), else None."""
    mailer: Mapped[str | None] = mapped_column(String(20))
    sender: Mapped[str | None] = mapped_column(String(200))
    """The send lock: ``host:pid:token`` of the process sending the notice, else None."""
    sender_heartbeat: Mapped[datetime | None]


class Delivery(Base):
    """One notice to one customer: the outbox row (unique per notice and customer)."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("notice_id", "customer_id", name="uq_deliveries_notice_customer"),
        Index("ix_deliveries_customer", "customer_id"),
        Index("ix_deliveries_state", "notice_id", "state"),
        Index("ix_deliveries_claim", "notice_id", "state", "since_label"),
        Index("ix_deliveries_batch", "batch_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    email: Mapped[str] = mapped_column(String(320))
    since_label: Mapped[str | None] = mapped_column(String(100))
    """The version the customer had last accepted when the notice was planned (None: none)."""
    state: Mapped[str] = mapped_column(String(20), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(300))
    queued_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    batch_id: Mapped[str | None] = mapped_column(String(40))
    """The batch the row was last handed to the mailer in."""
    claimed_at: Mapped[datetime | None]
    provider_status: Mapped[str | None] = mapped_column(String(40))
    """The provider's latest word on the message (processed, delivered, bounce, dropped…)."""
    provider_status_at: Mapped[datetime | None]
    on_behalf_of: Mapped[str | None] = mapped_column(String(200))
    """The organisation a member is written to for (their link accepts on its behalf; None:
    the customer is written to for themselves)."""


class DeliveryEvent(Base):
    """A delivery event from the mail provider (processed, delivered, bounce, dropped…)."""

    __tablename__ = "delivery_events"
    __table_args__ = (Index("ix_delivery_events_delivery", "delivery_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("deliveries.id"))
    provider_event_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    event: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime]
    payload: Mapped[str | None] = mapped_column(Text)


class Acceptance(Base):
    """One acceptance record of the append-only, hash-chained ledger.

    ``hash`` is sha256 over the canonical JSON of the record's fields and ``prev_hash``
    (see :mod:`publisher.store.ledger`); ``seq`` numbers the chain from 1 without gaps.
    """

    __tablename__ = "acceptances"
    __table_args__ = (
        UniqueConstraint("customer_id", "slug", "version_label", name="uq_acceptances_once"),
        UniqueConstraint("seq", name="uq_acceptances_seq"),
        Index("ix_acceptances_version", "slug", "version_label"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    seq: Mapped[int] = mapped_column(Integer)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    slug: Mapped[str] = mapped_column(String(200))
    version_label: Mapped[str] = mapped_column(String(100))
    content_sha256: Mapped[str] = mapped_column(String(64))
    commit: Mapped[str] = mapped_column(String(64))
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id"))
    accepted_at: Mapped[datetime]
    ip: Mapped[str | None] = mapped_column(String(80).with_variant(String(64), "sqlite"))
    """The IP address (format 1 and 2), or its commitment (format 3: the address is in
    ``personal_data``); likewise ``user_agent`` and ``acting_user``. Migration 0007 widens
    it on PostgreSQL; SQLite does not enforce the length (and its table cannot be rebuilt
    under the append-only triggers)."""
    user_agent: Mapped[str | None] = mapped_column(Text)
    method: Mapped[str] = mapped_column(String(10))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    format: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    """Which fields the hash covers (:data:`publisher.store.record.FIELDS`)."""
    language: Mapped[str | None] = mapped_column(String(35))
    shown_sha256: Mapped[str | None] = mapped_column(String(64))
    acting_user: Mapped[str | None] = mapped_column(String(300))
    claimed_at: Mapped[datetime | None]
    source: Mapped[str | None] = mapped_column(Text)


class PersonalData(Base):
    """A personal value of a sealed ledger record (format 3) with the salt of its commitment,
    kept apart from the append-only record so that it can be erased: erasure sets ``salt``
    and ``value`` to NULL and stamps ``erased_at``; the record's hash covers only the
    commitment, so the chain still verifies."""

    __tablename__ = "personal_data"

    acceptance_id: Mapped[int] = mapped_column(ForeignKey("acceptances.id"), primary_key=True)
    field: Mapped[str] = mapped_column(String(40), primary_key=True)
    """The ``acceptances`` column whose commitment this opens (ip, user_agent, acting_user)."""
    salt: Mapped[str | None] = mapped_column(String(64))
    value: Mapped[str | None] = mapped_column(Text)
    erased_at: Mapped[datetime | None]


class ChainHead(Base):
    """The single row naming the ledger's last record; the lock writers take on PostgreSQL."""

    __tablename__ = "chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class AppAcceptance(Base):
    """An acceptance the provider's app recorded through the API, beside its ledger record:
    who the app says the end user is, and the idempotency key of the call."""

    __tablename__ = "app_acceptances"
    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_app_acceptances_key"),
        Index("ix_app_acceptances_acceptance", "acceptance_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    acceptance_id: Mapped[int] = mapped_column(ForeignKey("acceptances.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    request_sha256: Mapped[str] = mapped_column(String(64))
    """sha256 of the canonical request: a key reused for another request is refused."""
    created: Mapped[bool]
    """Whether this call created the ledger record (a replay answers the same)."""
    app_user_id: Mapped[str | None] = mapped_column(String(200))
    forwarded_ip: Mapped[str | None] = mapped_column(String(64))
    forwarded_user_agent: Mapped[str | None] = mapped_column(Text)
    caller_ip: Mapped[str | None] = mapped_column(String(64))
    """The address the API call came from (the app's server)."""
    received_at: Mapped[datetime]


class WebhookEndpoint(Base):
    """A receiver of outbound webhooks (:mod:`publisher.webhooks`)."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(200))
    events: Mapped[str] = mapped_column(Text)
    """The event types it takes, comma-separated; ``*`` for all."""
    enabled: Mapped[bool]
    acceptance_seq: Mapped[int] = mapped_column(Integer)
    """The ledger seq up to which acceptances are queued for it (the resumable cursor)."""
    created_at: Mapped[datetime]


class WebhookDelivery(Base):
    """One event for one endpoint: the webhook outbox row (unique per endpoint and event)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_deliveries_event"),
        Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36))
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id"))
    event_type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime]
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    lease_token: Mapped[str | None] = mapped_column(String(40))
    lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]


class Receipt(Base):
    """One receipt email for one ledger record to one recipient: the receipts' outbox row
    (:mod:`publisher.notices.receipts`; unique per record and recipient)."""

    __tablename__ = "receipts"
    __table_args__ = (
        UniqueConstraint("seq", "recipient_id", name="uq_receipts_record_recipient"),
        Index("ix_receipts_state", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    seq: Mapped[int] = mapped_column(Integer)
    """The ledger record's seq."""
    customer_id: Mapped[str] = mapped_column(String(200))
    """The customer the record is for (the organisation, for an on-behalf acceptance)."""
    recipient_id: Mapped[str] = mapped_column(String(200))
    """Who the receipt is mailed to: the customer, or the member who accepted for it (their
    address is read from ``customers`` when it is sent)."""
    state: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(300))
    batch_id: Mapped[str | None] = mapped_column(String(40))
    queued_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class ReceiptCursor(Base):
    """The single row: the ledger seq up to which receipts have been queued, and the send
    lock of the process sending them (``host:pid:token``, with a heartbeat)."""

    __tablename__ = "receipt_cursor"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    sender: Mapped[str | None] = mapped_column(String(200))
    sender_heartbeat: Mapped[datetime | None]


class StatusMark(Base):
    """The single row whose ``mark`` moves with every change to what a status answer reads
    (triggers of migration ``0014_status_marks``): the status answer cache's check."""

    __tablename__ = "status_marks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    mark: Mapped[int] = mapped_column(BigInteger)
