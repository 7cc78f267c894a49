"""A bounded, seeded fuzz run of `publisher web`'s HTTP endpoints (random methods, paths,
headers, bodies and tokens, real sockets, SQLite and PostgreSQL): no 5xx, every answer with
the security headers, none hangs, and afterwards a valid acceptance still records."""

from __future__ import annotations

import base64
import json
import random
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from server_support import API_TOKEN_ENV, POLICY, Server, start_server, stop_server

from publisher.notices.events import SIGNATURE_HEADER, TIMESTAMP_HEADER
from publisher.store.ledger import records, verify_chain

SIGNING_KEY = ec.generate_private_key(ec.SECP256R1())
WEBHOOK_KEY = base64.b64encode(
    SIGNING_KEY.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
).decode()
SEED = 20260311
REQUESTS = 300
TIMEOUT = 10.0
"""Seconds each request may take: a hang fails the run instead of blocking it."""

TOKEN = API_TOKEN_ENV["PUBLISHER_API_TOKEN"]
SECURITY = (
    "content-security-policy",
    "x-frame-options",
    "x-content-type-options",
    "referrer-policy",
)
METHODS = ["GET", "POST", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "BREW"]
METHOD_WEIGHTS = [30, 50, 5, 3, 3, 3, 2, 2, 2]
STRINGS = [
    "c1",
    "",
    "\ud800",
    "\udfff\ud800",
    "a\x00b",
    "\u202eevil",
    "x" * 300,
    "\u200bc1",
    "acceptable-use",
    "2",
    "1",
    "../../etc/passwd",
    "<script>",
    "%00",
    "\U0001f600",
    "\r\nX-Injected: 1",
]
NUMBERS: list[Any] = [
    0,
    1,
    -1,
    2**31,
    2**63,
    10**30,
    -(10**30),
    1.5,
    True,
    None,
    "7",
    float("1e308"),
]


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    running = start_server(
        database_url,
        tmp_path,
        workers=1,
        args=("--header-timeout", "2", "--body-timeout", "2"),
        PUBLISHER_SENDGRID_WEBHOOK_KEY=WEBHOOK_KEY,
        **API_TOKEN_ENV,
    )
    try:
        yield running
    finally:
        stop_server(running)


