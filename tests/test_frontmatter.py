"""Front matter: splitting, typing, and errors that point at the right file line."""

from __future__ import annotations

from datetime import date

import pytest

from publisher.errors import PolicyError
from publisher.frontmatter import split_front_matter, validate_front_matter


def test_no_front_matter_returns_text_unchanged() -> None:
    meta, body, line = split_front_matter("# Title\n\nText.\n")
    assert meta.title is None and meta.extra == {}
    assert body == "# Title\n\nText.\n"
    assert line == 1


def test_typed_keys_and_body_start_line() -> None:
    text = (
        "---\n"
        "title: Terms of Service\n"
        "slug: terms-of-service\n"
        "version: '4'\n"
        "effective: 2024-03-01\n"
        "summary: Clearer refund rules.\n"
        "notice_days: 45\n"
        "---\n"
        "Body line.\n"
    )
    meta, body, line = split_front_matter(text)
    assert meta.title == "Terms of Service"
    assert meta.slug == "terms-of-service"
    assert meta.version == "4"
    assert meta.effective == date(2024, 3, 1)
    assert meta.summary == "Clearer refund rules."
    assert meta.notice_days == 45
    assert body == "Body line.\n"
    assert line == 9


def test_numeric_version_is_kept_as_written() -> None:
    meta, _, _ = split_front_matter("---\nversion: 2\n---\n")
    assert meta.version == "2"
    meta, _, _ = split_front_matter("---\nversion: 1.10\n---\n")
    assert meta.version == "1.10"


def test_effective_may_be_a_quoted_string() -> None:
    meta, _, _ = split_front_matter("---\neffective: '2024-02-29'\n---\n")
    assert meta.effective == date(2024, 2, 29)


def test_unknown_keys_go_to_extra_untouched() -> None:
    text = "---\ntitle: T\nredirect_from:\n  - /tos\n  - /terms\nversions:\n  fpt: '*'\n---\nx\n"
    meta, _, _ = split_front_matter(text)
    assert meta.extra == {"redirect_from": ["/tos", "/terms"], "versions": {"fpt": "*"}}


def test_empty_front_matter_and_dots_terminator() -> None:
    assert split_front_matter("---\n---\nbody\n")[1:] == ("body\n", 3)
    meta, body, line = split_front_matter("---\ntitle: T\n...\nbody\n")
    assert (meta.title, body, line) == ("T", "body\n", 4)


def test_crlf_and_bom() -> None:
    text = "\ufeff---\r\ntitle: T\r\nversion: 3\r\n---\r\nBody\r\n"
    meta, body, line = split_front_matter(text)
    assert (meta.title, meta.version) == ("T", "3")
    assert body == "Body\r\n"
    assert line == 5


def _error(text: str) -> PolicyError:
    with pytest.raises(PolicyError) as info:
        split_front_matter(text, path="policies/tos.md")
    return info.value


def test_malformed_yaml_names_the_file_line() -> None:
    error = _error("---\ntitle: ok\nsummary: [unclosed\nversion: 2\n---\nbody\n")
    assert error.path == "policies/tos.md"
    assert error.line == 3  # where the unclosed flow sequence starts (issue 12 item 10)
    assert "malformed front matter" in error.message
    assert error.hint

    error = _error("---\ntitle: a\n  nested: b\n---\n")
    assert error.line == 3
    assert str(error).startswith("policies/tos.md:3: malformed front matter")


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        # An unclosed quote on line 3 was reported at line 6, where YAML ran out of text.
        (
            '---\ntitle: Terms\nsummary: "Adds a rule\nversion: 2\neffective: 2024-01-01\n---\nx\n',
            3,
            "never closed",
        ),
        ("---\ntitle: Terms\nversion: 2\nsummary: 'Adds\n\nslug: t\n---\nx\n", 4, "never closed"),
        ("---\ntitle: [Terms\nversion: 2\nslug: a\n---\nx\n", 2, "flow sequence"),
        ("---\ntitle: T\nversion: 2\nsummary: {a: b\n\nslug: s\n---\nx\n", 4, "flow mapping"),
        ("---\ntitle: T\nsummary: Adds: a rule\nversion: 2\n---\nx\n", 3, "mapping values"),
        ("---\ntitle: T\n  version: 2\nslug: x\n---\nx\n", 3, "mapping values"),
        ("---\ntitle: T\n- a\nversion: 2\n---\nx\n", 3, "did not find expected key"),
        ("---\ntitle: T\nsummary: x\nversion: *v\n---\nx\n", 4, "undefined alias"),
    ],
)
def test_malformed_front_matter_points_where_the_problem_starts(
    text: str, line: int, says: str
) -> None:
    error = _error(text)
    assert (error.line, error.path) == (line, "policies/tos.md"), error.message
    assert says in error.message
    assert error.hint


def test_non_mapping_front_matter() -> None:
    error = _error("---\n- a\n- b\n---\nbody\n")
    assert error.line == 2
    assert "mapping" in error.message and "list" in error.message


def test_unterminated_front_matter() -> None:
    error = _error("---\ntitle: T\n\n# Heading\n")
    assert error.line == 1
    assert "never closed" in error.message


@pytest.mark.parametrize(
    ("line", "key", "want"),
    [
        ("title: 3", "title", "a string"),
        ("slug: [a, b]", "slug", "a string"),
        ("summary: {a: 1}", "summary", "a string"),
        ("version: true", "version", "a label"),
        ("notice_days: -1", "notice_days", "whole number"),
        ("notice_days: '30'", "notice_days", "whole number"),
        ("notice_days: 1.5", "notice_days", "whole number"),
        ("reaccept: sometimes", "reaccept", "material, always or never"),
        ("reaccept: true", "reaccept", "material, always or never"),
        ("effective: tomorrow", "effective", "a date"),
        ("effective: 2024-03-01 10:00:00", "effective", "without a time"),
    ],
)
def test_wrong_types(line: str, key: str, want: str) -> None:
    error = _error(f"---\nredirect_from: /x\n{line}\n---\nbody\n")
    assert error.line == 3
    assert repr(key) in error.message and want in error.message


@pytest.mark.parametrize("value", ["2024-02-30", "'2024-02-30'", "2023-13-01"])
def test_invalid_calendar_dates(value: str) -> None:
    error = _error(f"---\ntitle: T\nversion: '1'\neffective: {value}\n---\n")
    assert error.line == 4
    assert "invalid date" in error.message
    assert "YYYY-MM-DD" in (error.hint or "")


def test_slug_must_fit_in_a_url() -> None:
    error = _error("---\nslug: terms of service\n---\n")
    assert error.line == 2 and "URL" in error.message


def test_validate_reports_every_problem_in_line_order() -> None:
    text = "---\nnotice_days: x\ntitle: 5\neffective: 2024-04-31\n---\n"
    errors = validate_front_matter(text, "p.md")
    # The invalid date stops YAML construction, so it is reported alone.
    assert [e.line for e in errors] == [4]
    text = "---\nnotice_days: x\ntitle: 5\nslug: a/b\ntitle: ok\n---\n"
    errors = validate_front_matter(text, "p.md")
    assert [e.line for e in errors] == [2, 4, 5]
    assert "twice" in errors[2].message
    assert validate_front_matter("---\ntitle: T\n---\n", "p.md") == []


@pytest.mark.parametrize("value", ["material", "always", "never", "Never"])
def test_reaccept_modes(value: str) -> None:
    meta, _, _ = split_front_matter(f"---\nreaccept: {value}\n---\nbody\n")
    assert meta.reaccept == value.lower()
