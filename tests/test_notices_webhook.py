"""SendGrid's Event Webhook on the acceptance service: ECDSA signatures verified (bad ones
rejected, nothing recorded), events matched to outbox rows through custom_args, duplicates
ignored, and an event for a row of unknown outcome settles it as sent."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import notices_support as support
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sendgrid.helpers.eventwebhook import EventWebhook
from sqlalchemy import text, update
from starlette.testclient import TestClient

from publisher.config import load_settings
from publisher.errors import ConfigError
from publisher.notices.events import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    EventVerifier,
    SignatureInvalid,
)
from publisher.store.models import Delivery, utcnow
from publisher.web import create_app

KEY = ec.generate_private_key(ec.SECP256R1())
PUBLIC = base64.b64encode(
    KEY.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
).decode()
OTHER = ec.generate_private_key(ec.SECP256R1())


def sign(body: bytes, timestamp: str, key: ec.EllipticCurvePrivateKey = KEY) -> str:
    """What SendGrid does: ECDSA P-256 / SHA-256 over timestamp + body, base64 DER."""
    return base64.b64encode(key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))).decode()


def test_our_verification_agrees_with_sendgrids_helper() -> None:
    body = b'[{"event":"delivered","sg_event_id":"e1"}]'
    timestamp = str(int(time.time()))
    good, bad = sign(body, timestamp), sign(body, timestamp, OTHER)
    helper = EventWebhook(PUBLIC)
    verifier = EventVerifier(PUBLIC)
    assert helper.verify_signature(body.decode(), good, timestamp) is True
    verifier.verify(body, good, timestamp)
    assert helper.verify_signature(body.decode(), bad, timestamp) is False
    with pytest.raises(SignatureInvalid):
        verifier.verify(body, bad, timestamp)
    with pytest.raises(SignatureInvalid):
        verifier.verify(body + b" ", good, timestamp)  # the body changed
    with pytest.raises(SignatureInvalid):
        verifier.verify(body, good, str(int(timestamp) + 1))  # the timestamp changed
    with pytest.raises(SignatureInvalid):
        verifier.verify(body, "not base64!", timestamp)
    with pytest.raises(ConfigError, match="not a public key"):
        EventVerifier("not-a-key")


def _events_for(setup: support.Setup) -> tuple[int, dict[str, int]]:
    notice = setup.create().notice
    with setup.database.engine.begin() as connection:
        connection.execute(
            update(Delivery).values(state="sent", sent_at=utcnow(), message_id="14c5d75ce93")
        )
        ids = dict(connection.execute(text("SELECT email, id FROM deliveries")).all())
    return notice.id, ids


def event(
    kind: str,
    email: str,
    delivery: int,
    notice: int,
    *,
    event_id: str | None = None,
    at: int = 1_767_225_600,
    **extra: Any,
) -> dict[str, Any]:
    found: dict[str, Any] = {
        "email": email,
        "event": kind,
        "timestamp": at,
        "notice_id": str(notice),
        "delivery_id": str(delivery),
        "sg_message_id": "14c5d75ce93.filter0001.16648.5515E0B88.0",
        **extra,
    }
    if event_id is not None:
        found["sg_event_id"] = event_id
    return found


@pytest.fixture
def client(setup: support.Setup, tmp_path: Path) -> Iterator[TestClient]:
    settings = load_settings(
        setup.root,
        env=support.notice_env(PUBLISHER_SENDGRID_WEBHOOK_KEY=PUBLIC),
        overrides={"database_url": setup.url},
    )
    with TestClient(create_app(settings, database=setup.database)) as test_client:
        yield test_client


def post(
    client: TestClient,
    events: list[dict[str, Any]],
    *,
    key: ec.EllipticCurvePrivateKey = KEY,
    signature: str | None = None,
) -> Any:
    body = json.dumps(events).encode()
    timestamp = str(int(time.time()))
    headers = {
        SIGNATURE_HEADER: signature or sign(body, timestamp, key),
        TIMESTAMP_HEADER: timestamp,
        "content-type": "application/json",
    }
    return client.post("/webhooks/sendgrid", content=body, headers=headers)


def _stored(setup: support.Setup) -> list[tuple[Any, ...]]:
    with setup.database.engine.connect() as connection:
        return [
            tuple(r)
            for r in connection.execute(
                text(
                    "SELECT delivery_id, provider_event_id, event, reason FROM delivery_events "
                    "ORDER BY id"
                )
            )
        ]


def _status(setup: support.Setup) -> dict[str, tuple[str, str | None]]:
    with setup.database.engine.connect() as connection:
        return {
            r.email: (r.state, r.provider_status)
            for r in connection.execute(
                text("SELECT email, state, provider_status FROM deliveries")
            )
        }


def test_signed_events_update_deliveries(setup: support.Setup, client: TestClient) -> None:
    notice, ids = _events_for(setup)
    ada, bob = ids["ada@example.com"], ids["bob@example.org"]
    response = post(
        client,
        [
            event("processed", "ada@example.com", ada, notice, event_id="e1", at=100),
            event("delivered", "ada@example.com", ada, notice, event_id="e2", at=160),
            event("processed", "bob@example.org", bob, notice, event_id="e3", at=100),
            event(
                "bounce",
                "bob@example.org",
                bob,
                notice,
                event_id="e4",
                at=150,
                reason="550 5.1.1 The email account does not exist",
            ),
            event("open", "ada@example.com", ada, notice, event_id="e5", at=300),
        ],
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"recorded": 5, "duplicates": 0, "unmatched": 0, "settled": 0}
    status = _status(setup)
    assert status["ada@example.com"] == ("sent", "delivered")  # "open" is not a delivery state
    assert status["bob@example.org"] == ("sent", "bounce")
    stored = _stored(setup)
    assert (bob, "e4", "bounce", "550 5.1.1 The email account does not exist") in stored
    # An older "processed" arriving late does not undo "delivered".
    post(client, [event("processed", "ada@example.com", ada, notice, event_id="e6", at=50)])
    assert _status(setup)["ada@example.com"] == ("sent", "delivered")


def test_duplicate_events_are_ignored(setup: support.Setup, client: TestClient) -> None:
    notice, ids = _events_for(setup)
    ada = ids["ada@example.com"]
    batch = [
        event("delivered", "ada@example.com", ada, notice, event_id="dup-1"),
        event("delivered", "ada@example.com", ada, notice),
    ]  # no sg_event_id
    assert post(client, batch).json()["recorded"] == 2
    again = post(client, batch + batch)  # SendGrid retries a whole POST
    assert again.json() == {"recorded": 0, "duplicates": 4, "unmatched": 0, "settled": 0}
    assert len(_stored(setup)) == 2


def test_a_bad_signature_is_rejected_and_records_nothing(
    setup: support.Setup, client: TestClient
) -> None:
    notice, ids = _events_for(setup)
    events = [event("bounce", "ada@example.com", ids["ada@example.com"], notice, event_id="x")]
    forged = post(client, events, key=OTHER)
    assert forged.status_code == 403
    assert forged.json() == {"error": "the event webhook signature does not verify"}
    missing = client.post("/webhooks/sendgrid", content=json.dumps(events).encode())
    assert missing.status_code == 403 and "missing" in missing.json()["error"]
    garbage = post(client, events, signature="AAAA")
    assert garbage.status_code == 403
    assert _stored(setup) == [] and _status(setup)["ada@example.com"] == ("sent", None)
    assert "x-frame-options" in {k.lower() for k in forged.headers}  # the app's headers


def test_unsigned_events_are_refused_when_no_key_is_set(setup: support.Setup) -> None:
    settings = load_settings(
        setup.root, env=support.notice_env(), overrides={"database_url": setup.url}
    )
    with TestClient(create_app(settings, database=setup.database)) as plain:
        response = plain.post("/webhooks/sendgrid", content=b"[]")
    assert response.status_code == 404 and "sendgrid_webhook_key" in response.json()["error"]


def test_not_json_is_a_400(setup: support.Setup, client: TestClient) -> None:
    body = b"{not json"
    timestamp = str(int(time.time()))
    response = client.post(
        "/webhooks/sendgrid",
        content=body,
        headers={SIGNATURE_HEADER: sign(body, timestamp), TIMESTAMP_HEADER: timestamp},
    )
    assert response.status_code == 400 and response.json() == {"error": "the body is not JSON"}


def test_an_event_settles_a_row_of_unknown_outcome(
    setup: support.Setup, client: TestClient
) -> None:
    notice, ids = _events_for(setup)
    with setup.database.engine.begin() as connection:
        connection.execute(
            update(Delivery)
            .where(Delivery.email == "cy@example.net")
            .values(state="unknown", sent_at=None, message_id=None)
        )
    response = post(
        client,
        [
            event("processed", "cy@example.net", ids["cy@example.net"], notice, event_id="s1"),
            event("delivered", "nobody@example.com", 99999, notice, event_id="s2"),
        ],
    )
    assert response.json() == {"recorded": 2, "duplicates": 0, "unmatched": 1, "settled": 1}
    assert _status(setup)["cy@example.net"] == ("sent", "processed")
    with setup.database.engine.connect() as connection:
        note = connection.execute(
            text("SELECT last_error FROM deliveries WHERE email = 'cy@example.net'")
        ).scalar_one()
    assert note == "settled as sent: SendGrid reported 'processed' for it"


def test_events_for_another_notice_do_not_match(setup: support.Setup, client: TestClient) -> None:
    notice, ids = _events_for(setup)
    response = post(
        client,
        [
            event(
                "bounce",
                "ada@example.com",
                ids["ada@example.com"],
                notice + 1,
                event_id="m1",
                sg_message_id=None,
            )
        ],
    )
    assert response.json()["unmatched"] == 1
    assert _status(setup)["ada@example.com"] == ("sent", None)
