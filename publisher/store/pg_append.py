"""Appending acceptances on PostgreSQL: checks outside the chain lock, one statement inside.

The serial section of the ledger is what must be serial: reading the chain head, computing
each record's ``seq``, ``prev_hash`` and ``hash`` and moving the head. On PostgreSQL that is
one call of ``publisher_append_acceptances`` (migrations ``0006_ledger``, ``0013_linker``),
which locks the head row ``FOR UPDATE`` and does all of it in the database, sent as a
statement of its own (autocommit): one round trip under the lock, whatever the size of the
batch, one judging query for the whole batch and one insert of all its rows.

Everything else runs before it, in autocommit reads that hold no lock: whether the
customer, the version and the notice exist, whether the key was already recorded (the common
"accepted twice" case answers from there without taking the lock at all). What may change
between that check and the lock is checked again inside the function: a key recorded by
another process meanwhile (``existing``: the stored record is returned, nothing is added) and
a newer version accepted meanwhile (``newer``: :class:`~publisher.store.ledger.NewerAccepted`).

The chain lock is not held while the commit is made durable. The link transaction commits
with ``synchronous_commit = off``: the lock is released once the commit record is in the
write-ahead log, before the log is flushed to disk. Nobody is answered before the flush:
:func:`make_durable` then runs one synchronous statement that writes to the log
(``pg_logical_emit_message``, transactional), whose commit flushes the log up to itself and so
past every earlier commit. The log is written in order, so if PostgreSQL crashes before the
flush, the unflushed transactions are lost together from the tail: never a record whose
successor survived, never an acknowledged record. The flushes of all processes overlap
(PostgreSQL writes one flush for all waiting backends), which is what lets more processes
record more per second on one chain.

The hash is the same sha256 of the same canonical JSON as on SQLite (:func:`~publisher.store.
ledger.record_hash`): Python prepares that JSON for each record with the two values only the
lock can give left out — the text before ``"prev_hash":`` (``head``) and after the ``seq``
value (``tail``); the sorted keys put ``prev_hash`` and ``seq`` next to each other — and the
function joins ``head``, the previous hash, the seq and ``tail`` and hashes them. No JSON is
encoded in SQL, so the two can never disagree on escaping; each returned hash is compared
with the one Python computes before the commit all the same. Nor does the function name a
column: it inserts the row Python built from :data:`~publisher.store.record.FIELDS`
(``jsonb_populate_record``), so a field declared there is stored by both backends alike.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from publisher.errors import PublisherError
from publisher.store.db import Database
from publisher.store.ledger_rules import (
    _HEAD_HINT,
    AcceptanceRequest,
    Content,
    Facts,
    LedgerError,
    NewerAccepted,
    Recorded,
    _existing,
    judge,
    linked,
    sealed_values,
)
from publisher.store.record import FIELDS, AcceptanceRecord, canonical, personal_rows, to_row
from publisher.store.record import HEAD_MISSING as _HEAD_MISSING

FUNCTION = "publisher_append_acceptances"
_CALL = text(
    f"SELECT item, record_id, record_seq, record_prev, record_hash, outcome "
    f"FROM {FUNCTION}(CAST(:items AS jsonb), false)"
)

_HEAD_TIME = text(
    "SELECT a.accepted_at FROM acceptances a JOIN chain_head h ON a.seq = h.seq WHERE h.id = 1"
)
_LATE_ATTEMPTS = 20
"""How often a batch is stamped again because other processes' later-stamped batches took
the lock first (each new stamp is the head's time, so one more try almost always links)."""

_CALL_DURABLE = text(
    f"SELECT item, record_id, record_seq, record_prev, record_hash, outcome "
    f"FROM {FUNCTION}(CAST(:items AS jsonb), true)"
)

# A customer's records are read through the customer alone (``slug || ''`` is not indexable):
# without planner statistics ``ix_acceptances_version`` costs the same as
# ``uq_acceptances_once``, and PostgreSQL would read every record of the version to find one
# customer's (see migration 0013_linker).
_CHECK = text("""
WITH r AS (
    SELECT e->>'c' AS customer_id, e->>'s' AS slug, e->>'v' AS label,
           (e->>'n')::integer AS notice_id
    FROM jsonb_array_elements(CAST(:requests AS jsonb)) AS e
)
SELECT r.customer_id, r.slug, r.label, r.notice_id,
       c.known IS NOT NULL AS customer_known,
       v.sha256, v."commit", v.position,
       n.slug AS notice_slug, n.version_label AS notice_label,
       w.newest, coalesce(w.recorded, false) AS recorded,
       (SELECT count(*) FROM chain_head WHERE id = 1) AS heads
FROM r
LEFT JOIN LATERAL (SELECT 1 AS known FROM customers c
                   WHERE c.id = r.customer_id LIMIT 1) c ON true
LEFT JOIN LATERAL (SELECT p.sha256, p."commit", p.position FROM policy_versions p
                   WHERE p.slug = r.slug AND p.label = r.label LIMIT 1) v ON true
LEFT JOIN LATERAL (SELECT o.slug, o.version_label FROM notices o
                   WHERE o.id = r.notice_id LIMIT 1) n ON true
LEFT JOIN LATERAL (SELECT max(p.position) AS newest,
                          bool_or(a.version_label = r.label) AS recorded
                   FROM acceptances a
                   JOIN policy_versions p
                     ON p.slug = a.slug || '' AND p.label = a.version_label || ''
                   WHERE a.customer_id = r.customer_id AND a.slug || '' = r.slug) w ON true
""")
_FLUSH = text("SELECT pg_logical_emit_message(true, 'publisher', 'ledger flush')")

_GIVEN_BY_THE_LOCK = ("seq", "prev_hash")

_SPLIT_HASH = "@" * 64
_MARKER = f'"prev_hash":"{_SPLIT_HASH}","seq":0'


def split_canonical(fields: dict[str, Any]) -> tuple[str, str]:
    """The canonical JSON of ``fields`` without its ``prev_hash`` and ``seq`` values:
    (text before ``"prev_hash":``, text after the seq). Quotes inside values are escaped,
    so the marker occurs exactly once."""
    data = json.dumps(
        {**fields, "prev_hash": _SPLIT_HASH, "seq": 0},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    head, found, tail = data.partition(_MARKER)
    if not found or _MARKER in tail:
        raise LedgerError("cannot prepare the record's canonical JSON")
    return head, tail


def _item(request: AcceptanceRequest, content: Content, accepted_at: datetime) -> dict[str, Any]:
    """What the append function needs of one request: the row to insert (by column, as
    JSON; the function adds ``id``, ``seq``, ``prev_hash`` and ``hash``), the personal values
    with their salts (``personal_data`` rows, the function adds the record id), the canonical
    JSON around ``prev_hash`` and ``seq``, and the version's position for the "newer" check.
    ``values`` are kept to check the hash the function returns."""
    return prepared(sealed_values(request, content, accepted_at=accepted_at), content[2])


def prepared(values: dict[str, Any], position: int) -> dict[str, Any]:
    """The append function's item for a record's ``values`` (seq and prev_hash not yet
    known)."""
    head, tail = split_canonical(canonical(values))
    columns = {f.column: f for f in FIELDS}
    row = {
        column: columns[column].serialise(value)
        for column, value in to_row(values).items()
        if column not in _GIVEN_BY_THE_LOCK
    }
    personal = [
        {key: r[key] for key in ("field", "salt", "value")} for r in personal_rows(0, values)
    ]
    return {
        "row": row,
        "personal": personal,
        "position": position,
        "head": head,
        "tail": tail,
        "values": values,
    }


def _newer(request: AcceptanceRequest) -> NewerAccepted:
    return NewerAccepted(
        f"customer {request.customer_id} already accepted a later version of "
        f"{request.policy} than {request.version}",
        hint="an older version is never recorded after a newer one",
    )


def append_checked(
    database: Database,
    requests: Sequence[AcceptanceRequest],
    outcomes: list[Recorded | PublisherError | None],
    pending: list[int],
    *,
    accepted_at: datetime,
    flush: bool = True,
) -> list[Recorded | PublisherError]:
    """Record ``requests[i]`` for ``i`` in ``pending`` (``outcomes`` holds the others' errors):
    checks (autocommit reads), then one call of the append function, its own transaction.

    With ``flush`` False the records are committed but maybe not yet durable: the caller
    runs :func:`make_durable` before it acknowledges any of them."""
    accepted_at = accepted_at.astimezone(UTC)
    existing, contents = _check(database, [requests[i] for i in pending])
    to_append: list[int] = []  # indexes into requests, first occurrence of each key
    first_of: dict[tuple[str, str, str], int] = {}
    repeats: list[tuple[int, int]] = []  # (repeat, its first occurrence)
    for index in pending:
        request = requests[index]
        found = existing.get(request.key)
        content = contents[request]
        if found is not None:
            outcomes[index] = Recorded(found, created=False)
        elif isinstance(content, PublisherError):
            outcomes[index] = content
        elif request.key in first_of:
            repeats.append((index, first_of[request.key]))
        else:
            first_of[request.key] = index
            to_append.append(index)
    recorded_meanwhile: list[int] = []
    if to_append:
        linked = [requests[i] for i in to_append]
        rows, items = _link(database, linked, contents, accepted_at)
        for row in rows:
            index = to_append[row.item - 1]
            request = requests[index]
            if row.outcome == "newer":
                outcomes[index] = _newer(request)
            elif row.outcome == "existing":
                recorded_meanwhile.append(index)
            else:
                outcomes[index] = Recorded(created(items[row.item - 1], row), created=True)
    if recorded_meanwhile:  # another process recorded these between the check and the lock
        with _autocommit(database) as connection:
            stored = _existing(connection, [requests[i].key for i in recorded_meanwhile])
        for index in recorded_meanwhile:
            outcomes[index] = Recorded(stored[requests[index].key], created=False)
    for index, first in repeats:
        outcome = outcomes[first]
        outcomes[index] = (
            Recorded(outcome.record, created=False) if isinstance(outcome, Recorded) else outcome
        )
    final: list[Recorded | PublisherError] = []
    for outcome in outcomes:
        assert outcome is not None
        final.append(outcome)
    if flush and any(isinstance(o, Recorded) for o in final):
        make_durable(database)
    return final


def _link(
    database: Database,
    requests: Sequence[AcceptanceRequest],
    contents: dict[AcceptanceRequest, Content | PublisherError],
    accepted_at: datetime,
) -> tuple[Sequence[Any], list[dict[str, Any]]]:
    """Call the append function (one statement, its own transaction) for ``requests``
    stamped ``accepted_at``; when it answers ``late`` (another process linked a record
    stamped after this batch while it waited for the lock) stamp the batch again at the
    head record's time and call again, so records are stamped in chain order. Returns the
    function's rows and the items it was given."""
    for _attempt in range(_LATE_ATTEMPTS):
        items = [_item(r, _content(contents[r]), accepted_at) for r in requests]
        with _autocommit(database) as connection:
            try:
                rows = connection.execute(_CALL, {"items": payload(items)}).all()
            except DBAPIError as error:
                if _HEAD_MISSING in str(error.orig):
                    raise LedgerError(_HEAD_MISSING, hint=_HEAD_HINT) from None
                raise
            if not rows or rows[0].outcome != "late":
                return rows, items
            head_time = connection.execute(_HEAD_TIME).scalar_one()
        accepted_at = max(accepted_at, head_time.astimezone(UTC))
    raise LedgerError(
        f"the ledger head moved on {_LATE_ATTEMPTS} times while this batch waited for it",
        hint="records are stamped in chain order; retry the request",
    )


def make_durable(database: Database) -> None:
    """Return once every transaction committed before the call is on disk (PostgreSQL):
    one synchronous commit that writes to the log flushes it up to itself. Also needed for
    an answer from a record found already stored: another process may have committed it
    an instant ago, unflushed."""
    if database.dialect != "postgresql":
        return
    with _autocommit(database) as connection:
        connection.execute(_FLUSH)


@contextmanager
def _autocommit(database: Database) -> Iterator[Connection]:
    """A pooled connection in autocommit mode: each statement is its own transaction."""
    with database.autocommit_engine.connect() as connection:
        yield connection


def _check(
    database: Database, requests: Sequence[AcceptanceRequest]
) -> tuple[
    dict[tuple[str, str, str], AcceptanceRecord], dict[AcceptanceRequest, Content | PublisherError]
]:
    """Everything :func:`~publisher.store.ledger.judge` needs, and whether each key is already
    recorded, in one query (one more to read the records already there, if any)."""
    wanted = [
        {"c": r.customer_id, "s": r.policy, "v": r.version, "n": r.notice_id} for r in requests
    ]
    facts = Facts(set(), {}, {}, {})
    recorded: list[tuple[str, str, str]] = []
    with _autocommit(database) as connection:  # no BEGIN/ROLLBACK round trips
        payload = json.dumps(wanted, ensure_ascii=False)
        rows = connection.execute(_CHECK, {"requests": payload}).all()
        if rows and rows[0].heads == 0:
            raise LedgerError(_HEAD_MISSING, hint=_HEAD_HINT)
        for row in rows:
            if row.customer_known:
                facts.customers.add(row.customer_id)
            if row.sha256 is not None:
                facts.versions[(row.slug, row.label)] = (row.sha256, row.commit, row.position)
            if row.notice_slug is not None:
                facts.notices[row.notice_id] = (row.notice_slug, row.notice_label)
            if row.newest is not None:
                facts.newest[(row.customer_id, row.slug)] = row.newest
            if row.recorded:
                recorded.append((row.customer_id, row.slug, row.label))
        existing = _existing(connection, recorded) if recorded else {}
    return existing, judge(requests, facts)


def _content(content: Content | PublisherError) -> Content:
    assert not isinstance(content, PublisherError)
    return content


def append_item(connection: Connection, item: dict[str, Any]) -> AcceptanceRecord:
    """Append one prepared item inside the caller's transaction (commits, durably, with it);
    a key already recorded is an error here (the caller checked it is new)."""
    try:
        (row,) = connection.execute(_CALL_DURABLE, {"items": payload([item])}).all()
    except DBAPIError as error:
        if _HEAD_MISSING in str(error.orig):
            raise LedgerError(_HEAD_MISSING, hint=_HEAD_HINT) from None
        raise
    if row.outcome != "created":
        raise LedgerError(f"the record could not be appended ({row.outcome})")
    return created(item, row)


def payload(items: Sequence[dict[str, Any]]) -> str:
    """The append function's ``items`` argument (JSON; the driver encodes it)."""
    return json.dumps(
        [{k: v for k, v in item.items() if k != "values"} for item in items], ensure_ascii=False
    )


def created(item: dict[str, Any], row: Any) -> AcceptanceRecord:
    """The record the function inserted for ``item``, its hash checked against Python's (a
    mismatch, which `publisher audit verify` would report too, fails the request loudly)."""
    values = linked(item["values"], seq=row.record_seq, prev_hash=row.record_prev)
    if values["hash"] != row.record_hash:
        raise LedgerError(
            f"the database computed hash {row.record_hash[:12]}… for seq {row.record_seq}, "
            f"expected {values['hash'][:12]}…",
            hint="check the server encoding (UTF8) and migration 0013_linker; "
            "run `publisher audit verify`",
        )
    return AcceptanceRecord.from_values(row.record_id, values)
