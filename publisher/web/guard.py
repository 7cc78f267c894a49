"""The outermost ASGI layer of the acceptance service: request body limits, a body read
timeout, and a last-resort answer for anything that escapes the app.

:class:`RequestGuard` sits outside Starlette's own middleware (see ``AcceptanceApp`` in
:mod:`publisher.web.app`), inside :class:`~publisher.web.security.SecurityHeadersMiddleware`,
so that its 413, 408 and 500 answers, and Starlette's own 500 page, carry the security
headers too. A body larger than its path's limit is refused before it is read when
``Content-Length`` says so, and as soon as the limit is passed otherwise (chunked bodies).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_log = logging.getLogger(__name__)

DEFAULT_BODY_LIMIT = 64 * 1024
"""Bytes a request body may have unless its path has a limit of its own (the link form and
``POST /api/acceptances`` send well under 1 KB)."""

BODY_TIMEOUT = 30.0
"""Seconds to wait for the next part of a request body before answering 408."""


class BodyTooLarge(Exception):
    """The request body passed its limit (HTTP 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the request body is larger than {limit} bytes")
        self.limit = limit


class BodyTimeout(Exception):
    """The client stopped sending its body (HTTP 408)."""


@dataclass(frozen=True)
class BodyLimits:
    """Bytes allowed per path (exact paths), and for every other path."""

    default: int = DEFAULT_BODY_LIMIT
    paths: Mapping[str, int] = field(default_factory=dict)

    def for_path(self, path: str) -> int:
        return self.paths.get(path, self.default)


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode("utf-8") + b"\n"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode("ascii")),
                (b"cache-control", b"no-store"),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RequestGuard:
    """Body limits and timeouts for ``app``; a 500 for any exception that escapes it."""

    def __init__(
        self, app: ASGIApp, *, limits: BodyLimits | None = None, body_timeout: float = BODY_TIMEOUT
    ) -> None:
        self.app = app
        self.limits = limits or BodyLimits()
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, root = str(scope.get("path", "")), str(scope.get("root_path", "")).rstrip("/")
        limit = self.limits.for_path(path[len(root) :] if root and path.startswith(root) else path)
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await _plain(send, 413, str(BodyTooLarge(limit)))
            return
        started = False
        received = 0
        body_done = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        async def guarded_receive() -> Message:
            nonlocal received, body_done
            if body_done:
                return await receive()
            try:
                async with asyncio.timeout(self.body_timeout):
                    message = await receive()
            except TimeoutError:
                raise BodyTimeout(f"no request body for {self.body_timeout:g} s") from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
                body_done = not message.get("more_body", False)
            return message

        try:
            await self.app(scope, guarded_receive, guarded_send)
        except BodyTooLarge as error:
            if not started:
                await _plain(send, 413, str(error))
        except BodyTimeout as error:
            if not started:
                await _plain(send, 408, str(error))
        except Exception:
            _log.exception(
                "unexpected error answering %s %s", scope.get("method"), scope.get("path")
            )
            if not started:
                await _plain(send, 500, "internal error: nothing was recorded; try again")
