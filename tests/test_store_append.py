"""Appending to the chain inside PostgreSQL (migration 0004): the same hashes as Python for
any text, re-checks under the lock, a crash between the insert and the commit, two writers
racing for the head. SQLite runs the same cases through its file-lock path."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import store_support as support
from sqlalchemy import bindparam, select, text
from sqlalchemy.exc import DBAPIError

from publisher.store import migrate
from publisher.store.customers import CustomerRow, import_customers
from publisher.store.db import Database
from publisher.store.ledger import (
    AcceptanceRequest,
    NewerAccepted,
    Recorded,
    chain_head,
    record_acceptance,
    record_acceptances,
    records,
    verify_chain,
)
from publisher.store.models import Customer
from publisher.store.pg_append import FUNCTION, split_canonical

POLICY = "acceptable-use"

AWKWARD = [
    'quote " and backslash \\ and slash /',
    "newline\nreturn\rtab\tbell\x07 del\x7f",  # NUL: no PostgreSQL text holds it
    "ünïcödé – “curly” — 日本語 — emoji 🎉 — rtl \u202e",
    '"prev_hash":"' + "@" * 64 + '","seq":0',  # the split marker itself, as a value
    "",
]


@pytest.fixture
def postgres(tmp_path: Path) -> Iterator[Database]:
    """A PostgreSQL store at head (skips without a server)."""
    for url in support.make_database_url("postgresql", tmp_path):
        db = Database.from_url(url, root=tmp_path)
        migrate.ensure_schema(db)
        try:
            yield db
        finally:
            db.dispose()


def test_split_canonical_leaves_out_only_prev_hash_and_seq() -> None:
    fields = {"seq": 7, "prev_hash": "ab" * 32, "customer": 'x"y', "user_agent": AWKWARD[3]}
    head, tail = split_canonical(fields)

    whole = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert head + f'"prev_hash":"{"ab" * 32}","seq":7' + tail == whole


def test_any_text_gives_the_hash_python_computes(database: Database) -> None:
    support.seed(database)
    people = [
        CustomerRow(10 + i, f"w{i}", f"w{i}@example.com", f"W {i}", "") for i in range(len(AWKWARD))
    ]
    import_customers(database, people)
    batch = [
        AcceptanceRequest(p.id, POLICY, "2", "link", ip="2001:db8::1", user_agent=agent)
        for p, agent in zip(people, AWKWARD, strict=True)
    ]
    outcomes = record_acceptances(database, batch)
    assert all(isinstance(o, Recorded) and o.created for o in outcomes)
    stored = records(database)
    assert [r.user_agent for r in stored] == AWKWARD
    assert [o.record for o in outcomes if isinstance(o, Recorded)] == stored
    assert all(r.computed_hash() == r.hash for r in stored)
    result = verify_chain(database)
    assert result.ok, result.problems


def test_the_function_comes_and_goes_with_its_migration(postgres: Database) -> None:
    def exists() -> bool:
        with postgres.engine.connect() as connection:
            return bool(
                connection.execute(
                    text(
                        "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                        "WHERE p.proname = :name AND n.nspname = current_schema()"
                    ),
                    {"name": FUNCTION},
                ).scalar()
            )

    assert exists()
    migrate.downgrade(postgres, "0003_notice_outbox")
    assert not exists()
    migrate.upgrade(postgres)
    assert exists()


def _waiting_for_the_head(db: Database) -> bool:
    with db.engine.connect() as connection:
        return bool(
            connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND query LIKE :call AND datname = current_database()"
                ),
                {"call": f"%{FUNCTION}%"},
            ).scalar()
        )


Call = tuple[str, dict[str, str]]


def _race(db: Database, inside_the_lock: Call, request: AcceptanceRequest) -> Recorded | Exception:
    """Run ``request`` while another transaction holds the head lock and runs
    ``inside_the_lock``: ``request`` passes its checks, waits for the lock, then must see
    what the other transaction committed."""
    outcome: list[Recorded | Exception] = []

    def attempt() -> None:
        try:
            (result,) = record_acceptances(db, [request])
            outcome.append(result)
        except Exception as error:
            outcome.append(error)

    with db.engine.begin() as holder:
        holder.execute(text("SELECT seq FROM chain_head WHERE id = 1 FOR UPDATE"))
        worker = threading.Thread(target=attempt)
        worker.start()
        deadline = time.monotonic() + 30
        while not _waiting_for_the_head(db):
            assert time.monotonic() < deadline, "the writer never waited for the head lock"
            assert worker.is_alive(), outcome
            time.sleep(0.02)
        holder.execute(text(inside_the_lock[0]), inside_the_lock[1])
    worker.join(30)
    assert len(outcome) == 1
    return outcome[0]


def _function_call(customer: str, version: str) -> Call:
    """SQL that records ``customer``'s acceptance through a second writer (the same function
    any other service process calls)."""
    from publisher.store.ledger import AcceptanceRequest as Request
    from publisher.store.models import utcnow
    from publisher.store.pg_append import _item, payload

    position = {"1": 0, "2": 1}[version]
    sha = next(v.sha256 for v in support.SEED_VERSIONS if v.label == version)
    commit = next(v.commit for v in support.SEED_VERSIONS if v.label == version)

    item = _item(
        Request(customer, POLICY, version, "link", ip="198.51.100.9"),
        (sha, commit, position),
        utcnow(),
    )
    return f"SELECT * FROM {FUNCTION}(CAST(:items AS jsonb))", {"items": payload([item])}


def test_a_key_recorded_by_another_writer_while_waiting_is_not_recorded_twice(
    postgres: Database,
) -> None:
    support.seed(postgres)
    result = _race(
        postgres,
        _function_call("c1", "2"),
        AcceptanceRequest("c1", POLICY, "2", "link", ip="192.0.2.1"),
    )
    assert isinstance(result, Recorded) and not result.created
    assert result.record.ip == "198.51.100.9"  # the other writer's record
    assert [(r.customer_id, r.seq) for r in records(postgres)] == [("c1", 1)]
    assert verify_chain(postgres).ok


def test_a_newer_version_accepted_while_waiting_refuses_the_older(postgres: Database) -> None:
    support.seed(postgres)
    result = _race(
        postgres, _function_call("c1", "2"), AcceptanceRequest("c1", POLICY, "1", "link")
    )
    assert isinstance(result, NewerAccepted)
    assert [(r.version, r.seq) for r in records(postgres)] == [("2", 1)]
    assert verify_chain(postgres).ok


def test_a_crash_between_insert_and_commit_records_nothing(postgres: Database) -> None:
    """The insert and the link are one transaction: a backend killed after the function ran
    (records inserted and linked, not committed) leaves the chain as it was; the retry
    records once."""
    support.seed(postgres)
    record_acceptance(postgres, customer_id="c2", policy=POLICY, version="2", method="link")
    before = chain_head(postgres)
    victim = postgres.engine.connect()
    try:
        victim.begin()
        sql, params = _function_call("c1", "2")
        victim.execute(text(sql), params)
        pid = victim.execute(text("SELECT pg_backend_pid()")).scalar()
        with postgres.engine.begin() as admin:
            assert admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
        with pytest.raises(DBAPIError):
            victim.execute(text("COMMIT"))
    finally:
        victim.invalidate()
        victim.close()
    assert chain_head(postgres) == before
    assert [r.customer_id for r in records(postgres)] == ["c2"]
    again = record_acceptance(postgres, customer_id="c1", policy=POLICY, version="2", method="link")
    assert again.created and again.record.seq == 2 and again.record.prev_hash == before[1]
    assert verify_chain(postgres).ok


def test_two_writers_racing_for_the_head_keep_one_chain(database: Database) -> None:
    """Two writers (as on two hosts), each with its own engine, many batches each."""
    support.seed(database)
    people = [CustomerRow(10 + i, f"r{i}", f"r{i}@example.com", f"R {i}", "") for i in range(80)]
    import_customers(database, people)
    url = database.url.render_as_string(hide_password=False)
    root = (
        Path(str(database.url.database or ".")).parent
        if database.dialect == "sqlite"
        else Path(".")
    )
    created: list[int] = []

    def writer(ids: list[str]) -> None:
        own = Database.from_url(url, root=root)
        try:
            for start in range(0, len(ids), 7):
                outcomes = record_acceptances(
                    own, [AcceptanceRequest(i, POLICY, "2", "link") for i in ids[start : start + 7]]
                )
                created.extend(1 for o in outcomes if isinstance(o, Recorded) and o.created)
        finally:
            own.dispose()

    ids = [p.id for p in people]
    threads = [
        threading.Thread(target=writer, args=(ids,)),
        threading.Thread(target=writer, args=(ids[::-1],)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(created) == 80  # every key once, though both writers tried every key
    stored = records(database)
    assert sorted(r.customer_id for r in stored) == sorted(ids)
    assert [r.seq for r in stored] == list(range(1, 81))
    assert verify_chain(database).ok


def test_a_hot_read_gives_the_driver_rows_and_fails_as_a_database_error(
    database: Database,
) -> None:
    """Database.hot_rows (the link POST's read): the rows for the bound values, the same
    statement again with other values, and a failing database raised as SQLAlchemy raises
    it (the service answers 503), on SQLite's raw connection too."""
    support.seed(database)
    query = select(Customer.id, Customer.locale).where(Customer.id.in_([bindparam("a"), "c2"]))
    assert sorted(database.hot_rows(query, {"a": "c1"})) == [("c1", "en-GB"), ("c2", None)]
    assert database.hot_rows(query, {"a": "nobody"}) == [("c2", None)]
    with database.engine.begin() as connection:
        connection.execute(text("ALTER TABLE customers RENAME TO customers_away"))
    with pytest.raises(DBAPIError, match="customers"):
        database.hot_rows(query, {"a": "c1"})
