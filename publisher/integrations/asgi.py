"""The acceptance gate as ASGI middleware (Starlette, FastAPI)."""

from __future__ import annotations

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from publisher.integrations.gate import Gate


class AcceptanceGateMiddleware:
    """``app`` behind ``gate``; ``user_id(scope)`` says who is signed in (None: nobody),
    e.g. ``lambda scope: scope["session"].get("user")`` after Starlette's SessionMiddleware.
    The status is asked for in a worker thread (its source may do I/O)."""

    def __init__(self, app: ASGIApp, *, gate: Gate, user_id: Callable[[Scope], str | None]) -> None:
        self.app, self.gate, self.user_id = app, gate, user_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        accept = next(
            (v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"accept"), ""
        )
        answer = await run_in_threadpool(
            self.gate.verdict, scope.get("path", ""), self.user_id(scope), accept
        )
        if answer is None:
            await self.app(scope, receive, send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": answer.status,
                "headers": [(k.encode(), v.encode()) for k, v in answer.headers]
                + [(b"content-length", str(len(answer.body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": answer.body})
