"""The link form's body parser: URL-encoded fields, bounded, never an exception but ours."""

from __future__ import annotations

import pytest

from publisher.web.inputs import BodyError, is_urlencoded, parse_form


def test_fields_are_decoded_and_the_last_of_a_repeated_name_wins() -> None:
    body = b"csrf=a%2Bb.c%3D&accept=no&accept=yes&empty=&plus=x+y"
    assert parse_form(body, max_fields=8) == {
        "csrf": "a+b.c=",
        "accept": "yes",
        "empty": "",
        "plus": "x y",
    }


def test_more_fields_than_allowed_is_refused() -> None:
    with pytest.raises(BodyError, match="more than 3 fields"):
        parse_form(b"a=1&b=2&c=3&d=4", max_fields=3)
    assert parse_form(b"a=1&b=2&c=3", max_fields=3) == {"a": "1", "b": "2", "c": "3"}


def test_bytes_that_are_not_utf8_do_not_break_the_parser() -> None:
    fields = parse_form(b"accept=%FF%FEyes&csrf=\xff\x00", max_fields=8)
    assert fields["accept"] == "\ufffd\ufffdyes"
    assert fields["accept"] != "yes"
    assert parse_form(b"", max_fields=8) == {}
    assert parse_form(b"no-equals-sign", max_fields=8) == {"no-equals-sign": ""}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("application/x-www-form-urlencoded", True),
        ("Application/X-WWW-Form-URLEncoded; charset=UTF-8", True),
        ("multipart/form-data; boundary=zz", False),
        ("application/json", False),
        ("", False),
        (None, False),
    ],
)
def test_only_urlencoded_bodies_take_the_lean_parser(value: str | None, expected: bool) -> None:
    assert is_urlencoded(value) is expected
