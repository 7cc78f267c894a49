"""Input limits of the acceptance service in process (SQLite and PostgreSQL): body sizes,
JSON depth, the webhook's timestamp window, the Origin check against accept_url, and the
security headers on every answer, 500s and errors raised in middleware included."""

from __future__ import annotations

import base64
import json
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import store_support as support
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from starlette.types import Receive, Scope, Send

from publisher.config import load_settings
from publisher.links import LinkClaims, signer_for
from publisher.notices.events import SIGNATURE_HEADER, TIMESTAMP_HEADER
from publisher.store import migrate
from publisher.store.ledger import records
from publisher.web import create_app
from publisher.web.guard import DEFAULT_BODY_LIMIT, BodyLimits, RequestGuard
from publisher.web.inputs import BodyError, parse_json
from publisher.web.security import BASE_HEADERS, SecurityHeadersMiddleware
from publisher.web.webhooks import MAX_BODY, TIMESTAMP_TOLERANCE, timestamp_problem

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient


POLICY = "acceptable-use"
TOKEN = "limits-test-token"
KEY = ec.generate_private_key(ec.SECP256R1())
PUBLIC = base64.b64encode(
    KEY.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
).decode()
SECURITY = [name.decode() for name, _ in BASE_HEADERS]


def has_security_headers(response: Any) -> bool:
    return all(name in response.headers for name in SECURITY)


@pytest.fixture
def client(database_url: str, tmp_path: Path) -> Iterator[TestClient]:
    settings = load_settings(
        tmp_path,
        env={
            "PUBLISHER_SECRET_KEY": "k" * 32,
            "PUBLISHER_API_TOKEN": TOKEN,
            "PUBLISHER_SENDGRID_WEBHOOK_KEY": PUBLIC,
            "PUBLISHER_ACCEPT_URL": "https://accept.example.com",
        },
        overrides={"database_url": database_url},
    )
    db = migrate.open_store(settings)
    support.seed(db)
    app = create_app(settings, database=db)
    with TestClient(app, base_url="https://accept.example.com") as test_client:
        test_client.app_state = {"settings": settings, "database": db}  # type: ignore[attr-defined]
        yield test_client
    db.dispose()


def api(client: TestClient, body: bytes, **headers: str) -> Any:
    return client.post(
        "/api/acceptances",
        content=body,
        headers={"authorization": f"Bearer {TOKEN}", "content-type": "application/json", **headers},
    )


def signed(client: TestClient, body: bytes, timestamp: int | None = None) -> Any:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = base64.b64encode(KEY.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256())))
    return client.post(
        "/webhooks/sendgrid",
        content=body,
        headers={
            SIGNATURE_HEADER: signature.decode(),
            TIMESTAMP_HEADER: stamp,
            "content-type": "application/json",
        },
    )


GOOD = json.dumps({"customer": "c1", "policy": POLICY, "version": "2"}).encode()


def test_deeply_nested_json_is_a_400_with_headers(client: TestClient) -> None:
    huge = api(client, b"[" * 100_000)  # over the API's body limit before its depth
    assert huge.status_code == 413 and has_security_headers(huge)
    for body in (
        b"[" * 100_000,
        b"[" * 60_000,
        b"[" * 40 + b"]" * 40,
        b'{"a":' * 50 + b"1" + b"}" * 50,
    ):
        if len(body) < DEFAULT_BODY_LIMIT:
            response = api(client, body)
            assert response.status_code == 400, response.text
            assert "nested deeper" in response.json()["error"]
            assert has_security_headers(response)
        webhook = signed(client, body)
        assert webhook.status_code == 400 and "nested deeper" in webhook.json()["error"]
        assert has_security_headers(webhook)
    assert api(client, GOOD).status_code == 201


def test_parse_json_depth() -> None:
    assert parse_json(b"[" * 32 + b"]" * 32) == parse_json(b"[" * 32 + b"]" * 32)
    with pytest.raises(BodyError, match="nested deeper than 32"):
        parse_json(b"[" * 33 + b"]" * 33)
    with pytest.raises(BodyError, match="must be JSON"):
        parse_json(b"\xff\xfe{")


