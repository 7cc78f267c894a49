"""Schema migrations up and down on SQLite and PostgreSQL; opening databases and bad URLs."""

from __future__ import annotations

from pathlib import Path

import pytest
import store_support as support
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from publisher.config import load_settings
from publisher.store import migrate
from publisher.store.db import Database, StoreError, parse_url
from publisher.store.models import Base

TABLES = {
    "customers",
    "policy_versions",
    "notices",
    "deliveries",
    "delivery_events",
    "acceptances",
    "chain_head",
    "app_acceptances",
    "webhook_endpoints",
    "webhook_deliveries",
    "personal_data",
    "receipts",
    "receipt_cursor",
    "translations",
    "status_marks",
    migrate.VERSION_TABLE,
}


def _tables(db: Database) -> set[str]:
    with db.engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def test_upgrade_and_downgrade_step_by_step(database_url: str, tmp_path: Path) -> None:
    db = Database.from_url(database_url, root=tmp_path)
    try:
        assert migrate.current_revision(db) is None
        assert migrate.is_new(db)
        ids = [r.id for r in migrate.revisions()]
        assert ids[-1] == migrate.head_revision()
        for revision in ids:
            migrate.upgrade(db, revision)
            assert migrate.current_revision(db) == revision
        assert _tables(db) == TABLES
        for previous in reversed([None, *ids[:-1]]):
            migrate.downgrade(db, "-1")
            assert migrate.current_revision(db) == previous
        assert _tables(db) <= {migrate.VERSION_TABLE}
        before, after = migrate.upgrade(db)
        assert (before, after) == (None, migrate.head_revision())
    finally:
        db.dispose()


def test_models_match_the_migrations(database: Database) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"version_table": migrate.VERSION_TABLE}
        )
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_downgrade_keeps_data_of_earlier_revisions(database: Database) -> None:
    support.seed(database)
    migrate.downgrade(database, "0001_initial")
    migrate.upgrade(database)
    with database.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM customers")).scalar() == 3


def test_append_only_guard_refuses_update_and_delete(database: Database) -> None:
    from publisher.store.ledger import record_acceptance

    support.seed(database)
    record_acceptance(
        database, customer_id="c1", policy="acceptable-use", version="1", method="link"
    )
    for statement in ("UPDATE acceptances SET ip = '6.6.6.6'", "DELETE FROM acceptances"):
        with pytest.raises(DBAPIError, match="append-only"), database.engine.begin() as c:
            c.execute(text(statement))
    with database.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM acceptances")).scalar() == 1


def test_new_database_gets_its_schema_and_says_so(database_url: str, tmp_path: Path) -> None:
    settings = load_settings(tmp_path, env={}, overrides={"database_url": database_url})
    messages: list[str] = []
    db = migrate.open_store(settings, notify=messages.append)
    db.dispose()
    assert len(messages) == 1 and "created schema" in messages[0]
    db = migrate.open_store(settings, notify=messages.append)
    db.dispose()
    assert len(messages) == 1  # nothing to say the second time


def test_database_behind_head_is_not_upgraded_silently(database_url: str, tmp_path: Path) -> None:
    db = Database.from_url(database_url, root=tmp_path)
    try:
        migrate.upgrade(db, "0001_initial")
        with pytest.raises(StoreError, match="publisher db upgrade"):
            migrate.ensure_schema(db)
        assert migrate.current_revision(db) == "0001_initial"
    finally:
        db.dispose()


def test_foreign_tables_without_revision_are_refused(database_url: str, tmp_path: Path) -> None:
    db = Database.from_url(database_url, root=tmp_path)
    try:
        with db.engine.begin() as connection:
            connection.execute(text("CREATE TABLE customers (id INTEGER)"))
        with pytest.raises(StoreError, match="no publisher schema revision"):
            migrate.ensure_schema(db)
    finally:
        db.dispose()


def test_default_sqlite_file_is_relative_to_the_repository(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, env={})
    db = migrate.open_store(settings)
    db.dispose()
    assert (tmp_path / ".publisher" / "publisher.db").is_file()
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "invalid database URL"),
        ("mysql://root@localhost/x", "unsupported database 'mysql'"),
        ("sqlite://", "needs a SQLite file"),
        ("sqlite:///:memory:", "needs a SQLite file"),
        ("postgresql+psycopg://nobody:secret@127.0.0.1:1/nothing", "cannot connect to"),
    ],
)
def test_bad_database_urls_are_one_line_errors(url: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(StoreError) as caught:
        Database.from_url(url, root=tmp_path)
    assert message in caught.value.message
    assert "\n" not in caught.value.message
    assert "secret" not in str(caught.value)


def test_unwritable_sqlite_folder_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / ".publisher").write_text("x")
    with pytest.raises(StoreError, match="cannot create the folder"):
        Database.from_url("sqlite:///.publisher/sub/store.db", root=tmp_path)


def test_plain_postgresql_scheme_means_psycopg(tmp_path: Path) -> None:
    url = parse_url("postgresql://u@h/db", root=tmp_path)
    assert url.drivername == "postgresql+psycopg"


def test_a_missing_folder_outside_publisher_s_own_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"folder .*nowhere/deeper does not exist"):
        Database.from_url(f"sqlite:///{tmp_path}/nowhere/deeper/store.db", root=tmp_path)
    assert not (tmp_path / "nowhere").exists()


def test_publisher_s_own_folder_is_created_for_a_new_store(tmp_path: Path) -> None:
    db = Database.from_url("sqlite:///.publisher/demo/store.db", root=tmp_path)
    db.dispose()
    assert (tmp_path / ".publisher" / "demo").is_dir()


def test_opening_to_read_never_creates_a_database(tmp_path: Path) -> None:
    for url in (
        f"sqlite:///{tmp_path}/typo.db",
        "sqlite:///.publisher/publisher.db",
        f"sqlite:///{tmp_path}/missing/dir/x.db",
    ):
        with pytest.raises(StoreError, match="no database at") as caught:
            Database.from_url(url, root=tmp_path, create=False)
        assert "publisher db upgrade" in (caught.value.hint or "")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_opening_to_read_refuses_a_database_without_schema(
    database_url: str, tmp_path: Path
) -> None:
    settings = load_settings(tmp_path, env={}, overrides={"database_url": database_url})
    if database_url.startswith("sqlite"):
        Path(database_url.removeprefix("sqlite:///")).touch()
    with pytest.raises(StoreError, match="has no publisher schema") as caught:
        migrate.open_store(settings, create=False)
    assert "publisher db upgrade" in (caught.value.hint or "")
    db = Database.from_url(database_url, root=tmp_path)
    try:
        assert migrate.is_new(db)
    finally:
        db.dispose()


def test_downgrade_refuses_while_acceptance_or_notice_records_exist(database: Database) -> None:
    from publisher.store.ledger import record_acceptance

    support.seed(database)
    record_acceptance(
        database, customer_id="c1", policy="acceptable-use", version="1", method="link"
    )
    assert migrate.records_at_risk(database) == {"acceptances": 1}
    for target in ("-1", "base"):
        with pytest.raises(StoreError, match=r"holds 1 acceptance record(?!s)") as caught:
            migrate.downgrade(database, target)
        assert "--force" in (caught.value.hint or "")
        assert migrate.current_revision(database) == migrate.head_revision()
    before, after = migrate.downgrade(database, "-1", force=True)
    assert (before, after) == (migrate.head_revision(), migrate.revisions()[-2].id)
