"""The acceptance ledger: append-only records linked by a hash chain.

Each record carries ``seq`` (1, 2, 3… without gaps), ``prev_hash`` (the previous record's
hash; 64 zeros for the first) and ``hash`` = sha256 of the canonical JSON of its fields and
``prev_hash`` (:func:`record_hash`). The single ``chain_head`` row names the last record.

Writers serialise in the database, never in memory, so any number of processes on any number
of hosts keep one intact chain: SQLite takes its write lock at ``BEGIN IMMEDIATE`` and checks
and links a batch under it in fixed statements (:mod:`publisher.store.sqlite_append`), PostgreSQL
locks the chain-head row (``SELECT … FOR UPDATE``) in one statement that links the whole batch
(:mod:`publisher.store.pg_append`). The record itself is in :mod:`publisher.store.record`;
:func:`verify_chain` (:mod:`publisher.store.chain_verify`) re-computes every hash and link and
names the first bad record.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select

from publisher.errors import PublisherError
from publisher.store import sqlite_append
from publisher.store.chain_verify import (
    ChainProblem as ChainProblem,
)
from publisher.store.chain_verify import (
    ChainVerification as ChainVerification,
)
from publisher.store.chain_verify import (
    ProblemKind as ProblemKind,
)
from publisher.store.chain_verify import (
    check_records as check_records,
)
from publisher.store.chain_verify import (
    verify_chain as verify_chain,
)
from publisher.store.db import Database
from publisher.store.ledger_rules import _HEAD_HINT as _HEAD_HINT
from publisher.store.ledger_rules import METHODS as METHODS
from publisher.store.ledger_rules import AcceptanceRequest as AcceptanceRequest
from publisher.store.ledger_rules import Content as Content
from publisher.store.ledger_rules import Facts as Facts
from publisher.store.ledger_rules import LedgerError as LedgerError
from publisher.store.ledger_rules import NewerAccepted as NewerAccepted
from publisher.store.ledger_rules import Recorded as Recorded
from publisher.store.ledger_rules import _existing as _existing
from publisher.store.ledger_rules import judge as judge
from publisher.store.ledger_rules import linked, request_problem
from publisher.store.ledger_rules import new_row as new_row
from publisher.store.ledger_rules import request_fields as request_fields
from publisher.store.models import utcnow
from publisher.store.pg_append import append_checked, append_item, prepared
from publisher.store.record import ACCEPTANCES as _ACCEPTANCES
from publisher.store.record import GENESIS as GENESIS
from publisher.store.record import HEAD_MISSING as _HEAD_MISSING
from publisher.store.record import HEAD_QUERY as _HEAD_QUERY
from publisher.store.record import AcceptanceRecord as AcceptanceRecord
from publisher.store.record import canonical as canonical
from publisher.store.record import format_time as format_time
from publisher.store.record import read_records
from publisher.store.record import record_hash as record_hash


def record_acceptance(
    database: Database,
    *,
    customer_id: str,
    policy: str,
    version: str,
    method: str,
    notice_id: int | None = None,
    ip: str | None = None,
    user_agent: str | None = None,
    language: str | None = None,
    shown_sha256: str | None = None,
    acting_user: str | None = None,
    claimed_at: datetime | None = None,
    source: str | None = None,
    now: Callable[[], datetime] = utcnow,
) -> Recorded:
    """Append the customer's acceptance of ``policy`` ``version`` to the ledger, once.

    The content sha256 and commit come from the stored policy version (see
    :mod:`publisher.store.versions`), the time from the server clock. Accepting again returns
    the existing record with ``created=False``. Raises :class:`NotFoundError` for an unknown
    customer, policy version or notice.
    """
    request = AcceptanceRequest(
        customer_id,
        policy,
        version,
        method,
        notice_id=notice_id,
        ip=ip,
        user_agent=user_agent,
        language=language,
        shown_sha256=shown_sha256,
        acting_user=acting_user,
        claimed_at=claimed_at,
        source=source,
    )
    (outcome,) = record_acceptances(database, [request], now=now)
    if isinstance(outcome, PublisherError):
        raise outcome
    return outcome


def record_acceptances(
    database: Database,
    requests: Sequence[AcceptanceRequest],
    *,
    now: Callable[[], datetime] = utcnow,
    flush: bool = True,
) -> list[Recorded | PublisherError]:
    """Append many acceptances in one transaction: one chain lock, one commit.

    With ``flush`` False (PostgreSQL; SQLite ignores it) the records may not be durable yet
    when this returns: call :func:`publisher.store.pg_append.make_durable` before
    acknowledging them (:class:`~publisher.store.group_commit.GroupCommit` does, in another
    thread, while it links the next batch).

    Returns one outcome per request, in order: the record (``created`` False when it existed
    before, or earlier in the same batch), or the error that refused that request alone
    (unknown customer, version, notice or method, a malformed value) — one bad request does
    not fail the others. A database failure raises and records nothing.
    """
    outcomes: list[Recorded | PublisherError | None] = [None] * len(requests)
    for index, request in enumerate(requests):
        outcomes[index] = request_problem(request)
    pending = [i for i, outcome in enumerate(outcomes) if outcome is None]
    if not pending:
        return [o for o in outcomes if o is not None]
    if database.dialect == "postgresql":
        return append_checked(database, requests, outcomes, pending, accepted_at=now(), flush=flush)
    # SQLite: the file lock serialises the writers
    return sqlite_append.append_checked(database, requests, outcomes, pending, now=now)


def append_within(
    connection: Connection, dialect: str, values: dict[str, Any], *, position: int
) -> AcceptanceRecord:
    """Append one record already checked (``values`` by attribute, sealed, seq and
    prev_hash still to come) inside the caller's write transaction, so that it commits with
    what the caller changed (an erasure): SQLite under the file lock the caller holds,
    PostgreSQL through the append function (durable)."""
    if dialect == "postgresql":
        return append_item(connection, prepared(values, position))
    seq, prev_hash = sqlite_append.head(connection)
    (record,) = sqlite_append.insert_linked(
        connection, [linked(values, seq=seq + 1, prev_hash=prev_hash)]
    )
    return record


def _head(connection: Connection, *, lock: bool = False) -> Row[Any, Any]:
    """The chain head row (seq, hash), optionally locked; its absence is tampering."""
    head = connection.execute(_HEAD_QUERY.with_for_update() if lock else _HEAD_QUERY).one_or_none()
    if head is None:
        raise LedgerError(
            _HEAD_MISSING,
            hint=_HEAD_HINT,
        )
    return head


def records(
    database: Database,
    *,
    customer_id: str | None = None,
    policy: str | None = None,
    version: str | None = None,
) -> list[AcceptanceRecord]:
    """Ledger records in chain order, optionally for one customer / policy / version."""
    query = select(_ACCEPTANCES).order_by(_ACCEPTANCES.c.seq)
    if customer_id is not None:
        query = query.where(_ACCEPTANCES.c.customer_id == customer_id)
    if policy is not None:
        query = query.where(_ACCEPTANCES.c.slug == policy)
    if version is not None:
        query = query.where(_ACCEPTANCES.c.version_label == version)
    with database.read() as connection:
        return read_records(connection, query, every=customer_id is None and policy is None)


def chain_head(database: Database) -> tuple[int, str]:
    """(seq, hash) of the last record — publish it elsewhere as an anchor."""
    with database.read() as connection:
        head = _head(connection)
    return head.seq, head.hash
