"""Outbound webhooks against a real receiver on 127.0.0.1, on SQLite and PostgreSQL: every
acceptance and notice delivery event reaches every subscribed endpoint, signed, once per
event id; retried after a 500, failed after the last attempt, never redirected; resumed after
a dispatcher dies mid-request; two dispatchers never send the same delivery."""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import store_support as support
from sqlalchemy import select
from webhook_receiver import Receiver

from publisher.notices.events import EventIn, record_events
from publisher.store.customers import CustomerRow, import_customers
from publisher.store.db import Database
from publisher.store.ledger import record_acceptance
from publisher.store.models import Delivery, Notice, utcnow
from publisher.store.tables import WEBHOOK_DELIVERIES
from publisher.webhooks import verify_signature
from publisher.webhooks.dispatch import DispatchOptions, dispatch_once
from publisher.webhooks.endpoints import (
    EndpointError,
    add_endpoint,
    get_endpoint,
    list_endpoints,
    remove_endpoint,
    set_enabled,
)
from publisher.webhooks.events import EventTypeError, event_id
from publisher.webhooks.outbox import enqueue_acceptances, recent_problems, state_counts

POLICY = "acceptable-use"
FAST = DispatchOptions(backoff_base=0.0, timeout=5.0)


@pytest.fixture
def store(database: Database) -> Database:
    support.seed(database)
    return database


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as server:
        yield server


def accept(db: Database, customer: str, version: str = "1") -> str:
    """Record an acceptance; returns its record hash."""
    return record_acceptance(
        db, customer_id=customer, policy=POLICY, version=version, method="link"
    ).record.hash


def rows(db: Database) -> list[dict[str, object]]:
    with db.read() as connection:
        return [
            dict(r._mapping)
            for r in connection.execute(
                select(WEBHOOK_DELIVERIES).order_by(WEBHOOK_DELIVERIES.c.id)
            )
        ]


# -- endpoints -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/hook", "invalid webhook URL"),
        ("example.com/hook", "invalid webhook URL"),
        ("https:///hook", "invalid webhook URL"),
        ("https://user:pw@example.com/hook", "user name or password"),
        ("https://example.com:99999/hook", "invalid webhook URL"),
    ],
)
def test_bad_endpoint_urls_are_refused(store: Database, url: str, message: str) -> None:
    with pytest.raises(EndpointError, match=message):
        add_endpoint(store, url)
    assert list_endpoints(store) == []


def test_unknown_event_types_and_short_secrets_are_refused(store: Database) -> None:
    with pytest.raises(EventTypeError, match=r"'acceptance\.deleted'"):
        add_endpoint(store, "https://example.com/h", events="acceptance.deleted")
    with pytest.raises(EndpointError, match="shorter than 16"):
        add_endpoint(store, "https://example.com/h", secret="short")
    assert list_endpoints(store) == []


def test_an_endpoint_gets_a_random_secret_and_all_events_by_default(store: Database) -> None:
    one = add_endpoint(store, "https://example.com/a")
    two = add_endpoint(store, "https://example.com/b", events="notice.delivery")
    assert one.secret.startswith("whsec_") and len(one.secret) > 40
    assert one.secret != two.secret
    assert (one.events, two.events) == ("*", "notice.delivery")
    assert one.to_dict()["secret"] != one.secret  # listings mask it
    assert [e.id for e in list_endpoints(store)] == [one.id, two.id]
    with pytest.raises(EndpointError, match="no webhook endpoint 99"):
        get_endpoint(store, 99)


def test_an_endpoint_receives_only_what_happens_after_it_is_added(
    store: Database, receiver: Receiver
) -> None:
    accept(store, "c1")
    endpoint = add_endpoint(store, receiver.url)
    late = accept(store, "c2")
    report = dispatch_once(store, options=FAST)
    assert (report.queued, report.delivered) == (1, 1)
    (request,) = receiver.wait_for(1)
    assert request.event_id == event_id("acceptance.created", late)
    assert endpoint.id == rows(store)[0]["endpoint_id"]


