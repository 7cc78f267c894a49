"""``POST /webhooks/sendgrid``: SendGrid's Event Webhook on the acceptance service.

A thin adapter over :mod:`publisher.notices.events`: the signature is verified over the raw
body before anything is parsed (403 when it does not verify), the events are recorded once
each (SendGrid's retries and duplicates are ignored) and the answer says how many were new.
Without the ``sendgrid_webhook_key`` setting the endpoint answers 404: events are never
accepted unsigned.
"""

from __future__ import annotations

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

MAX_BODY = 16 * 1024 * 1024
"""The largest webhook body read (SendGrid posts batches of events, well below this)."""

PATH = "/webhooks/sendgrid"


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status,
                        headers={"cache-control": "no-store"})


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


def webhook_routes(settings: Settings, database: Database) -> list[Route]:
    """The webhook routes for the acceptance app (a ConfigError for a key that is not one)."""
    verifier = EventVerifier(settings.sendgrid_webhook_key) if settings.sendgrid_webhook_key \
        else None

    async def sendgrid_events(request: Request) -> Response:
        if verifier is None:
            return _error(404, "the SendGrid event webhook is not configured "
                               "(setting sendgrid_webhook_key)")
        body = await _body(request)
        if body is None:
            return _error(413, "the body is too large")
        try:
            verifier.verify(body, request.headers.get(SIGNATURE_HEADER),
                            request.headers.get(TIMESTAMP_HEADER))
        except SignatureInvalid as exc:
            return _error(403, exc.message)
        try:
            events = parse_events(body)
        except WebhookError as exc:
            return _error(400, exc.message)
        result = await run_in_threadpool(record_events, database, events)
        return JSONResponse(result.to_dict(), headers={"cache-control": "no-store"})

    return [Route(PATH, sendgrid_events, methods=["POST"])]
