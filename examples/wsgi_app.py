"""A plain WSGI app (what Flask's ``app.wsgi_app`` and Django's ``get_wsgi_application()``
are) behind the acceptance gate: the user is ``REMOTE_USER``, ``/login`` passes unchecked,
``/api/…`` answers 403 JSON until the user has accepted, pages redirect.

    python -m wsgiref.simple_server  # or: gunicorn 'examples.wsgi_app:from_environment()'
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from publisher.config import Settings, load_settings
from publisher.integrations import AcceptanceGateWSGI, Gate, StoreStatus
from publisher.store import migrate
from publisher.store.db import Database


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "/")
    if path.startswith("/api/"):
        start_response("200 OK", [("content-type", "application/json")])
        return [json.dumps({"invoices": []}).encode()]
    start_response("200 OK", [("content-type", "text/plain")])
    return [f"page {path} for {environ.get('REMOTE_USER')}".encode()]


def build(database: Database, settings: Settings) -> AcceptanceGateWSGI:
    gate = Gate(StoreStatus(database, settings), allow=("/login",))
    return AcceptanceGateWSGI(app, gate=gate, user_id=lambda environ: environ.get("REMOTE_USER"))


def from_environment() -> AcceptanceGateWSGI:
    settings = load_settings(".")
    return build(migrate.open_store(settings), settings)
