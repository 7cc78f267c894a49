"""Checking what clients send to the acceptance service before anything reaches the store.

Every JSON body, form field, query parameter and path parameter that the service uses goes
through here: strings must be valid Unicode without control or invisible characters and fit
their column; integers must fit the store's ``integer`` columns; JSON bodies are parsed with
a depth limit. A violation is an :class:`InputError` naming the field (HTTP 422), or a
:class:`BodyError` for a body that is not acceptable JSON at all (HTTP 400).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from publisher.store.models import Acceptance, Customer, PolicyVersion
from publisher.textsafety import text_problem

_SURROGATE = re.compile("[\ud800-\udfff]")

MAX_JSON_DEPTH = 32
"""The deepest nesting of arrays and objects a JSON body may have."""

INT_MIN, INT_MAX = 1, 2**31 - 1
"""Ids (notices) are positive and fit a 32-bit ``integer`` column on both databases."""


def _length(column: Any) -> int:
    length = column.type.length
    assert isinstance(length, int)
    return length


CUSTOMER_ID_LIMIT = _length(Customer.__table__.c.id)
SLUG_LIMIT = _length(PolicyVersion.__table__.c.slug)
LABEL_LIMIT = _length(PolicyVersion.__table__.c.label)
assert _length(Acceptance.__table__.c.version_label) == LABEL_LIMIT

FIELD_LIMITS = {
    "customer": CUSTOMER_ID_LIMIT,
    "customer_id": CUSTOMER_ID_LIMIT,
    "on_behalf_of": CUSTOMER_ID_LIMIT,
    "policy": SLUG_LIMIT,
    "version": LABEL_LIMIT,
}


class InputError(Exception):
    """A field's value is refused (HTTP 422)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.message = f"{field}: {reason}"


class BodyError(Exception):
    """The body is not JSON, or nested too deeply (HTTP 400)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TooDeep(BodyError):
    """The JSON body is nested deeper than the limit."""


def text_field(field: str, value: object, *, required: bool = True) -> str:
    """``value`` as a checked string for ``field`` (its limit from :data:`FIELD_LIMITS`)."""
    if not isinstance(value, str):
        raise InputError(field, "must be a string")
    problem = text_problem(value, limit=FIELD_LIMITS[field], required=required)
    if problem is not None:
        raise InputError(field, problem)
    return value


def optional_text(field: str, value: str | None) -> str | None:
    return None if value is None else text_field(field, value)


def int_field(field: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InputError(field, "must be an integer")
    if not INT_MIN <= value <= INT_MAX:
        raise InputError(field, f"must be between {INT_MIN} and {INT_MAX}")
    return value


def _depth(value: object) -> int:
    """The nesting depth of a parsed JSON value, iteratively (no recursion)."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            deepest = max(deepest, depth)
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            deepest = max(deepest, depth)
            stack.extend((v, depth + 1) for v in item)
    return deepest


BIGINT = 2**63 - 1
"""The largest integer either database (and SQLite's driver) can take as a parameter."""


def unstorable(value: object) -> str | None:
    """Why a parsed JSON value cannot reach the store as it is: a string (or key) with a lone
    surrogate or a NUL (PostgreSQL text cannot hold one), or an integer beyond 64 bits."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            if "\x00" in item:
                return "a string contains a NUL character"
            if _SURROGATE.search(item):
                return "a string is not valid Unicode (a lone surrogate)"
        elif isinstance(item, int) and not isinstance(item, bool) and abs(item) > BIGINT:
            return "an integer does not fit 64 bits"
    return None


def parse_json(body: bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """The JSON value of ``body``; BodyError when it is not JSON or deeper than ``max_depth``."""
    try:
        value = json.loads(body)
    except RecursionError as exc:
        raise TooDeep(f"the JSON body is nested deeper than {max_depth} levels") from exc
    except ValueError as exc:  # includes UnicodeDecodeError
        raise BodyError("the body must be JSON (UTF-8)") from exc
    if _depth(value) > max_depth:
        raise TooDeep(f"the JSON body is nested deeper than {max_depth} levels")
    return value


FORM_TYPE = "application/x-www-form-urlencoded"


def is_urlencoded(content_type: str | None) -> bool:
    """``Content-Type`` names a URL-encoded form (any parameters, any case)."""
    return (content_type or "").partition(";")[0].strip().lower() == FORM_TYPE


def parse_form(body: bytes, *, max_fields: int) -> dict[str, str]:
    """The fields of a URL-encoded form body (a repeated name: its last value), without the
    multipart parser a link form never needs. BodyError for more than ``max_fields`` fields;
    bytes that are not UTF-8 become U+FFFD (such a field never matches what we signed)."""
    try:
        pairs = parse_qsl(
            body.decode("latin-1"),
            keep_blank_values=True,
            max_num_fields=max_fields,
            encoding="utf-8",
            errors="replace",
        )
    except ValueError:
        raise BodyError(f"the form has more than {max_fields} fields") from None
    return dict(pairs)
