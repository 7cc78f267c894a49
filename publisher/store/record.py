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
``acting_user``, ``claimed_at`` and ``source``; format 3 (migration ``0007_ledger_erasure``)
hashes the same fields, but its personal ones (``ip``, ``user_agent``, ``acting_user``) as
salted commitments (:func:`commitment`): the column holds the commitment, the value and its
salt are kept apart in ``personal_data``, where erasure can delete them while the chain keeps
verifying. A stored record keeps its format, so its stored hash still verifies.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as _field
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Connection, Row, Select, select

from publisher.store.tables import ACCEPTANCES as ACCEPTANCES
from publisher.store.tables import CHAIN_HEAD, PERSONAL

GENESIS = "0" * 64
"""``prev_hash`` of the first record."""

HEAD = CHAIN_HEAD
HEAD_QUERY = select(HEAD.c.seq, HEAD.c.hash).where(HEAD.c.id == 1)
HEAD_MISSING = "ledger head missing: tampered (the chain_head row was deleted)"

CURRENT_FORMAT = 3
"""The record format new records are written in."""

FORMATS = (1, 2, 3)

SEALED_SINCE = 3
"""The first format whose personal fields are hashed as commitments."""

ERASURE = "erasure"
"""The method of a record that says a customer's personal data was erased (no acceptance)."""


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
    personal: bool = False
    """Personal data: from format :data:`SEALED_SINCE` on hashed as a salted commitment, the
    value kept apart (``personal_data``) so that it can be erased."""

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
    Field("ip", "ip", "ip", "text", "request", nullable=True, personal=True),
    Field("user_agent", "user_agent", "user_agent", "text", "request", True, personal=True),
    Field("method", "method", "method", "text", "request"),
    Field("prev_hash", "prev_hash", "prev_hash", "text", "chain"),
    Field("format", "format", "format", "integer", "chain", since=2),
    Field("language", "language", "language", "text", "request", nullable=True, since=2),
    Field("shown_sha256", "shown_sha256", "shown_sha256", "text", "request", True, 2),
    Field("acting_user", "acting_user", "acting_user", "text", "request", True, 2, True),
    Field("claimed_at", "claimed_at", "claimed_at", "time", "request", True, 2),
    Field("source", "source", "source", "text", "request", nullable=True, since=2),
)
"""The hashed fields, in declaration order (the JSON sorts its keys)."""

REQUEST_FIELDS = tuple(f for f in FIELDS if f.given_by == "request")
PERSONAL_FIELDS = tuple(f for f in FIELDS if f.personal)


def commitment(salt: str, value: str) -> str:
    """The commitment to a personal value: ``c1:`` and sha256 (hex) of the salt's bytes
    (``salt`` is hex) followed by the value's UTF-8."""
    digest = hashlib.sha256(bytes.fromhex(salt) + value.encode("utf-8")).hexdigest()
    return f"c1:{digest}"


def new_salt() -> str:
    """A random salt of 16 bytes, hex."""
    return secrets.token_hex(16)


def fields_of(record_format: int) -> tuple[Field, ...]:
    """The fields the hash of a record of ``record_format`` covers."""
    if record_format not in FORMATS:
        raise ValueError(f"unknown ledger record format {record_format!r}")
    return tuple(f for f in FIELDS if f.since <= record_format)


def sealed(record_format: int) -> bool:
    """Whether a record of ``record_format`` hashes its personal fields as commitments."""
    return record_format >= SEALED_SINCE


def canonical(values: Mapping[str, Any]) -> dict[str, Any]:
    """The hashed fields of a record, JSON-ready, from its values by attribute name (the
    ``format`` value says which fields; from format 3 the personal fields' values are their
    commitments, ``values["commitments"]``)."""
    record_format = values["format"]
    commitments: Mapping[str, str] = values.get("commitments") or {}
    return {
        f.key: commitments.get(f.attribute)
        if f.personal and sealed(record_format)
        else f.serialise(values[f.attribute])
        for f in fields_of(record_format)
    }