# -- delivery ------------------------------------------------------------------------------


def test_an_acceptance_is_delivered_signed_with_its_event_id(
    store: Database, receiver: Receiver
) -> None:
    endpoint = add_endpoint(store, receiver.url, events="acceptance.created")
    record = record_acceptance(
        store, customer_id="c1", policy=POLICY, version="2", method="link"
    ).record
    report = dispatch_once(store, options=FAST)
    assert (report.delivered, report.retried, report.failed) == (1, 0, 0)
    (request,) = receiver.wait_for(1)
    assert request.path == "/hooks"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Publisher-Event-Type"] == "acceptance.created"
    verify_signature(endpoint.secret, request.body, request.headers["Publisher-Signature"])
    document = json.loads(request.body)
    assert document["id"] == request.event_id == event_id("acceptance.created", record.hash)
    assert document["type"] == "acceptance.created"
    assert document["data"] == {
        "seq": record.seq,
        "customer_id": "c1",
        "policy": POLICY,
        "version": "2",
        "content_sha256": record.content_sha256,
        "commit": record.commit,
        "notice_id": None,
        "accepted_at": document["data"]["accepted_at"],
        "method": "link",
        "hash": record.hash,
    }
    (row,) = rows(store)
    assert row["state"] == "delivered" and row["attempts"] == 1 and row["last_status"] == 200
    # nothing is sent twice
    again = dispatch_once(store, options=FAST)
    assert (again.queued, again.delivered) == (0, 0)
    assert len(receiver.event_ids()) == 1


def test_every_subscribed_endpoint_gets_the_event_with_the_same_id(store: Database) -> None:
    with Receiver() as first, Receiver() as second, Receiver() as third:
        add_endpoint(store, first.url)
        add_endpoint(store, second.url, events="acceptance.created")
        add_endpoint(store, third.url, events="notice.delivery")
        accept(store, "c1")
        accept(store, "c2")
        report = dispatch_once(store, options=FAST)
        assert report.delivered == 4
        assert sorted(first.event_ids()) == sorted(second.event_ids())
        assert len(set(first.event_ids())) == 2
        assert third.event_ids() == []


def test_a_500_is_retried_after_a_back_off_with_the_same_event_id(store: Database) -> None:
    clock = [utcnow()]
    options = DispatchOptions(backoff_base=60.0, timeout=5.0)
    with Receiver(statuses=[500]) as receiver:
        add_endpoint(store, receiver.url)
        accept(store, "c1")
        first = dispatch_once(store, options=options, now=lambda: clock[0])
        assert (first.delivered, first.retried) == (0, 1)
        assert "HTTP 500" in first.errors[0]
        (row,) = rows(store)
        assert row["state"] == "pending" and row["attempts"] == 1
        wait = row["next_attempt_at"] - clock[0]  # type: ignore[operator]
        assert timedelta(seconds=30) <= wait <= timedelta(seconds=60)
        # not due yet: nothing sent
        assert dispatch_once(store, options=options, now=lambda: clock[0]).delivered == 0
        assert len(receiver.event_ids()) == 1
        clock[0] += timedelta(seconds=61)
        second = dispatch_once(store, options=options, now=lambda: clock[0])
        assert second.delivered == 1
        ids = receiver.event_ids()
        assert len(ids) == 2 and ids[0] == ids[1]
        assert [r.headers["Publisher-Attempt"] for r in receiver.requests] == ["1", "2"]
    (row,) = rows(store)
    assert row["state"] == "delivered" and row["attempts"] == 2 and row["last_error"] is None


