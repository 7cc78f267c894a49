"""One ledger record: its hashed fields, their canonical JSON and hash, and the stored row.

A record's ``hash`` is sha256 of the canonical JSON (sorted keys, no spaces, UTF-8) of its
fields and ``prev_hash``; ``seq`` numbers the chain from 1 (see :mod:`publisher.store.ledger`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, select

from publisher.store.tables import ACCEPTANCES as ACCEPTANCES
from publisher.store.tables import CHAIN_HEAD

GENESIS = "0" * 64
"""``prev_hash`` of the first record."""

HEAD = CHAIN_HEAD
HEAD_QUERY = select(HEAD.c.seq, HEAD.c.hash).where(HEAD.c.id == 1)
HEAD_MISSING = "ledger head missing: tampered (the chain_head row was deleted)"


def format_time(moment: datetime) -> str:
    """A UTC time as the ledger writes it: ``2024-06-01T12:00:00.123456Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_fields(
    *,
    seq: int,
    customer: str,
    policy: str,
    version: str,
    content_sha256: str,
    commit: str,
    notice: int | None,
    accepted_at: datetime,
    ip: str | None,
    user_agent: str | None,
    method: str,
    prev_hash: str,
) -> dict[str, Any]:
    """The fields a record's hash covers, as JSON-ready values."""
    return {
        "seq": seq,
        "customer": customer,
        "policy": policy,
        "version": version,
        "content_sha256": content_sha256,
        "commit": commit,
        "notice": notice,
        "accepted_at": format_time(accepted_at),
        "ip": ip,
        "user_agent": user_agent,
        "method": method,
        "prev_hash": prev_hash,
    }


def record_hash(fields: Mapping[str, Any]) -> str:
    """sha256 (hex) of the canonical JSON of ``fields``: sorted keys, no spaces, UTF-8."""
    data = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AcceptanceRecord:
    """One ledger record as stored."""

    id: int
    seq: int
    customer_id: str
    policy: str
    version: str
    content_sha256: str
    commit: str
    notice_id: int | None
    accepted_at: datetime
    ip: str | None
    user_agent: str | None
    method: str
    prev_hash: str
    hash: str

    def fields(self, *, seq: int | None = None) -> dict[str, Any]:
        """The hashed fields (optionally as if the record had another ``seq``)."""
        return canonical_fields(
            seq=self.seq if seq is None else seq,
            customer=self.customer_id,
            policy=self.policy,
            version=self.version,
            content_sha256=self.content_sha256,
            commit=self.commit,
            notice=self.notice_id,
            accepted_at=self.accepted_at,
            ip=self.ip,
            user_agent=self.user_agent,
            method=self.method,
            prev_hash=self.prev_hash,
        )

    def computed_hash(self, *, seq: int | None = None) -> str:
        """What ``hash`` should be for the stored fields."""
        return record_hash(self.fields(seq=seq))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (reports, evidence, API)."""
        return {"id": self.id, **self.fields(), "hash": self.hash}

    @classmethod
    def from_row(cls, row: Row[Any] | Mapping[str, Any]) -> AcceptanceRecord:
        values = row._mapping if isinstance(row, Row) else row
        return cls(
            id=values["id"],
            seq=values["seq"],
            customer_id=values["customer_id"],
            policy=values["slug"],
            version=values["version_label"],
            content_sha256=values["content_sha256"],
            commit=values["commit"],
            notice_id=values["notice_id"],
            accepted_at=values["accepted_at"],
            ip=values["ip"],
            user_agent=values["user_agent"],
            method=values["method"],
            prev_hash=values["prev_hash"],
            hash=values["hash"],
        )