def _json_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(6 if depth < 4 else 3)
    if kind == 0:
        return rng.choice(STRINGS)
    if kind == 1:
        return rng.choice(NUMBERS)
    if kind == 2:
        return None
    if kind == 3:
        return [_json_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {
        rng.choice(["customer", "policy", "version", "notice", "x"]): _json_value(rng, depth + 1)
        for _ in range(rng.randrange(5))
    }


def _body(rng: random.Random) -> bytes:
    kind = rng.randrange(9)
    if kind == 0:
        return b""
    if kind == 1:
        return rng.randbytes(rng.randrange(1, 2000))
    if kind == 2:
        return b"[" * rng.choice([100, 10_000, 60_000, 100_000])
    if kind == 3:
        return b'{"a":' * rng.choice([40, 5000]) + b"1"
    if kind == 4:
        return json.dumps(
            {
                "customer": rng.choice(STRINGS),
                "policy": rng.choice(STRINGS),
                "version": rng.choice(STRINGS),
                "notice": rng.choice(NUMBERS),
            }
        ).encode("ascii")
    if kind == 5:
        return b"x" * rng.choice([70_000, 300_000])
    if kind == 6:
        return b"accept=yes&csrf=" + rng.randbytes(40).hex().encode()
    if kind == 7:
        return json.dumps(_json_value(rng)).encode("ascii")
    return json.dumps(
        [
            {
                "event": rng.choice(["delivered", "bounce", "\ud800"]),
                "sg_event_id": rng.choice(STRINGS),
                "delivery_id": rng.choice(NUMBERS),
                "notice_id": rng.choice(NUMBERS),
                "timestamp": rng.choice(NUMBERS),
            }
        ]
    ).encode("ascii")


def _path(rng: random.Random, server: Server) -> str:
    link = server.link(rng.choice(["p1", "p2", "nobody", "\u202e"]), rng.choice(["1", "2", "9"]))[
        len(server.base) :
    ]
    token = link.removeprefix("/a/")
    mutated = list(token)
    if mutated:
        mutated[rng.randrange(len(mutated))] = rng.choice("A_-.~%")
    return rng.choice(
        [
            link,
            link,
            link + "/receipt",
            "/a/" + "".join(mutated),
            "/api/acceptances",
            "/api/acceptances",
            "/a/" + token[: len(token) // 2],
            "/a/%ff%fe",
            "/api/acceptances",
            "/api/reports/acceptance?policy=%00",
            "/api/reports/acceptance?version=" + "9" * 150,
            "/api/customers/c%00/evidence",
            "/api/customers/" + "c" * 300 + "/evidence",
            "/api/ledger/verify",
            "/webhooks/sendgrid",
            "/webhooks/sendgrid",
            "/webhooks/sendgrid",
            "/healthz",
            "/readyz",
            "/static/acceptance.css",
            "/nope",
            "/%2e%2e/%2e%2e/etc/passwd",
        ]
    )


def _headers(rng: random.Random) -> dict[str, str]:
    headers: dict[str, str] = {}
    if rng.random() < 0.7:
        headers["authorization"] = rng.choice(
            [
                f"Bearer {TOKEN}",
                f"Bearer {TOKEN}",
                f"Bearer {TOKEN}",
                "Bearer wrong",
                "Basic Zm9vOmJhcg==",
                f"bearer {TOKEN}x",
                "Bearer " + "t" * 5000,
            ]
        )
    if rng.random() < 0.5:
        headers["content-type"] = rng.choice(
            [
                "application/json",
                "application/x-www-form-urlencoded",
                "text/plain",
                "multipart/form-data; boundary=zz",
                "multipart/form-data",
                "application/json; charset=utf-16",
            ]
        )
    if rng.random() < 0.3:
        headers["origin"] = rng.choice(
            ["null", "https://evil.example", "http://127.0.0.1:1", "not a url", "http://[::1"]
        )
    if rng.random() < 0.3:
        headers["cookie"] = rng.choice(
            ["pp_csrf=" + "a" * 30, "pp_csrf=", 'pp_csrf="x', "a=b; pp_csrf=" + "z" * 5000]
        )
    if rng.random() < 0.3:
        headers["x-twilio-email-event-webhook-signature"] = rng.choice(["", "!!", "MEUCIQ=="])
        headers["x-twilio-email-event-webhook-timestamp"] = rng.choice(
            ["", "0", "1700000000", "9" * 30, "-1"]
        )
    if rng.random() < 0.2:
        headers["user-agent"] = "u" * rng.choice([10, 5000])
    return headers


def test_fuzzed_requests_never_break_the_service(server: Server) -> None:
    rng = random.Random(SEED)
    statuses: dict[int, int] = {}
    with httpx.Client(timeout=TIMEOUT) as client:
        for _ in range(REQUESTS):
            method = rng.choices(METHODS, METHOD_WEIGHTS)[0]
            path = _path(rng, server)
            headers = _headers(rng)
            body = _body(rng) if method != "GET" or rng.random() < 0.2 else None
            if path == "/webhooks/sendgrid" and body is not None and rng.random() < 0.6:
                stamp = str(int(time.time()) + rng.choice([0, -30, -(10**6)]))
                headers[SIGNATURE_HEADER] = base64.b64encode(
                    SIGNING_KEY.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))
                ).decode()
                headers[TIMESTAMP_HEADER] = stamp
            try:
                response = client.request(method, server.base + path, headers=headers, content=body)
            except httpx.RemoteProtocolError:
                continue  # the server closed on a request it refused mid-body (413)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            assert response.status_code < 500, (
                method,
                path,
                response.status_code,
                response.text[:300],
            )
            missing = [h for h in SECURITY if h not in response.headers]
            assert not missing, (method, path, response.status_code, missing)
        assert sum(statuses.values()) > REQUESTS * 0.9, statuses

        # The service still records: an API acceptance and a customer's link.
        created = client.post(
            f"{server.base}/api/acceptances",
            headers={"authorization": f"Bearer {TOKEN}"},
            json={"customer": "p3", "policy": POLICY, "version": "2"},
        )
        assert created.status_code == 201, created.text
        link = server.link("p4")
        page = client.get(link)
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf is not None
        accepted = client.post(
            link, data={"csrf": csrf.group(1), "accept": "yes"}, follow_redirects=False
        )
        assert accepted.status_code == 303, accepted.text
        assert client.get(f"{server.base}/readyz").status_code == 200
    assert {r.customer_id for r in records(server.database)} >= {"p3", "p4"}
    assert verify_chain(server.database).ok
