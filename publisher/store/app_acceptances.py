"""Acceptances the provider's own app records (``POST /api/v1/acceptances``): the end user as
the app saw them, beside the ledger record, and idempotency by ``Idempotency-Key``.

The ledger record itself (method ``api``) carries the end user's IP and user agent as the
app forwarded them; the ``app_acceptances`` row says they were forwarded, by which caller,
and holds the app's own user id. A key is bound to the sha256 of the request it was first
used for: the same key with the same request answers what the first call answered
(:class:`AppCall`), with another request it is refused (:class:`KeyReused`).

The ledger write and this row are two transactions (the ledger's writer is shared and
batched): a crash between them leaves the record without its row, and the client's retry
with the same key records the row then (the record is found, not duplicated).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from publisher.errors import PublisherError
from publisher.store.db import Database
from publisher.store.ledger import AcceptanceRecord, format_time
from publisher.store.models import utcnow
from publisher.store.record import read_records
from publisher.store.tables import ACCEPTANCES, APP_ACCEPTANCES

KEY_LIMIT = 255


class KeyReused(PublisherError):
    """The Idempotency-Key was first used for a different request."""


@dataclass(frozen=True)
class EndUser:
    """The end user as the app saw them (every field optional)."""

    id: str | None = None
    ip: str | None = None
    user_agent: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "ip": self.ip, "user_agent": self.user_agent, "forwarded": True}


@dataclass(frozen=True)
class AppRequest:
    """One validated ``POST /api/v1/acceptances``."""

    customer: str
    policy: str
    version: str
    notice: int | None
    user: EndUser
    on_behalf_of: str | None = None
    """The organisation the customer (its member) accepts for: the record is the
    organisation's, with the customer as its ``acting_user``."""

    def sha256(self) -> str:
        data: dict[str, Any] = {
            "customer": self.customer,
            "policy": self.policy,
            "version": self.version,
            "notice": self.notice,
            "user": [self.user.id, self.user.ip, self.user.user_agent],
        }
        if self.on_behalf_of is not None:  # absent before organisations: old keys still match
            data["on_behalf_of"] = self.on_behalf_of
        encoded = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(encoded.encode()).hexdigest()


@dataclass(frozen=True)
class AppCall:
    """A recorded call: its ledger record, whether it created it, the end user, the key."""

    record: AcceptanceRecord
    created: bool
    user: EndUser
    key: str | None
    received_at: datetime
    replayed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "record": self.record.to_dict(),
            "user": self.user.to_dict(),
            "idempotency_key": self.key,
            "received_at": format_time(self.received_at),
        }


def _call(row: Any, record: AcceptanceRecord, *, replayed: bool) -> AppCall:
    return AppCall(
        record=record,
        created=bool(row.created),
        user=EndUser(row.app_user_id, row.forwarded_ip, row.forwarded_user_agent),
        key=row.idempotency_key,
        received_at=row.received_at,
        replayed=replayed,
    )


def replay(database: Database, key: str, request: AppRequest) -> AppCall | None:
    """What the first call with ``key`` answered (None: the key is new); KeyReused when it
    was used for another request."""
    with database.read() as connection:
        row = connection.execute(
            select(APP_ACCEPTANCES).where(APP_ACCEPTANCES.c.idempotency_key == key)
        ).first()
        if row is None:
            return None
        if row.request_sha256 != request.sha256():
            raise KeyReused(
                "this Idempotency-Key was already used for a different request",
                hint="use a new key for each new acceptance; repeat a key only to retry "
                "the very same request",
            )
        (record,) = read_records(
            connection, select(ACCEPTANCES).where(ACCEPTANCES.c.id == row.acceptance_id)
        )
    return _call(row, record, replayed=True)


def remember(
    database: Database,
    request: AppRequest,
    record: AcceptanceRecord,
    created: bool,
    *,
    key: str | None,
    caller_ip: str | None,
    now: Callable[[], datetime] = utcnow,
) -> AppCall:
    """Store the call beside its ledger ``record``. When another call with the same key got
    there first, its answer is returned (or KeyReused when it was another request)."""
    moment = now()
    try:
        with database.write() as connection:
            connection.execute(
                insert(APP_ACCEPTANCES).values(
                    acceptance_id=record.id,
                    idempotency_key=key,
                    request_sha256=request.sha256(),
                    created=created,
                    app_user_id=request.user.id,
                    forwarded_ip=request.user.ip,
                    forwarded_user_agent=request.user.user_agent,
                    caller_ip=caller_ip,
                    received_at=moment,
                )
            )
    except IntegrityError:
        if key is None:
            raise
        earlier = replay(database, key, request)
        if earlier is None:
            raise
        return earlier
    return AppCall(record=record, created=created, user=request.user, key=key, received_at=moment)
