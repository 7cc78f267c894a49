"""The ledger's group-commit writer survives any exception and says when it cannot serve; the
API refuses input the store cannot hold with a 422 naming the field (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
import warnings
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import store_support as support

from publisher.config import load_settings
from publisher.store import migrate
from publisher.store.db import Database
from publisher.store.group_commit import (
    LINGER_POSTGRESQL,
    BatchPrepare,
    GroupCommit,
    WriteFailed,
    WriterUnavailable,
)
from publisher.store.ledger import AcceptanceRequest, records
from publisher.store.models import utcnow
from publisher.web import create_app

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient


POLICY = "acceptable-use"
TOKEN = "writer-test-token"


def request(customer: str = "c1", notice: int | None = None) -> AcceptanceRequest:
    return AcceptanceRequest(
        customer_id=customer,
        policy=POLICY,
        version="2",
        method="api",
        notice_id=notice,
        ip=None,
        user_agent=None,
    )


@pytest.fixture
def seeded(database: Database) -> Database:
    support.seed(database)
    return database


@pytest.mark.parametrize(
    "bad",
    [request(customer="\ud800"), request(notice=10**30), request(notice=-(2**70))],
    ids=["lone-surrogate", "huge-notice", "huge-negative-notice"],
)
def test_writer_survives_a_request_the_driver_cannot_encode(
    seeded: Database, bad: AcceptanceRequest
) -> None:
    writer = GroupCommit(seeded)
    try:
        with pytest.raises(Exception):  # noqa: B017 - whatever the driver raises, the caller gets it
            writer.record(bad)
        assert writer.healthy()
        recorded = writer.record(request("c1"))  # the next acceptance still records
        assert recorded.created and recorded.record.customer_id == "c1"
    finally:
        writer.close()
    assert [r.customer_id for r in records(seeded)] == ["c1"]


def test_one_bad_request_in_a_batch_fails_alone(seeded: Database) -> None:
    """A batch with an unencodable request is retried one by one: the others record."""
    gate = threading.Event()
    first = True

    def clock() -> datetime:
        nonlocal first
        if first:  # hold the writer on its first batch so the next ones queue up together
            first = False
            gate.wait(10)
        return utcnow()

    writer = GroupCommit(seeded, now=clock)
    try:
        held = writer.submit(request("c3"))
        futures = [
            writer.submit(request("c1")),
            writer.submit(request("\udfff")),
            writer.submit(request("c2")),
        ]
        gate.set()
        assert held.result(10).created
        assert futures[0].result(10).created and futures[2].result(10).created
        with pytest.raises(UnicodeEncodeError):
            futures[1].result(10)
    finally:
        writer.close()
    assert sorted(r.customer_id for r in records(seeded)) == ["c1", "c2", "c3"]


def test_prepare_completes_a_request_in_the_writer_and_fails_it_alone(seeded: Database) -> None:
    """``prepare`` runs in the writer thread before the batch is recorded; what it returns is
    recorded, what it raises is that request's outcome only."""
    threads: list[str] = []

    def shown(asked: AcceptanceRequest) -> AcceptanceRequest:
        threads.append(threading.current_thread().name)
        return dataclasses.replace(asked, language="de", shown_sha256="a" * 64)

    def missing(asked: AcceptanceRequest) -> AcceptanceRequest:
        raise LookupError(f"no text for {asked.customer_id}")

    writer = GroupCommit(seeded)
    try:
        completed = writer.submit(request("c1"), prepare=shown)
        failed = writer.submit(request("c2"), prepare=missing)
        plain = writer.submit(request("c3"))
        record = completed.result(10).record
        with pytest.raises(LookupError, match="no text for c2"):
            failed.result(10)
        assert plain.result(10).created
    finally:
        writer.close()
    assert threads == ["publisher-ledger-writer"]
    assert (record.language, record.shown_sha256) == ("de", "a" * 64)
    assert sorted(r.customer_id for r in records(seeded)) == ["c1", "c3"]


