"""The status API's answer cache on SQLite and PostgreSQL: an answer is served from memory only
while the store's status mark has not moved, so a change committed by another process (an
acceptance, ``db sync``, a customer import) is in the very next answer; the mark's triggers
(migration ``0014_status_marks``); the cache's LRU bound; and the shared mark read on
PostgreSQL, which never serves a request from a read that started before it arrived."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import store_support as support
from click.testing import CliRunner
from gitrepo import GitRepo
from sqlalchemy import inspect, text
from starlette.testclient import TestClient
from web_support import POLICY, Site, make_site

from publisher.cli import main
from publisher.config import load_settings
from publisher.store import migrate
from publisher.store.customers import CustomerRow, import_customers
from publisher.store.db import Database
from publisher.store.ledger import record_acceptance
from publisher.store.status_cache import MarkReader, StatusCache, cache_key
from publisher.store.versions import store_versions
from publisher.web.app import create_app
from publisher.web.status_answers import SharedMark

STATUS_TOKEN = "status-token-0123456789"
HANG_GUARD_S = 60
V3_MATERIAL = support.BODY_V2 + "\n3. You shall not resell the service.\n"


def run_apart(awaitable: Any) -> Any:
    """``asyncio.run`` in a thread of its own: this test's event loop is its own even when
    the test runs in a worker whose thread already has a loop running."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, awaitable).result()


@pytest.fixture
def site(database_url: str, tmp_path: Path) -> Iterator[Site]:
    made = make_site(database_url, tmp_path, PUBLISHER_API_TOKENS=f"status:{STATUS_TOKEN}")
    try:
        yield made
    finally:
        made.client.close()
        made.database.dispose()


@pytest.fixture
def other_process(site: Site, tmp_path: Path) -> Iterator[Database]:
    """Another connection pool to the same store, as another process would have."""
    other = Database.from_url(site.settings.database_url, root=tmp_path)
    try:
        yield other
    finally:
        other.dispose()


def status(client: TestClient, customer: str) -> Any:
    response = client.get(
        f"/api/v1/status?customer={customer}",
        headers={"authorization": f"Bearer {STATUS_TOKEN}"},
    )
    assert response.status_code == 200, response.text
    return response.json()


def remembered(site: Site, customer: str) -> Any:
    """The answer, asked twice so that the second one came from the cache."""
    status(site.client, customer)
    hits = site.client.app.state.service.status_answers.cache.stats().hits  # type: ignore[attr-defined]
    answer = status(site.client, customer)
    assert site.client.app.state.service.status_answers.cache.stats().hits == hits + 1  # type: ignore[attr-defined]
    return answer


def mark(database: Database) -> int:
    with database.engine.connect() as connection:
        return int(connection.execute(text("SELECT mark FROM status_marks")).scalar_one())


def test_an_acceptance_committed_by_another_process_is_in_the_next_answer(
    site: Site, other_process: Database
) -> None:
    assert remembered(site, "c2")["needs_acceptance"] is True
    record_acceptance(other_process, customer_id="c2", policy=POLICY, version="2", method="api")
    [policy] = status(site.client, "c2")["policies"]
    assert (policy["needs_acceptance"], policy["reason"]) == (False, "accepted-current")
    assert policy["accepted"]["version"] == "2"
    [other] = status(site.client, "c1")["policies"]  # and the others still answer right
    assert (other["needs_acceptance"], other["accepted"]) == (True, None)


def test_a_new_version_from_another_process_is_in_the_next_answer(
    site: Site, other_process: Database
) -> None:
    record_acceptance(other_process, customer_id="c1", policy=POLICY, version="2", method="api")
    assert remembered(site, "c1")["needs_acceptance"] is False
    store_versions(other_process, [support.version_text(POLICY, "3", 2, V3_MATERIAL)])
    [policy] = status(site.client, "c1")["policies"]
    assert policy["current"]["version"] == "3"
    assert (policy["needs_acceptance"], policy["reason"]) == (True, "material-changes")


def test_organisation_membership_from_a_customer_import_is_in_the_next_answer(
    site: Site, other_process: Database
) -> None:
    organisation = CustomerRow(2, "org", "org@example.com", "Org", "Org", kind="organisation")
    import_customers(other_process, [organisation])
    record_acceptance(other_process, customer_id="org", policy=POLICY, version="2", method="api")
    assert remembered(site, "c3")["needs_acceptance"] is True
    with other_process.engine.begin() as connection:  # c3 joins org, which accepted 2
        connection.execute(text("UPDATE customers SET organisation_id = 'org' WHERE id = 'c3'"))
    [policy] = status(site.client, "c3")["policies"]
    assert policy["needs_acceptance"] is False
    assert policy["accepted"]["organisation"] == "org"