def test_after_the_last_attempt_a_delivery_fails_and_can_be_retried(store: Database) -> None:
    from publisher.webhooks.outbox import retry_failed

    options = DispatchOptions(backoff_base=0.0, max_attempts=3, timeout=5.0)
    with Receiver(default=503) as receiver:
        add_endpoint(store, receiver.url)
        accept(store, "c1")
        report = dispatch_once(store, options=options)
        assert (report.retried, report.failed, report.delivered) == (2, 1, 0)
        assert len(receiver.event_ids()) == 3
        (row,) = rows(store)
        assert row["state"] == "failed" and row["attempts"] == 3
        assert "gave up after 3 attempts: HTTP 503" in str(row["last_error"])
        (problem,) = recent_problems(store)
        assert problem.state == "failed" and problem.last_status == 503
        receiver.default = 200
        assert retry_failed(store, now=utcnow()) == 1
        assert dispatch_once(store, options=options).delivered == 1


def test_a_redirect_is_never_followed(store: Database) -> None:
    with (
        Receiver() as elsewhere,
        Receiver(default=307, headers={"Location": elsewhere.url}) as moved,
    ):
        add_endpoint(store, moved.url)
        accept(store, "c1")
        report = dispatch_once(store, options=DispatchOptions(max_attempts=1, timeout=5.0))
        assert report.failed == 1
        assert f"redirected to {elsewhere.url} (not followed" in report.errors[0]
        assert len(moved.event_ids()) == 1 and elsewhere.event_ids() == []


def test_a_receiver_that_does_not_answer_in_time_is_an_attempt_that_failed(
    store: Database,
) -> None:
    with Receiver(delay=3.0) as slow:
        add_endpoint(store, slow.url)
        accept(store, "c1")
        report = dispatch_once(store, options=DispatchOptions(timeout=0.3, backoff_base=60.0))
        assert report.retried == 1 and "no answer within 0.3 s" in report.errors[0]
    (row,) = rows(store)
    assert row["state"] == "pending" and row["last_status"] is None


def test_an_unreachable_receiver_is_retried(store: Database) -> None:
    with Receiver() as gone:
        url = gone.url
    add_endpoint(store, url)
    accept(store, "c1")
    report = dispatch_once(store, options=DispatchOptions(backoff_base=60.0, timeout=2.0))
    assert report.retried == 1 and "ConnectionRefusedError" in report.errors[0]


def test_a_paused_endpoint_keeps_its_events_until_resumed(
    store: Database, receiver: Receiver
) -> None:
    endpoint = add_endpoint(store, receiver.url)
    set_enabled(store, endpoint.id, False)
    accept(store, "c1")
    assert dispatch_once(store, options=FAST).delivered == 0
    assert state_counts(store)[endpoint.id]["pending"] == 1
    set_enabled(store, endpoint.id, True)
    assert dispatch_once(store, options=FAST).delivered == 1


def test_removing_an_endpoint_drops_its_outbox_rows(store: Database) -> None:
    endpoint = add_endpoint(store, "http://127.0.0.1:9/none")
    accept(store, "c1")
    enqueue_acceptances(store, now=utcnow())
    assert remove_endpoint(store, endpoint.id) == {"pending": 1}
    assert rows(store) == [] and list_endpoints(store) == []


# -- notice delivery events ----------------------------------------------------------------


def _delivery(db: Database) -> int:
    now = utcnow()
    with db.session() as session:
        notice = Notice(
            slug=POLICY,
            version_label="2",
            subject="We changed our policy",
            status="sent",
            forced=False,
            created_at=now,
            kind="notice",
        )
        session.add(notice)
        session.flush()
        delivery = Delivery(
            notice_id=notice.id,
            customer_id="c1",
            email="ada@example.com",
            state="sent",
            attempts=1,
            queued_at=now,
        )
        session.add(delivery)
        session.commit()
        return delivery.id


def _event(delivery_id: int, provider_id: str, kind: str = "delivered") -> EventIn:
    return EventIn(
        provider_event_id=provider_id,
        event=kind,
        delivery_id=delivery_id,
        notice_id=None,
        email="ada@example.com",
        message_id=None,
        reason="250 OK" if kind == "delivered" else "550 no such user",
        occurred_at=datetime(2026, 12, 1, 12, 0, tzinfo=utcnow().tzinfo),
        payload="{}",
    )


