"""``GET /api/v1/openapi.json`` describes every JSON endpoint, and real responses (successes
and errors, SQLite and PostgreSQL) conform to its schemas."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from openapi_check import conforms, problems, spec
from starlette.routing import Route
from web_support import API_TOKEN, POLICY, Site, make_site

STATUS_TOKEN = "status-token-0123456789"


@pytest.fixture
def site(database_url: str, tmp_path: Path) -> Iterator[Site]:
    made = make_site(database_url, tmp_path, PUBLISHER_API_TOKENS=f"status:{STATUS_TOKEN}")
    try:
        yield made
    finally:
        made.client.close()
        made.database.dispose()


def test_every_json_endpoint_is_described(site: Site) -> None:
    document = spec(site)
    assert document["openapi"] == "3.1.0"
    routes = [
        r
        for r in site.client.app.routes  # type: ignore[attr-defined]
        if isinstance(r, Route) and (r.path.startswith("/api/") or r.path == "/readyz")
    ]
    assert routes
    for route in routes:
        assert route.path in document["paths"], route.path
        methods = {m.lower() for m in (route.methods or ()) if m != "HEAD"}
        assert methods == set(document["paths"][route.path]), route.path


def test_every_reference_resolves(site: Site) -> None:
    document = spec(site)
    text = str(document)
    for name in re.findall(r"#/components/schemas/(\w+)", text):
        assert name in document["components"]["schemas"], name


def test_real_responses_conform(site: Site) -> None:
    document = spec(site)
    admin = {"authorization": f"Bearer {API_TOKEN}"}
    status = {"authorization": f"Bearer {STATUS_TOKEN}"}
    get, post = site.client.get, site.client.post
    body = {
        "customer": "c1",
        "policy": POLICY,
        "version": "2",
        "user": {"id": "u1", "ip": "192.0.2.1", "user_agent": "App/1"},
    }
    responses = [
        get("/api/v1/status?customer=c1", headers=status),
        get("/api/v1/status?customer=c2&policy=" + POLICY, headers=status),
        post("/api/v1/acceptances", json=body, headers={**admin, "idempotency-key": "k1"}),
        post("/api/v1/acceptances", json=body, headers={**admin, "idempotency-key": "k1"}),
        post(
            "/api/v1/acceptances",
            json={**body, "customer": "c3"},
            headers={**admin, "idempotency-key": "k1"},
        ),  # 422: key reused
        post("/api/v1/acceptances", json={**body, "version": "1"}, headers=admin),  # 409
        post("/api/v1/acceptances", json=[1], headers=admin),  # 400
        post(
            "/api/acceptances",
            json={"customer": "c2", "policy": POLICY, "version": "2"},
            headers=admin,
        ),
        post(
            "/api/acceptances",
            json={"customer": "c2", "policy": POLICY, "version": "2"},
            headers=admin,
        ),
        get("/api/v1/status?customer=c1", headers=status),  # accepted-current now
        get("/api/v1/status?customer=nobody", headers=status),  # 404
        get("/api/v1/status", headers=status),  # 422
        get("/api/v1/status?customer=c1", headers={"authorization": "Bearer wrong"}),  # 401
        get("/api/ledger/verify", headers=status),  # 403
        get("/api/reports/acceptance", headers=admin),
        get(f"/api/reports/acceptance?policy={POLICY}&format=csv", headers=admin),
        get("/api/customers/c1/evidence", headers=admin),
        get("/api/ledger/verify", headers=admin),
        get("/readyz"),
    ]
    codes = [r.status_code for r in responses]
    assert codes == [
        200,
        200,
        201,
        201,
        422,
        409,
        400,
        201,
        200,
        200,
        404,
        422,
        401,
        403,
        200,
        200,
        200,
        200,
        200,
    ]
    for response in responses:
        conforms(site, response, document)


def test_the_check_catches_a_response_that_breaks_the_schema(site: Site) -> None:
    document = spec(site)
    record = site.client.post(
        "/api/acceptances",
        headers={"authorization": f"Bearer {API_TOKEN}"},
        json={"customer": "c1", "policy": POLICY, "version": "2"},
    ).json()
    schema = {"$ref": "#/components/schemas/Acceptance"}
    assert problems(record, schema, document) == []
    del record["record"]["hash"]
    record["record"]["seq"] = "1"
    record["extra"] = True
    assert set(problems(record, schema, document)) == {
        "$: unexpected 'extra'",
        "$.record: missing 'hash'",
        "$.record.seq: str is not integer",
    }