def test_a_batch_prepare_runs_once_for_the_requests_of_a_batch(seeded: Database) -> None:
    """A :class:`BatchPrepare` is run once for every request of a batch that carries it (in
    their order, in the writer thread); each request gets its own result or its own error,
    and a failing run fails only the requests that carry it."""
    calls: list[list[str]] = []

    def shown_together(items: list[tuple[Any, AcceptanceRequest]]) -> list[Any]:
        calls.append([asked.customer_id for _, asked in items])
        return [
            LookupError(f"no text for {asked.customer_id}")
            if arg == "missing"
            else dataclasses.replace(asked, language=arg, shown_sha256="b" * 64)
            for arg, asked in items
        ]

    def broken(items: list[tuple[Any, AcceptanceRequest]]) -> list[Any]:
        raise RuntimeError("the database went away")

    writer = GroupCommit(seeded)
    taken, hold = threading.Event(), threading.Event()

    def first_alone(asked: AcceptanceRequest) -> AcceptanceRequest:
        taken.set()  # the writer has taken c3's batch; the next ones queue behind it
        hold.wait(10)
        return asked

    try:
        first = writer.submit(request("c3"), prepare=first_alone)
        assert taken.wait(10)
        futures = {
            "c1": writer.submit(request("c1"), prepare=BatchPrepare(shown_together, "fr")),
            "c2": writer.submit(request("c2"), prepare=BatchPrepare(shown_together, "missing")),
            "c3": writer.submit(request("c3"), prepare=BatchPrepare(broken, None)),
        }
        hold.set()
        assert first.result(10).created
        assert futures["c1"].result(10).record.language == "fr"
        with pytest.raises(LookupError, match="no text for c2"):
            futures["c2"].result(10)
        with pytest.raises(RuntimeError, match="went away"):
            futures["c3"].result(10)
    finally:
        hold.set()
        writer.close()
    assert calls == [["c1", "c2"]]
    assert sorted(r.customer_id for r in records(seeded)) == ["c1", "c3"]


def test_the_writer_lingers_for_more_requests_to_join_a_batch(seeded: Database) -> None:
    """With a linger the first request waits for others to join its batch (up to the
    batch's limit, which ends the wait at once); PostgreSQL lingers by default, SQLite not."""
    writer = GroupCommit(seeded, linger=60.0, max_batch=2)
    try:
        first = writer.submit(request("c1"))
        second = writer.submit(request("c2"))  # joins: the batch is full, no 60 s wait
        assert first.result(30).created and second.result(30).created
        assert writer.batches == 1
    finally:
        writer.close()
    assert GroupCommit(seeded).linger == (
        LINGER_POSTGRESQL if seeded.dialect == "postgresql" else 0
    )


def test_an_unexpected_error_fails_the_waiters_and_the_writer_goes_on(seeded: Database) -> None:
    failures = iter([RuntimeError("clock broke"), None])

    def clock() -> datetime:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return utcnow()

    writer = GroupCommit(seeded, now=clock)
    try:
        with pytest.raises(WriteFailed, match="clock broke"):
            writer.record(request("c1"))
        assert writer.healthy()
        assert writer.record(request("c1")).created
    finally:
        writer.close()


def test_a_dead_writer_refuses_at_once_and_is_not_healthy(seeded: Database) -> None:
    def clock() -> datetime:
        raise SystemExit("the thread is told to die")  # not an Exception: kills the thread

    writer = GroupCommit(seeded, now=clock)
    try:
        with pytest.raises(WriteFailed):
            writer.record(request("c1"))
        writer.join_dead(timeout=10)
        assert not writer.healthy()
        with pytest.raises(WriterUnavailable):
            writer.record(request("c2"))
    finally:
        writer.close()


def test_a_stuck_writer_is_not_healthy(seeded: Database) -> None:
    gate = threading.Event()

    def clock() -> datetime:
        gate.wait(10)
        return utcnow()

    writer = GroupCommit(seeded, now=clock, stuck_after=0.05)
    try:
        future = writer.submit(request("c1"))
        for _ in range(500):  # at most 10 s
            if not writer.healthy():
                break
            time.sleep(0.02)
        assert not writer.healthy()
        gate.set()
        assert future.result(10).created
        assert writer.healthy()
    finally:
        writer.close()


