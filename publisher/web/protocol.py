"""uvicorn's httptools protocol with the limits uvicorn itself lacks: a header deadline and a
header size limit per request, and the security headers on the answers it writes itself.

uvicorn closes idle keep-alive connections (``timeout_keep_alive``) but waits forever for a
request whose headers never finish (slowloris): 3,000 such sockets stay open as long as their
clients like. :class:`GuardedHttpToolsProtocol` gives every request ``header_timeout`` seconds
from its first byte (or from the connection's start) to complete its headers, and at most
:data:`MAX_HEADER_BYTES` of them; past either it answers 408 or 431 and closes.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from publisher.web.security import BASE_HEADERS

HEADER_TIMEOUT = 10.0
"""Seconds a client has to send a request's headers."""

HEADER_TIMEOUT_ENV = "PUBLISHER_WEB_HEADER_TIMEOUT"
"""How ``publisher web --header-timeout`` reaches the worker processes."""

MAX_HEADER_BYTES = 64 * 1024
"""The most bytes of request line and headers one request may send."""

LINGER_SECONDS = 2.0
"""How long a refused connection keeps reading (and dropping) before it closes."""


def _answer(status: int, reason: str, text: str) -> bytes:
    body = text.encode("ascii", "replace")
    lines = [f"HTTP/1.1 {status} {reason}".encode("ascii")]
    lines += [name + b": " + value for name, value in BASE_HEADERS]
    lines += [
        b"content-type: text/plain; charset=utf-8",
        b"content-length: " + str(len(body)).encode("ascii"),
        b"connection: close",
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """HttpToolsProtocol plus a header deadline and size limit (see the module)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = float(os.environ.get(HEADER_TIMEOUT_ENV) or HEADER_TIMEOUT)
        self._header_timer: asyncio.TimerHandle | None = None
        self._header_bytes = 0
        self._lingering = False

    def _waiting_for_headers(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _arm(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout, self._expired)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
        self._header_bytes = 0

    def _expired(self) -> None:
        self._header_timer = None
        if self._waiting_for_headers() and not self.transport.is_closing():
            if self._header_bytes:
                self.transport.write(
                    _answer(408, "Request Timeout", "the request headers took too long\n")
                )
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._lingering:
            return  # after a refusal: read and drop what the client still sends
        waiting = self._waiting_for_headers()
        if waiting:
            self._arm()
        super().data_received(data)
        if self.transport.is_closing() or not self._waiting_for_headers():
            self._disarm()
        elif waiting:
            self._header_bytes += len(data)
            if self._header_bytes > MAX_HEADER_BYTES:
                self._disarm()
                self.transport.write(
                    _answer(
                        431,
                        "Request Header Fields Too Large",
                        "the request headers are too large\n",
                    )
                )
                self._linger()

    def _linger(self) -> None:
        """Close after a refusal the way a browser still reads it: send the answer and our
        end of the stream, then drop what the client is still sending for a moment before
        closing. Closing at once with its bytes unread would reset the connection, and a
        reset can destroy the answer before the client reads it."""
        self._lingering = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER_SECONDS, self.transport.close)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a malformed request, with our security headers."""
        self.transport.write(_answer(400, "Bad Request", msg))
        self.transport.close()
