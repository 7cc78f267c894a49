"""Schema migrations: the Alembic revisions shipped in ``publisher/store/migrations``.

``publisher db upgrade|downgrade|current`` call these functions. Commands that write to the
store call :func:`open_store`, which creates the schema of a brand-new database by itself (and
says so) but never upgrades an existing one behind the user's back: that stops with a hint to
run ``publisher db upgrade``. Commands that only read pass ``create=False``: they never create
a database or a schema.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, inspect, text

from publisher.config import Settings
from publisher.counting import counted
from publisher.store.db import Database, StoreError

VERSION_TABLE = "publisher_schema_version"
"""Where Alembic records the schema revision (named so it can share a database)."""

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_PG_MIGRATION_LOCK = 0x7075_626C  # "publ": serialises concurrent auto-upgrades on PostgreSQL
_OUR_TABLES = ("customers", "policy_versions", "acceptances", "chain_head")
_PROTECTED_TABLES = {
    "acceptances": ("acceptance record", "acceptance records"),
    "notices": ("notice", "notices"),
    "deliveries": ("notice delivery", "notice deliveries"),
    "delivery_events": ("delivery event", "delivery events"),
}
"""Tables whose rows a downgrade refuses to risk without --force (names are constants: the
count query is built from them, never from input)."""


@dataclass(frozen=True)
class Revision:
    """One schema revision: its id and the first line of its description."""

    id: str
    description: str


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def head_revision() -> str:
    """The newest schema revision this version of publisher knows."""
    head = _scripts().get_current_head()
    assert head is not None, "no migrations shipped"
    return head


def revisions() -> list[Revision]:
    """Every schema revision, oldest first."""
    found = [
        Revision(script.revision, (script.doc or "").splitlines()[0] if script.doc else "")
        for script in _scripts().walk_revisions()
    ]
    return list(reversed(found))


def current_revision(database: Database) -> str | None:
    """The database's schema revision, or None when it has none (new or unmanaged)."""
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()


def is_new(database: Database) -> bool:
    """True when the database holds none of our tables and no schema revision."""
    with database.engine.connect() as connection:
        names = set(inspect(connection).get_table_names())
    return VERSION_TABLE not in names and not names.intersection(_OUR_TABLES)


@contextmanager
def _migration_connection(database: Database) -> Iterator[Connection]:
    with database.engine.connect() as connection:
        postgres = database.dialect == "postgresql"
        if postgres:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
            connection.commit()
        try:
            yield connection
        finally:
            if postgres:
                connection.rollback()
                connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": _PG_MIGRATION_LOCK}
                )
                connection.commit()


def _run(database: Database, action: Callable[[Config], None]) -> None:
    try:
        with _migration_connection(database) as connection:
            action(_config(connection))
    except CommandError as exc:
        raise StoreError(f"migration failed: {exc}", hint="see `publisher db history`") from exc


def upgrade(database: Database, revision: str = "head") -> tuple[str | None, str | None]:
    """Upgrade the schema to ``revision``; returns (revision before, revision after)."""
    before = current_revision(database)
    _run(database, lambda config: command.upgrade(config, revision))
    return before, current_revision(database)


def records_at_risk(database: Database) -> dict[str, int]:
    """Rows a downgrade may destroy: acceptance records and the notice outbox, by table
    (tables that are empty or absent are left out)."""
    with database.engine.connect() as connection:
        present = set(inspect(connection).get_table_names())
        counts = {
            table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in _PROTECTED_TABLES
            if table in present
        }
    return {table: count for table, count in counts.items() if count}


def _describe_records(counts: dict[str, int]) -> str:
    return ", ".join(counted(count, *_PROTECTED_TABLES[table]) for table, count in counts.items())


def downgrade(
    database: Database,
    revision: str = "-1",
    *,
    force: bool = False,
    confirm: Callable[[str], None] | None = None,
) -> tuple[str | None, str | None]:
    """Downgrade the schema to ``revision`` (``-1`` = one step, ``base`` = drop everything).

    Refused while the store holds acceptance or notice records (a downgrade drops tables or
    columns, and the ledger is the evidence), unless ``force``. ``confirm`` is called with a
    question after those checks and before anything changes; it raises to stop.
    """
    before = current_revision(database)
    if before is None:
        raise StoreError(
            f"{database.describe()} has no schema to downgrade",
            hint="run `publisher db current` to see the revision",
        )
    at_risk = records_at_risk(database)
    if at_risk and not force:
        raise StoreError(
            f"refusing to downgrade {database.describe()}: it holds {_describe_records(at_risk)}",
            hint="a downgrade can drop them; back up the database first (copy the SQLite "
            "file, or pg_dump), then pass --force",
        )
    if confirm is not None:
        confirm(
            f"Downgrade {database.describe()} from {before} to {revision}? This drops tables "
            "or columns; back up the database first."
        )
    _run(database, lambda config: command.downgrade(config, revision))
    return before, current_revision(database)


def ensure_schema(
    database: Database, *, notify: Callable[[str], None] | None = None, create: bool = True
) -> None:
    """Create the schema of a new database; refuse one whose schema is not at head.

    ``notify`` receives a one-line message when the schema is created (the CLI prints it on
    stderr). With ``create=False`` (commands that only read) a database without our schema
    is refused instead.
    """
    head = head_revision()
    current = current_revision(database)
    if current == head:
        return
    if current is None:
        if not is_new(database):
            raise StoreError(
                f"{database.describe()} has tables but no publisher schema revision",
                hint="point database_url at an empty database or one created by publisher",
            )
        if not create:
            raise StoreError(
                f"{database.describe()} has no publisher schema",
                hint="run `publisher db upgrade` to create it, or check the setting "
                "database_url (env PUBLISHER_DATABASE_URL, flag --database-url)",
            )
        upgrade(database, "head")
        if notify is not None:
            notify(f"new database {database.describe()}: created schema (revision {head})")
        return
    known = {r.id for r in revisions()}
    if current not in known:
        raise StoreError(
            f"{database.describe()} is at schema revision {current}, "
            "which this version of publisher does not know",
            hint="upgrade publisher, or use the database with the version that created it",
        )
    raise StoreError(
        f"{database.describe()} is at schema revision {current}; this publisher needs {head}",
        hint="run `publisher db upgrade` (back up the database first)",
    )


def open_store(
    settings: Settings, *, notify: Callable[[str], None] | None = None, create: bool = True
) -> Database:
    """Open the store named by the settings, creating the schema when the database is new.

    With ``create=False`` (commands that only read) nothing is created: a missing database
    or one without our schema is a StoreError that says to run ``publisher db upgrade``.
    """
    database = Database.from_settings(settings, create=create)
    try:
        ensure_schema(database, notify=notify, create=create)
    except BaseException:
        database.dispose()
        raise
    return database
