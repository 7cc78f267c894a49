"""YAML front matter of a policy file: split it from the body and check its types. Pure.

A policy may start with a front matter block::

    ---
    title: Acceptable Use Policy
    version: "4"
    effective: 2024-03-01
    ---

The block must open on the very first line with ``---`` and close with a line ``---`` (or
``...``). Known keys are typed (see :class:`~publisher.document.PolicyMeta`); unknown keys
(``redirect_from``, ``versions``…) are kept untouched in ``meta.extra``. Every problem is a
:class:`~publisher.errors.PolicyError` that names the line in the *file* and says how to fix it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from publisher.document import PolicyMeta
from publisher.errors import PolicyError

if TYPE_CHECKING:  # YAML loads with the first front matter block: a file without one needs none
    import yaml

__all__ = ["split_front_matter", "validate_front_matter"]

_FENCE_OPEN = "---"
_FENCE_CLOSE = ("---", "...")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_STRING_KEYS = ("title", "slug", "summary")
_DATE_HINT = "write a real calendar date as YYYY-MM-DD, e.g. `effective: 2024-03-01`"


@cache
def _loader() -> type[yaml.SafeLoader]:
    """The safe loader (libyaml's when installed) whose invalid timestamps (``2024-02-30``)
    are YAML errors with a mark; PyYAML loads on the first call (start-up of a diff of
    files without front matter)."""
    import yaml

    base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[misc,valid-type]
        def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
            try:
                return super().construct_yaml_timestamp(node)
            except ValueError as exc:
                raise yaml.constructor.ConstructorError(
                    None, None, f"invalid date {node.value!r}: {exc}", node.start_mark
                ) from None

    Loader.add_constructor("tag:yaml.org,2002:timestamp", Loader.construct_yaml_timestamp)
    return Loader


@dataclass(frozen=True)
class _Block:
    """Where the front matter is: its YAML text, the body after it, their first file lines."""

    yaml_text: str
    yaml_line: int
    body: str
    body_line: int


def split_front_matter(text: str, *, path: str | None = None) -> tuple[PolicyMeta, str, int]:
    """Split ``text`` into typed front matter, the body, and the body's first line (1-based).

    Without front matter the result is ``(PolicyMeta(), text, 1)``. Raises
    :class:`~publisher.errors.PolicyError` (with the file line) for the first problem found:
    malformed YAML, a block that is not a mapping or never closes, a key of the wrong type, an
    invalid date. Use :func:`validate_front_matter` to get every problem at once.
    """
    meta, body, line, errors = _parse(text, path)
    if errors:
        raise errors[0]
    return meta, body, line


def validate_front_matter(text: str, path: str | None = None) -> list[PolicyError]:
    """Every front matter problem of ``text`` (empty when it is fine), for lint."""
    return _parse(text, path)[3]


def _parse(text: str, path: str | None) -> tuple[PolicyMeta, str, int, list[PolicyError]]:
    text = text.removeprefix("\ufeff")
    try:
        block = _find_block(text, path)
    except PolicyError as exc:
        return PolicyMeta(), text, 1, [exc]
    if block is None:
        return PolicyMeta(), text, 1, []
    import yaml  # loaded by _loader()

    errors: list[PolicyError] = []
    loader = _loader()(block.yaml_text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        return PolicyMeta(), block.body, block.body_line, [_yaml_error(exc, block, path)]
    finally:
        loader.dispose()
    if data is None:
        return PolicyMeta(), block.body, block.body_line, []
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        kind = type(data).__name__
        errors.append(
            PolicyError(
                f"front matter must be a mapping of keys to values, not a {kind}",
                path=path,
                line=block.yaml_line,
                hint="write one `key: value` per line, e.g. `title: Terms of Service`",
            )
        )
        return PolicyMeta(), block.body, block.body_line, errors
    lines = _key_lines(node, block, path, errors)
    fields: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in data.items():
        where = lines.get(key, block.yaml_line)
        if not isinstance(key, str):
            extra[key] = value
            continue
        if key in _STRING_KEYS:
            fields[key] = _string(key, value, where, path, errors)
        elif key == "version":
            fields[key] = _version(value, _raw_scalar(node, key), where, path, errors)
        elif key == "effective":
            fields[key] = _effective(value, where, path, errors)
        elif key == "notice_days":
            fields[key] = _notice_days(value, where, path, errors)
        elif key == "reaccept":
            fields[key] = _reaccept(value, where, path, errors)
        else:
            extra[key] = value
    slug = fields.get("slug")
    if slug is not None and not _SLUG.fullmatch(slug):
        errors.append(
            PolicyError(
                f"slug {slug!r} cannot be used in a URL",
                path=path,
                line=lines.get("slug", block.yaml_line),
                hint="use letters, digits, '-', '_' or '.', e.g. `slug: terms-of-service`",
            )
        )
        fields["slug"] = None
    errors.sort(key=lambda error: error.line or 0)
    return PolicyMeta(**fields, extra=extra), block.body, block.body_line, errors


def _find_block(text: str, path: str | None) -> _Block | None:
    first_end = text.find("\n")
    first = text if first_end < 0 else text[:first_end]
    if first.rstrip() != _FENCE_OPEN:
        return None
    pos = len(text) if first_end < 0 else first_end + 1
    line_no = 2
    while pos < len(text):
        end = text.find("\n", pos)
        next_pos = len(text) if end < 0 else end + 1
        if text[pos:next_pos].rstrip() in _FENCE_CLOSE:
            return _Block(text[first_end + 1 : pos], 2, text[next_pos:], line_no + 1)
        pos = next_pos
        line_no += 1
    raise PolicyError(
        "front matter opened with '---' on line 1 is never closed",
        path=path,
        line=1,
        hint="end the front matter with a line '---', or remove the first line "
        "if it was meant as a horizontal rule",
    )


#: Errors whose context is something left open ("while scanning a quoted scalar", "while
#: parsing a flow mapping"): the problem starts where the open thing does (an unclosed quote
#: on line 3 is found only at the end of the block), so that is the line reported.
_OPENED_AT_CONTEXT = ("while scanning", "while parsing a flow")


def _yaml_error(exc: yaml.YAMLError, block: _Block, path: str | None) -> PolicyError:
    context = getattr(exc, "context", None)
    context_mark = getattr(exc, "context_mark", None)
    mark = getattr(exc, "problem_mark", None) or context_mark
    if context_mark is not None and context and context.startswith(_OPENED_AT_CONTEXT):
        mark = context_mark
    line = block.yaml_line + mark.line if mark is not None else block.yaml_line
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if problem.startswith("invalid date"):
        return PolicyError(problem, path=path, line=line, hint=_DATE_HINT)
    if context == "while scanning a quoted scalar":
        return PolicyError(
            "malformed front matter: the quoted value that starts on this line is never closed",
            path=path,
            line=line,
            hint="end the value with the quote it starts with (write '' for a ' inside "
            'single quotes, \\" inside double quotes)',
        )
    message = f"malformed front matter: {context + ', ' if context else ''}{problem}"
    return PolicyError(
        message,
        path=path,
        line=line,
        hint="front matter is YAML: `key: value` per line; quote values that contain ': ' "
        "or start with a special character",
    )


def _key_lines(
    node: yaml.MappingNode, block: _Block, path: str | None, errors: list[PolicyError]
) -> dict[Any, int]:
    import yaml  # loaded: ``node`` is a YAML node

    lines: dict[Any, int] = {}
    for key_node, _value in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            continue
        key = key_node.value
        line = block.yaml_line + key_node.start_mark.line
        if key in lines:
            errors.append(
                PolicyError(
                    f"front matter key {key!r} is given twice (first on line {lines[key]})",
                    path=path,
                    line=line,
                    hint="keep one of them",
                )
            )
        lines[key] = line
    return lines


def _raw_scalar(node: yaml.MappingNode, key: str) -> str | None:
    import yaml  # loaded: ``node`` is a YAML node

    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return value_node.value if isinstance(value_node, yaml.ScalarNode) else None
    return None


def _type_error(
    key: str, value: Any, want: str, line: int, path: str | None, hint: str
) -> PolicyError:
    return PolicyError(
        f"front matter {key!r} must be {want}, not {type(value).__name__} {value!r}",
        path=path,
        line=line,
        hint=hint,
    )


def _string(
    key: str, value: Any, line: int, path: str | None, errors: list[PolicyError]
) -> str | None:
    if value is None or isinstance(value, str):
        return value
    errors.append(
        _type_error(key, value, "a string", line, path, f'quote the value: `{key}: "..."`')
    )
    return None


def _version(
    value: Any, raw: str | None, line: int, path: str | None, errors: list[PolicyError]
) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        # Keep the label as written: `version: 1.10` is "1.10", not the float 1.1.
        return raw if raw else str(value)
    errors.append(
        _type_error(
            "version",
            value,
            "a label (string or number)",
            line,
            path,
            'quote the value: `version: "2"`',
        )
    )
    return None


def _effective(value: Any, line: int, path: str | None, errors: list[PolicyError]) -> date | None:
    hint = _DATE_HINT
    if value is None:
        return None
    if isinstance(value, datetime):
        errors.append(_type_error("effective", value, "a date without a time", line, path, hint))
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError as exc:
            errors.append(
                PolicyError(
                    f"invalid date {value!r} for 'effective': {exc}",
                    path=path,
                    line=line,
                    hint=hint,
                )
            )
            return None
    errors.append(_type_error("effective", value, "a date YYYY-MM-DD", line, path, hint))
    return None


def _reaccept(value: Any, line: int, path: str | None, errors: list[PolicyError]) -> str | None:
    from publisher.acceptance_rules import parse_mode

    if value is None:
        return None
    mode = parse_mode(value)
    if mode is None:
        errors.append(
            _type_error(
                "reaccept",
                value,
                "one of material, always or never",
                line,
                path,
                "e.g. `reaccept: material` (the default: only "
                "material changes need a new acceptance)",
            )
        )
    return mode


def _notice_days(value: Any, line: int, path: str | None, errors: list[PolicyError]) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    errors.append(
        _type_error(
            "notice_days",
            value,
            "a whole number of days (0 or more)",
            line,
            path,
            "e.g. `notice_days: 30`",
        )
    )
    return None
