"""SendGrid's Event Webhook: verifying its signature and recording its delivery events.

SendGrid signs each POST with ECDSA (P-256, SHA-256) over the ``X-Twilio-Email-Event-Webhook-
Timestamp`` header followed by the raw body; the signature (base64, DER) is in
``X-Twilio-Email-Event-Webhook-Signature`` and the public key (base64 DER, as shown under Mail
Settings > Event Webhook) is the ``sendgrid_webhook_key`` setting. :class:`EventVerifier`
checks it with ``cryptography`` exactly as SendGrid's own ``EventWebhook`` helper does.

Each event names its outbox row through the personalization's ``custom_args``
(``delivery_id``, and ``notice_id`` at the top level). :func:`record_events` stores every event
once — the ``sg_event_id`` (or, when absent, a hash of the event) is unique, so SendGrid's
retries and duplicates are ignored — and updates the row's ``provider_status`` (processed,
deferred, delivered, bounce, dropped). An event for a row of unknown outcome proves SendGrid
accepted it: the row is settled as ``sent``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key
from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite

from publisher.errors import ConfigError, PublisherError
from publisher.notices.states import State
from publisher.store.db import Database
from publisher.store.models import utcnow
from publisher.store.tables import DELIVERIES, EVENTS
from publisher.webhooks.outbox import DeliveryEventIn, enqueue_delivery_events

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"

DELIVERY_EVENTS = {"processed": 1, "deferred": 2, "delivered": 3, "bounce": 3, "dropped": 3}
"""Events that say where a message is, ranked: a later rank replaces an earlier one."""


class WebhookError(PublisherError):
    """A webhook request cannot be processed (not JSON, not a list of events)."""


class SignatureInvalid(WebhookError):
    """The request is not signed by the configured SendGrid key."""


class EventVerifier:
    """Verifies SendGrid Event Webhook signatures with one public key."""

    def __init__(self, public_key: str) -> None:
        try:
            key = load_der_public_key(base64.b64decode(public_key.strip(), validate=True))
        except (ValueError, binascii.Error, UnsupportedAlgorithm) as exc:
            raise ConfigError(
                "sendgrid_webhook_key is not a public key",
                hint="copy the verification key from SendGrid: Settings > Mail Settings > "
                "Event Webhook > Signature Verification (base64, starts with MFkw…)",
            ) from exc
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise ConfigError("sendgrid_webhook_key is not an elliptic-curve (ECDSA) key")
        self._key = key

    def verify(self, payload: bytes, signature: str | None, timestamp: str | None) -> None:
        """Raise :class:`SignatureInvalid` unless ``signature`` signs timestamp + payload."""
        if not signature or not timestamp:
            raise SignatureInvalid(f"missing {SIGNATURE_HEADER} or {TIMESTAMP_HEADER} header")
        try:
            decoded = base64.b64decode(signature, validate=True)
            self._key.verify(
                decoded, timestamp.encode("utf-8") + payload, ec.ECDSA(hashes.SHA256())
            )
        except (InvalidSignature, ValueError, binascii.Error) as exc:
            raise SignatureInvalid("the event webhook signature does not verify") from exc


@dataclass(frozen=True)
class EventIn:
    """One event from the webhook body."""

    provider_event_id: str
    event: str
    delivery_id: int | None
    notice_id: int | None
    email: str | None
    message_id: str | None
    reason: str | None
    occurred_at: datetime
    payload: str


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def parse_events(body: bytes, *, now: Callable[[], datetime] = utcnow) -> list[EventIn]:
    """The events of a webhook body (a JSON array of objects); WebhookError otherwise."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WebhookError("the body is not JSON") from exc
    if not isinstance(data, list) or not all(isinstance(e, dict) for e in data):
        raise WebhookError("the body is not a JSON array of event objects")
    events = []
    for raw in data:
        payload = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        event_id = raw.get("sg_event_id")
        if not isinstance(event_id, str) or not event_id:
            event_id = "sha256:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()
        timestamp = raw.get("timestamp")
        occurred = (
            datetime.fromtimestamp(timestamp, UTC)
            if isinstance(timestamp, int | float)
            and not isinstance(timestamp, bool)
            and 0 < timestamp < 2**33
            else now()
        )
        reason = raw.get("reason") or raw.get("response") or raw.get("status")
        message = raw.get("sg_message_id")
        events.append(
            EventIn(
                provider_event_id=event_id[:200],
                event=str(raw.get("event") or "unknown")[:40],
                delivery_id=_int(raw.get("delivery_id")),
                notice_id=_int(raw.get("notice_id")),
                email=raw.get("email") if isinstance(raw.get("email"), str) else None,
                message_id=message if isinstance(message, str) else None,
                reason=str(reason) if reason is not None else None,
                occurred_at=occurred,
                payload=payload,
            )
        )
    return events


