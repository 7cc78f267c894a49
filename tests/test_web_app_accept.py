"""``POST /api/v1/acceptances``: the provider's app records an acceptance with the end user
as it saw them, idempotent with ``Idempotency-Key`` (SQLite and PostgreSQL, in process)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from web_support import POLICY, Site, make_site

from publisher.store.ledger import records, verify_chain

WRITE_TOKEN = "write-token-0123456789ab"
USER = {"id": "app-user-42", "ip": "203.0.113.9", "user_agent": "Mozilla/5.0 (App)"}


@pytest.fixture
def site(database_url: str, tmp_path: Path) -> Iterator[Site]:
    made = make_site(database_url, tmp_path, PUBLISHER_API_TOKENS=f"write:{WRITE_TOKEN}")
    try:
        yield made
    finally:
        made.client.close()
        made.database.dispose()


def post(site: Site, body: object, key: str | None = None) -> Any:
    headers = {"authorization": f"Bearer {WRITE_TOKEN}"}
    if key is not None:
        headers["idempotency-key"] = key
    return site.client.post("/api/v1/acceptances", json=body, headers=headers)


def app_rows(site: Site) -> list[tuple[Any, ...]]:
    with site.database.engine.connect() as connection:
        return [
            tuple(r)
            for r in connection.execute(
                text(
                    "SELECT idempotency_key, created, app_user_id, forwarded_ip, forwarded_user_agent, "
                    "caller_ip FROM app_acceptances ORDER BY id"
                )
            )
        ]


def test_records_the_end_user_as_the_app_saw_them(site: Site) -> None:
    response = post(site, {"customer": "c1", "policy": POLICY, "version": "2", "user": USER})
    assert response.status_code == 201
    body = response.json()
    assert body["created"] is True
    assert body["user"] == {**USER, "forwarded": True}
    record = body["record"]
    assert (record["method"], record["ip"], record["user_agent"]) == (
        "api",
        "203.0.113.9",
        "Mozilla/5.0 (App)",
    )
    [stored] = records(site.database, customer_id="c1")
    assert stored.hash == record["hash"] and stored.ip == "203.0.113.9"
    assert app_rows(site) == [
        (None, True, "app-user-42", "203.0.113.9", "Mozilla/5.0 (App)", "testclient")
    ]
    assert verify_chain(site.database).ok


def test_idempotency_key_replays_the_first_answer(site: Site) -> None:
    body = {"customer": "c1", "policy": POLICY, "version": "2", "user": USER}
    first = post(site, body, key="order-7781")
    again = post(site, body, key="order-7781")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert again.json() == first.json()
    assert len(records(site.database, customer_id="c1")) == 1
    assert len(app_rows(site)) == 1


def test_a_key_reused_for_another_request_is_refused(site: Site) -> None:
    post(site, {"customer": "c1", "policy": POLICY, "version": "2"}, key="k-1")
    other = post(site, {"customer": "c3", "policy": POLICY, "version": "2"}, key="k-1")
    assert other.status_code == 422
    assert "different request" in other.json()["error"]
    assert records(site.database, customer_id="c3") == []


def test_without_a_key_a_repeat_finds_the_record(site: Site) -> None:
    body = {"customer": "c1", "policy": POLICY, "version": "2"}
    assert post(site, body).status_code == 201
    again = post(site, body)
    assert again.status_code == 200 and again.json()["created"] is False
    assert len(records(site.database, customer_id="c1")) == 1
    assert [row[1] for row in app_rows(site)] == [True, False]


def test_an_older_version_after_a_newer_one_is_409(site: Site) -> None:
    assert post(site, {"customer": "c1", "policy": POLICY, "version": "2"}).status_code == 201
    older = post(site, {"customer": "c1", "policy": POLICY, "version": "1"})
    assert older.status_code == 409
    assert [r.version for r in records(site.database, customer_id="c1")] == ["2"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"customer": "c1", "policy": POLICY}, "version"),
        ({"customer": "c1", "policy": POLICY, "version": "2", "colour": "red"}, "colour"),
        ({"customer": "c1", "policy": POLICY, "version": 2}, "version"),
        ({"customer": "c1", "policy": POLICY, "version": "2", "user": "bob"}, "user"),
        (
            {"customer": "c1", "policy": POLICY, "version": "2", "user": {"ip": "999.1.1.1"}},
            "user.ip",
        ),
        (
            {"customer": "c1", "policy": POLICY, "version": "2", "user": {"id": "a\u202eb"}},
            "user.id",
        ),
        ({"customer": "c1", "policy": POLICY, "version": "2", "user": {"name": "x"}}, "user"),
        (
            {
                "customer": "c1",
                "policy": POLICY,
                "version": "2",
                "user": {"user_agent": "x" * 1001},
            },
            "user.user_agent",
        ),
    ],
)
def test_bad_fields_are_422_and_record_nothing(site: Site, body: object, field: str) -> None:
    response = post(site, body)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert records(site.database, customer_id="c1") == []
    assert app_rows(site) == []


@pytest.mark.parametrize("key", [b"", b"k" * 256, "caf\u00e9".encode()])
def test_bad_idempotency_keys_are_422(site: Site, key: bytes) -> None:
    headers = {"authorization": f"Bearer {WRITE_TOKEN}".encode(), "idempotency-key": key}
    response = site.client.post(
        "/api/v1/acceptances",
        headers=headers,
        content=b'{"customer": "c1", "policy": "acceptable-use", "version": "2"}',
    )
    assert response.status_code == 422 and response.json()["field"] == "Idempotency-Key"


def test_a_body_that_is_not_an_object_is_400(site: Site) -> None:
    assert post(site, ["c1"]).status_code == 400


def test_unknown_customer_or_version_is_404(site: Site) -> None:
    assert post(site, {"customer": "zz", "policy": POLICY, "version": "2"}).status_code == 404
    assert post(site, {"customer": "c1", "policy": POLICY, "version": "9"}).status_code == 404
    assert app_rows(site) == []
