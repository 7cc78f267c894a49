"""The chain's serial section on PostgreSQL (migration 0013_linker): what it reads under the
head lock, how it judges a batch, and what a linker that dies mid-batch leaves."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import store_support as support
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from publisher.store import migrate
from publisher.store.audit import time_problems
from publisher.store.customers import CustomerRow, import_customers
from publisher.store.db import Database
from publisher.store.ledger import (
    AcceptanceRequest,
    NewerAccepted,
    Recorded,
    chain_head,
    record_acceptances,
    records,
    verify_chain,
)
from publisher.store.models import utcnow
from publisher.store.pg_append import FUNCTION, _item, created, payload

POLICY = "acceptable-use"
CONTENT = {v.label: (v.sha256, v.commit, v.position) for v in support.SEED_VERSIONS}


@pytest.fixture
def postgres(tmp_path: Path) -> Iterator[Database]:
    """A PostgreSQL store at head with the seed and customers p0…p299 (skips without a
    server)."""
    for url in support.make_database_url("postgresql", tmp_path):
        db = Database.from_url(url, root=tmp_path)
        migrate.ensure_schema(db)
        support.seed(db)
        import_customers(
            db,
            [CustomerRow(10 + i, f"p{i}", f"p{i}@example.com", f"P {i}", "") for i in range(300)],
        )
        try:
            yield db
        finally:
            db.dispose()


def _items(*wanted: tuple[str, str, str]) -> list[dict[str, Any]]:
    """Append-function items for (customer, version, method), as a service process makes
    them after its checks."""
    now = utcnow()
    return [
        _item(AcceptanceRequest(c, POLICY, v, m, ip="192.0.2.7"), CONTENT[v], now)
        for c, v, m in wanted
    ]


def _call(connection: Connection, items: list[dict[str, Any]]) -> list[Any]:
    return connection.execute(
        text(f"SELECT * FROM {FUNCTION}(CAST(:items AS jsonb))"), {"items": payload(items)}
    ).all()


def _record_many(db: Database, customers: range) -> None:
    for start in range(customers.start, customers.stop, 50):
        outcomes = record_acceptances(
            db,
            [
                AcceptanceRequest(f"p{i}", POLICY, "2", "link")
                for i in range(start, min(start + 50, customers.stop))
            ],
        )
        assert all(isinstance(o, Recorded) and o.created for o in outcomes)


def test_under_the_lock_a_customer_is_found_by_the_customer(postgres: Database) -> None:
    """Every check under the head lock reads a customer's own records (through
    ``uq_acceptances_once``), never all records of the version (``ix_acceptances_version``,
    which costs the same to the planner while the table has no statistics): the plans the
    function ran, as auto_explain logs them."""
    _record_many(postgres, range(0, 200))
    with postgres.engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        assert raw is not None
        logged: list[str] = []
        raw.add_notice_handler(lambda diagnostic: logged.append(diagnostic.message_primary or ""))
        try:
            connection.execute(text("LOAD 'auto_explain'"))
        except DBAPIError as error:  # not a superuser
            pytest.skip(f"auto_explain cannot be loaded: {error.orig}")
        connection.execute(text("SET auto_explain.log_min_duration = 0"))
        connection.execute(text("SET auto_explain.log_nested_statements = on"))
        connection.execute(text("SET client_min_messages = log"))
        rows = _call(connection, _items(("p250", "1", "link"), ("p5", "2", "link")))
        connection.rollback()
    assert [r.outcome for r in rows] == ["created", "existing"]
    plans = "\n".join(logged)
    assert "uq_acceptances_once" in plans, plans
    assert "ix_acceptances_version" not in plans, plans
    assert "Seq Scan on acceptances" not in plans, plans


def test_a_batch_is_judged_as_one_call_per_item_would_judge_it(postgres: Database) -> None:
    """Already recorded, a newer version in the ledger, a newer version earlier in the same
    batch (refuses the older after it), an import (never refused as older), a new key after
    a refused one: the outcomes, seq and hashes of one item at a time."""
    _record_many(postgres, range(0, 2))  # p0, p1 accepted version 2
    items = _items(
        ("p0", "2", "link"),  # existing
        ("p1", "1", "link"),  # newer in the ledger
        ("p2", "2", "link"),  # created
        ("p2", "1", "link"),  # newer, earlier in this batch
        ("p1", "1", "import"),  # an import is recorded whatever came later
        ("p3", "1", "link"),  # created
        ("p3", "2", "link"),  # created: newer than what came before is fine
    )
    head = chain_head(postgres)
    with postgres.engine.begin() as connection:
        rows = _call(connection, items)
    assert [r.outcome for r in rows] == [
        "existing",
        "newer",
        "created",
        "newer",
        "created",
        "created",
        "created",
    ]
    made = [created(items[r.item - 1], r) for r in rows if r.outcome == "created"]
    assert [r.seq for r in made] == [head[0] + 1, head[0] + 2, head[0] + 3, head[0] + 4]
    assert made[0].prev_hash == head[1]
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(made))
    stored = {r.seq: r for r in records(postgres)}
    assert [stored[r.seq].hash for r in made] == [r.hash for r in made]
    assert [stored[r.seq].id for r in made] == [r.id for r in made]
    assert chain_head(postgres) == (made[-1].seq, made[-1].hash)
    assert verify_chain(postgres).ok


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


def test_a_linker_killed_mid_batch_leaves_the_chain_to_the_next(postgres: Database) -> None:
    """A linker whose backend dies holding the head lock with a batch of 50 linked but not
    committed leaves no record of it; another process's batch, waiting for the lock
    meanwhile, links after the old head; the dead batch's clients (never answered) accept
    again and are recorded once, after it."""
    _record_many(postgres, range(0, 10))
    before = chain_head(postgres)
    victim = postgres.engine.connect()
    waiting: list[Recorded | Exception] = []

    def other_process() -> None:
        other = Database.from_url(postgres.url.render_as_string(hide_password=False))
        try:
            waiting.extend(
                record_acceptances(
                    other, [AcceptanceRequest(f"p{i}", POLICY, "2", "link") for i in (200, 201)]
                )
            )
        except Exception as error:
            waiting.append(error)
        finally:
            other.dispose()

    worker = threading.Thread(target=other_process)
    try:
        victim.begin()
        rows = _call(victim, _items(*((f"p{i}", "2", "link") for i in range(100, 150))))
        assert [r.outcome for r in rows] == ["created"] * 50
        worker.start()
        deadline = time.monotonic() + 30
        while not _waiting_for_the_head(postgres):
            assert time.monotonic() < deadline, "the other process never waited for the lock"
            assert worker.is_alive(), waiting
            time.sleep(0.02)
        pid = victim.execute(text("SELECT pg_backend_pid()")).scalar()
        with postgres.engine.begin() as admin:
            assert admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
        with pytest.raises(DBAPIError):
            victim.execute(text("COMMIT"))
    finally:
        victim.invalidate()
        victim.close()
        if worker.is_alive() or worker.ident is not None:
            worker.join(30)
    assert [isinstance(o, Recorded) and o.created for o in waiting] == [True, True]
    assert [o.record.seq for o in waiting if isinstance(o, Recorded)] == [
        before[0] + 1,
        before[0] + 2,
    ]
    assert waiting[0].record.prev_hash == before[1]  # type: ignore[union-attr]
    again = record_acceptances(
        postgres, [AcceptanceRequest(f"p{i}", POLICY, "2", "link") for i in range(100, 150)]
    )
    assert all(isinstance(o, Recorded) and o.created for o in again)
    stored = records(postgres)
    assert [r.seq for r in stored] == list(range(1, before[0] + 53))
    assert len({r.customer_id for r in stored}) == len(stored)
    assert verify_chain(postgres).ok


def test_an_older_version_after_a_newer_in_one_batch_is_refused_as_before(
    postgres: Database,
) -> None:
    """Through the ledger's API: the group commit may put both in one batch."""
    outcomes = record_acceptances(
        postgres,
        [
            AcceptanceRequest("p7", POLICY, "2", "link"),
            AcceptanceRequest("p7", POLICY, "1", "link"),
        ],
    )
    assert isinstance(outcomes[0], Recorded) and outcomes[0].created
    assert isinstance(outcomes[1], NewerAccepted)
    assert [(r.customer_id, r.version) for r in records(postgres)] == [("p7", "2")]