@dataclass(frozen=True)
class EventsResult:
    """What :func:`record_events` did."""

    recorded: int
    duplicates: int
    unmatched: int
    settled: int

    def to_dict(self) -> dict[str, int]:
        return {
            "recorded": self.recorded,
            "duplicates": self.duplicates,
            "unmatched": self.unmatched,
            "settled": self.settled,
        }


def _insert_once(connection: Connection, values: dict[str, Any]) -> bool:
    dialect = connection.dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    statement = (
        module.insert(EVENTS)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["provider_event_id"])
        .returning(EVENTS.c.id)
    )
    return connection.execute(statement).first() is not None


def _match(connection: Connection, event: EventIn) -> Any:
    """The outbox row the event is about (by delivery id, checked against the notice and
    address; else by SendGrid message id and address), or None."""
    columns = (
        DELIVERIES.c.id,
        DELIVERIES.c.notice_id,
        DELIVERIES.c.email,
        DELIVERIES.c.state,
        DELIVERIES.c.provider_status,
        DELIVERIES.c.provider_status_at,
    )
    if event.delivery_id is not None:
        row = connection.execute(
            select(*columns).where(DELIVERIES.c.id == event.delivery_id)
        ).first()
        if (
            row is not None
            and (event.notice_id is None or row.notice_id == event.notice_id)
            and (event.email is None or row.email.lower() == event.email.lower())
        ):
            return row
    if event.message_id and event.email:
        prefix = event.message_id.split(".", 1)[0]
        return connection.execute(
            select(*columns).where(
                DELIVERIES.c.message_id == prefix, DELIVERIES.c.email == event.email
            )
        ).first()
    return None


def record_events(
    database: Database, events: Sequence[EventIn], *, now: Callable[[], datetime] = utcnow
) -> EventsResult:
    """Store the events (each once) and update their outbox rows, in one transaction, which
    also queues a ``notice.delivery`` webhook per matched event (:mod:`publisher.webhooks`)."""
    recorded = duplicates = unmatched = settled = 0
    moment = now()
    outbound: list[DeliveryEventIn] = []
    with database.write() as connection:
        for event in events:
            row = _match(connection, event)
            inserted = _insert_once(
                connection,
                {
                    "delivery_id": row.id if row is not None else None,
                    "provider_event_id": event.provider_event_id,
                    "event": event.event,
                    "reason": event.reason,
                    "occurred_at": event.occurred_at,
                    "received_at": moment,
                    "payload": event.payload,
                },
            )
            if not inserted:
                duplicates += 1
                continue
            recorded += 1
            if row is None:
                unmatched += 1
                continue
            outbound.append(
                DeliveryEventIn(
                    event.provider_event_id, event.event, event.reason, event.occurred_at, row.id
                )
            )
            values: dict[str, Any] = {}
            rank = DELIVERY_EVENTS.get(event.event)
            if rank is not None:
                current = DELIVERY_EVENTS.get(row.provider_status or "", 0)
                newer = (
                    row.provider_status_at is None or event.occurred_at >= row.provider_status_at
                )
                if rank > current or (rank == current and newer):
                    values.update(provider_status=event.event, provider_status_at=event.occurred_at)
            if row.state == State.UNKNOWN:
                values.update(
                    state=State.SENT,
                    sent_at=event.occurred_at,
                    last_error=f"settled as sent: SendGrid reported {event.event!r} for it",
                )
                settled += 1
            if values:
                connection.execute(
                    update(DELIVERIES).where(DELIVERIES.c.id == row.id).values(**values)
                )
        enqueue_delivery_events(connection, outbound, now=moment)
    return EventsResult(recorded, duplicates, unmatched, settled)