def test_versions_added_by_db_sync_are_in_the_next_answer(
    database_url: str, tmp_path: Path
) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("policies/acceptable-use.md", support.AUP_FILE_V1)
    repo.commit("Publish the acceptable use policy", date="2024-01-10")
    database = support.synced_store(repo.path, database_url)
    settings = load_settings(
        repo.path,
        env={
            "PUBLISHER_SECRET_KEY": "test-key-0123456789abcdef0123456789",
            "PUBLISHER_API_TOKENS": f"status:{STATUS_TOKEN}",
        },
        overrides={"database_url": database_url},
    )
    client = TestClient(create_app(settings, database=database))
    try:
        record_acceptance(database, customer_id="c1", policy=POLICY, version="1", method="api")
        for _ in range(2):
            [before] = status(client, "c1")["policies"]
            assert (before["current"]["version"], before["needs_acceptance"]) == ("1", False)
        repo.write("policies/acceptable-use.md", support.AUP_FILE_V2)
        repo.commit("AUP v2: bulk mail and scanning", date="2024-03-01")
        synced = CliRunner().invoke(
            main, ["-C", str(repo.path), "db", "sync", "--database-url", database_url]
        )
        assert synced.exit_code == 0, synced.output
        [after] = status(client, "c1")["policies"]
        assert after["current"]["version"] == "2"
        assert (after["needs_acceptance"], after["reason"]) == (True, "material-changes")
    finally:
        client.close()
        database.dispose()


def test_the_mark_moves_only_with_what_an_answer_reads(site: Site) -> None:
    before = mark(site.database)
    with site.database.engine.begin() as connection:  # not read by a status answer
        connection.execute(
            text(
                "INSERT INTO webhook_endpoints (url, secret, events, enabled, acceptance_seq, "
                "created_at) VALUES ('https://hooks.example.com/x', 's', '*', true, 0, "
                "'2024-01-01 00:00:00')"
            )
        )
    assert mark(site.database) == before
    import_customers(
        site.database,
        [CustomerRow(i + 2, f"n{i}", f"n{i}@example.com", "N", "Co") for i in range(3)],
    )
    moved = mark(site.database)
    assert moved > before
    if site.database.dialect == "postgresql":  # once per transaction, at its commit
        assert moved == before + 1


def test_mark_reads_see_other_connections_commits(site: Site, other_process: Database) -> None:
    reader = MarkReader(site.database)
    try:
        first = reader.read()
        record_acceptance(other_process, customer_id="c1", policy=POLICY, version="2", method="api")
        assert reader.read() != first
        assert reader.read() == mark(site.database)
        if not reader.local:
            assert run_apart(reader.read_in_thread()) == mark(site.database)
    finally:
        reader.close()


def test_the_mark_triggers_come_with_the_migration_and_go_with_its_downgrade(
    database: Database,
) -> None:
    def triggers() -> set[str]:
        with database.engine.connect() as connection:
            if database.dialect == "sqlite":
                sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
            else:
                sql = (  # this test's schema only: other tests run in schemas of their own
                    "SELECT tgname || ' ' || tgrelid::regclass FROM pg_trigger WHERE NOT "
                    "tgisinternal AND tgrelid IN (SELECT oid FROM pg_class "
                    "WHERE relnamespace = current_schema()::regnamespace)"
                )
            return {row[0] for row in connection.execute(text(sql)) if "status_mark" in row[0]}

    tables = ("customers", "policy_versions", "acceptances", "personal_data")
    if database.dialect == "sqlite":
        expected = {f"status_mark_{t}_{a}" for t in tables for a in ("insert", "update", "delete")}
    else:
        expected = {f"{n} {t}" for t in tables for n in ("status_mark", "status_mark_truncate")}
    assert triggers() == expected
    assert mark(database) == 0
    ids = [revision.id for revision in migrate.revisions()]
    [ours] = [i for i, name in enumerate(ids) if name.endswith("_status_marks")]
    migrate.downgrade(database, ids[ours - 1])
    assert triggers() == set()
    with database.engine.connect() as connection:
        assert "status_marks" not in inspect(connection).get_table_names()
    migrate.upgrade(database)
    assert triggers() == expected


def test_a_small_cache_evicts_and_still_answers_right(database_url: str, tmp_path: Path) -> None:
    made = make_site(
        database_url,
        tmp_path,
        PUBLISHER_API_TOKENS=f"status:{STATUS_TOKEN}",
        PUBLISHER_STATUS_CACHE_SIZE="1",
    )
    try:
        for _ in range(2):
            assert status(made.client, "c2")["needs_acceptance"] is True
            assert status(made.client, "c3")["policies"][0]["reason"] == "not-accepted"
        stats = made.client.app.state.service.status_answers.cache.stats()  # type: ignore[attr-defined]
        assert (stats.size, stats.entries, stats.hits, stats.evictions) == (1, 1, 0, 3)
    finally:
        made.client.close()
        made.database.dispose()


