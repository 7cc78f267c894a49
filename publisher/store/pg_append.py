"""Appending acceptances on PostgreSQL: checks outside the chain lock, one statement inside.

The serial section of the ledger is what must be serial: reading the chain head, computing
each record's ``seq``, ``prev_hash`` and ``hash`` and moving the head. On PostgreSQL that is
one call of ``publisher_append_acceptances`` (migration ``0004_append_function``), which locks
the head row ``FOR UPDATE`` and does all of it in the database, followed by the commit: two
round trips under the lock, whatever the size of the batch.

Everything else runs before it, in a read transaction that holds no lock: whether the
customer, the version and the notice exist, whether the key was already recorded (the common
"accepted twice" case answers from there without taking the lock at all). What may change
between that check and the lock is checked again inside the function: a key recorded by
another process meanwhile (``existing``: the stored record is returned, nothing is added) and
a newer version accepted meanwhile (``newer``: :class:`~publisher.store.ledger.NewerAccepted`).

The hash is the same sha256 of the same canonical JSON as on SQLite (:func:`~publisher.store.
ledger.record_hash`): Python prepares that JSON for each record with the two values only the
lock can give left out — the text before ``"prev_hash":`` (``head``) and after the ``seq``
value (``tail``); the sorted keys put ``prev_hash`` and ``seq`` next to each other — and the
function joins ``head``, the previous hash, the seq and ``tail`` and hashes them. No JSON is
encoded in SQL, so the two can never disagree on escaping; each returned hash is compared
with the one Python computes before the commit all the same.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from publisher.errors import PublisherError
from publisher.store.db import Database
from publisher.store.ledger import (
    _HEAD_HINT,
    _HEAD_MISSING,
    AcceptanceRecord,
    AcceptanceRequest,
    Content,
    LedgerError,
    NewerAccepted,
    Recorded,
    _contents,
    _existing,
    _head,
    format_time,
    new_row,
    request_fields,
)

FUNCTION = "publisher_append_acceptances"
_CALL = text(f"SELECT item, record_id, record_seq, record_prev, record_hash, outcome "
             f"FROM {FUNCTION}(CAST(:items AS jsonb))")

_SPLIT_HASH = "@" * 64
_MARKER = f'"prev_hash":"{_SPLIT_HASH}","seq":0'


def split_canonical(fields: dict[str, Any]) -> tuple[str, str]:
    """The canonical JSON of ``fields`` without its ``prev_hash`` and ``seq`` values:
    (text before ``"prev_hash":``, text after the seq). Quotes inside values are escaped,
    so the marker occurs exactly once."""
    data = json.dumps({**fields, "prev_hash": _SPLIT_HASH, "seq": 0}, sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False)
    head, found, tail = data.partition(_MARKER)
    if not found or _MARKER in tail:
        raise LedgerError("cannot prepare the record's canonical JSON")
    return head, tail


def _item(request: AcceptanceRequest, content: Content, accepted_at: datetime) -> dict[str, Any]:
    head, tail = split_canonical(request_fields(request, content, accepted_at=accepted_at,
                                                seq=0, prev_hash=""))
    return {
        "customer_id": request.customer_id, "slug": request.policy,
        "version_label": request.version, "content_sha256": content[0], "commit": content[1],
        "notice_id": request.notice_id, "accepted_at": format_time(accepted_at),
        "ip": request.ip, "user_agent": request.user_agent, "method": request.method,
        "position": content[2], "head": head, "tail": tail,
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
) -> list[Recorded | PublisherError]:
    """Record ``requests[i]`` for ``i`` in ``pending`` (``outcomes`` holds the others' errors):
    checks in a read transaction, then one call of the append function and the commit."""
    accepted_at = accepted_at.astimezone(UTC)
    with database.read() as connection:
        _head(connection)  # a deleted head is tampering: refuse before anything else
        existing = _existing(connection, [requests[i].key for i in pending])
        contents = _contents(connection, [requests[i] for i in pending])
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
        items = [_item(requests[i], _content(contents[requests[i]]), accepted_at)
                 for i in to_append]
        with database.write() as connection:
            try:
                rows = connection.execute(_CALL, {"items": json.dumps(items)}).all()
            except DBAPIError as error:
                if _HEAD_MISSING in str(error.orig):
                    raise LedgerError(_HEAD_MISSING, hint=_HEAD_HINT) from None
                raise
            for row in rows:
                index = to_append[row.item - 1]
                request = requests[index]
                if row.outcome == "newer":
                    outcomes[index] = _newer(request)
                elif row.outcome == "existing":
                    recorded_meanwhile.append(index)
                else:
                    outcomes[index] = _created(request, _content(contents[request]),
                                               accepted_at, row)
    if recorded_meanwhile:  # another process recorded these between the check and the lock
        with database.read() as connection:
            stored = _existing(connection, [requests[i].key for i in recorded_meanwhile])
        for index in recorded_meanwhile:
            outcomes[index] = Recorded(stored[requests[index].key], created=False)
    for index, first in repeats:
        outcome = outcomes[first]
        outcomes[index] = (Recorded(outcome.record, created=False)
                           if isinstance(outcome, Recorded) else outcome)
    final: list[Recorded | PublisherError] = []
    for outcome in outcomes:
        assert outcome is not None
        final.append(outcome)
    return final


def _content(content: Content | PublisherError) -> Content:
    assert not isinstance(content, PublisherError)
    return content


def _created(request: AcceptanceRequest, content: Content, accepted_at: datetime,
             row: Any) -> Recorded:
    """The record the function inserted; its hash checked against Python's (else the
    transaction rolls back: nothing is recorded rather than a record that fails verify)."""
    values = new_row(request, content, accepted_at=accepted_at, seq=row.record_seq,
                     prev_hash=row.record_prev)
    if values["hash"] != row.record_hash:
        raise LedgerError(
            f"the database computed hash {row.record_hash[:12]}… for seq {row.record_seq}, "
            f"expected {values['hash'][:12]}…: nothing recorded",
            hint="check the server encoding (UTF8) and migration 0004_append_function",
        )
    record = AcceptanceRecord.from_row({"id": row.record_id, **values})
    return Recorded(record, created=True)
