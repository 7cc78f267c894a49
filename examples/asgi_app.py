"""A Starlette app behind the acceptance gate: the user is named by the ``X-User`` header
(a stand-in for your session), ``/login`` and ``/healthz`` pass unchecked, ``/api/…``
answers 403 JSON until the user has accepted, every other page redirects to the
acceptance page.

    uvicorn --factory examples.asgi_app:from_environment
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route
from starlette.types import Scope

from publisher.config import Settings, load_settings
from publisher.integrations import AcceptanceGateMiddleware, Gate, StoreStatus
from publisher.store import migrate
from publisher.store.db import Database


def user_of(scope: Scope) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"x-user":
            return str(value.decode("latin-1"))
    return None


async def home(request: Request) -> PlainTextResponse:
    return PlainTextResponse(f"dashboard of {request.headers.get('x-user')}")


async def data(request: Request) -> JSONResponse:
    return JSONResponse({"invoices": []})


async def login(request: Request) -> PlainTextResponse:
    return PlainTextResponse("sign in")


def build(database: Database, settings: Settings) -> Starlette:
    app = Starlette(
        routes=[
            Route("/", home),
            Route("/api/data", data),
            Route("/login", login),
            Route("/healthz", login),
        ]
    )
    gate = Gate(StoreStatus(database, settings), allow=("/login", "/healthz"))
    app.add_middleware(AcceptanceGateMiddleware, gate=gate, user_id=user_of)
    return app


def from_environment() -> Starlette:
    settings = load_settings(".")
    return build(migrate.open_store(settings), settings)
