"""Customer names and companies that would read differently from what they are: bidirectional
overrides (U+202E…) and zero-width characters are refused on import, with file:line; joiners
inside Persian, Indic or emoji text are kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from publisher.cli import main
from publisher.store.customers import parse_customers
from publisher.textsafety import invisible_problem, text_problem

HEADER = "id,email,name,company\n"


@pytest.mark.parametrize(
    ("name", "company", "reason"),
    [
        ("Ada \u202eecalevoL", "Analytical", "bidirectional control U+202E"),
        ("Ada", "Acme\u202d Ltd", "bidirectional control U+202D"),
        ("Ada", "\u2066Acme\u2069", "bidirectional control U+2066"),
        ("Ada\u200fLovelace", "", "bidirectional control U+200F"),
        ("Ad\u200ba", "", "invisible character U+200B"),
        ("Ada", "Ac\u2060me", "invisible character U+2060"),
        ("\ufeffAda", "", "invisible character U+FEFF"),
        ("Mic\u200drosoft", "", "U+200D outside a word"),
        ("Ada", "Acme\u200c", "U+200C outside a word"),
    ],
)
def test_invisible_characters_are_refused_with_their_line(
    name: str, company: str, reason: str
) -> None:
    text = (
        HEADER
        + "c1,ada@example.com,Ada Lovelace,Analytical\n"
        + f"c2,bob@example.com,{name},{company}\n"
    )
    parsed = parse_customers(text)
    assert [r.id for r in parsed.rows] == ["c1"]
    (problem,) = parsed.problems
    assert problem.line == 3 and reason in problem.message
    assert ("name" if reason in (invisible_problem(name) or "") else "company") in problem.message


@pytest.mark.parametrize(
    "name",
    [
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian with ZWNJ between letters
        "\u0915\u094d\u200d\u0937",  # Devanagari with ZWJ
        "\U0001f469\u200d\U0001f4bb Studio",  # an emoji ZWJ sequence
        "\u05e9\u05dc\u05d5\u05dd Ltd",  # Hebrew, right-to-left by itself: no control needed
    ],
)
def test_joiners_inside_words_and_rtl_text_are_kept(name: str) -> None:
    parsed = parse_customers(HEADER + f"c1,ada@example.com,{name},\n")
    assert parsed.problems == () and parsed.rows[0].name == name


def test_text_problem_limits() -> None:
    assert text_problem("ok", limit=2) is None
    assert text_problem("too long", limit=3) == "is longer than 3 characters"
    assert text_problem("", limit=3) == "is empty"
    assert text_problem("", limit=3, required=False) is None
    assert "surrogate" in (text_problem("\ud800", limit=3) or "")
    assert "control" in (text_problem("a\x85", limit=3) or "")


def test_cli_import_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(
        HEADER + "c1,ada@example.com,Ada,Acme\nc2,bob@example.com,Bob,\u202egnikcaH\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        main,
        [
            "-C",
            str(tmp_path),
            "customers",
            "import",
            str(path),
            "--database-url",
            f"sqlite:///{tmp_path / 's.db'}",
        ],
    )
    assert result.exit_code == 2, result.output
    assert f"{path}:3: company contains the bidirectional control U+202E" in result.stderr
    assert "Traceback" not in result.output
