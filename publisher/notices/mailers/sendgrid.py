"""The SendGrid mailer: the official ``sendgrid`` client, up to 1,000 recipients per request.

One ``POST /v3/mail/send`` per batch: the group's email once (subject, text and HTML with
``%%…%%`` placeholders) and one personalization per recipient with its ``substitutions`` and
``custom_args`` (``delivery_id``; ``notice_id`` and ``batch_id`` at the top level), which
SendGrid copies into every delivery event. ``host`` is configurable (EU residency, tests).

How answers map to outcomes (SendGrid documents that a 5xx means the request was not
accepted, and it has no idempotency key):

* 202: every recipient ``sent`` under the ``X-Message-Id``;
* 429: ``retry`` after ``X-RateLimit-Reset``; 5xx: ``retry`` (with backoff), marked
  ``unavailable`` (an outage: the attempt does not count, and a run of them stops the send);
* 400: ``failed`` with SendGrid's error messages; when the errors name personalizations
  (``personalizations.3.to.0.email``) only those recipients fail and the rest are retried;
* 401/403: the key is wrong or lacks the ``mail.send`` scope: nothing was sent, the rows stay
  queued and the run stops; 413: the same, with a hint to send smaller batches;
* no connection, or the request could not be written: ``retry``, ``unavailable``;
* no answer after the request was written (timeout, reset): ``unknown``.
"""

from __future__ import annotations

import http.client
import json
import re
import time
import urllib.error
from collections.abc import Callable, Mapping
from typing import Any

from python_http_client.exceptions import HTTPError  # type: ignore[import-untyped]
from sendgrid import SendGridAPIClient  # type: ignore[import-untyped]

from publisher.notices.mailers.base import (
    Batch,
    BatchResult,
    Mailer,
    MailerError,
    RecipientResult,
)

MAX_PERSONALIZATIONS = 1000
"""SendGrid's limit of personalizations (and of recipients) per request."""

_FIELD = re.compile(r"^personalizations\.(\d+)\b")


_ROW_ARG = {"receipt": "receipt_id"}
_ID_ARG = {"receipt": "record_seq"}
"""A receipt's ids go under their own names, so the Event Webhook never matches its events
to a notice's outbox row (``delivery_id``/``notice_id``)."""


def request_body(batch: Batch) -> dict[str, Any]:
    """The JSON body of ``POST /v3/mail/send`` for ``batch`` (pure)."""
    personalizations = []
    for recipient in batch.recipients:
        to: dict[str, str] = {"email": recipient.email}
        if recipient.name:
            to["name"] = recipient.name
        substitutions = {**recipient.text_values, **recipient.html_values}
        personalizations.append(
            {
                "to": [to],
                "substitutions": substitutions,
                "custom_args": {
                    _ROW_ARG.get(batch.kind, "delivery_id"): str(recipient.delivery_id)
                },
            }
        )
    sender: dict[str, str] = {"email": batch.sender.addr_spec}
    if batch.sender.display_name:
        sender["name"] = batch.sender.display_name
    body: dict[str, Any] = {
        "personalizations": personalizations,
        "from": sender,
        "subject": batch.template.subject,
        "content": [
            {"type": "text/plain", "value": batch.template.text},
            {"type": "text/html", "value": batch.template.html},
        ],
        "custom_args": {
            _ID_ARG.get(batch.kind, "notice_id"): str(batch.notice_id),
            "batch_id": batch.id,
        },
    }
    if batch.reply_to is not None:
        reply: dict[str, str] = {"email": batch.reply_to.addr_spec}
        if batch.reply_to.display_name:
            reply["name"] = batch.reply_to.display_name
        body["reply_to"] = reply
    if batch.headers:
        body["headers"] = dict(batch.headers)
    return body


def _header(headers: Mapping[str, str] | Any, name: str) -> str | None:
    if headers is None:
        return None
    try:
        value = headers.get(name)
    except AttributeError:
        return None
    return str(value) if value is not None else None


def retry_after(headers: Any, *, now: float) -> float | None:
    """Seconds to wait from ``Retry-After`` or ``X-RateLimit-Reset`` (a Unix time)."""
    value = _header(headers, "Retry-After")
    if value is not None:
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
    reset = _header(headers, "X-RateLimit-Reset")
    if reset is not None:
        try:
            return max(0.0, float(reset) - now)
        except ValueError:
            return None
    return None


