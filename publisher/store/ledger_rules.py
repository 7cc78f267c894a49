"""What the ledger's writers share: the request and outcome types, the record a request
becomes, and the checks a batch passes before it is linked into the chain (:func:`judge`).

Both append paths use them: SQLite's, under its file lock (:mod:`publisher.store.ledger`),
and PostgreSQL's, which links a batch in one statement (:mod:`publisher.store.pg_append`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from publisher.errors import NotFoundError, PublisherError
from publisher.languages import valid_tag
from publisher.store.record import ACCEPTANCES as _ACCEPTANCES
from publisher.store.record import (
    CURRENT_FORMAT,
    REQUEST_FIELDS,
    AcceptanceRecord,
    canonical,
    record_hash,
)


class LedgerError(PublisherError):
    """An acceptance cannot be recorded as asked (unknown method, bad value)."""


class NewerAccepted(LedgerError):
    """The customer already accepted a later version of the policy: an older one is never
    recorded after it (only ``import`` may record history out of order)."""


METHODS = ("link", "api", "import")
"""How an acceptance was given: the signed link page, the reports/admin API, or an import."""

_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Recorded:
    """The outcome of recording: the record and whether this request created it."""

    record: AcceptanceRecord
    created: bool


@dataclass(frozen=True)
class AcceptanceRequest:
    """One acceptance to record: who accepted which policy version, how, from where.

    Its attributes are the hashed fields the caller gives (``given_by="request"`` in
    :data:`~publisher.store.record.FIELDS`; a test keeps the two the same)."""

    customer_id: str
    policy: str
    version: str
    method: str
    notice_id: int | None = None
    ip: str | None = None
    user_agent: str | None = None
    language: str | None = None
    """BCP 47 tag of the text shown (a translation's language)."""
    shown_sha256: str | None = None
    """sha256 of the exact text shown, when it is a translation."""
    acting_user: str | None = None
    """For an organisation customer: the named user who accepted on its behalf."""
    claimed_at: datetime | None = None
    """For an import: the original time the source claims."""
    source: str | None = None
    """For an import: where the acceptance came from (file name, system)."""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.customer_id, self.policy, self.version)


Content = tuple[str, str, int]


def record_values(
    request: AcceptanceRequest, content: Content, *, accepted_at: datetime, seq: int, prev_hash: str
) -> dict[str, Any]:
    """The values (by attribute) of the record ``request`` becomes at ``seq`` after
    ``prev_hash``, in the current record format, without its hash."""
    values: dict[str, Any] = {f.attribute: getattr(request, f.attribute) for f in REQUEST_FIELDS}
    values.update(
        content_sha256=content[0],
        commit=content[1],
        seq=seq,
        prev_hash=prev_hash,
        accepted_at=accepted_at,
        format=CURRENT_FORMAT,
    )
    return values


def request_fields(
    request: AcceptanceRequest, content: Content, *, accepted_at: datetime, seq: int, prev_hash: str
) -> dict[str, Any]:
    """The hashed fields of the record ``request`` becomes at ``seq`` after ``prev_hash``."""
    return canonical(
        record_values(request, content, accepted_at=accepted_at, seq=seq, prev_hash=prev_hash)
    )


def new_row(
    request: AcceptanceRequest, content: Content, *, accepted_at: datetime, seq: int, prev_hash: str
) -> dict[str, Any]:
    """The values (by attribute) of the record ``request`` becomes, its hash computed
    (:func:`~publisher.store.record.to_row` gives the ``acceptances`` row)."""
    values = record_values(request, content, accepted_at=accepted_at, seq=seq, prev_hash=prev_hash)
    values["hash"] = record_hash(canonical(values))
    return values


