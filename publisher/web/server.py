"""Running the acceptance service with uvicorn: ``publisher web``.

The parent process prepares what must happen once (schema of a new database, the generated
signing key, policy versions from git); each worker then builds the app from the same settings,
passed through the environment as JSON.
"""

from __future__ import annotations

import json
import os
from dataclasses import fields
from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from publisher.config import Settings
from publisher.web.guard import BODY_TIMEOUT
from publisher.web.protocol import HEADER_TIMEOUT, HEADER_TIMEOUT_ENV, GuardedHttpToolsProtocol

SETTINGS_ENV = "PUBLISHER_WEB_SETTINGS"
BODY_TIMEOUT_ENV = "PUBLISHER_WEB_BODY_TIMEOUT"


def settings_to_env(settings: Settings) -> str:
    """The settings as JSON (for the worker processes)."""
    data: dict[str, Any] = {}
    for f in fields(Settings):
        value = getattr(settings, f.name)
        data[f.name] = (
            str(value)
            if isinstance(value, Path)
            else (list(value) if isinstance(value, tuple) else value)
        )
    return json.dumps(data)


def settings_from_env(raw: str) -> Settings:
    """Inverse of :func:`settings_to_env`."""
    data = json.loads(raw)
    values: dict[str, Any] = {}
    for f in fields(Settings):
        if f.name not in data:
            continue
        value = data[f.name]
        default = getattr(Settings(), f.name)
        if isinstance(default, Path):
            value = Path(value)
        elif isinstance(default, tuple):
            value = tuple(value)
        values[f.name] = value
    return Settings(**values)


def app_from_environment() -> Starlette:
    """uvicorn factory: the app for the settings the parent put in the environment."""
    from publisher.web.app import create_app

    raw = os.environ.get(SETTINGS_ENV)
    if raw is None:
        raise RuntimeError(f"{SETTINGS_ENV} is not set: start the service with `publisher web`")
    body_timeout = float(os.environ.get(BODY_TIMEOUT_ENV) or BODY_TIMEOUT)
    return create_app(settings_from_env(raw), body_timeout=body_timeout)


def serve(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    access_log: bool = False,
    log_level: str = "info",
    header_timeout: float = HEADER_TIMEOUT,
    body_timeout: float = BODY_TIMEOUT,
) -> None:
    """Serve until interrupted. uvicorn's own proxy-header handling is off: the client IP
    comes only from the settings ``trusted_proxy_header`` / ``trusted_proxies``. Each request
    has ``header_timeout`` seconds to send its headers and ``body_timeout`` seconds between
    parts of its body (see :mod:`publisher.web.protocol` and :mod:`publisher.web.guard`)."""
    import uvicorn

    os.environ[SETTINGS_ENV] = settings_to_env(settings)
    os.environ[HEADER_TIMEOUT_ENV] = repr(header_timeout)
    os.environ[BODY_TIMEOUT_ENV] = repr(body_timeout)
    uvicorn.run(
        "publisher.web.server:app_from_environment",
        factory=True,
        http=GuardedHttpToolsProtocol,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=False,
        server_header=False,
        access_log=access_log,
        log_level=log_level,
    )
