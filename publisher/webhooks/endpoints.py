"""The provider's webhook endpoints: adding, listing, enabling and removing them.

An endpoint receives the events that happen *after* it is added: its acceptance cursor
starts at the ledger's head. Its secret (``whsec_…``, generated unless given) signs every
request; it is stored in the database because signing needs it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, func, insert, select, update

from publisher.errors import PublisherError
from publisher.store.db import Database
from publisher.store.models import utcnow
from publisher.store.tables import CHAIN_HEAD, WEBHOOK_DELIVERIES, WEBHOOK_ENDPOINTS
from publisher.webhooks.events import parse_event_types

SECRET_PREFIX = "whsec_"
MIN_SECRET_LENGTH = 16


class EndpointError(PublisherError):
    """A webhook endpoint cannot be added or is not known."""


@dataclass(frozen=True)
class Endpoint:
    id: int
    url: str
    secret: str
    events: str
    enabled: bool
    created_at: datetime

    @property
    def masked_secret(self) -> str:
        """The secret's first characters only (for listings)."""
        return self.secret[: len(SECRET_PREFIX) + 4] + "…"

    def to_dict(self, *, secret: bool = False) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "events": self.events.split(","),
            "enabled": self.enabled,
            "created_at": self.created_at.isoformat(),
            "secret": self.secret if secret else self.masked_secret,
        }


def check_url(url: str) -> str:
    """``url`` if it is an absolute http(s) URL with a host; EndpointError otherwise."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise EndpointError(f"invalid webhook URL {url!r}: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EndpointError(
            f"invalid webhook URL {url!r}", hint="use an absolute https:// (or http://) URL"
        )
    if parts.username or parts.password:
        raise EndpointError(
            f"the webhook URL {parts.hostname} has a user name or password in it",
            hint="receivers authenticate requests by their signature: leave credentials out",
        )
    if len(url) > 2000:
        raise EndpointError("the webhook URL is longer than 2,000 characters")
    return url


def check_endpoint(url: str, *, events: str | None, secret: str | None) -> str:
    """Check what ``add`` was given (before anything is opened or written); returns the
    stored form of ``events``."""
    check_url(url)
    kinds = parse_event_types(events)
    if secret is not None and len(secret) < MIN_SECRET_LENGTH:
        raise EndpointError(
            f"the webhook secret is shorter than {MIN_SECRET_LENGTH} characters",
            hint="leave --secret out to have a random one generated",
        )
    return kinds


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _endpoint(row: Any) -> Endpoint:
    return Endpoint(row.id, row.url, row.secret, row.events, bool(row.enabled), row.created_at)


def add_endpoint(
    database: Database,
    url: str,
    *,
    events: str | None = None,
    secret: str | None = None,
    now: Callable[[], datetime] = utcnow,
) -> Endpoint:
    """Add an endpoint that receives events from now on."""
    kinds = check_endpoint(url, events=events, secret=secret)
    key = secret if secret is not None else new_secret()
    with database.write() as connection:
        head = connection.execute(select(CHAIN_HEAD.c.seq).where(CHAIN_HEAD.c.id == 1)).scalar()
        identifier = connection.execute(
            insert(WEBHOOK_ENDPOINTS)
            .values(
                url=url,
                secret=key,
                events=kinds,
                enabled=True,
                acceptance_seq=int(head or 0),
                created_at=now(),
            )
            .returning(WEBHOOK_ENDPOINTS.c.id)
        ).scalar_one()
        row = connection.execute(
            select(WEBHOOK_ENDPOINTS).where(WEBHOOK_ENDPOINTS.c.id == identifier)
        ).one()
    return _endpoint(row)


def list_endpoints(database: Database) -> list[Endpoint]:
    with database.read() as connection:
        rows = connection.execute(select(WEBHOOK_ENDPOINTS).order_by(WEBHOOK_ENDPOINTS.c.id))
        return [_endpoint(row) for row in rows]


def get_endpoint(database: Database, endpoint_id: int) -> Endpoint:
    with database.read() as connection:
        row = connection.execute(
            select(WEBHOOK_ENDPOINTS).where(WEBHOOK_ENDPOINTS.c.id == endpoint_id)
        ).first()
    if row is None:
        raise EndpointError(
            f"no webhook endpoint {endpoint_id}", hint="`publisher webhooks list` shows them"
        )
    return _endpoint(row)


def set_enabled(database: Database, endpoint_id: int, enabled: bool) -> Endpoint:
    """Pause (its events keep being queued, none sent) or resume an endpoint."""
    get_endpoint(database, endpoint_id)
    with database.write() as connection:
        connection.execute(
            update(WEBHOOK_ENDPOINTS)
            .where(WEBHOOK_ENDPOINTS.c.id == endpoint_id)
            .values(enabled=enabled)
        )
    return get_endpoint(database, endpoint_id)


def remove_endpoint(database: Database, endpoint_id: int) -> dict[str, int]:
    """Delete an endpoint with its outbox rows; returns the rows dropped, by state."""
    get_endpoint(database, endpoint_id)
    with database.write() as connection:
        dropped = {
            state: int(count)
            for state, count in connection.execute(
                select(WEBHOOK_DELIVERIES.c.state, func.count())
                .where(WEBHOOK_DELIVERIES.c.endpoint_id == endpoint_id)
                .group_by(WEBHOOK_DELIVERIES.c.state)
            )
        }
        connection.execute(
            delete(WEBHOOK_DELIVERIES).where(WEBHOOK_DELIVERIES.c.endpoint_id == endpoint_id)
        )
        connection.execute(delete(WEBHOOK_ENDPOINTS).where(WEBHOOK_ENDPOINTS.c.id == endpoint_id))
    return dropped