def test_a_delivery_event_is_queued_with_it_and_only_once(
    store: Database, receiver: Receiver
) -> None:
    endpoint = add_endpoint(store, receiver.url, events="notice.delivery")
    add_endpoint(store, "http://127.0.0.1:9/acceptances-only", events="acceptance.created")
    delivery = _delivery(store)
    unmatched = _event(delivery + 1000, "sg-unknown")
    result = record_events(store, [_event(delivery, "sg-1"), unmatched])
    assert (result.recorded, result.unmatched) == (2, 1)
    (row,) = rows(store)  # the matched event, for the subscribed endpoint only
    assert row["endpoint_id"] == endpoint.id and row["event_type"] == "notice.delivery"
    # SendGrid sends the event again: recorded once, queued once
    again = record_events(store, [_event(delivery, "sg-1")])
    assert again.duplicates == 1 and len(rows(store)) == 1
    assert dispatch_once(store, options=FAST).delivered == 1
    (request,) = receiver.wait_for(1)
    document = json.loads(request.body)
    assert document["type"] == "notice.delivery"
    assert document["id"] == event_id("notice.delivery", "sg-1")
    assert document["data"]["event"] == "delivered"
    assert document["data"]["customer_id"] == "c1"
    assert document["data"]["delivery_id"] == delivery
    assert "ada@example.com" not in request.body.decode()  # personal data stays in the store
    verify_signature(endpoint.secret, request.body, request.headers["Publisher-Signature"])


