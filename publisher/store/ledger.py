"""The acceptance ledger: append-only records linked by a hash chain.

Each record carries ``seq`` (1, 2, 3… without gaps), ``prev_hash`` (the previous record's
hash; 64 zeros for the first) and ``hash`` = sha256 of the canonical JSON of its fields and
``prev_hash`` (:func:`record_hash`). The single ``chain_head`` row names the last record.

Writers serialise in the database, never in memory, so any number of processes on any number
of hosts keep one intact chain: SQLite takes its write lock at ``BEGIN IMMEDIATE``, PostgreSQL
locks the chain-head row (``SELECT … FOR UPDATE``) inside the insert transaction.
:func:`verify_chain` re-computes every hash and link and names the first bad record.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Connection, Row, func, insert, select, update

from publisher.errors import NotFoundError, PublisherError
from publisher.store.db import Database
from publisher.store.models import (
    Acceptance,
    Customer,
    Notice,
    PolicyVersion,
    utcnow,
)
from publisher.store.tables import ACCEPTANCES, CHAIN_HEAD

GENESIS = "0" * 64
"""``prev_hash`` of the first record."""

METHODS = ("link", "api", "import")
"""How an acceptance was given: the signed link page, the reports/admin API, or an import."""

_ACCEPTANCES = ACCEPTANCES
_HEAD = CHAIN_HEAD


class LedgerError(PublisherError):
    """An acceptance cannot be recorded as asked (unknown method, bad value)."""


class NewerAccepted(LedgerError):
    """The customer already accepted a later version of the policy: an older one is never
    recorded after it (only ``import`` may record history out of order)."""


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


@dataclass(frozen=True)
class Recorded:
    """The outcome of recording: the record and whether this request created it."""

    record: AcceptanceRecord
    created: bool


@dataclass(frozen=True)
class AcceptanceRequest:
    """One acceptance to record: who accepted which policy version, how, from where."""

    customer_id: str
    policy: str
    version: str
    method: str
    notice_id: int | None = None
    ip: str | None = None
    user_agent: str | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.customer_id, self.policy, self.version)


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
    now: Callable[[], datetime] = utcnow,
) -> Recorded:
    """Append the customer's acceptance of ``policy`` ``version`` to the ledger, once.

    The content sha256 and commit come from the stored policy version (see
    :mod:`publisher.store.versions`), the time from the server clock. Accepting again returns
    the existing record with ``created=False``. Raises :class:`NotFoundError` for an unknown
    customer, policy version or notice.
    """
    request = AcceptanceRequest(customer_id, policy, version, method, notice_id, ip, user_agent)
    (outcome,) = record_acceptances(database, [request], now=now)
    if isinstance(outcome, PublisherError):
        raise outcome
    return outcome


def record_acceptances(
    database: Database,
    requests: Sequence[AcceptanceRequest],
    *,
    now: Callable[[], datetime] = utcnow,
) -> list[Recorded | PublisherError]:
    """Append many acceptances in one transaction: one chain lock, one commit.

    Returns one outcome per request, in order: the record (``created`` False when it existed
    before, or earlier in the same batch), or the error that refused that request alone
    (unknown customer, version, notice or method) — one bad request does not fail the others.
    A database failure raises and records nothing.
    """
    outcomes: list[Recorded | PublisherError | None] = [None] * len(requests)
    for index, request in enumerate(requests):
        if request.method not in METHODS:
            outcomes[index] = LedgerError(f"unknown acceptance method {request.method!r}",
                                          hint=f"use one of {METHODS}")
    pending = [i for i, outcome in enumerate(outcomes) if outcome is None]
    if not pending:
        return [o for o in outcomes if o is not None]
    with database.write() as connection:
        existing = _existing(connection, [requests[i].key for i in pending])
        if database.dialect == "postgresql" and len(existing) < len({requests[i].key
                                                                     for i in pending}):
            head = _head(connection, lock=True)
            # Other writers may have recorded some of them while we waited for the lock.
            existing = _existing(connection, [requests[i].key for i in pending])
        else:
            head = _head(connection)
        contents = _contents(connection, [requests[i] for i in pending])
        seq, prev_hash = head.seq, head.hash
        created: list[dict[str, Any]] = []
        ids: dict[int, int] = {}
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
            seq += 1
            fields = canonical_fields(
                seq=seq, customer=request.customer_id, policy=request.policy,
                version=request.version, content_sha256=content[0], commit=content[1],
                notice=request.notice_id, accepted_at=accepted_at, ip=request.ip,
                user_agent=request.user_agent, method=request.method, prev_hash=prev_hash,
            )
            digest = record_hash(fields)
            created.append({
                "seq": seq, "customer_id": request.customer_id, "slug": request.policy,
                "version_label": request.version, "content_sha256": content[0],
                "commit": content[1], "notice_id": request.notice_id,
                "accepted_at": accepted_at, "ip": request.ip,
                "user_agent": request.user_agent, "method": request.method,
                "prev_hash": prev_hash, "hash": digest,
            })
            prev_hash = digest
            # Stand-in until the insert gives the id; a repeat later in this batch sees it.
            existing[request.key] = AcceptanceRecord.from_row({"id": 0, **created[-1]})
            outcomes[index] = Recorded(existing[request.key], created=True)
        if created:
            connection.execute(insert(_ACCEPTANCES), created)
            ids = {
                row.seq: row.id
                for row in connection.execute(
                    select(_ACCEPTANCES.c.seq, _ACCEPTANCES.c.id).where(
                        _ACCEPTANCES.c.seq > head.seq, _ACCEPTANCES.c.seq <= seq
                    )
                )
            }
            connection.execute(update(_HEAD).where(_HEAD.c.id == 1)
                               .values(seq=seq, hash=prev_hash))
    final: list[Recorded | PublisherError] = []
    for outcome in outcomes:
        assert outcome is not None
        if isinstance(outcome, Recorded) and outcome.record.id == 0:
            record = replace(outcome.record, id=ids[outcome.record.seq])
            outcome = Recorded(record, created=outcome.created)
        final.append(outcome)
    return final


_HEAD_QUERY = select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1)
_HEAD_MISSING = "ledger head missing: tampered (the chain_head row was deleted)"


def _head(connection: Connection, *, lock: bool = False) -> Row[Any, Any]:
    """The chain head row (seq, hash), optionally locked; its absence is tampering."""
    head = connection.execute(_HEAD_QUERY.with_for_update() if lock else _HEAD_QUERY).one_or_none()
    if head is None:
        raise LedgerError(
            _HEAD_MISSING,
            hint="run `publisher audit verify`, and restore the database from a backup",
        )
    return head


def _existing(
    connection: Connection, keys: Sequence[tuple[str, str, str]]
) -> dict[tuple[str, str, str], AcceptanceRecord]:
    """Stored records for these (customer, policy, version) keys."""
    found: dict[tuple[str, str, str], AcceptanceRecord] = {}
    customers = sorted({k[0] for k in keys})
    wanted = set(keys)
    for start in range(0, len(customers), 500):
        rows = connection.execute(
            select(_ACCEPTANCES).where(_ACCEPTANCES.c.customer_id.in_(customers[start:start + 500]))
        )
        for row in rows:
            record = AcceptanceRecord.from_row(row)
            key = (record.customer_id, record.policy, record.version)
            if key in wanted:
                found[key] = record
    return found


def _contents(
    connection: Connection, requests: Sequence[AcceptanceRequest]
) -> dict[AcceptanceRequest, tuple[str, str] | PublisherError]:
    """Per request: the version's (sha256, commit), or why it cannot be recorded (unknown
    customer, version or notice)."""
    known_customers = set(connection.execute(
        select(Customer.id).where(Customer.id.in_({r.customer_id for r in requests}))
    ).scalars())
    rows = connection.execute(
        select(PolicyVersion.slug, PolicyVersion.label, PolicyVersion.sha256,
               PolicyVersion.commit, PolicyVersion.position)
        .where(PolicyVersion.slug.in_({r.policy for r in requests}))
    ).all()
    versions = {(row.slug, row.label): (row.sha256, row.commit) for row in rows}
    positions = {(row.slug, row.label): row.position for row in rows}
    newest_accepted = {
        (row.customer_id, row.slug): row.position
        for row in connection.execute(
            select(Acceptance.customer_id, Acceptance.slug,
                   func.max(PolicyVersion.position).label("position"))
            .join(PolicyVersion, (Acceptance.slug == PolicyVersion.slug)
                  & (Acceptance.version_label == PolicyVersion.label))
            .where(Acceptance.customer_id.in_({r.customer_id for r in requests}),
                   Acceptance.slug.in_({r.policy for r in requests}))
            .group_by(Acceptance.customer_id, Acceptance.slug)
        )
    }
    notice_ids = {r.notice_id for r in requests if r.notice_id is not None}
    notices = {
        row.id: (row.slug, row.version_label)
        for row in connection.execute(
            select(Notice.id, Notice.slug, Notice.version_label).where(Notice.id.in_(notice_ids))
        )
    } if notice_ids else {}
    result: dict[AcceptanceRequest, tuple[str, str] | PublisherError] = {}
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
            request.policy, request.version
        ):
            about = " ".join(notices[request.notice_id])
            result[request] = LedgerError(
                f"notice {request.notice_id} is about {about}, "
                f"not {request.policy} {request.version}"
            )
        elif request.method != "import" and newest_accepted.get(
            (request.customer_id, request.policy), -1
        ) > positions[(request.policy, request.version)]:
            result[request] = NewerAccepted(
                f"customer {request.customer_id} already accepted a later version of "
                f"{request.policy} than {request.version}",
                hint="an older version is never recorded after a newer one",
            )
        else:
            result[request] = versions[(request.policy, request.version)]
    return result


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


# -- verification -----------------------------------------------------------------------------

ProblemKind = Literal["edited", "reordered", "missing", "broken", "head"]


@dataclass(frozen=True)
class ChainProblem:
    """One defect of the chain, at the record it was found on (None: the chain head)."""

    kind: ProblemKind
    seq: int | None
    id: int | None
    message: str


@dataclass(frozen=True)
class ChainVerification:
    """The result of :func:`verify_chain`."""

    records: int
    head_seq: int
    head_hash: str
    problems: tuple[ChainProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> ChainProblem | None:
        """The first bad record (in chain order), or None when the chain is intact."""
        return self.problems[0] if self.problems else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "records": self.records,
            "head": {"seq": self.head_seq, "hash": self.head_hash},
            "problems": [
                {"kind": p.kind, "seq": p.seq, "id": p.id, "message": p.message}
                for p in self.problems
            ],
        }


def _chain_positions(rows: list[AcceptanceRecord]) -> dict[int, int]:
    """Record id → its position in the chain as linked by the hashes (from the genesis)."""
    following = {row.prev_hash: row for row in rows}
    positions: dict[int, int] = {}
    current, position = GENESIS, 0
    while current in following and len(positions) < len(rows):
        row = following.pop(current)
        position += 1
        positions[row.id] = position
        current = row.hash
    return positions


def _describe(row: AcceptanceRecord) -> str:
    return f"record seq {row.seq} (id {row.id}; {row.customer_id} {row.policy} {row.version})"


def check_records(
    rows: Iterable[AcceptanceRecord], *, head_seq: int, head_hash: str
) -> ChainVerification:
    """Verify records given in stored order (by ``seq``) against each other and the head.

    Pure: the database is read by :func:`verify_chain`.
    """
    ordered = list(rows)
    hashes = {row.hash for row in ordered}
    positions = _chain_positions(ordered)
    problems: list[ChainProblem] = []
    expected_prev, expected_seq = GENESIS, 1
    for row in ordered:
        where = _describe(row)
        reported = False
        if row.computed_hash() != row.hash:
            true_seq = positions.get(row.id)
            if true_seq is not None and true_seq != row.seq and (
                row.computed_hash(seq=true_seq) == row.hash
            ):
                problems.append(ChainProblem(
                    "reordered", row.seq, row.id,
                    f"{where} was reordered: it was recorded as seq {true_seq}",
                ))
            else:
                problems.append(ChainProblem(
                    "edited", row.seq, row.id,
                    f"{where} was edited: its fields no longer match its hash",
                ))
            reported = True
        if not reported and row.seq > expected_seq and row.prev_hash not in hashes:
            gap = (
                f"seq {expected_seq}"
                if row.seq == expected_seq + 1
                else f"seq {expected_seq}–{row.seq - 1}"
            )
            problems.append(ChainProblem(
                "missing", row.seq, row.id,
                f"record {gap} is missing (deleted): {where} follows a record "
                "that is not in the ledger",
            ))
            reported = True
        if not reported and row.prev_hash != expected_prev:
            kind: ProblemKind = "reordered" if row.prev_hash in hashes else "broken"
            problems.append(ChainProblem(
                kind, row.seq, row.id,
                f"{where} does not follow the record stored before it "
                + ("(records were reordered)" if kind == "reordered"
                   else "(a record was inserted, deleted or rewritten)"),
            ))
        elif not reported and row.seq != expected_seq:
            problems.append(ChainProblem(
                "edited", row.seq, row.id,
                f"{where} has seq {row.seq} where {expected_seq} was expected",
            ))
        expected_prev, expected_seq = row.hash, row.seq + 1
    last_seq = ordered[-1].seq if ordered else 0
    last_hash = ordered[-1].hash if ordered else GENESIS
    if head_seq > last_seq:
        problems.append(ChainProblem(
            "missing", None, None,
            f"the ledger ends at seq {last_seq} but the chain head says {head_seq}: "
            f"the last {head_seq - last_seq} record(s) are missing (deleted)",
        ))
    elif head_seq != last_seq or head_hash != last_hash:
        problems.append(ChainProblem(
            "head", None, None,
            f"the chain head (seq {head_seq}) does not match the last record (seq {last_seq})",
        ))
    return ChainVerification(len(ordered), head_seq, head_hash, tuple(problems))


def verify_chain(database: Database, *, anchor: tuple[int, str] | None = None) -> ChainVerification:
    """Re-compute every record's hash and link; name the first bad record.

    ``anchor`` is a (seq, hash) pair kept outside the database (``publisher audit head``):
    the record at that seq must still carry that hash, which also catches a rewrite of the
    whole chain or deleting its tail.
    """
    with database.read() as connection:
        head = connection.execute(_HEAD_QUERY).one_or_none()
        rows = [
            AcceptanceRecord.from_row(row)
            for row in connection.execute(
                select(_ACCEPTANCES).order_by(_ACCEPTANCES.c.seq, _ACCEPTANCES.c.id)
            )
        ]
    if head is None:
        result = check_records(rows, head_seq=rows[-1].seq if rows else 0,
                               head_hash=rows[-1].hash if rows else GENESIS)
        missing = ChainProblem("head", None, None, _HEAD_MISSING)
        result = replace(result, problems=(missing, *result.problems))
    else:
        result = check_records(rows, head_seq=head.seq, head_hash=head.hash)
    if anchor is None:
        return result
    seq, digest = anchor
    at = next((row for row in rows if row.seq == seq), None)
    if at is None or at.hash != digest:
        found = "is missing" if at is None else f"has hash {at.hash[:12]}…"
        problem = ChainProblem(
            "missing" if at is None else "edited", seq, at.id if at else None,
            f"anchor seq {seq} {digest[:12]}…: that record {found}",
        )
        return ChainVerification(
            result.records, result.head_seq, result.head_hash, (*result.problems, problem)
        )
    return result


def chain_head(database: Database) -> tuple[int, str]:
    """(seq, hash) of the last record — publish it elsewhere as an anchor."""
    with database.read() as connection:
        head = _head(connection)
    return head.seq, head.hash
