"""The shared fixtures (tests/fixtures/*.py) and the rule that test modules share helpers
through fixtures and ``*_support`` modules, never by importing another ``test_*`` module."""

from __future__ import annotations

import ast
from pathlib import Path

from sqlalchemy import text
from store_support import seed

from publisher.store import migrate
from publisher.store.db import Database

TESTS = Path(__file__).resolve().parent


def test_each_test_gets_an_empty_database_at_head(database: Database) -> None:
    assert migrate.current_revision(database) == migrate.head_revision()
    with database.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM customers")).scalar() == 0
        head = connection.execute(text("SELECT seq, hash FROM chain_head")).one()
    assert tuple(head) == (0, "0" * 64)


def test_seed_is_visible_through_a_second_connection(database: Database, tmp_path: Path) -> None:
    seed(database)
    other = Database.from_url(database.url.render_as_string(hide_password=False), root=tmp_path)
    try:
        with other.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM customers")).scalar() == 3
    finally:
        other.dispose()


def imported_test_modules(source: str) -> list[str]:
    """The ``test_*`` modules that ``source`` imports, anywhere in the file."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module]
        else:
            continue
        found += [n for n in names if n.split(".")[-1].startswith("test_")]
    return found


def test_the_import_check_sees_every_form_of_import() -> None:
    source = (
        "import test_a\nimport test_b as b\nfrom test_c import x\n"
        "def f():\n    from fixtures.test_d import y\n"
        "import store_support\nfrom conftest import C\n"
    )
    assert imported_test_modules(source) == [
        "test_a",
        "test_b",
        "test_c",
        "fixtures.test_d",
    ]


def test_no_test_module_imports_a_test_module() -> None:
    offenders = {
        str(path.relative_to(TESTS)): names
        for path in sorted(TESTS.rglob("*.py"))
        if (names := imported_test_modules(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}, (
        "share helpers through a fixture (tests/fixtures/) or a *_support module, "
        f"not by importing a test module: {offenders}"
    )
