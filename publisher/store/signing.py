"""The Ed25519 key that signs ledger anchors and evidence certificates.

The key is the setting ``evidence_key`` (base64 of the 32 raw private bytes); when it is
empty one is generated once into ``.publisher/evidence_key`` (mode 0600), like the link
signing key. Signatures and public keys travel as base64; :func:`verify_signature` needs only
the public key, so anchors and certificates can be checked offline by anyone.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import sys
from collections.abc import Callable
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from publisher.config import Settings
from publisher.errors import ConfigError
from publisher.workdir import create_secret_file

KEY_FILE = ".publisher/evidence_key"
"""Where a generated key is kept when the setting ``evidence_key`` is empty."""


def _private(encoded: str, *, where: str) -> Ed25519PrivateKey:
    try:
        raw = base64.b64decode(encoded.strip(), validate=True)
        return Ed25519PrivateKey.from_private_bytes(raw)
    except (binascii.Error, ValueError) as exc:
        raise ConfigError(
            f"{where} is not an Ed25519 private key",
            hint="set evidence_key to base64 of 32 random bytes, e.g. "
            "`python3 -c 'import os,base64;print(base64.b64encode(os.urandom(32)).decode())'`",
        ) from exc


def signing_key(
    settings: Settings, *, warn: Callable[[str], None] | None = None
) -> Ed25519PrivateKey:
    """The configured key, or the generated one (created once, mode 0600, with a warning)."""
    if settings.evidence_key:
        return _private(settings.evidence_key, where="the setting evidence_key")
    path = settings.resolve(KEY_FILE)
    if path.exists():
        return _private(_read(path), where=str(path))
    encoded = base64.b64encode(secrets.token_bytes(32)).decode("ascii")
    if not create_secret_file(path, encoded):  # another process won the race
        return _private(_read(path), where=str(path))
    message = (
        f"warning: no evidence_key is set; generated an Ed25519 key in {path} "
        "(set PUBLISHER_EVIDENCE_KEY in production, and keep it secret)"
    )
    (warn or (lambda m: print(m, file=sys.stderr)))(message)
    return _private(encoded, where=str(path))


def known_public_key(settings: Settings) -> str | None:
    """The public half of the configured (or already generated) key; None when there is
    none yet (nothing is generated)."""
    if settings.evidence_key:
        return public_key_b64(_private(settings.evidence_key, where="the setting evidence_key"))
    path = settings.resolve(KEY_FILE)
    if not path.exists():
        return None
    return public_key_b64(_private(_read(path), where=str(path)))


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the evidence key: {exc}", path=path) from exc


def public_key_b64(key: Ed25519PrivateKey) -> str:
    """The public half of ``key`` as base64 of its 32 raw bytes."""
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def fingerprint(public_key: str) -> str:
    """A short name for a public key: the first 16 hex digits of sha256 of its raw bytes."""
    try:
        raw = base64.b64decode(public_key, validate=True)
    except binascii.Error:
        raw = public_key.encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def sign(key: Ed25519PrivateKey, data: bytes) -> str:
    """The Ed25519 signature of ``data``, base64."""
    return base64.b64encode(key.sign(data)).decode("ascii")


def verify_signature(public_key: str, signature: str, data: bytes) -> bool:
    """Whether ``signature`` (base64) is ``public_key``'s (base64) signature of ``data``."""
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key, validate=True))
        key.verify(base64.b64decode(signature, validate=True), data)
    except (binascii.Error, ValueError, InvalidSignature):
        return False
    return True