def _errors(body: bytes | str | None) -> list[dict[str, Any]]:
    try:
        data = json.loads(body or b"{}")
    except (ValueError, TypeError):
        return []
    errors = data.get("errors") if isinstance(data, dict) else None
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


def _describe(status: int, errors: list[dict[str, Any]], body: bytes | str | None) -> str:
    if errors:
        parts = []
        for error in errors[:5]:
            text = str(error.get("message") or "").strip()
            where = error.get("field")
            parts.append(f"{text} ({where})" if where else text)
        more = f" (+{len(errors) - 5} more)" if len(errors) > 5 else ""
        return f"SendGrid {status}: " + "; ".join(parts) + more
    raw = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
    return f"SendGrid {status}: {' '.join(raw.split())[:300] or 'no details'}"


class SendGridMailer(Mailer):
    """Sends batches through SendGrid's v3 Mail Send API."""

    name = "sendgrid"
    max_batch = MAX_PERSONALIZATIONS
    unavailable_hint = (
        "check sendgrid_host and SendGrid's status page, then run the same command again to resume"
    )

    def __init__(
        self,
        api_key: str,
        *,
        host: str,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not api_key:
            raise MailerError(
                "the sendgrid mailer needs an API key",
                hint="set PUBLISHER_SENDGRID_API_KEY (a key with the Mail Send permission)",
            )
        self.host = host.rstrip("/")
        self._client = SendGridAPIClient(api_key, host=self.host)
        self._client.client.timeout = timeout
        self._clock = clock

    def send(self, batch: Batch) -> BatchResult:
        body = request_body(batch)
        try:
            response = self._client.send(body)
        except HTTPError as exc:
            return self._refused(batch, int(exc.status_code), exc.body, exc.headers)
        except urllib.error.URLError as exc:  # connecting or writing the request failed
            return BatchResult.every(
                batch, "retry", error=f"cannot reach {self.host}: {exc.reason}", unavailable=True
            )
        except (OSError, http.client.HTTPException) as exc:  # request written, no answer
            return BatchResult.every(
                batch,
                "unknown",
                error=f"no answer from {self.host} after the request was sent "
                f"({type(exc).__name__}: {exc})",
            )
        status = int(response.status_code)
        if status not in (200, 202):
            return self._refused(batch, status, response.body, response.headers)
        message_id = _header(response.headers, "X-Message-Id") or ""
        return BatchResult.every(batch, "sent", message_id=message_id)

    def _refused(
        self, batch: Batch, status: int, body: bytes | str | None, headers: Any
    ) -> BatchResult:
        errors = _errors(body)
        text = _describe(status, errors, body)
        if status == 429:
            return BatchResult.every(
                batch, "retry", error=text, retry_after=retry_after(headers, now=self._clock())
            )
        if status >= 500:
            return BatchResult.every(batch, "retry", error=text, unavailable=True)
        if status in (401, 403):
            return BatchResult.every(
                batch,
                "retry",
                error=text,
                abort=f"{text} — check sendgrid_api_key (it needs the Mail Send permission)",
            )
        if status == 413:
            return BatchResult.every(
                batch, "retry", error=text, abort=f"{text} — send smaller batches (--batch-size)"
            )
        named = {
            int(match.group(1))
            for error in errors
            if (match := _FIELD.match(str(error.get("field") or "")))
        }
        whole = any(not _FIELD.match(str(error.get("field") or "")) for error in errors)
        if named and not whole:
            results: dict[int, RecipientResult] = {}
            for index, recipient in enumerate(batch.recipients):
                if index in named:
                    own = [
                        e
                        for e in errors
                        if (m := _FIELD.match(str(e.get("field") or "")))
                        and int(m.group(1)) == index
                    ]
                    results[recipient.delivery_id] = RecipientResult(
                        "failed", error=_describe(status, own, body)
                    )
                else:
                    results[recipient.delivery_id] = RecipientResult(
                        "retry",
                        error=f"not sent: another recipient of its batch was refused ({text})",
                    )
            return BatchResult(results)
        return BatchResult.every(batch, "failed", error=text)
