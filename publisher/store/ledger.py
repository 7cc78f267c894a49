"""The acceptance ledger: append-only records linked by a hash chain.

Each record carries ``seq`` (1, 2, 3… without gaps), ``prev_hash`` (the previous record's
hash; 64 zeros for the first) and ``hash`` = sha256 of the canonical JSON of its fields and
``prev_hash`` (:func:`record_hash`). The single ``chain_head`` row names the last record.

Writers serialise in the database, never in memory, so any number of processes on any number
of hosts keep one intact chain: SQLite takes its write lock at ``BEGIN IMMEDIATE``, PostgreSQL
locks the chain-head row (``SELECT … FOR UPDATE``) in one statement that links the whole batch
(:mod:`publisher.store.pg_append`). The record itself is in :mod:`publisher.store.record`;
:func:`verify_chain` (:mod:`publisher.store.chain_verify`) re-computes every hash and link and
names the first bad record.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, update

from publisher.errors import PublisherError
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
from publisher.store.ledger_rules import new_row as new_row
from publisher.store.ledger_rules import request_fields as request_fields
from publisher.store.ledger_rules import request_problem
from publisher.store.models import Acceptance, Customer, Notice, PolicyVersion, utcnow
from publisher.store.pg_append import append_checked
from publisher.store.record import ACCEPTANCES as _ACCEPTANCES
from publisher.store.record import GENESIS as GENESIS
from publisher.store.record import HEAD as _HEAD
from publisher.store.record import HEAD_MISSING as _HEAD_MISSING
from publisher.store.record import HEAD_QUERY as _HEAD_QUERY
from publisher.store.record import AcceptanceRecord as AcceptanceRecord
from publisher.store.record import canonical as canonical
from publisher.store.record import format_time as format_time
from publisher.store.record import record_hash as record_hash
from publisher.store.record import to_row


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
    with database.write() as connection:  # SQLite: the file lock serialises the writers
        existing = _existing(connection, [requests[i].key for i in pending])
        head = _head(connection)
        contents = _contents(connection, [requests[i] for i in pending])
        seq, prev_hash = head.seq, head.hash
        created: list[dict[str, Any]] = []  # values by attribute, in chain order
        waiting: dict[tuple[str, str, str], list[int]] = {}  # key → requests it answers
        accepted_at = now().astimezone(UTC)
        for index in pending:
            request = requests[index]
            found = existing.get(request.key)
            if found is not None:
                outcomes[index] = Recorded(found, created=False)
                continue
            content = contents[request]
            if isinstance(content, PublisherError):
                outcomes[index] = content
                continue
            if request.key in waiting:  # a repeat later in this batch
                waiting[request.key].append(index)
                continue
            seq += 1
            values = new_row(
                request, content, accepted_at=accepted_at, seq=seq, prev_hash=prev_hash
            )
            created.append(values)
            waiting[request.key] = [index]
            prev_hash = values["hash"]
        if created:
            ids = connection.execute(
                insert(_ACCEPTANCES).returning(_ACCEPTANCES.c.id, sort_by_parameter_order=True),
                [to_row(values) for values in created],
            ).scalars()
            for record_id, values, answered in zip(ids, created, waiting.values(), strict=True):
                record = AcceptanceRecord.from_values(record_id, values)
                for position, index in enumerate(answered):
                    outcomes[index] = Recorded(record, created=position == 0)
            connection.execute(update(_HEAD).where(_HEAD.c.id == 1).values(seq=seq, hash=prev_hash))
    final: list[Recorded | PublisherError] = []
    for outcome in outcomes:
        assert outcome is not None
        final.append(outcome)
    return final


def _head(connection: Connection, *, lock: bool = False) -> Row[Any, Any]:
    """The chain head row (seq, hash), optionally locked; its absence is tampering."""
    head = connection.execute(_HEAD_QUERY.with_for_update() if lock else _HEAD_QUERY).one_or_none()
    if head is None:
        raise LedgerError(
            _HEAD_MISSING,
            hint=_HEAD_HINT,
        )
    return head


def _contents(
    connection: Connection, requests: Sequence[AcceptanceRequest]
) -> dict[AcceptanceRequest, Content | PublisherError]:
    """Per request: the version's (sha256, commit, position), or why it cannot be recorded (unknown
    customer, version or notice)."""
    known_customers = set(
        connection.execute(
            select(Customer.id).where(Customer.id.in_({r.customer_id for r in requests}))
        ).scalars()
    )
    rows = connection.execute(
        select(
            PolicyVersion.slug,
            PolicyVersion.label,
            PolicyVersion.sha256,
            PolicyVersion.commit,
            PolicyVersion.position,
        ).where(PolicyVersion.slug.in_({r.policy for r in requests}))
    ).all()
    versions = {(row.slug, row.label): (row.sha256, row.commit, row.position) for row in rows}
    newest_accepted = {
        (row.customer_id, row.slug): row.position
        for row in connection.execute(
            select(
                Acceptance.customer_id,
                Acceptance.slug,
                func.max(PolicyVersion.position).label("position"),
            )
            .join(
                PolicyVersion,
                (Acceptance.slug == PolicyVersion.slug)
                & (Acceptance.version_label == PolicyVersion.label),
            )
            .where(
                Acceptance.customer_id.in_({r.customer_id for r in requests}),
                Acceptance.slug.in_({r.policy for r in requests}),
            )
            .group_by(Acceptance.customer_id, Acceptance.slug)
        )
    }
    notice_ids = {r.notice_id for r in requests if r.notice_id is not None}
    notices = (
        {
            row.id: (row.slug, row.version_label)
            for row in connection.execute(
                select(Notice.id, Notice.slug, Notice.version_label).where(
                    Notice.id.in_(notice_ids)
                )
            )
        }
        if notice_ids
        else {}
    )
    return judge(requests, Facts(known_customers, versions, notices, newest_accepted))


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
        return [AcceptanceRecord.from_row(row) for row in connection.execute(query)]


def chain_head(database: Database) -> tuple[int, str]:
    """(seq, hash) of the last record — publish it elsewhere as an anchor."""
    with database.read() as connection:
        head = _head(connection)
    return head.seq, head.hash
