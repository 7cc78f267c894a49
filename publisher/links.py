"""Signed acceptance links: ``<accept_url>/a/<token>``.

The token is an itsdangerous ``URLSafeTimedSerializer`` signature over ids only — customer,
policy slug, version label, notice id — never personal data. It is signed with the newest of
the configured keys and verified against all of them (rotation: append a new key, drop the
oldest once its links have expired), salted with the link's purpose so a token signed for
anything else is refused, and it expires after ``link_max_age_days``.
"""

from __future__ import annotations

import secrets
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from publisher.config import Settings
from publisher.errors import ConfigError, PublisherError
from publisher.workdir import create_secret_file

ACCEPT_SALT = "publisher.accept"
"""The purpose of acceptance-link tokens (itsdangerous salt)."""

SECRET_KEY_FILE = ".publisher/secret_key"
"""Where a generated key is kept when the setting ``secret_key`` is empty."""


class LinkError(PublisherError):
    """An acceptance link cannot be used."""


class LinkInvalid(LinkError):
    """The token was altered, truncated, signed with an unknown key or for another purpose."""


class LinkExpired(LinkError):
    """The token is authentic but older than ``link_max_age_days``; ``claims`` says for what."""

    def __init__(self, message: str, *, claims: LinkClaims | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.claims = claims


@dataclass(frozen=True)
class LinkClaims:
    """What an acceptance link is for: ids only."""

    customer: str
    policy: str
    version: str
    notice: int | None = None
    organisation: str | None = None
    """The organisation the customer (its member) accepts for; the payload's ``o``, absent
    from other links so their tokens are unchanged."""

    def to_payload(self) -> dict[str, Any]:
        payload = {"c": self.customer, "p": self.policy, "v": self.version, "n": self.notice}
        if self.organisation is not None:
            payload["o"] = self.organisation
        return payload

    @classmethod
    def from_payload(cls, payload: object) -> LinkClaims:
        """Claims from a verified payload; a payload of the wrong shape is refused."""
        if not isinstance(payload, Mapping):
            raise LinkInvalid("the link's content is not an acceptance link")
        customer, policy, version = payload.get("c"), payload.get("p"), payload.get("v")
        notice, organisation = payload.get("n"), payload.get("o")
        if (
            not all(isinstance(v, str) and v for v in (customer, policy, version))
            or not (notice is None or (isinstance(notice, int) and not isinstance(notice, bool)))
            or not (organisation is None or (isinstance(organisation, str) and organisation))
        ):
            raise LinkInvalid("the link's content is not an acceptance link")
        assert isinstance(customer, str) and isinstance(policy, str) and isinstance(version, str)
        return cls(customer, policy, version, notice, organisation)


class _ClockedSigner(TimestampSigner):
    """A TimestampSigner whose clock can be replaced (tests sign "in the past")."""

    def __init__(self, *args: Any, clock: Callable[[], float] = time.time, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock

    def get_timestamp(self) -> int:
        return int(self._clock())


class LinkSigner:
    """Signs and verifies acceptance-link tokens with a list of keys (newest last)."""

    def __init__(
        self,
        keys: Sequence[str],
        *,
        max_age_days: float = 90,
        salt: str = ACCEPT_SALT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not keys:
            raise ConfigError("no signing key", hint="set secret_key (PUBLISHER_SECRET_KEY)")
        self.max_age_seconds = int(max_age_days * 86400)
        self._serializer = URLSafeTimedSerializer(
            list(keys),
            salt=salt,
            signer=_ClockedSigner,
            signer_kwargs={"clock": clock},
        )

    def sign(self, claims: LinkClaims) -> str:
        """A URL-safe token for ``claims``, signed now with the newest key."""
        token = self._serializer.dumps(claims.to_payload())
        assert isinstance(token, str)
        return token

    def verify(self, token: str) -> LinkClaims:
        """The claims of an authentic, unexpired token; LinkInvalid or LinkExpired otherwise."""
        try:
            payload = self._serializer.loads(token, max_age=self.max_age_seconds)
        except SignatureExpired as exc:
            claims: LinkClaims | None
            try:
                claims = LinkClaims.from_payload(
                    self._serializer.load_payload(exc.payload) if exc.payload else None
                )
            except (LinkInvalid, BadSignature, ValueError):
                claims = None
            raise LinkExpired(
                "this acceptance link has expired",
                claims=claims,
                hint="ask for a new link; links are valid for "
                f"{self.max_age_seconds // 86400} days",
            ) from exc
        except BadSignature as exc:
            raise LinkInvalid(
                "this acceptance link is not valid (altered, incomplete or not ours)",
                hint="copy the whole link from the notice email",
            ) from exc
        return LinkClaims.from_payload(payload)


def link_url(base_url: str, token: str) -> str:
    """The public URL of an acceptance link."""
    return f"{base_url.rstrip('/')}/a/{token}"


def secret_keys(
    settings: Settings, *, warn: Callable[[str], None] | None = None
) -> tuple[str, ...]:
    """The configured signing keys, or the generated one (created once, mode 0600).

    ``warn`` receives a one-line warning when a key is generated (default: stderr).
    """
    if settings.secret_key:
        return settings.secret_key
    path = settings.resolve(SECRET_KEY_FILE)
    existing = _read_key(path)
    if existing:
        return (existing,)
    key = secrets.token_urlsafe(48)
    if not create_secret_file(path, key):  # another process won the race
        return (_read_key(path) or key,)
    message = (
        f"warning: no secret_key is set; generated a signing key in {path} "
        "(set PUBLISHER_SECRET_KEY in production, and keep it secret)"
    )
    if warn is not None:
        warn(message)
    else:
        print(message, file=sys.stderr)
    return (key,)


def _read_key(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii").strip() or None
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the signing key: {exc}", path=path) from exc


def signer_for(settings: Settings, *, warn: Callable[[str], None] | None = None) -> LinkSigner:
    """The acceptance-link signer configured by ``settings``."""
    return LinkSigner(secret_keys(settings, warn=warn), max_age_days=settings.link_max_age_days)