def test_a_batch_stamped_before_the_head_is_stamped_again_in_chain_order(
    postgres: Database,
) -> None:
    """Two service processes stamp their batches before they wait for the lock: the one
    stamped earlier may link second. It must not link backdated (audit verify's time check):
    the function answers ``late`` and the batch is stamped again at the head's time."""
    later = datetime(2026, 12, 4, 19, 47, 21, 500000, tzinfo=UTC)
    earlier = later - timedelta(seconds=1)
    (first,) = record_acceptances(
        postgres, [AcceptanceRequest("p1", POLICY, "2", "link")], now=lambda: later
    )
    (second,) = record_acceptances(
        postgres, [AcceptanceRequest("p2", POLICY, "2", "link")], now=lambda: earlier
    )
    assert isinstance(first, Recorded) and isinstance(second, Recorded)
    assert second.record.seq == first.record.seq + 1
    assert second.record.accepted_at == later
    stored = records(postgres)
    assert time_problems(stored) == []
    assert verify_chain(postgres).ok


def test_the_function_links_nothing_for_a_batch_stamped_before_the_head(
    postgres: Database,
) -> None:
    _record_many(postgres, range(0, 3))
    head = chain_head(postgres)
    (old,) = _items(("p9", "2", "link"))
    old["row"]["accepted_at"] = "2000-01-01T00:00:00.000000Z"
    with postgres.autocommit_engine.connect() as connection:
        rows = _call(connection, [old])
    assert [row.outcome for row in rows] == ["late"]
    assert chain_head(postgres) == head
