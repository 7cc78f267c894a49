"""One webhook POST: a timeout, a capped answer, and no redirects.

Redirects are never followed (a receiver that moved must be updated with its new URL): a
3xx answer is a failed attempt whose error names the ``Location``, so a signed body is never
sent on to another host. Proxies from the environment are not used either.
"""

from __future__ import annotations

import http.client
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

ANSWER_LIMIT = 2048
"""Bytes of the receiver's answer kept (for ``webhooks test`` and the last error)."""
USER_AGENT = "policy-publisher-webhooks/1"


@dataclass(frozen=True)
class Answer:
    """The receiver's answer (``status`` None: no HTTP answer at all; see ``error``)."""

    status: int | None
    body: str
    error: str | None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> Answer:
    """POST ``body`` to ``url``; never raises for network trouble (it is in the Answer)."""
    started = time.monotonic()
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            parts.hostname or "", parts.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
    every = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        **headers,
    }
    try:
        connection.request("POST", target, body=body, headers=every)
        response = connection.getresponse()
        text = response.read(ANSWER_LIMIT).decode("utf-8", "replace")
        status = response.status
        error = None
        if 300 <= status < 400:
            location = response.getheader("Location") or "nowhere"
            error = f"HTTP {status}: redirected to {location} (not followed: update the URL)"
        elif not 200 <= status < 300:
            error = f"HTTP {status}: {text[:200].strip() or response.reason}"
        return Answer(status, text, error, time.monotonic() - started)
    except TimeoutError:
        return Answer(None, "", f"no answer within {timeout:g} s", time.monotonic() - started)
    except (OSError, http.client.HTTPException) as exc:
        reason = str(exc) or type(exc).__name__
        return Answer(None, "", f"{type(exc).__name__}: {reason}", time.monotonic() - started)
    finally:
        connection.close()