def test_the_event_and_its_webhook_commit_together_or_not_at_all(
    store: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    import publisher.notices.events as events_module
    from publisher.store.tables import EVENTS

    add_endpoint(store, "http://127.0.0.1:9/x", events="notice.delivery")
    delivery = _delivery(store)

    def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(events_module, "enqueue_delivery_events", broken)
    with pytest.raises(RuntimeError):
        record_events(store, [_event(delivery, "sg-2")])
    with store.read() as connection:
        assert connection.execute(select(EVENTS)).all() == []  # SendGrid will send it again
    assert rows(store) == []
    monkeypatch.undo()
    assert record_events(store, [_event(delivery, "sg-2")]).recorded == 1
    assert len(rows(store)) == 1


# -- crashes and concurrency ---------------------------------------------------------------


def _customers(db: Database, count: int) -> list[str]:
    ids = [f"k{i:03d}" for i in range(count)]
    import_customers(
        db,
        [
            CustomerRow(i + 2, c, f"{c}@example.com", f"Customer {c}", "", None)
            for i, c in enumerate(ids)
        ],
    )
    return ids


def test_a_dispatcher_killed_mid_request_loses_nothing(
    store: Database, database_url: str, tmp_path: Path
) -> None:
    import os
    import signal
    import subprocess
    import sys

    customers = _customers(store, 5)
    with Receiver(hold=True) as receiver:
        add_endpoint(store, receiver.url)
        for customer in customers:
            accept(store, customer)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PUBLISHER_")}
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "publisher",
                "-C",
                str(tmp_path),
                "webhooks",
                "dispatch",
                "--database-url",
                database_url,
                "--batch-size",
                "3",
                "--timeout",
                "30",
                "--concurrency",
                "1",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            (first,) = receiver.wait_for(1, timeout=60)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(30)
        counts = Counter(r["state"] for r in rows(store))
        assert counts == {"sending": 3, "pending": 2}  # one batch claimed, then killed
        receiver.release.set()
        # another dispatcher, once the dead one's lease is over
        killed = DispatchOptions(batch_size=3, timeout=30, concurrency=1)  # its flags
        soon = utcnow() + timedelta(seconds=killed.effective_lease - 5)
        assert dispatch_once(store, options=FAST, now=lambda: soon).delivered == 2  # not theirs
        later = utcnow() + timedelta(seconds=killed.effective_lease + 1)
        report = dispatch_once(store, options=FAST, now=lambda: later)
        assert report.delivered == 3
        ids = Counter(receiver.event_ids())
    assert set(ids) == {r["event_id"] for r in rows(store)}
    assert ids[first.event_id] == 2  # the request in flight came again, same event id
    assert sum(ids.values()) == 6  # every other event exactly once
    assert all(r["state"] == "delivered" for r in rows(store))


def test_one_dispatcher_sends_several_requests_at_once(store: Database) -> None:
    customers = _customers(store, 8)
    with Receiver(delay=0.3) as receiver:
        add_endpoint(store, receiver.url)
        for customer in customers:
            accept(store, customer)
        report = dispatch_once(store, options=DispatchOptions(concurrency=4, timeout=10.0))
        assert report.delivered == 8
        assert 2 <= receiver.most_in_flight <= 4
        assert sorted(set(receiver.event_ids())) == sorted(receiver.event_ids())


def test_a_lease_not_over_is_respected(store: Database, receiver: Receiver) -> None:
    from publisher.webhooks.outbox import claim, new_token

    add_endpoint(store, receiver.url)
    accept(store, "c1")
    enqueue_acceptances(store, now=utcnow())
    held = claim(store, token=new_token(), size=10, lease=60, now=utcnow())
    assert len(held) == 1
    assert dispatch_once(store, options=FAST).delivered == 0
    assert receiver.event_ids() == []


def test_two_dispatchers_at_once_never_send_the_same_delivery(
    store: Database, tmp_path: Path
) -> None:
    customers = _customers(store, 24)
    with Receiver(delay=0.02) as receiver:
        add_endpoint(store, receiver.url)
        for customer in customers:
            accept(store, customer)
        url = store.url.render_as_string(hide_password=False)
        databases = [Database.from_url(url, root=tmp_path) for _ in range(2)]
        reports = []
        barrier = threading.Barrier(2)

        def run(db: Database) -> None:
            barrier.wait()
            reports.append(
                dispatch_once(
                    db, options=DispatchOptions(batch_size=2, timeout=10.0), rng=random.Random(1)
                )
            )

        threads = [threading.Thread(target=run, args=(db,)) for db in databases]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        for db in databases:
            db.dispose()
        ids = Counter(receiver.event_ids())
    assert len(reports) == 2
    assert sum(r.queued for r in reports) == 24  # queued once between them
    assert sum(r.delivered for r in reports) == 24
    assert len(ids) == 24 and set(ids.values()) == {1}
    assert Counter(r["state"] for r in rows(store)) == {"delivered": 24}


def test_queueing_from_two_processes_at_once_makes_each_event_once(
    store: Database, tmp_path: Path
) -> None:
    customers = _customers(store, 30)
    add_endpoint(store, "http://127.0.0.1:9/a")
    add_endpoint(store, "http://127.0.0.1:9/b")
    for customer in customers:
        accept(store, customer)
    url = store.url.render_as_string(hide_password=False)
    databases = [Database.from_url(url, root=tmp_path) for _ in range(3)]
    queued: list[int] = []
    barrier = threading.Barrier(3)

    def run(db: Database) -> None:
        barrier.wait()
        queued.append(enqueue_acceptances(db, now=utcnow(), batch=7))

    threads = [threading.Thread(target=run, args=(db,)) for db in databases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for db in databases:
        db.dispose()
    assert sum(queued) == 60
    assert len(rows(store)) == 60


def test_the_watch_loop_survives_a_failing_pass(
    store: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    import publisher.webhooks.dispatch as dispatch_module

    stop = threading.Event()
    calls: list[int] = []
    real = dispatch_module.dispatch_once

    def flaky(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the database went away")
        stop.set()
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(dispatch_module, "dispatch_once", flaky)
    passes: list[object] = []
    dispatch_module.watch(store, interval=0.01, stop=stop, on_pass=passes.append)
    assert len(calls) == 2 and len(passes) == 1
