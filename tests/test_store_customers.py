"""Customers CSV: validation of every row with line numbers, all-or-nothing import, updates."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from publisher.cli import main
from publisher.store.customers import (
    CustomerFileError,
    import_file,
    list_customers,
    parse_customers,
    read_customers,
    valid_email,
)
from publisher.store.db import Database

GOOD = """id,email,name,company,locale
c1,ada@example.com,Ada Lovelace,Analytical Ltd,en-GB
c2,bob@example.org,Bob Stone,"Stone & Co, Ltd",
c3,cy@example.net,Cy Young,,pt_BR
"""

BAD = """id,email,name,company
c1,ada@example.com,Ada Lovelace,Analytical Ltd
c2,bob@,Bob Stone,Stone & Co
c1,other@example.com,Ada Again,X
,nobody@example.com,,Y
c5,eve@example.com,Eve
c6,fay@example.com,"Fay
Multi-line",not@email
c7,gus@example.com,Gus,Acme
c8,"h"@example.com,H,H
c9,ivy@example.com,Ivy,Ivy Co
"""


def test_valid_file_parses_every_row() -> None:
    parsed = parse_customers(GOOD)
    assert parsed.ok
    assert [(r.line, r.id, r.company, r.locale) for r in parsed.rows] == [
        (2, "c1", "Analytical Ltd", "en-GB"),
        (3, "c2", "Stone & Co, Ltd", None),
        (4, "c3", "", "pt_BR"),
    ]


def test_every_bad_row_is_reported_with_its_line() -> None:
    parsed = parse_customers(BAD)
    assert [(p.line, p.message) for p in parsed.problems] == [
        (3, "invalid email 'bob@'"),
        (4, "duplicate id 'c1' (first on line 2)"),
        (5, "missing id; missing name"),
        (6, "expected 4 fields (id,email,name,company), found 3"),
        (7, "name contains a line break or control character"),
        (10, "not valid CSV: ',' expected after '\"'"),
    ]
    assert [r.id for r in parsed.rows] == ["c1", "c7", "c9"]
    assert [r.line for r in parsed.rows] == [2, 9, 11]  # the quoted newline is counted


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty file"),
        ("email,name,company\n", "1 missing column: id"),
        ("id,email,name,company,phone\n", "1 unknown column: 'phone'"),
        ("id,email,name,company,id\n", "1 repeated column: id"),
    ],
)
def test_header_problems(text: str, message: str) -> None:
    problems = parse_customers(text).problems
    assert problems and problems[0].line == 1 and message in problems[0].message


def test_header_is_case_and_space_insensitive_and_blank_lines_are_skipped() -> None:
    parsed = parse_customers(" ID , Email ,NAME,Company\n\nc1,a@example.com,A,B\n\n")
    assert parsed.ok and [r.id for r in parsed.rows] == ["c1"]


@pytest.mark.parametrize(
    ("address", "ok"),
    [
        ("a@example.com", True),
        ("first.last+tag@sub.example.co.uk", True),
        ("a@b", False),
        ("a b@example.com", False),
        ("a@@example.com", False),
        ("a..b@example.com", False),
        (".a@example.com", False),
        ("a@-example.com", False),
        ("x" * 65 + "@example.com", False),
    ],
)
def test_email_syntax(address: str, ok: bool) -> None:
    assert valid_email(address) is ok


def test_bom_and_non_utf8(tmp_path: Path) -> None:
    with_bom = tmp_path / "bom.csv"
    with_bom.write_bytes("\ufeff".encode() + GOOD.encode())
    assert read_customers(with_bom).ok
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"id,email,name,company\nc1,a@example.com,Ren\xe9,X\n")
    with pytest.raises(CustomerFileError) as caught:
        read_customers(latin)
    assert caught.value.location == f"{latin}:2"


def test_invalid_file_imports_nothing_unless_skip_invalid(
    database: Database, tmp_path: Path
) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(BAD)
    with pytest.raises(CustomerFileError) as caught:
        import_file(database, path)
    assert len(caught.value.problems) == 6
    assert f"{path}:3: invalid email 'bob@'" in str(caught.value)
    assert list_customers(database) == []
    result = import_file(database, path, skip_invalid=True)
    assert (result.created, result.updated, len(result.skipped)) == (3, 0, 6)
    assert [c.id for c in list_customers(database)] == ["c1", "c7", "c9"]


def test_reimport_updates_changed_customers(database: Database, tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(GOOD)
    first = import_file(database, path)
    assert (first.created, first.updated, first.unchanged) == (3, 0, 0)
    path.write_text(GOOD.replace("Bob Stone", "Robert Stone") + "c4,d@example.com,Di,D\n")
    second = import_file(database, path)
    assert (second.created, second.updated, second.unchanged) == (1, 1, 2)
    names = {c.id: c.name for c in list_customers(database)}
    assert names == {"c1": "Ada Lovelace", "c2": "Robert Stone", "c3": "Cy Young", "c4": "Di"}


def test_large_import_is_batched(database: Database, tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    rows = "".join(f"k{i},k{i}@example.com,K {i},Co\n" for i in range(2500))
    path.write_text("id,email,name,company\n" + rows)
    assert import_file(database, path).created == 2500
    path.write_text("id,email,name,company\n" + rows.replace("Co\n", "Co2\n"))
    assert import_file(database, path).updated == 2500


def test_cli_reports_all_bad_rows_and_exits_2(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(BAD)
    runner = CliRunner()
    result = runner.invoke(
        main,
        ["-C", str(tmp_path), "customers", "import", str(path), "--database-url", database_url],
    )
    assert result.exit_code == 2, result.output
    assert "6 invalid rows; nothing was imported" in result.stderr
    assert f"{path}:6: expected 4 fields" in result.stderr
    assert "--skip-invalid" in result.stderr
    assert "Traceback" not in result.output
    result = runner.invoke(
        main,
        [
            "-C",
            str(tmp_path),
            "customers",
            "import",
            str(path),
            "--skip-invalid",
            "--database-url",
            database_url,
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"skipped {path}:3: invalid email 'bob@'" in result.stderr
    assert result.stdout == f"{path}: 3 created, 0 updated, 0 unchanged, 6 invalid rows skipped\n"
    listed = runner.invoke(
        main, ["-C", str(tmp_path), "customers", "list", "--database-url", database_url]
    )
    assert listed.stdout.splitlines() == [
        "c1  Ada Lovelace <ada@example.com>, Analytical Ltd",
        "c7  Gus <gus@example.com>, Acme",
        "c9  Ivy <ivy@example.com>, Ivy Co",
    ]


def test_cli_on_a_new_database_says_it_created_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(GOOD)
    result = CliRunner().invoke(
        main, ["-C", str(tmp_path), "customers", "import", str(path), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert "created schema" in result.stderr
    assert '"created": 3' in result.stdout
    assert (tmp_path / ".publisher" / "publisher.db").is_file()
