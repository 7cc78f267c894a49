"""The ledger's and the status API's statements on PostgreSQL stay index lookups: the
checks before the chain lock read only the rows of the batch (not whole tables), and the
autocommit pool plans each call for its values (the generic plan PostgreSQL switches a
prepared statement to after five calls scanned whole tables: 4-9 ms per batch)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import store_support as support
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from publisher.store import migrate
from publisher.store.customers import CustomerRow, import_customers
from publisher.store.db import Database
from publisher.store.ledger import AcceptanceRequest, record_acceptances
from publisher.store.pg_append import _CHECK


@pytest.fixture
def postgres(tmp_path: Path) -> Iterator[Database]:
    for url in support.make_database_url("postgresql", tmp_path):  # skips without a server
        database = Database.from_url(url, root=tmp_path)
        migrate.ensure_schema(database)
        support.seed(database)
        import_customers(
            database,
            [CustomerRow(10 + i, f"h{i}", f"h{i}@example.com", f"H {i}", "") for i in range(600)],
        )
        try:
            yield database
        finally:
            database.dispose()


def _requests(first: int, count: int) -> list[AcceptanceRequest]:
    return [
        AcceptanceRequest(f"h{i}", "acceptable-use", "2", "link", None, "192.0.2.1", "test")
        for i in range(first, first + count)
    ]


def test_the_autocommit_pool_plans_each_call_and_does_not_ping(postgres: Database) -> None:
    engine = postgres.autocommit_engine
    assert engine is not postgres.engine and engine is postgres.autocommit_engine
    assert engine.pool._pre_ping is False  # type: ignore[attr-defined]
    with engine.connect() as connection:
        assert connection.execute(text("SHOW plan_cache_mode")).scalar() == "force_custom_plan"
        connection.execute(text("SELECT 1"))
        raw = connection.connection.dbapi_connection
        assert raw is not None and raw.autocommit is True  # no BEGIN, no ROLLBACK round trips


def test_the_checks_before_the_lock_read_by_index_not_whole_tables(postgres: Database) -> None:
    for start in range(0, 400, 8):  # acceptances to scan if the plan were a scan
        outcomes = record_acceptances(postgres, _requests(start, 8))
        assert all(not isinstance(o, Exception) for o in outcomes)
    payload = json.dumps(
        [{"c": f"h{i}", "s": "acceptable-use", "v": "2", "n": None} for i in range(500, 508)]
    )
    with postgres.autocommit_engine.connect() as connection:
        for _ in range(7):  # past psycopg's prepare threshold and PostgreSQL's five custom plans
            connection.execute(_CHECK, {"requests": payload}).all()
        plan = "\n".join(
            row[0]
            for row in connection.execute(
                text("EXPLAIN " + str(_CHECK.text)), {"requests": payload}
            )
        )
    assert "Seq Scan on customers" not in plan, plan
    assert "Seq Scan on acceptances" not in plan, plan
    # a customer's records through the customer, not every record of the version
    assert "ix_acceptances_version" not in plan, plan


def test_a_dropped_autocommit_connection_fails_one_statement_and_is_replaced(
    postgres: Database,
) -> None:
    engine = postgres.autocommit_engine
    with engine.connect() as connection:
        pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
    with postgres.engine.connect() as admin:
        admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        admin.commit()
    with engine.connect() as connection, pytest.raises(DBAPIError):  # that one statement fails
        connection.execute(text("SELECT 1"))
    outcomes = record_acceptances(postgres, _requests(590, 2))  # the next statement works
    assert [o.created for o in outcomes if not isinstance(o, Exception)] == [True, True]
