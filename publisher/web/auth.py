"""Bearer tokens of the JSON API and what each may do (its scopes).

``api_token`` (the original single token) may do everything. ``api_tokens`` adds tokens
limited to some scopes: comma-separated ``SCOPES:TOKEN`` entries, ``SCOPES`` one scope or
several joined by ``+``, e.g. ``status:4f1c…,status+write:9a0e…,reports:77d2…``.

- ``status``: read one customer's acceptance status (``GET /api/v1/status``) — the token an
  app's request path holds;
- ``write``: record acceptances (``POST /api/v1/acceptances``, ``POST /api/acceptances``);
- ``reports``: reports, evidence and the ledger's verification (``GET /api/reports/…``,
  ``/api/customers/<id>/evidence``, ``/api/ledger/verify``).

Every configured token is compared in constant time, so the answer's timing does not say
which token nearly matched.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Scope = Literal["status", "write", "reports"]
SCOPES: tuple[Scope, ...] = ("status", "write", "reports")
MIN_TOKEN_LENGTH = 16


def _scope(name: str) -> Scope | None:
    for scope in SCOPES:
        if scope == name:
            return scope
    return None


@dataclass(frozen=True)
class Tokens:
    """The configured tokens and their scopes."""

    entries: tuple[tuple[str, frozenset[Scope]], ...]

    @classmethod
    def parse(cls, api_token: str, api_tokens: Iterable[str]) -> Tokens:
        """From the settings; ValueError (one line, naming the entry) for a bad entry."""
        entries: list[tuple[str, frozenset[Scope]]] = []
        if api_token:
            entries.append((api_token, frozenset(SCOPES)))
        for number, entry in enumerate(api_tokens, 1):
            names, sep, token = entry.partition(":")
            if not sep or not token.strip():
                raise ValueError(f"api_tokens entry {number} is not SCOPES:TOKEN")
            scopes = [_scope(name.strip().lower()) for name in names.split("+")]
            if not scopes or None in scopes:
                raise ValueError(
                    f"api_tokens entry {number} names an unknown scope "
                    f"{names!r} (known: {', '.join(SCOPES)})"
                )
            if len(token.strip()) < MIN_TOKEN_LENGTH:
                raise ValueError(
                    f"api_tokens entry {number}: the token is shorter than "
                    f"{MIN_TOKEN_LENGTH} characters"
                )
            entries.append((token.strip(), frozenset(s for s in scopes if s is not None)))
        return cls(tuple(entries))

    @property
    def enabled(self) -> bool:
        return bool(self.entries)

    def scopes(self, header: str | None) -> frozenset[Scope] | None:
        """The scopes of the token in ``Authorization: Bearer <token>``; None when the
        header is missing or names no configured token."""
        if not header:
            return None
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer":
            return None
        given = value.strip().encode()
        found: frozenset[Scope] | None = None
        for token, scopes in self.entries:  # every comparison runs: constant time
            if hmac.compare_digest(given, token.encode()) and found is None:
                found = scopes
        return found
