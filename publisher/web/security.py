"""HTTP security for the acceptance service: headers, client IP behind proxies, CSRF.

Pure helpers plus one ASGI middleware. The CSRF defence is a double submit bound to the link:
the page sets a random nonce in a ``SameSite=Strict`` cookie and puts a signed value
(nonce + a digest of the link's token) in the form; the POST must carry both, matching.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from itsdangerous import BadSignature, Signer
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSRF_SALT = "publisher.csrf"
CSRF_COOKIE = "pp_csrf"
CSRF_FIELD = "csrf"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)

BASE_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),  # the token is in the URL
    (b"x-content-type-options", b"nosniff"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


class SecurityHeadersMiddleware:
    """Adds the security headers to every response (HSTS too when ``https``)."""

    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.headers = BASE_HEADERS + ((HSTS,) if https else ())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [h for h in self.headers if h[0] not in present]
                if https and HSTS[0] not in present and HSTS not in extra:
                    extra.append(HSTS)
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


@dataclass(frozen=True)
class ProxyPolicy:
    """Which header carries the client address, and which peers may set it."""

    header: str = ""
    trusted: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    @classmethod
    def parse(cls, header: str, proxies: Iterable[str]) -> ProxyPolicy:
        """From the settings ``trusted_proxy_header`` and ``trusted_proxies`` (IPs or CIDRs).

        Raises ValueError naming a malformed entry.
        """
        networks = []
        for entry in proxies:
            try:
                networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError as exc:
                raise ValueError(
                    f"trusted_proxies: {entry!r} is not an IP address or network"
                ) from exc
        return cls(header.strip().lower(), tuple(networks))

    def is_trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.trusted)


def client_ip(
    peer: str | None, headers: Sequence[tuple[bytes, bytes]], policy: ProxyPolicy
) -> str | None:
    """The client's address: the socket peer, unless the peer is a trusted proxy and sent the
    configured header. For a list (``X-Forwarded-For: client, proxy1, proxy2``) the rightmost
    address that is not itself a trusted proxy is the client (the left part can be forged).
    """
    if not policy.header or peer is None or not policy.is_trusted(peer):
        return peer
    name = policy.header.encode("latin-1")
    values = [v.decode("latin-1") for k, v in headers if k.lower() == name]
    if not values:
        return peer
    hops = [hop.strip() for value in values for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        candidate = _strip_port(hop)
        try:
            ipaddress.ip_address(candidate)
        except ValueError:
            return peer  # garbage in the header: trust the socket instead
        if not policy.is_trusted(candidate):
            return candidate
    return _strip_port(hops[0]) if hops else peer


def _strip_port(hop: str) -> str:
    if hop.startswith("["):  # [2001:db8::1]:443
        return hop[1:].split("]", 1)[0]
    if hop.count(":") == 1:  # 192.0.2.1:443
        return hop.split(":", 1)[0]
    return hop


# -- CSRF ---------------------------------------------------------------------------------------


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:32]


def csrf_field(keys: Sequence[str], token: str, nonce: str) -> str:
    """The hidden form value for ``token`` and the cookie's ``nonce``."""
    signer = Signer(list(keys), salt=CSRF_SALT)
    return signer.sign(f"{nonce}.{_token_digest(token)}").decode("ascii")


def csrf_valid(keys: Sequence[str], token: str, cookie: str | None, field: str | None) -> bool:
    """True when the form value is ours, for this token, and matches the cookie's nonce."""
    if not cookie or not field:
        return False
    try:
        value = Signer(list(keys), salt=CSRF_SALT).unsign(field).decode("ascii")
    except (BadSignature, UnicodeDecodeError):
        return False
    nonce, _, digest = value.partition(".")
    return hmac.compare_digest(nonce, cookie) and hmac.compare_digest(digest, _token_digest(token))


def bearer_matches(header: str | None, expected: str) -> bool:
    """``Authorization: Bearer <expected>`` (constant-time); never true for an empty token."""
    if not expected or not header:
        return False
    scheme, _, value = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip(), expected)
