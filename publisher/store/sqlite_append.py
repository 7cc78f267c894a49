"""SQLite's append path: a batch checked and linked under the file lock, in fixed statements.

:func:`append_checked` runs inside one ``BEGIN IMMEDIATE`` transaction (the write lock every
SQLite writer takes, see :meth:`~publisher.store.db.Database.write`): it reads what the checks
need, links the new records after the chain head, inserts them with their personal data and
moves the head, then commits. Every statement is a fixed SQL text run on the raw ``sqlite3``
connection of that transaction, so the driver prepares each once per connection (its statement
cache) and no SQL is built or compiled per batch: lists of values go in as one JSON array
(``json_each``), the rows of a batch as one ``executemany``. A batch costs eight statements
between ``BEGIN IMMEDIATE`` and ``COMMIT`` however many records it holds (nine with notices).

What is checked, and how a record is made, is shared with PostgreSQL's path
(:mod:`publisher.store.ledger_rules`: :func:`~publisher.store.ledger_rules.judge`,
:func:`~publisher.store.ledger_rules.new_row`): the canonical JSON and hash come from
:data:`~publisher.store.record.FIELDS`, values are bound as SQLAlchemy binds them for these
columns (times as the store's UTC strings), and the append-only triggers and unique
constraints of ``acceptances`` still refuse whatever a bug would slip past.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import DBAPIError, StatementError

from publisher.errors import PublisherError
from publisher.store.db import Database
from publisher.store.ledger_rules import (
    _HEAD_HINT,
    AcceptanceRequest,
    Facts,
    LedgerError,
    Recorded,
    _existing,
    judge,
    new_row,
)
from publisher.store.record import (
    ACCEPTANCES,
    FIELDS,
    HEAD_MISSING,
    AcceptanceRecord,
    personal_rows,
    to_row,
)

_COLUMNS = (*(f.column for f in FIELDS), "hash")
"""The ``acceptances`` columns a new record fills, in the order of :data:`_INSERT`."""

_QUOTED = ", ".join(f'"{c}"' for c in _COLUMNS)
_INSERT = f"INSERT INTO acceptances ({_QUOTED}) VALUES ({', '.join('?' for _ in _COLUMNS)})"
_IDS = "SELECT id FROM acceptances WHERE seq > ? ORDER BY seq"
_PERSONAL = (
    "INSERT INTO personal_data (acceptance_id, field, salt, value, erased_at) "
    "VALUES (?, ?, ?, ?, NULL)"
)
_HEAD = "SELECT seq, hash FROM chain_head WHERE id = 1"
_MOVE_HEAD = "UPDATE chain_head SET seq = ?, hash = ? WHERE id = 1"
_EACH = "SELECT value FROM json_each(?)"
_CUSTOMERS = f"SELECT id FROM customers WHERE id IN ({_EACH})"
_VERSIONS = (
    f'SELECT slug, label, sha256, "commit", position FROM policy_versions WHERE slug IN ({_EACH})'
)
_ACCEPTED = (
    "SELECT a.customer_id, a.slug, a.version_label, v.position FROM acceptances a "
    "LEFT JOIN policy_versions v ON v.slug = a.slug AND v.label = a.version_label "
    f"WHERE a.customer_id IN ({_EACH}) AND a.slug IN ({_EACH})"
)
"""Every record of the batch's customers for the batch's policies, with its version's
position: which keys exist already, and the newest version each customer accepted."""
_NOTICES = f"SELECT id, slug, version_label FROM notices WHERE id IN ({_EACH})"

Bind = Callable[[Any], Any] | None


def _binds() -> tuple[Bind, ...]:
    """How SQLAlchemy binds each of :data:`_COLUMNS` on SQLite (times become the store's
    UTC text; most columns bind as they are)."""
    dialect = sqlite.dialect()
    return tuple(
        ACCEPTANCES.c[column].type.dialect_impl(dialect).bind_processor(dialect)
        for column in _COLUMNS
    )


_COLUMN_BINDS = tuple(zip(_COLUMNS, _binds(), strict=True))


class _Driver:
    """The ``sqlite3`` connection under an SQLAlchemy connection (same transaction); its
    errors raised as SQLAlchemy raises them (``OperationalError``, ``IntegrityError``…), so
    that callers handle a failing database as they do everywhere else."""

    def __init__(self, connection: Connection) -> None:
        driver = connection.connection.driver_connection
        assert isinstance(driver, sqlite3.Connection), driver
        self._driver = driver

    def rows(self, statement: str, parameters: Sequence[Any] = ()) -> list[Any]:
        try:
            rows: list[Any] = self._driver.execute(statement, parameters).fetchall()
            return rows
        except sqlite3.Error as error:
            raise _wrapped(statement, parameters, error) from error

    def many(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        try:
            self._driver.executemany(statement, rows)
        except sqlite3.Error as error:
            raise _wrapped(statement, rows[:1], error) from error


def _wrapped(statement: str, parameters: Sequence[Any], error: sqlite3.Error) -> StatementError:
    return DBAPIError.instance(statement, parameters, error, sqlite3.Error)


def _array(values: Iterable[str | int]) -> str:
    return json.dumps(sorted(set(values)), ensure_ascii=False)  # binds as the values would


def head(connection: Connection) -> tuple[int, str]:
    """(seq, hash) of the chain head; its absence is tampering (LedgerError)."""
    found = _Driver(connection).rows(_HEAD)
    if not found:
        raise LedgerError(HEAD_MISSING, hint=_HEAD_HINT)
    return int(found[0][0]), str(found[0][1])


def insert_linked(
    connection: Connection, created: Sequence[dict[str, Any]]
) -> list[AcceptanceRecord]:
    """Insert records already linked after the head (values by attribute, in chain order)
    with their personal data, and move the head to the last (under the file lock)."""
    driver = _Driver(connection)
    rows = [to_row(values) for values in created]
    driver.many(
        _INSERT,
        [
            tuple(row[c] if bind is None else bind(row[c]) for c, bind in _COLUMN_BINDS)
            for row in rows
        ],
    )
    ids = [row[0] for row in driver.rows(_IDS, (created[0]["seq"] - 1,))]
    if len(ids) != len(created):  # seq is unique and the lock is ours: cannot happen
        raise LedgerError(f"{len(created)} records inserted, {len(ids)} found after the head")
    stored = [
        AcceptanceRecord.from_values(record_id, values)
        for record_id, values in zip(ids, created, strict=True)
    ]
    personal = [
        (row["acceptance_id"], row["field"], row["salt"], row["value"])
        for record, values in zip(stored, created, strict=True)
        for row in personal_rows(record.id, values)
    ]
    if personal:
        driver.many(_PERSONAL, personal)
    last = created[-1]
    driver.rows(_MOVE_HEAD, (last["seq"], last["hash"]))
    return stored


def append_checked(
    database: Database,
    requests: Sequence[AcceptanceRequest],
    outcomes: list[Recorded | PublisherError | None],
    pending: list[int],
    *,
    now: Callable[[], datetime],
) -> list[Recorded | PublisherError]:
    """Record ``requests[i]`` for ``i`` in ``pending`` (``outcomes`` holds the others' errors)
    in one write transaction: checks, links and inserts under the lock, the time taken under
    it too (so ``accepted_at`` never goes back along the chain), one commit."""
    with database.write() as connection:
        batch = [requests[i] for i in pending]
        existing, contents = _check(connection, batch)
        seq, prev_hash = head(connection)
        created: list[dict[str, Any]] = []  # values by attribute, in chain order
        waiting: dict[tuple[str, str, str], list[int]] = {}  # key → requests it answers
        accepted_at = now().astimezone(UTC)
        for index in pending:
            request = requests[index]
            found = existing.get(request.key)
            content = contents[request]
            if found is not None:
                outcomes[index] = Recorded(found, created=False)
            elif isinstance(content, PublisherError):
                outcomes[index] = content
            elif request.key in waiting:  # a repeat later in this batch
                waiting[request.key].append(index)
            else:
                seq += 1
                values = new_row(
                    request, content, accepted_at=accepted_at, seq=seq, prev_hash=prev_hash
                )
                created.append(values)
                waiting[request.key] = [index]
                prev_hash = values["hash"]
        if created:
            stored = insert_linked(connection, created)
            for record, answered in zip(stored, waiting.values(), strict=True):
                for position, index in enumerate(answered):
                    outcomes[index] = Recorded(record, created=position == 0)
    final: list[Recorded | PublisherError] = []
    for outcome in outcomes:
        assert outcome is not None
        final.append(outcome)
    return final


def _check(
    connection: Connection, batch: Sequence[AcceptanceRequest]
) -> tuple[dict[tuple[str, str, str], AcceptanceRecord], dict[AcceptanceRequest, Any]]:
    """The stored records of the batch's keys, and per request its version's content or why
    it cannot be recorded (:func:`~publisher.store.ledger_rules.judge`)."""
    driver = _Driver(connection)
    customers = _array(r.customer_id for r in batch)
    policies = _array(r.policy for r in batch)
    known = {row[0] for row in driver.rows(_CUSTOMERS, (customers,))}
    versions = {
        (slug, label): (sha256, commit, position)
        for slug, label, sha256, commit, position in driver.rows(_VERSIONS, (policies,))
    }
    wanted = {r.key for r in batch}
    stored: list[tuple[str, str, str]] = []
    newest: dict[tuple[str, str], int] = {}
    for customer, slug, label, position in driver.rows(_ACCEPTED, (customers, policies)):
        if (customer, slug, label) in wanted:
            stored.append((customer, slug, label))
        if position is not None and position > newest.get((customer, slug), -1):
            newest[(customer, slug)] = position
    notice_ids = [r.notice_id for r in batch if r.notice_id is not None]
    notices = (
        {row[0]: (row[1], row[2]) for row in driver.rows(_NOTICES, (_array(notice_ids),))}
        if notice_ids
        else {}
    )
    existing = _existing(connection, stored) if stored else {}  # rare: read them whole
    return existing, judge(batch, Facts(known, versions, notices, newest))