# -- through the API ----------------------------------------------------------------------------


@pytest.fixture
def client(database_url: str, tmp_path: Path) -> Iterator[TestClient]:
    settings = load_settings(
        tmp_path,
        env={"PUBLISHER_SECRET_KEY": "k" * 32, "PUBLISHER_API_TOKEN": TOKEN},
        overrides={"database_url": database_url},
    )
    db = migrate.open_store(settings)
    support.seed(db)
    with TestClient(create_app(settings, database=db)) as test_client:
        test_client.headers["authorization"] = f"Bearer {TOKEN}"
        yield test_client
    db.dispose()


def post(client: TestClient, body: Any) -> Any:
    """As a client sends it: JSON with \\u escapes (a lone surrogate stays one)."""
    return client.post(
        "/api/acceptances",
        content=json.dumps(body).encode("ascii"),
        headers={"content-type": "application/json"},
    )


def test_the_api_refuses_what_the_store_cannot_hold(client: TestClient) -> None:
    good = {"customer": "c1", "policy": POLICY, "version": "2"}
    cases: list[tuple[dict[str, Any], str]] = [
        ({**good, "customer": "\ud800"}, "customer"),
        ({**good, "policy": "acceptable\udc00use"}, "policy"),
        ({**good, "version": "2\x00"}, "version"),
        ({**good, "customer": "c1\n"}, "customer"),
        ({**good, "customer": "c" * 201}, "customer"),
        ({**good, "policy": "p" * 201}, "policy"),
        ({**good, "version": "9" * 101}, "version"),
        ({**good, "customer": ""}, "customer"),
        ({**good, "notice": 10**30}, "notice"),
        ({**good, "notice": 2**31}, "notice"),
        ({**good, "notice": 0}, "notice"),
        ({**good, "notice": -1}, "notice"),
    ]
    for body, field in cases:
        response = post(client, body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["field"] == field
        assert response.json()["error"].startswith(f"{field}: ")
        assert response.headers["x-content-type-options"] == "nosniff"
    created = post(client, good)
    assert created.status_code == 201, created.text
    assert client.get("/readyz").status_code == 200


def test_query_and_path_input_is_checked_too(client: TestClient) -> None:
    response = client.get("/api/customers/c1%00/evidence")
    assert response.status_code == 422 and response.json()["field"] == "customer_id"
    response = client.get("/api/reports/acceptance?policy=a%00b")
    assert response.status_code == 422 and response.json()["field"] == "policy"
    response = client.get("/api/reports/acceptance?version=" + "9" * 101)
    assert response.status_code == 422 and response.json()["field"] == "version"


def test_readyz_fails_while_the_writer_is_dead(client: TestClient) -> None:
    service = client.app.state.service  # type: ignore[attr-defined]
    service.ledger.now = lambda: (_ for _ in ()).throw(SystemExit("die"))
    response = post(client, {"customer": "c1", "policy": POLICY, "version": "2"})
    assert response.status_code == 500
    assert response.headers["x-frame-options"] == "DENY"
    service.ledger.join_dead(timeout=10)
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["writer"] == "dead"
    refused = post(client, {"customer": "c2", "policy": POLICY, "version": "2"})
    assert refused.status_code == 503 and refused.headers["retry-after"]


def test_readyz_fails_while_the_writer_is_stuck(client: TestClient) -> None:
    service = client.app.state.service  # type: ignore[attr-defined]
    gate = threading.Event()

    def clock() -> datetime:
        gate.wait(10)
        return utcnow()

    service.ledger.now = clock
    service.ledger.stuck_after = 0.05
    future = service.ledger.submit(request("c1"))
    try:
        for _ in range(500):  # at most 10 s
            if client.get("/readyz").status_code != 200:
                break
            time.sleep(0.02)
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["writer"] == "stuck"
    finally:
        gate.set()
    assert future.result(10).created
    assert client.get("/readyz").status_code == 200
