"""The acceptance gate as WSGI middleware (Flask: ``app.wsgi_app = AcceptanceGateWSGI(
app.wsgi_app, …)``; Django: wrap ``get_wsgi_application()``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from publisher.integrations.gate import Gate

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]

_REASONS = {303: "See Other", 403: "Forbidden", 503: "Service Unavailable"}


class AcceptanceGateWSGI:
    """``app`` behind ``gate``; ``user_id(environ)`` says who is signed in (None: nobody),
    e.g. ``lambda environ: environ.get("REMOTE_USER")``."""

    def __init__(
        self, app: WSGIApp, *, gate: Gate, user_id: Callable[[Environ], str | None]
    ) -> None:
        self.app, self.gate, self.user_id = app, gate, user_id

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        answer = self.gate.verdict(path, self.user_id(environ), environ.get("HTTP_ACCEPT", ""))
        if answer is None:
            return self.app(environ, start_response)
        start_response(
            f"{answer.status} {_REASONS[answer.status]}",
            [*answer.headers, ("content-length", str(len(answer.body)))],
        )
        return [answer.body]