def hashed_document(document: Mapping[str, Any]) -> dict[str, Any]:
    """The hashed fields of a record's JSON form (:meth:`AcceptanceRecord.to_dict`), as
    :func:`record_hash` takes them: what an offline check of an exported record hashes."""
    record_format = document.get("format", 1)
    commitments = document.get("commitments") or {}
    return {
        f.key: commitments.get(f.key)
        if f.personal and sealed(record_format)
        else document.get(f.key)
        for f in fields_of(record_format)
    }


def seal(values: dict[str, Any]) -> None:
    """Give ``values`` (a new record's, by attribute) a salt and a commitment for each
    personal value it holds, when its format hashes commitments."""
    values["commitments"], values["salts"] = {}, {}
    if not sealed(values["format"]):
        return
    for f in PERSONAL_FIELDS:
        value = values[f.attribute]
        if value is not None:
            salt = new_salt()
            values["salts"][f.attribute] = salt
            values["commitments"][f.attribute] = commitment(salt, value)


def record_hash(fields: Mapping[str, Any]) -> str:
    """sha256 (hex) of the canonical JSON of ``fields``: sorted keys, no spaces, UTF-8."""
    return hashlib.sha256(canonical_json(fields).encode("utf-8")).hexdigest()


def canonical_json(fields: Mapping[str, Any]) -> str:
    """Sorted keys, no spaces, non-ASCII as itself."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def to_row(values: Mapping[str, Any]) -> dict[str, Any]:
    """The ``acceptances`` row (by column) of a record's values (by attribute), with
    ``hash`` when the values hold it: a sealed record's personal columns hold commitments."""
    commitments: Mapping[str, str] = values.get("commitments") or {}
    row = {
        f.column: commitments.get(f.attribute)
        if f.personal and sealed(values["format"])
        else values[f.attribute]
        for f in FIELDS
    }
    if "hash" in values:
        row["hash"] = values["hash"]
    return row


