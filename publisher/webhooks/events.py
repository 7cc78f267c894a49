"""Webhook event types, ids and payloads.

Every event is a JSON object ``{"id", "type", "created", "data"}``. ``id`` is a UUID derived
from what the event reports (the acceptance record's hash, the provider's event id), so the
same fact always has the same id: queueing it twice can never make two events, and receivers
de-duplicate retries by it.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from publisher.errors import PublisherError
from publisher.store.record import format_time

ACCEPTANCE = "acceptance.created"
DELIVERY = "notice.delivery"
PING = "ping"
EVENT_TYPES = (ACCEPTANCE, DELIVERY)
"""What an endpoint can subscribe to (``ping`` is sent by ``publisher webhooks test`` only)."""
ALL = "*"

_NAMESPACE = uuid.UUID("6f1c1f0e-8a52-4d8e-9a59-1b0c4e7a2d10")
"""Fixed: event ids must stay the same across versions of publisher."""


class EventTypeError(PublisherError):
    """An unknown webhook event type."""


def parse_event_types(raw: str | None) -> str:
    """The stored form (``*`` or sorted, comma-separated) of ``--events a,b``."""
    if raw is None or raw.strip() in ("", ALL):
        return ALL
    names = sorted({name.strip() for name in raw.split(",") if name.strip()})
    unknown = [name for name in names if name not in EVENT_TYPES]
    if unknown:
        raise EventTypeError(
            f"unknown event type {unknown[0]!r}",
            hint=f"use {', '.join(EVENT_TYPES)} (comma-separated), or * for all",
        )
    return ",".join(names)


def subscribes(events: str, event_type: str) -> bool:
    """Whether an endpoint's stored ``events`` include ``event_type``."""
    return events == ALL or event_type in events.split(",")


def event_id(kind: str, key: str) -> str:
    """The stable UUID of the event ``kind`` about ``key``."""
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{key}"))


def payload(identifier: str, kind: str, created: datetime, data: dict[str, Any]) -> str:
    """The JSON body (compact, keys sorted: the bytes that are signed and sent)."""
    document = {"id": identifier, "type": kind, "created": format_time(created), "data": data}
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def acceptance_data(row: Any) -> dict[str, Any]:
    """What an ``acceptance.created`` event says, from an ``acceptances`` row."""
    return {
        "seq": row.seq,
        "customer_id": row.customer_id,
        "policy": row.slug,
        "version": row.version_label,
        "content_sha256": row.content_sha256,
        "commit": row.commit,
        "notice_id": row.notice_id,
        "accepted_at": format_time(row.accepted_at),
        "method": row.method,
        "hash": row.hash,
    }


def delivery_data(
    *,
    provider_event_id: str,
    event: str,
    reason: str | None,
    occurred_at: datetime,
    delivery_id: int,
    notice_id: int,
    customer_id: str,
) -> dict[str, Any]:
    """What a ``notice.delivery`` event says (a mail provider's event about one notice). No
    email address: the customer id names the customer, and the outbox then holds nothing
    that ``customers erase`` would have to reach."""
    return {
        "event": event,
        "reason": reason,
        "occurred_at": format_time(occurred_at),
        "provider_event_id": provider_event_id,
        "notice_id": notice_id,
        "delivery_id": delivery_id,
        "customer_id": customer_id,
    }
