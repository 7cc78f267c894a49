"""The gate's decision, shared by the ASGI and WSGI middlewares, and where status comes from.

:meth:`Gate.verdict` takes the request's path, the user id the app found (None: nobody is
signed in) and its ``Accept`` header, and returns None (let the request through) or the
answer to send instead: ``303`` to the first policy's acceptance page, or ``403`` with
``{"error", "policies": [{policy, version, reason, accept_url}]}`` for API paths and clients
that ask for JSON. Nothing is cached: each request asks its source, so a user who has just
accepted is let through at once.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from publisher.config import Settings
from publisher.errors import NotFoundError, PublisherError
from publisher.links import LinkClaims, signer_for
from publisher.store.db import Database
from publisher.store.status import read_status


class GateError(PublisherError):
    """The status could not be found out (the service or the database did not answer)."""


@dataclass(frozen=True)
class Required:
    """A policy the user must accept, and where."""

    policy: str
    version: str
    reason: str
    accept_url: str | None


class StatusSource(Protocol):
    def required(self, user_id: str) -> list[Required]:
        """The policies ``user_id`` must accept (empty: none, or an unknown customer)."""
        ...


class StoreStatus:
    """Status straight from the store (the app shares the acceptance database)."""

    def __init__(
        self, database: Database, settings: Settings, policies: Sequence[str] = ()
    ) -> None:
        self.database, self.settings, self.policies = database, settings, tuple(policies)
        self.signer = signer_for(settings)

    def required(self, user_id: str) -> list[Required]:
        try:
            answer = read_status(self.database, user_id, self.policies)
        except NotFoundError:
            return []
        base = self.settings.accept_url.rstrip("/")
        return [
            Required(
                p.policy,
                p.current,
                p.decision.reason,
                f"{base}/a/" + self.signer.sign(LinkClaims(user_id, p.policy, p.current, None)),
            )
            for p in answer.policies
            if p.needs_acceptance
        ]


class ServiceStatus:
    """Status from the acceptance service's ``GET /api/v1/status`` (a ``status`` token)."""

    def __init__(
        self, url: str, token: str, policies: Sequence[str] = (), *, timeout: float = 5.0
    ) -> None:
        self.url, self.token, self.policies = url.rstrip("/"), token, tuple(policies)
        self.timeout = timeout

    def required(self, user_id: str) -> list[Required]:
        query = urllib.parse.urlencode(
            [("customer", user_id), *(("policy", p) for p in self.policies)]
        )
        request = urllib.request.Request(
            f"{self.url}/api/v1/status?{query}",
            headers={"authorization": f"Bearer {self.token}", "accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = json.load(response)
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return []
            raise GateError(f"the status API answered {error.code}") from error
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise GateError(f"the status API did not answer: {error}") from error
        return [
            Required(p["policy"], p["current"]["version"], p["reason"], p["accept_url"])
            for p in answer["policies"]
            if p["needs_acceptance"]
        ]


@dataclass(frozen=True)
class Answer:
    """What to send instead of the app's own response."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass(frozen=True)
class Gate:
    """Which paths pass without a check, which answer JSON, and where status comes from.

    ``allow``: path prefixes let through unchecked (sign-in, assets, health checks);
    ``api``: path prefixes answered ``403`` JSON instead of a redirect; ``fail_open``: let
    requests through when the status cannot be found out (default: answer ``503``).
    """

    source: StatusSource
    allow: tuple[str, ...] = ()
    api: tuple[str, ...] = ("/api/",)
    fail_open: bool = False
    wants_json: tuple[str, ...] = field(default=("application/json",))

    def verdict(self, path: str, user_id: str | None, accept: str = "") -> Answer | None:
        if user_id is None or any(path.startswith(prefix) for prefix in self.allow):
            return None
        try:
            required = self.source.required(user_id)
        except GateError:
            if self.fail_open:
                return None
            return _json(503, {"error": "acceptance status unavailable; try again"})
        if not required:
            return None
        api = any(path.startswith(prefix) for prefix in self.api) or (
            any(kind in accept for kind in self.wants_json) and "text/html" not in accept
        )
        if api or required[0].accept_url is None:
            return _json(
                403,
                {
                    "error": "acceptance required",
                    "policies": [
                        {
                            "policy": r.policy,
                            "version": r.version,
                            "reason": r.reason,
                            "accept_url": r.accept_url,
                        }
                        for r in required
                    ],
                },
            )
        return Answer(
            303, (("location", required[0].accept_url), ("cache-control", "no-store")), b""
        )


def _json(status: int, body: dict[str, object]) -> Answer:
    return Answer(
        status,
        (("content-type", "application/json"), ("cache-control", "no-store")),
        json.dumps(body).encode(),
    )