def test_authenticated_api_bodies_have_a_limit(client: TestClient) -> None:
    big = b'{"customer": "' + b"x" * DEFAULT_BODY_LIMIT + b'"}'
    response = api(client, big)
    assert response.status_code == 413 and has_security_headers(response)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit is counted as it arrives
        for _ in range(DEFAULT_BODY_LIMIT // 1024 + 2):
            yield b" " * 1024

    streamed = client.post(
        "/api/acceptances", content=chunks(), headers={"authorization": f"Bearer {TOKEN}"}
    )
    assert streamed.status_code == 413 and has_security_headers(streamed)
    assert api(client, GOOD).status_code == 201


def test_every_endpoint_has_a_body_limit(client: TestClient) -> None:
    signer = signer_for(client.app_state["settings"])  # type: ignore[attr-defined]
    link = "/a/" + signer.sign(LinkClaims("c2", POLICY, "2"))
    big = b"accept=yes&csrf=" + b"x" * DEFAULT_BODY_LIMIT
    for method, path in [
        ("POST", link),
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("POST", "/api/acceptances"),
        ("GET", "/api/ledger/verify"),
    ]:
        response = client.request(
            method, path, content=big, headers={"content-type": "application/x-www-form-urlencoded"}
        )
        assert response.status_code == 413, (path, response.status_code)
        assert has_security_headers(response)
    webhook = client.post("/webhooks/sendgrid", content=b" " * (MAX_BODY + 1))
    assert webhook.status_code == 413 and has_security_headers(webhook)
    database = client.app_state["database"]  # type: ignore[attr-defined]
    assert records(database, customer_id="c2", version="2") == []


def test_webhook_refuses_a_validly_signed_old_or_future_timestamp(client: TestClient) -> None:
    body = b'[{"event":"processed","sg_event_id":"e-old"}]'
    now = int(time.time())
    for stamp in (
        now - 365 * 86400,
        now - TIMESTAMP_TOLERANCE - 60,
        now + TIMESTAMP_TOLERANCE + 60,
    ):
        response = signed(client, body, stamp)
        assert response.status_code == 403, response.text
        assert "timestamp" in response.json()["error"]
    fresh = signed(client, body, now - 30)
    assert fresh.status_code == 200 and fresh.json()["recorded"] == 1


def test_timestamp_problem() -> None:
    assert timestamp_problem("1000", 1000.0) is None
    assert timestamp_problem(str(1000 + TIMESTAMP_TOLERANCE), 1000.0) is None
    assert timestamp_problem(str(1001 + TIMESTAMP_TOLERANCE), 1000.0) is not None
    for bad in (None, "", "-5", "1e9", "9" * 40):
        assert "not a Unix time" in (timestamp_problem(bad, 1000.0) or "")


def test_origin_must_be_accept_urls_not_the_requests_host(client: TestClient) -> None:
    signer = signer_for(client.app_state["settings"])  # type: ignore[attr-defined]
    database = client.app_state["database"]  # type: ignore[attr-defined]
    link = "/a/" + signer.sign(LinkClaims("c2", POLICY, "2"))

    def post(origin: str, host: str = "accept.example.com") -> int:
        page = client.get(link)
        csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        response = client.post(
            link,
            data={"csrf": csrf, "accept": "yes"},
            headers={"origin": origin, "host": host},
            follow_redirects=False,
        )
        return response.status_code

    assert post("https://evil.example", host="evil.example") == 403  # Host is the attacker's
    assert post("http://accept.example.com") == 403  # another scheme is another origin
    assert post("https://accept.example.com:8443") == 403
    assert records(database, customer_id="c2", version="2") == []
    assert post("https://ACCEPT.example.com:443") == 303
    assert len(records(database, customer_id="c2", version="2")) == 1


# -- the outer layers on their own --------------------------------------------------------------


async def failing_app(scope: Scope, receive: Receive, send: Send) -> None:
    raise RuntimeError("a bug")


async def failing_after_start(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    raise RuntimeError("a bug after the start")


def test_errors_escaping_the_app_get_a_500_with_security_headers() -> None:
    app = SecurityHeadersMiddleware(RequestGuard(failing_app, limits=BodyLimits()), https=True)
    response = TestClient(app, raise_server_exceptions=False).get("/anything")
    assert response.status_code == 500 and has_security_headers(response)
    assert "strict-transport-security" in response.headers
    assert "nothing was recorded" in response.text
    app = SecurityHeadersMiddleware(RequestGuard(failing_after_start), https=False)
    started = TestClient(app, raise_server_exceptions=False).get("/anything")
    assert started.status_code == 200 and has_security_headers(started)


def test_starlettes_own_500_gets_the_headers(client: TestClient) -> None:
    """A route that fails unexpectedly is answered by Starlette's ServerErrorMiddleware, the
    outermost of Starlette's own layers: its 500 passes through ours."""
    service = client.app.state.service  # type: ignore[attr-defined]
    original = service.database

    class Broken:
        def __getattr__(self, name: str) -> Any:
            raise LookupError("broken store object")

    object.__setattr__(service, "database", Broken())
    try:
        response = client.get("/api/ledger/verify", headers={"authorization": f"Bearer {TOKEN}"})
    finally:
        object.__setattr__(service, "database", original)
    assert response.status_code == 500 and has_security_headers(response)


@pytest.mark.parametrize(
    "event",
    [
        {"event": "delivered", "sg_event_id": "\ud800"},
        {"event": "delivered\x00", "sg_event_id": "e-nul"},
        {"event": "delivered", "sg_event_id": "e-big", "delivery_id": 10**30},
        {"event": "delivered", "sg_event_id": "e-neg", "notice_id": -(10**30)},
        {"event": "bounce", "sg_event_id": "e-key", "\udfffreason": "x"},
    ],
    ids=["surrogate", "nul", "huge-delivery", "huge-notice", "surrogate-key"],
)
def test_a_signed_webhook_with_unstorable_values_is_a_400(
    client: TestClient, event: dict[str, Any]
) -> None:
    response = signed(client, json.dumps([event]).encode("ascii"))
    assert response.status_code == 400, response.text
    assert has_security_headers(response)
    fine = signed(client, b'[{"event":"processed","sg_event_id":"e-after"}]')
    assert fine.status_code == 200 and fine.json()["recorded"] == 1
