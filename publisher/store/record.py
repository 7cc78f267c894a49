"""One ledger record: its hashed fields, declared once, their canonical JSON and hash.

:data:`FIELDS` is the one declaration of what a record's hash covers: for each field its key
in the canonical JSON, its column in ``acceptances``, its attribute on
:class:`AcceptanceRecord` (and on :class:`~publisher.store.ledger_rules.AcceptanceRequest`
when the caller gives it), how its value serialises and the record format that first hashes
it. Everything else is derived from it: the canonical JSON (:func:`canonical`), the row
inserted (:func:`to_row`), the record read back (:meth:`AcceptanceRecord.from_row`), its JSON
form (:meth:`AcceptanceRecord.to_dict`) and the row PostgreSQL's append function inserts
(:mod:`publisher.store.pg_append`).

A record's ``hash`` is sha256 of the canonical JSON (sorted keys, no spaces, UTF-8) of the
fields of its format; ``seq`` numbers the chain from 1 (see :mod:`publisher.store.ledger`).
Format 1 (records written before migration ``0006_ledger``) hashes the first twelve fields;
format 2 adds ``format`` itself and the optional ``language``, ``shown_sha256``,
``acting_user``, ``claimed_at`` and ``source``. A stored record keeps its format, so its
stored hash still verifies.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Row, select

from publisher.store.tables import ACCEPTANCES as ACCEPTANCES
from publisher.store.tables import CHAIN_HEAD

GENESIS = "0" * 64
"""``prev_hash`` of the first record."""

HEAD = CHAIN_HEAD
HEAD_QUERY = select(HEAD.c.seq, HEAD.c.hash).where(HEAD.c.id == 1)
HEAD_MISSING = "ledger head missing: tampered (the chain_head row was deleted)"

CURRENT_FORMAT = 2
"""The record format new records are written in."""

FORMATS = (1, 2)


def format_time(moment: datetime) -> str:
    """A UTC time as the ledger writes it: ``2024-06-01T12:00:00.123456Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


Kind = Literal["integer", "text", "time"]
Source = Literal["chain", "content", "request"]


@dataclass(frozen=True)
class Field:
    """One hashed field of a ledger record."""

    key: str
    """Its name in the canonical JSON (and in ``to_dict``)."""
    column: str
    """Its column in ``acceptances``."""
    attribute: str
    """Its attribute on :class:`AcceptanceRecord` (and on the request, when given by it)."""
    kind: Kind
    """How it serialises: ``integer`` and ``text`` as themselves, ``time`` by
    :func:`format_time`; None stays null."""
    given_by: Source
    """Who supplies it: the chain (seq, prev_hash, time, format), the stored policy version
    (content), or the caller's :class:`~publisher.store.ledger_rules.AcceptanceRequest`."""
    nullable: bool = False
    since: int = 1
    """The first record format whose hash covers it."""

    def serialise(self, value: Any) -> Any:
        if value is None:
            return None
        if self.kind == "time":
            return format_time(value)
        return value


FIELDS: tuple[Field, ...] = (
    Field("seq", "seq", "seq", "integer", "chain"),
    Field("customer", "customer_id", "customer_id", "text", "request"),
    Field("policy", "slug", "policy", "text", "request"),
    Field("version", "version_label", "version", "text", "request"),
    Field("content_sha256", "content_sha256", "content_sha256", "text", "content"),
    Field("commit", "commit", "commit", "text", "content"),
    Field("notice", "notice_id", "notice_id", "integer", "request", nullable=True),
    Field("accepted_at", "accepted_at", "accepted_at", "time", "chain"),
    Field("ip", "ip", "ip", "text", "request", nullable=True),
    Field("user_agent", "user_agent", "user_agent", "text", "request", nullable=True),
    Field("method", "method", "method", "text", "request"),
    Field("prev_hash", "prev_hash", "prev_hash", "text", "chain"),
    Field("format", "format", "format", "integer", "chain", since=2),
    Field("language", "language", "language", "text", "request", nullable=True, since=2),
    Field("shown_sha256", "shown_sha256", "shown_sha256", "text", "request", True, 2),
    Field("acting_user", "acting_user", "acting_user", "text", "request", True, 2),
    Field("claimed_at", "claimed_at", "claimed_at", "time", "request", True, 2),
    Field("source", "source", "source", "text", "request", nullable=True, since=2),
)
"""The hashed fields, in declaration order (the JSON sorts its keys)."""

REQUEST_FIELDS = tuple(f for f in FIELDS if f.given_by == "request")


def fields_of(record_format: int) -> tuple[Field, ...]:
    """The fields the hash of a record of ``record_format`` covers."""
    if record_format not in FORMATS:
        raise ValueError(f"unknown ledger record format {record_format!r}")
    return tuple(f for f in FIELDS if f.since <= record_format)


def canonical(values: Mapping[str, Any]) -> dict[str, Any]:
    """The hashed fields of a record, JSON-ready, from its values by attribute name (the
    ``format`` value says which fields)."""
    return {f.key: f.serialise(values[f.attribute]) for f in fields_of(values["format"])}


def record_hash(fields: Mapping[str, Any]) -> str:
    """sha256 (hex) of the canonical JSON of ``fields``: sorted keys, no spaces, UTF-8."""
    return hashlib.sha256(canonical_json(fields).encode("utf-8")).hexdigest()


def canonical_json(fields: Mapping[str, Any]) -> str:
    """Sorted keys, no spaces, non-ASCII as itself."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def to_row(values: Mapping[str, Any]) -> dict[str, Any]:
    """The ``acceptances`` row (by column) of a record's values (by attribute), with
    ``hash`` when the values hold it."""
    row = {f.column: values[f.attribute] for f in FIELDS}
    if "hash" in values:
        row["hash"] = values["hash"]
    return row


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
    format: int = 1
    language: str | None = None
    """BCP 47 tag of the text shown, when given."""
    shown_sha256: str | None = None
    """sha256 of the exact text shown, when it was a translation."""
    acting_user: str | None = None
    """For an organisation customer: the named user who accepted on its behalf."""
    claimed_at: datetime | None = None
    """For an import: the original time the source claims (``accepted_at`` is when it was
    recorded)."""
    source: str | None = None
    """For an import: where the acceptance came from (file name, system)."""

    def fields(self, *, seq: int | None = None) -> dict[str, Any]:
        """The hashed fields (optionally as if the record had another ``seq``)."""
        values = {f.attribute: getattr(self, f.attribute) for f in FIELDS}
        if seq is not None:
            values["seq"] = seq
        return canonical(values)

    def computed_hash(self, *, seq: int | None = None) -> str:
        """What ``hash`` should be for the stored fields."""
        return record_hash(self.fields(seq=seq))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (reports, evidence, API): every field of every format (null when
        the record's format has not got it), ``format`` saying which ones its hash covers."""
        return {
            "id": self.id,
            **{f.key: f.serialise(getattr(self, f.attribute)) for f in FIELDS},
            "hash": self.hash,
        }

    @classmethod
    def from_row(cls, row: Row[Any] | Mapping[str, Any]) -> AcceptanceRecord:
        values = row._mapping if isinstance(row, Row) else row
        return cls(
            id=values["id"],
            hash=values["hash"],
            **{f.attribute: values[f.column] for f in FIELDS},
        )

    @classmethod
    def from_values(cls, record_id: int, values: Mapping[str, Any]) -> AcceptanceRecord:
        """The record of ``values`` (by attribute, with ``hash``) stored under ``record_id``."""
        return cls(
            id=record_id,
            hash=values["hash"],
            **{f.attribute: values[f.attribute] for f in FIELDS},
        )