def request_problem(request: AcceptanceRequest) -> LedgerError | None:
    """Why ``request`` cannot be recorded whatever the store holds (None: it may be)."""
    if request.method not in METHODS:
        return LedgerError(
            f"unknown acceptance method {request.method!r}", hint=f"use one of {METHODS}"
        )
    if request.language is not None and not valid_tag(request.language):
        return LedgerError(
            f"language {request.language!r} is not a BCP 47 tag", hint="e.g. de, fr-CA, pt-BR"
        )
    if request.shown_sha256 is not None and not _SHA256.fullmatch(request.shown_sha256):
        return LedgerError(
            f"shown_sha256 {request.shown_sha256!r} is not a sha256 (64 lowercase hex digits)"
        )
    if request.claimed_at is not None and request.claimed_at.tzinfo is None:
        return LedgerError(
            f"claimed_at {request.claimed_at.isoformat()} has no time zone",
            hint="give the time with its offset, e.g. 2024-03-01T09:00:00+00:00",
        )
    for name in ("acting_user", "source"):
        value = getattr(request, name)
        if value is not None and not value.strip():
            return LedgerError(f"{name} is empty", hint=f"leave {name} out instead")
    return None


_HEAD_HINT = "run `publisher audit verify`, and restore the database from a backup"


def _existing(
    connection: Connection, keys: Sequence[tuple[str, str, str]]
) -> dict[tuple[str, str, str], AcceptanceRecord]:
    """Stored records for these (customer, policy, version) keys."""
    found: dict[tuple[str, str, str], AcceptanceRecord] = {}
    customers = sorted({k[0] for k in keys})
    wanted = set(keys)
    for start in range(0, len(customers), 500):
        rows = connection.execute(
            select(_ACCEPTANCES).where(
                _ACCEPTANCES.c.customer_id.in_(customers[start : start + 500])
            )
        )
        for row in rows:
            record = AcceptanceRecord.from_row(row)
            key = (record.customer_id, record.policy, record.version)
            if key in wanted:
                found[key] = record
    return found


@dataclass(frozen=True)
class Facts:
    """What the store says about a batch's references (see :func:`judge`)."""

    customers: set[str]
    """The batch's customers that exist."""
    versions: dict[tuple[str, str], Content]
    """(slug, label) → (sha256, commit, position) of the versions that exist."""
    notices: dict[int, tuple[str, str]]
    """notice id → (slug, label) of the notices that exist."""
    newest: dict[tuple[str, str], int]
    """(customer, slug) → position of the newest version the customer accepted."""


def judge(
    requests: Sequence[AcceptanceRequest], facts: Facts
) -> dict[AcceptanceRequest, Content | PublisherError]:
    """Per request: the version's content, or why it cannot be recorded. Pure."""
    known_customers, versions = facts.customers, facts.versions
    notices, newest_accepted = facts.notices, facts.newest
    result: dict[AcceptanceRequest, Content | PublisherError] = {}
    for request in requests:
        if request.customer_id not in known_customers:
            result[request] = NotFoundError(
                f"unknown customer {request.customer_id!r}",
                hint="import customers with `publisher customers import FILE.csv`",
            )
        elif (request.policy, request.version) not in versions:
            result[request] = NotFoundError(
                f"unknown policy version {request.policy} {request.version}",
                hint="run `publisher db sync` to copy the policy versions from git into the store",
            )
        elif request.notice_id is not None and request.notice_id not in notices:
            result[request] = NotFoundError(f"unknown notice {request.notice_id}")
        elif request.notice_id is not None and notices[request.notice_id] != (
            request.policy,
            request.version,
        ):
            about = " ".join(notices[request.notice_id])
            result[request] = LedgerError(
                f"notice {request.notice_id} is about {about}, "
                f"not {request.policy} {request.version}"
            )
        elif (
            request.method != "import"
            and newest_accepted.get((request.customer_id, request.policy), -1)
            > versions[(request.policy, request.version)][2]
        ):
            result[request] = NewerAccepted(
                f"customer {request.customer_id} already accepted a later version of "
                f"{request.policy} than {request.version}",
                hint="an older version is never recorded after a newer one",
            )
        else:
            result[request] = versions[(request.policy, request.version)]
    return result
