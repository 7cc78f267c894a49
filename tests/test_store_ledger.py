"""The hash-chained acceptance ledger: recording, idempotency, tampering, concurrent writers."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import store_support as support
from sqlalchemy import text

from publisher.errors import NotFoundError
from publisher.store.customers import CustomerRow, import_customers
from publisher.store.db import Database
from publisher.store.group_commit import GroupCommit
from publisher.store.ledger import (
    GENESIS,
    AcceptanceRequest,
    LedgerError,
    NewerAccepted,
    Recorded,
    chain_head,
    record_acceptance,
    record_acceptances,
    record_hash,
    records,
    verify_chain,
)
from publisher.store.models import Notice

POLICY = "acceptable-use"


def _accept(
    db: Database, customer: str, version: str = "2", *, method: str = "link", **kwargs: Any
) -> Recorded:
    return record_acceptance(
        db, customer_id=customer, policy=POLICY, version=version, method=method, **kwargs
    )


def _execute(db: Database, *statements: str) -> None:
    with db.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))


def test_first_records_form_a_chain(database: Database) -> None:
    support.seed(database)
    moment = datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=UTC)
    first = _accept(database, "c1", ip="203.0.113.9", user_agent="Firefox", now=lambda: moment)
    second = _accept(database, "c2", version="1", method="api")
    assert first.created and second.created
    a, b = first.record, second.record
    assert (a.seq, a.prev_hash) == (1, GENESIS)
    assert (b.seq, b.prev_hash) == (2, a.hash)
    assert a.hash == record_hash(a.fields())
    assert a.content_sha256 == database_sha(database, "2")
    assert a.commit == f"{2:040x}"
    stored = records(database)
    assert [r.id for r in stored] == [a.id, b.id]
    assert stored[0].accepted_at == moment and stored[0].accepted_at.tzinfo is not None
    assert stored[0].hash == stored[0].computed_hash()  # exact round trip of every field
    assert chain_head(database) == (2, b.hash)
    assert verify_chain(database).ok


def database_sha(db: Database, label: str) -> str:
    with db.engine.connect() as connection:
        return str(
            connection.execute(
                text("SELECT sha256 FROM policy_versions WHERE slug = :s AND label = :l"),
                {"s": POLICY, "l": label},
            ).scalar_one()
        )


def test_accepting_twice_is_idempotent_and_says_so(database: Database) -> None:
    support.seed(database)
    first = _accept(database, "c1")
    again = _accept(
        database, "c1", ip="198.51.100.1", now=lambda: datetime.now(UTC) + timedelta(days=3)
    )
    assert not again.created
    assert again.record == first.record
    assert len(records(database)) == 1


def test_an_older_version_is_never_recorded_after_a_newer_one(database: Database) -> None:
    support.seed(database)
    _accept(database, "c1", "2")
    with pytest.raises(NewerAccepted, match="already accepted a later version"):
        _accept(database, "c1", "1")
    assert [r.version for r in records(database)] == ["2"]
    # History brought in from elsewhere may arrive out of order.
    assert _accept(database, "c1", "1", method="import").created
    # The same (newer) version again is still idempotent.
    assert not _accept(database, "c1", "2").created


@pytest.mark.parametrize(
    ("customer", "version", "notice", "error", "message"),
    [
        ("nobody", "2", None, NotFoundError, "unknown customer 'nobody'"),
        ("c1", "9", None, NotFoundError, "unknown policy version acceptable-use 9"),
        ("c1", "2", 404, NotFoundError, "unknown notice 404"),
        ("c1", "2", "other", LedgerError, "is about acceptable-use 1"),
    ],
)
def test_bad_references_record_nothing(
    database: Database, customer: str, version: str, notice: object, error: type, message: str
) -> None:
    support.seed(database)
    notice_id = notice
    if notice == "other":
        with database.session() as session, session.begin():
            row = Notice(
                slug=POLICY,
                version_label="1",
                subject="v1",
                status="sent",
                forced=False,
                created_at=datetime.now(UTC),
            )
            session.add(row)
            session.flush()
            notice_id = row.id
    with pytest.raises(error, match=message):
        _accept(database, customer, version=version, notice_id=notice_id)
    assert records(database) == []
    assert chain_head(database) == (0, GENESIS)


def test_unknown_method_is_refused(database: Database) -> None:
    support.seed(database)
    with pytest.raises(LedgerError, match="unknown acceptance method"):
        _accept(database, "c1", method="telepathy")


def _five(db: Database) -> list[int]:
    support.seed(db)
    import_customers(
        db,
        [
            CustomerRow(5, "c4", "d@example.com", "Di", ""),
            CustomerRow(6, "c5", "e@example.com", "Ed", ""),
        ],
    )
    for customer in ("c1", "c2", "c3", "c4", "c5"):
        _accept(db, customer)
    support.disable_append_only_guard(db)
    return [r.id for r in records(db)]


def test_editing_a_record_is_detected_and_named(database: Database) -> None:
    ids = _five(database)
    _execute(database, "UPDATE acceptances SET ip = '192.0.2.66' WHERE seq = 3")
    result = verify_chain(database)
    assert not result.ok
    first = result.first
    assert first is not None
    assert (first.kind, first.seq, first.id) == ("edited", 3, ids[2])
    assert f"record seq 3 (id {ids[2]}; c3 acceptable-use 2) was edited" in first.message


def test_editing_the_time_is_detected(database: Database) -> None:
    ids = _five(database)
    _execute(
        database,
        "UPDATE acceptances SET accepted_at = accepted_at - INTERVAL '1 day' WHERE seq = 2"
        if database.dialect == "postgresql"
        else "UPDATE acceptances SET accepted_at = '2020-01-01 00:00:00.000000' WHERE seq = 2",
    )
    first = verify_chain(database).first
    assert first is not None and (first.kind, first.seq, first.id) == ("edited", 2, ids[1])


def test_deleting_a_record_is_detected_and_named(database: Database) -> None:
    ids = _five(database)
    _execute(database, "DELETE FROM acceptances WHERE seq = 3")
    first = verify_chain(database).first
    assert first is not None
    assert (first.kind, first.seq, first.id) == ("missing", 4, ids[3])
    assert first.message.startswith("record seq 3 is missing (deleted)")


def test_deleting_the_last_record_is_detected(database: Database) -> None:
    _five(database)
    _execute(database, "DELETE FROM acceptances WHERE seq = 5")
    first = verify_chain(database).first
    assert first is not None and first.kind == "missing"
    assert "the last 1 record missing" in first.message


def test_reordering_records_is_detected_and_named(database: Database) -> None:
    ids = _five(database)
    _execute(
        database,
        "UPDATE acceptances SET seq = 100 WHERE seq = 2",
        "UPDATE acceptances SET seq = 2 WHERE seq = 4",
        "UPDATE acceptances SET seq = 4 WHERE seq = 100",
    )
    result = verify_chain(database)
    first = result.first
    assert first is not None
    assert (first.kind, first.seq, first.id) == ("reordered", 2, ids[3])
    assert "was recorded as seq 4" in first.message


def test_rewriting_the_whole_chain_is_caught_by_an_anchor(database: Database) -> None:
    _five(database)
    anchor = chain_head(database)
    # An attacker deletes record 5 and rewinds the chain head: the chain itself is consistent.
    _execute(database, "DELETE FROM acceptances WHERE seq = 5")
    with database.engine.begin() as connection:
        last = connection.execute(text("SELECT hash FROM acceptances WHERE seq = 4")).scalar()
        connection.execute(text("UPDATE chain_head SET seq = 4, hash = :h"), {"h": last})
    assert verify_chain(database).ok
    anchored = verify_chain(database, anchor=anchor)
    assert not anchored.ok
    assert anchored.first is not None and "anchor seq 5" in anchored.first.message


def test_a_deleted_chain_head_is_reported_as_tampering(database: Database) -> None:
    _five(database)
    _execute(database, "DELETE FROM chain_head")
    result = verify_chain(database)
    assert not result.ok and result.records == 5
    assert result.first is not None and result.first.kind == "head"
    assert result.first.message.startswith("ledger head missing: tampered")
    with pytest.raises(LedgerError, match="ledger head missing: tampered"):
        chain_head(database)
    with pytest.raises(LedgerError, match="ledger head missing: tampered"):
        _accept(database, "c1", version="1")
    assert len(records(database)) == 5


def _accept_many(url: str, root: str, customers: list[str]) -> int:
    db = Database.from_url(url, root=Path(root))
    try:
        created = 0
        for customer in customers:
            created += record_acceptance(
                db, customer_id=customer, policy=POLICY, version="2", method="link"
            ).created
        return created
    finally:
        db.dispose()


def test_concurrent_writers_in_different_processes_keep_one_chain(
    database: Database, tmp_path: Path
) -> None:
    support.seed(database)
    people = [CustomerRow(10 + i, f"p{i}", f"p{i}@example.com", f"P {i}", "") for i in range(40)]
    import_customers(database, people)
    url = database.url.render_as_string(hide_password=False)
    ids = [p.id for p in people]
    # Four processes; every customer is attempted by two of them (so duplicates race too).
    chunks = [ids[0:20], ids[20:40], ids[10:30], ids[::2]]
    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        created = pool.starmap(_accept_many, [(url, str(tmp_path), chunk) for chunk in chunks])
    assert sum(created) == 40
    stored = records(database)
    assert sorted(r.customer_id for r in stored) == sorted(ids)
    assert [r.seq for r in stored] == list(range(1, 41))
    result = verify_chain(database)
    assert result.ok, result.problems


def test_a_batch_records_once_per_key_and_refuses_only_its_bad_requests(
    database: Database,
) -> None:
    support.seed(database)
    batch = [
        AcceptanceRequest("c1", POLICY, "2", "link", ip="192.0.2.1"),
        AcceptanceRequest("nobody", POLICY, "2", "link"),
        AcceptanceRequest("c1", POLICY, "2", "link", ip="192.0.2.2"),  # repeat in the batch
        AcceptanceRequest("c2", POLICY, "9", "link"),
        AcceptanceRequest("c2", POLICY, "1", "carrier-pigeon"),
        AcceptanceRequest("c3", POLICY, "1", "api"),
    ]
    outcomes = record_acceptances(database, batch)
    first, nobody, repeat, unknown_version, bad_method, third = outcomes
    assert isinstance(first, Recorded) and first.created and first.record.ip == "192.0.2.1"
    assert isinstance(repeat, Recorded) and not repeat.created and repeat.record == first.record
    assert isinstance(nobody, NotFoundError) and isinstance(unknown_version, NotFoundError)
    assert isinstance(bad_method, LedgerError)
    assert isinstance(third, Recorded) and third.created
    assert (first.record.seq, third.record.seq) == (1, 2)
    assert third.record.prev_hash == first.record.hash
    assert records(database) == [first.record, third.record]
    assert verify_chain(database).ok


def test_group_commit_shares_transactions_between_concurrent_callers(database: Database) -> None:
    support.seed(database)
    people = [CustomerRow(10 + i, f"g{i}", f"g{i}@example.com", f"G {i}", "") for i in range(60)]
    import_customers(database, people)
    committer = GroupCommit(database)
    requests = [AcceptanceRequest(p.id, POLICY, "2", "link") for p in people]
    requests += [
        AcceptanceRequest("g0", POLICY, "2", "link"),
        AcceptanceRequest("ghost", POLICY, "2", "link"),
    ]
    try:
        with ThreadPoolExecutor(16) as pool:
            futures = list(pool.map(committer.submit, requests))
        outcomes = [f.exception() or f.result() for f in futures]
    finally:
        committer.close()
    created = [o for o in outcomes if isinstance(o, Recorded) and o.created]
    assert len(created) == 60
    assert isinstance(outcomes[-1], NotFoundError)
    assert 1 <= committer.batches < 62  # some callers shared a commit
    assert [r.seq for r in records(database)] == list(range(1, 61))
    assert verify_chain(database).ok
