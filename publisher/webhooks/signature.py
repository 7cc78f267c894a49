"""Signing outbound webhooks, and verifying them on the receiving side.

Each request carries ``Publisher-Signature: t=<unix seconds>,v1=<hex>`` where the hex is
HMAC-SHA256 with the endpoint's secret over ``f"{t}.{body}"`` (the raw body bytes), and
``Publisher-Event-Id: <uuid>``. The timestamp is signed with the body, so a captured request
cannot be replayed later than the receiver's tolerance; the event id lets the receiver drop a
repeat (delivery is at least once). While a secret is being rotated a header may carry several
``v1=`` values: any one that matches is enough.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable

from publisher.errors import PublisherError

SIGNATURE_HEADER = "Publisher-Signature"
EVENT_ID_HEADER = "Publisher-Event-Id"
DEFAULT_TOLERANCE = 300
"""Seconds a receiver accepts between the signed timestamp and its own clock."""


class SignatureError(PublisherError):
    """A webhook request's signature is missing, malformed, wrong or too old."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``f"{timestamp}.{body}"`` with ``secret``."""
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    """The ``Publisher-Signature`` value for ``body``, signed now (or at ``timestamp``)."""
    moment = int(time.time()) if timestamp is None else timestamp
    return f"t={moment},v1={sign(secret, moment, body)}"


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            if not value.isdigit():
                raise SignatureError(f"the {SIGNATURE_HEADER} timestamp {value!r} is not a number")
            timestamp = int(value)
        elif key == "v1" and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise SignatureError(f"the {SIGNATURE_HEADER} header has no t= or no v1= part")
    return timestamp, signatures


def verify_signature(
    secret: str,
    body: bytes,
    header: str | None,
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    clock: Callable[[], float] = time.time,
) -> int:
    """Check a received webhook; returns its signed timestamp.

    Raises :class:`SignatureError` when the header is absent or malformed, when no ``v1``
    signature matches ``body`` (compared in constant time), or when the timestamp is more
    than ``tolerance`` seconds from ``clock()`` (a replay). Pass the raw body bytes, before
    any JSON parsing."""
    if not header:
        raise SignatureError(f"missing {SIGNATURE_HEADER} header")
    timestamp, signatures = _parse(header)
    expected = sign(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise SignatureError("the webhook signature does not match the body")
    if abs(clock() - timestamp) > tolerance:
        raise SignatureError(
            f"the webhook timestamp is {abs(int(clock()) - timestamp)} s from now "
            f"(more than {tolerance} s): a replay, or a wrong clock"
        )
    return timestamp
