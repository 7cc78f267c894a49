"""The Publisher-Signature header: HMAC-SHA256 over "t.body", checked in constant time, with a
tolerance window against replays."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from publisher.webhooks import SignatureError, sign, signature_header, verify_signature

SECRET = "whsec_test_secret_0123456789"
BODY = b'{"id":"e1","type":"acceptance.created"}'
T = 1_800_000_000


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, T, BODY) == expected
    assert signature_header(SECRET, BODY, timestamp=T) == f"t={T},v1={expected}"


def test_a_good_signature_verifies_and_returns_its_timestamp() -> None:
    header = signature_header(SECRET, BODY, timestamp=T)
    assert verify_signature(SECRET, BODY, header, clock=lambda: T + 10) == T


@pytest.mark.parametrize(
    ("secret", "body"),
    [("whsec_another_secret_000000", BODY), (SECRET, BODY + b" "), (SECRET, b"")],
    ids=["wrong secret", "body changed", "empty body"],
)
def test_a_wrong_secret_or_a_changed_body_is_refused(secret: str, body: bytes) -> None:
    header = signature_header(SECRET, BODY, timestamp=T)
    with pytest.raises(SignatureError, match="does not match"):
        verify_signature(secret, body, header, clock=lambda: T)


def test_the_timestamp_is_part_of_what_is_signed() -> None:
    header = signature_header(SECRET, BODY, timestamp=T).replace(f"t={T}", f"t={T + 1}")
    with pytest.raises(SignatureError, match="does not match"):
        verify_signature(SECRET, BODY, header, clock=lambda: T)


@pytest.mark.parametrize("offset", [301, -301, 86400])
def test_outside_the_tolerance_window_is_a_replay(offset: int) -> None:
    header = signature_header(SECRET, BODY, timestamp=T)
    with pytest.raises(SignatureError, match="more than 300 s"):
        verify_signature(SECRET, BODY, header, clock=lambda: T + offset)


@pytest.mark.parametrize("offset", [300, -300, 0])
def test_inside_the_tolerance_window_is_accepted(offset: int) -> None:
    header = signature_header(SECRET, BODY, timestamp=T)
    assert verify_signature(SECRET, BODY, header, clock=lambda: T + offset) == T


def test_the_tolerance_can_be_chosen() -> None:
    header = signature_header(SECRET, BODY, timestamp=T)
    with pytest.raises(SignatureError):
        verify_signature(SECRET, BODY, header, tolerance=5, clock=lambda: T + 6)
    assert verify_signature(SECRET, BODY, header, tolerance=3600, clock=lambda: T + 3000) == T


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "missing Publisher-Signature"),
        ("", "missing Publisher-Signature"),
        ("v1=abc", "no t= or no v1="),
        (f"t={T}", "no t= or no v1="),
        ("t=soon,v1=abc", "is not a number"),
        ("garbage", "no t= or no v1="),
    ],
)
def test_missing_or_malformed_headers_are_refused(header: str | None, message: str) -> None:
    with pytest.raises(SignatureError, match=message):
        verify_signature(SECRET, BODY, header, clock=lambda: T)


def test_any_of_several_v1_signatures_may_match_during_a_secret_rotation() -> None:
    old = sign("whsec_the_old_secret_00000", T, BODY)
    header = f"t={T},v1={old},v1={sign(SECRET, T, BODY)}"
    assert verify_signature(SECRET, BODY, header, clock=lambda: T) == T
    assert verify_signature("whsec_the_old_secret_00000", BODY, header, clock=lambda: T) == T
