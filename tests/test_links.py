"""Signed acceptance links: ids only, purpose salt, key rotation, expiry, generated key."""

from __future__ import annotations

import base64
import json
import stat
import time
from pathlib import Path

import pytest
from itsdangerous import URLSafeTimedSerializer

from publisher.config import load_settings
from publisher.links import (
    ACCEPT_SALT,
    LinkClaims,
    LinkExpired,
    LinkInvalid,
    LinkSigner,
    link_url,
    secret_keys,
    signer_for,
)

CLAIMS = LinkClaims("c-42", "terms-of-service", "3", 7)
OLD, NEW = "old-key-0123456789abcdef", "new-key-fedcba9876543210"


def _payload(token: str) -> object:
    encoded = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))


def test_round_trip_carries_ids_only() -> None:
    signer = LinkSigner([NEW])
    token = signer.sign(CLAIMS)
    assert signer.verify(token) == CLAIMS
    assert _payload(token) == {"c": "c-42", "p": "terms-of-service", "v": "3", "n": 7}
    assert all(c.isalnum() or c in "-_." for c in token)  # URL-safe as is


def test_notice_is_optional() -> None:
    signer = LinkSigner([NEW])
    claims = LinkClaims("c1", "privacy", "2024-03-07")
    assert signer.verify(signer.sign(claims)) == claims


@pytest.mark.parametrize(
    "mangle",
    [
        # signature altered: not its last character, whose low bits base64 may ignore
        lambda t: t[:-5] + ("A" if t[-5] != "A" else "Q") + t[-4:],
        lambda t: t[:20],  # truncated
        lambda t: "x" + t[1:],  # payload altered
        lambda t: "not-a-token",
        lambda t: "",
    ],
)
def test_tampered_tokens_are_invalid(mangle: object) -> None:
    signer = LinkSigner([NEW])
    token = signer.sign(CLAIMS)
    with pytest.raises(LinkInvalid, match="not valid"):
        signer.verify(mangle(token))  # type: ignore[operator]


def test_token_for_another_purpose_is_invalid() -> None:
    other = URLSafeTimedSerializer([NEW], salt="publisher.unsubscribe")
    token = other.dumps(CLAIMS.to_payload())
    with pytest.raises(LinkInvalid):
        LinkSigner([NEW]).verify(token)
    assert ACCEPT_SALT == "publisher.accept"


def test_well_signed_but_wrong_shape_is_invalid() -> None:
    ours = URLSafeTimedSerializer([NEW], salt=ACCEPT_SALT)
    for payload in ({"c": "c1", "p": "x"}, ["c1"], {"c": "c1", "p": "x", "v": "1", "n": "7"}):
        with pytest.raises(LinkInvalid, match="not an acceptance link"):
            LinkSigner([NEW]).verify(ours.dumps(payload))


def test_expired_token_says_so_and_what_it_was_for() -> None:
    ninety_one_days_ago = time.time() - 91 * 86400
    token = LinkSigner([NEW], clock=lambda: ninety_one_days_ago).sign(CLAIMS)
    with pytest.raises(LinkExpired) as caught:
        LinkSigner([NEW], max_age_days=90).verify(token)
    assert caught.value.claims == CLAIMS
    assert "90 days" in (caught.value.hint or "")
    assert LinkSigner([NEW], max_age_days=92).verify(token) == CLAIMS


def test_key_rotation_newest_last() -> None:
    old_token = LinkSigner([OLD]).sign(CLAIMS)
    rotated = LinkSigner([OLD, NEW])
    assert rotated.verify(old_token) == CLAIMS  # old links keep working
    new_token = rotated.sign(CLAIMS)
    assert LinkSigner([NEW]).verify(new_token) == CLAIMS  # signed with the newest key
    with pytest.raises(LinkInvalid):
        LinkSigner([OLD]).verify(new_token)
    with pytest.raises(LinkInvalid):
        LinkSigner([NEW]).verify(old_token)  # the old key was dropped


def test_link_url() -> None:
    assert link_url("https://accept.example.com/", "tok") == "https://accept.example.com/a/tok"


def test_missing_key_is_generated_once_private_with_a_warning(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, env={})
    warnings: list[str] = []
    keys = secret_keys(settings, warn=warnings.append)
    path = tmp_path / ".publisher" / "secret_key"
    assert keys == (path.read_text().strip(),) and len(keys[0]) >= 40
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(warnings) == 1 and "PUBLISHER_SECRET_KEY" in warnings[0]
    assert secret_keys(settings, warn=warnings.append) == keys
    assert len(warnings) == 1
    assert sorted(path.parent.iterdir()) == [path.parent / ".gitignore", path]  # no temporary
    # file left behind; .publisher/ is kept out of git


def test_configured_keys_win_and_max_age_is_a_setting(tmp_path: Path) -> None:
    settings = load_settings(
        tmp_path, env={"PUBLISHER_SECRET_KEY": f"{OLD},{NEW}", "PUBLISHER_LINK_MAX_AGE_DAYS": "7"}
    )
    assert secret_keys(settings) == (OLD, NEW)
    assert not (tmp_path / ".publisher").exists()
    signer = signer_for(settings)
    assert signer.max_age_seconds == 7 * 86400
    assert LinkSigner([NEW]).verify(signer.sign(CLAIMS)) == CLAIMS