def test_the_cache_keeps_the_least_recently_used_out() -> None:
    cache: StatusCache[str] = StatusCache(2)
    a, b, c = cache_key("a", ()), cache_key("b", ["p", "q", "p"]), cache_key("c", ())
    assert b == ("b", ("p", "q")) == cache_key("b", ["q", "p"])
    cache.put(a, 1, "A")
    cache.put(b, 1, "B")
    assert cache.get(a, 1) == "A"  # a is now the most recently used
    cache.put(c, 1, "C")
    assert (cache.get(b, 1), cache.get(a, 1), cache.get(c, 1)) == (None, "A", "C")
    assert cache.get(a, 2) is None  # stored under another mark
    stats = cache.stats()
    assert (stats.entries, stats.evictions, stats.hits, stats.misses) == (2, 1, 3, 2)
    nothing: StatusCache[str] = StatusCache(0)
    nothing.put(a, 1, "A")
    assert nothing.get(a, 1) is None
    with pytest.raises(ValueError, match="0 or more"):
        StatusCache(-1)


def test_the_cache_size_setting_is_checked(tmp_path: Path) -> None:
    from publisher.config import ConfigError

    assert load_settings(tmp_path, env={}).status_cache_size == 10000
    with pytest.raises(ConfigError, match="status_cache_size must be 0 or more"):
        load_settings(tmp_path, env={"PUBLISHER_STATUS_CACHE_SIZE": "-1"})


def test_a_shared_mark_read_serves_only_those_who_arrived_before_it_started() -> None:
    async def scenario() -> list[tuple[str, int]]:
        started: list[asyncio.Event] = []
        release: list[asyncio.Event] = []

        async def read() -> int:
            number = len(started)
            started.append(asyncio.Event())
            release.append(asyncio.Event())
            started[number].set()
            await release[number].wait()
            return number

        shared = SharedMark(read)
        got: list[tuple[str, int]] = []

        async def ask(name: str) -> None:
            got.append((name, await shared.current()))

        first = asyncio.create_task(ask("first"))  # starts read 0
        await asyncio.sleep(0)
        while not started:
            await asyncio.sleep(0)
        late = [asyncio.create_task(ask(f"late{i}")) for i in range(3)]  # read 0 is in flight
        await asyncio.sleep(0)
        release[0].set()
        await first
        while len(started) < 2:  # read 1 starts as soon as read 0 ends
            await asyncio.sleep(0)
        later = asyncio.create_task(ask("later"))  # arrives while read 1 is in flight
        await asyncio.sleep(0)
        release[1].set()
        await asyncio.gather(*late)
        while len(started) < 3:
            await asyncio.sleep(0)
        release[2].set()
        await later
        assert shared.reads == 3
        return got

    # a wrong implementation never starts the reads waited for: fail instead of hanging
    got = dict(run_apart(asyncio.wait_for(scenario(), HANG_GUARD_S)))
    assert got == {"first": 0, "late0": 1, "late1": 1, "late2": 1, "later": 2}


def test_a_failed_shared_read_fails_its_waiters_and_the_next_read_runs() -> None:
    async def scenario() -> tuple[str, int]:
        calls = 0

        async def read() -> int:
            nonlocal calls
            calls += 1
            await asyncio.sleep(0)
            if calls == 1:
                raise OSError("the database went away")
            return 7

        shared = SharedMark(read)
        try:
            await shared.current()
        except OSError as error:
            failed = str(error)
        return failed, await shared.current()

    assert run_apart(scenario()) == ("the database went away", 7)


def test_a_dropped_mark_connection_is_replaced(site: Site, other_process: Database) -> None:
    if site.database.dialect != "postgresql":
        pytest.skip("SQLite's mark connection is a local file, nothing can drop it")
    reader = MarkReader(site.database)
    try:
        first = run_apart(reader.read_in_thread())
        with other_process.engine.begin() as connection:  # as a server restart or a DBA would
            dropped = connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE query = 'SELECT mark FROM status_marks WHERE id = 1' "
                    "AND pid <> pg_backend_pid()"
                )
            ).all()
        assert dropped and all(ok for (ok,) in dropped)
        record_acceptance(other_process, customer_id="c1", policy=POLICY, version="2", method="api")
        # this read finds its connection gone and reads through the pool; the next reconnects
        assert run_apart(reader.read_in_thread()) == mark(site.database) != first
        assert run_apart(reader.read_in_thread()) == mark(site.database)
    finally:
        reader.close()
