"""A real webhook receiver on 127.0.0.1 for the outbound webhook tests.

It records every request (headers and raw body) and answers from a script: a list of
statuses used in turn (then ``default``), optional extra headers (``Location`` for a
redirect), an optional ``delay``, and ``hold``: requests wait on an event until the test sets
it (to kill a dispatcher while its request is in flight). Tests wait for requests with
:meth:`Receiver.wait_for` (a condition variable), never a fixed sleep.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def event_id(self) -> str:
        return self.headers.get("Publisher-Event-Id", "")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class Receiver:
    """The receiver, in a background thread, on a free port."""

    def __init__(
        self,
        *,
        statuses: list[int] | None = None,
        default: int = 200,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        hold: bool = False,
    ) -> None:
        self.statuses = list(statuses or [])
        self.default = default
        self.extra_headers = dict(headers or {})
        self.delay = delay
        self.release = threading.Event()
        if not hold:
            self.release.set()
        self.requests: list[Received] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self._condition = threading.Condition()
        self._httpd = _Server(("127.0.0.1", 0), self._handler())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/hooks"

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        """Block until ``count`` requests have arrived (AssertionError after ``timeout``)."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.requests)} of {count} webhook requests")
                self._condition.wait(left)
            return list(self.requests)

    def event_ids(self) -> list[str]:
        with self._condition:
            return [r.event_id for r in self.requests]

    def _next_status(self) -> int:
        with self._condition:
            return self.statuses.pop(0) if self.statuses else self.default

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._condition:
                    receiver.requests.append(Received(self.path, dict(self.headers), body))
                    receiver.in_flight += 1
                    receiver.most_in_flight = max(receiver.most_in_flight, receiver.in_flight)
                    receiver._condition.notify_all()
                receiver.release.wait(60)
                if receiver.delay:
                    time.sleep(receiver.delay)
                with receiver._condition:
                    receiver.in_flight -= 1
                status = receiver._next_status()
                answer = b'{"ok":true}' if status < 300 else b'{"error":"nope"}'
                try:
                    self.send_response(status)
                    for name, value in receiver.extra_headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:  # the client went away (killed, timed out)
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    def __enter__(self) -> Receiver:
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release.set()
        self._httpd.shutdown()
        self._httpd.server_close()