def personal_rows(record_id: int, values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The ``personal_data`` rows of a sealed record: each personal value with its salt."""
    salts: Mapping[str, str] = values.get("salts") or {}
    return [
        {
            "acceptance_id": record_id,
            "field": f.column,
            "salt": salts[f.attribute],
            "value": values[f.attribute],
            "erased_at": None,
        }
        for f in PERSONAL_FIELDS
        if f.attribute in salts
    ]


def opened_sql(column: str, record: str = "a") -> str:
    """SQL for the plaintext of personal ``column`` of the ``acceptances`` row aliased
    ``record``: the kept value of a sealed record (NULL once erased), the column itself for
    records of formats 1 and 2, which hold it in plaintext. ``column`` is a constant."""
    assert column in {f.column for f in PERSONAL_FIELDS}, column
    value = f"{record}.{column}"
    return (
        f"CASE WHEN substr({value}, 1, 3) = 'c1:' THEN (SELECT pd.value FROM personal_data pd "
        f"WHERE pd.acceptance_id = {record}.id AND pd.field = '{column}') ELSE {value} END"
    )


Opened = tuple[str | None, str | None, datetime | None]
"""A ``personal_data`` row: (salt, value, erased_at); salt and value None once erased."""


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
    commitments: Mapping[str, str] = _field(default_factory=dict, hash=False)
    """Sealed records (format 3): attribute → the commitment hashed (and stored) in place
    of the personal value."""
    salts: Mapping[str, str] = _field(default_factory=dict, hash=False)
    """attribute → salt of each personal value still kept (gone once erased)."""
    erased_at: datetime | None = None
    """When personal values of this record were erased (None: never)."""

    def fields(self, *, seq: int | None = None) -> dict[str, Any]:
        """The hashed fields (optionally as if the record had another ``seq``)."""
        values = {f.attribute: getattr(self, f.attribute) for f in FIELDS}
        values["commitments"] = self.commitments
        if seq is not None:
            values["seq"] = seq
        return canonical(values)

    def computed_hash(self, *, seq: int | None = None) -> str:
        """What ``hash`` should be for the stored fields."""
        return record_hash(self.fields(seq=seq))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (reports, evidence, API): every field of every format (null when
        the record's format has not got it), ``format`` saying which ones its hash covers."""
        by_key = {f.attribute: f.key for f in FIELDS}
        return {
            "id": self.id,
            **{f.key: f.serialise(getattr(self, f.attribute)) for f in FIELDS},
            "commitments": {by_key[a]: c for a, c in sorted(self.commitments.items())},
            "salts": {by_key[a]: salt for a, salt in sorted(self.salts.items())},
            "erased_at": format_time(self.erased_at) if self.erased_at else None,
            "hash": self.hash,
        }

    def opening_problem(self) -> str | None:
        """Why a kept personal value does not open its commitment (None: each does)."""
        for f in PERSONAL_FIELDS:
            salt, value = self.salts.get(f.attribute), getattr(self, f.attribute)
            promised = self.commitments.get(f.attribute)
            if promised is None:
                continue
            if salt is None or value is None:
                if salt is not None or value is not None:
                    return f"its {f.key} is half erased (value or salt kept alone)"
                continue
            if commitment(salt, value) != promised:
                return f"its {f.key} no longer matches the commitment in its hash"
        return None

    @classmethod
    def from_row(
        cls, row: Row[Any] | Mapping[str, Any], personal: Mapping[str, Opened] | None = None
    ) -> AcceptanceRecord:
        """The record of an ``acceptances`` row; ``personal``: its ``personal_data`` rows by
        column (a sealed record without them shows its personal values as None)."""
        values = row._mapping if isinstance(row, Row) else row
        attributes = {f.attribute: values[f.column] for f in FIELDS}
        commitments: dict[str, str] = {}
        salts: dict[str, str] = {}
        erased: list[datetime] = []
        if sealed(attributes["format"]):
            for f in PERSONAL_FIELDS:
                promised = attributes[f.attribute]
                attributes[f.attribute] = None
                if promised is None:
                    continue
                commitments[f.attribute] = promised
                salt, value, erased_at = (personal or {}).get(f.column, (None, None, None))
                attributes[f.attribute] = value
                if salt is not None:
                    salts[f.attribute] = salt
                if erased_at is not None:
                    erased.append(erased_at)
        return cls(
            id=values["id"],
            hash=values["hash"],
            commitments=commitments,
            salts=salts,
            erased_at=max(erased) if erased else None,
            **attributes,
        )

    @classmethod
    def from_values(cls, record_id: int, values: Mapping[str, Any]) -> AcceptanceRecord:
        """The record of ``values`` (by attribute, with ``hash``) stored under ``record_id``."""
        return cls(
            id=record_id,
            hash=values["hash"],
            commitments=dict(values.get("commitments") or {}),
            salts=dict(values.get("salts") or {}),
            **{f.attribute: values[f.attribute] for f in FIELDS},
        )


def personal_data(
    connection: Connection, ids: Sequence[int] | None = None
) -> dict[int, dict[str, Opened]]:
    """record id → column → its ``personal_data`` row, for ``ids`` (None: every record)."""
    found: dict[int, dict[str, Opened]] = {}
    query = select(PERSONAL)
    chunks = [None] if ids is None else [ids[i : i + 500] for i in range(0, len(ids), 500)]
    for chunk in chunks:
        wanted = query if chunk is None else query.where(PERSONAL.c.acceptance_id.in_(chunk))
        for row in connection.execute(wanted):
            found.setdefault(row.acceptance_id, {})[row.field] = (
                row.salt,
                row.value,
                row.erased_at,
            )
    return found


def read_records(
    connection: Connection, query: Select[Any], *, every: bool = False
) -> list[AcceptanceRecord]:
    """The records ``query`` (of ``acceptances``) selects, with their personal data
    (``every``: read all personal data in one query, for a query of the whole ledger)."""
    rows = connection.execute(query).all()
    sealed_ids = [row.id for row in rows if sealed(row.format)]
    personal = personal_data(connection, None if every else sealed_ids) if sealed_ids else {}
    return [AcceptanceRecord.from_row(row, personal.get(row.id)) for row in rows]
