"""``POST /webhooks/sendgrid``: SendGrid's Event Webhook on the acceptance service.

A thin adapter over :mod:`publisher.notices.events`: the signature is verified over the raw
body before anything is parsed (403 when it does not verify), the events are recorded once
each (SendGrid's retries and duplicates are ignored) and the answer says how many were new.
Without the ``sendgrid_webhook_key`` setting the endpoint answers 404: events are never
accepted unsigned.

A validly signed request is still refused (403) when its signed timestamp is more than
:data:`TIMESTAMP_TOLERANCE` seconds away from the server's clock, past or future, so that a
captured request cannot be replayed later (the signature covers the timestamp, so it cannot be
changed). Bodies nested deeper than the JSON depth limit, or holding a string with a lone
surrogate or NUL or an integer beyond 64 bits (which the store cannot take), get a 400.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from publisher.config import Settings
from publisher.notices.events import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    EventVerifier,
    SignatureInvalid,
    WebhookError,
    parse_events,
    record_events,
)
from publisher.store.db import Database
from publisher.web.inputs import BodyError, TooDeep, parse_json, unstorable

MAX_BODY = 16 * 1024 * 1024
"""The largest webhook body read (SendGrid posts batches of events, well below this)."""

PATH = "/webhooks/sendgrid"

TIMESTAMP_TOLERANCE = 600
"""Seconds a signed webhook timestamp may differ from the server clock (10 minutes)."""


def timestamp_problem(
    timestamp: str | None, now: float, *, tolerance: int = TIMESTAMP_TOLERANCE
) -> str | None:
    """Why a (signed) timestamp header is refused, or None when it is within tolerance."""
    value = (timestamp or "").strip()
    if not value.isdigit() or len(value) > 12:
        return "the webhook timestamp is not a Unix time in seconds"
    if abs(int(value) - now) > tolerance:
        return (
            f"the webhook timestamp is more than {tolerance} s from the server clock "
            "(a replayed request, or a clock out of sync)"
        )
    return None


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse(
        {"error": message}, status_code=status, headers={"cache-control": "no-store"}
    )


async def _body(request: Request) -> bytes | None:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def webhook_routes(
    settings: Settings, database: Database, *, clock: Callable[[], float] = time.time
) -> list[Route]:
    """The webhook routes for the acceptance app (a ConfigError for a key that is not one)."""
    verifier = (
        EventVerifier(settings.sendgrid_webhook_key) if settings.sendgrid_webhook_key else None
    )

    async def sendgrid_events(request: Request) -> Response:
        if verifier is None:
            return _error(
                404, "the SendGrid event webhook is not configured (setting sendgrid_webhook_key)"
            )
        body = await _body(request)
        if body is None:
            return _error(413, "the body is too large")
        try:
            verifier.verify(
                body, request.headers.get(SIGNATURE_HEADER), request.headers.get(TIMESTAMP_HEADER)
            )
        except SignatureInvalid as exc:
            return _error(403, exc.message)
        stale = timestamp_problem(request.headers.get(TIMESTAMP_HEADER), clock())
        if stale is not None:
            return _error(403, stale)
        try:
            problem = unstorable(parse_json(body))  # depth and values, before the events
        except TooDeep as exc:
            return _error(400, exc.message)
        except BodyError:
            problem = None  # parse_events says what is wrong
        if problem is not None:
            return _error(400, f"the events cannot be stored: {problem}")
        try:
            events = parse_events(body)
        except WebhookError as exc:
            return _error(400, exc.message)
        result = await run_in_threadpool(record_events, database, events)
        return JSONResponse(result.to_dict(), headers={"cache-control": "no-store"})

    return [Route(PATH, sendgrid_events, methods=["POST"])]
