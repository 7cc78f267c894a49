"""``publisher db``: schema migrations and the policy-version copy in the store.

Also the helpers every store command shares: the ``--database-url`` flag and
:func:`open_database`, which creates the schema of a new database and says so on stderr (or,
for commands that only read, refuses a missing one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from publisher.cli.app import FORMAT_OPTION, App, echo_json, pass_app
from publisher.config import Settings
from publisher.errors import GitError
from publisher.store import migrate
from publisher.store.db import Database
from publisher.store.versions import stored_versions, sync_versions

F = TypeVar("F", bound=Callable[..., Any])


def database_url_option(function: F) -> F:
    """The ``--database-url URL`` flag (setting database_url, env PUBLISHER_DATABASE_URL)."""
    return click.option(
        "--database-url",
        metavar="URL",
        default=None,
        help="SQLAlchemy URL of the store (setting database_url; default "
        "sqlite:///.publisher/publisher.db).",
    )(function)


def store_settings(app: App, database_url: str | None) -> Settings:
    """The settings with ``--database-url`` applied when given."""
    return app.with_overrides(database_url=database_url) if database_url else app.settings


def notify(message: str) -> None:
    """Messages go to stderr (stdout is for results)."""
    click.echo(message, err=True)


def sync_policy(database: Database, settings: Settings, slug: str) -> None:
    """Copy one policy's versions from git into the store; without git (e.g. the service's
    host has only the database), fall back to what is stored, with a warning."""
    try:
        sync_versions(database, settings, slugs=[slug])
    except GitError as exc:
        if not stored_versions(database, slug=slug):
            raise
        notify(f"warning: versions not refreshed from git ({exc.message}); using the stored ones")


def open_database(app: App, database_url: str | None, *, create: bool = True) -> Database:
    """Open the store; a new database gets its schema (with a note on stderr).

    Commands that only read pass ``create=False``: a missing database (a typo in the URL)
    is then an error that says so, never a new empty store.
    """
    return migrate.open_store(store_settings(app, database_url), notify=notify, create=create)


@click.group("db")
def db_group() -> None:
    """The acceptance store: schema migrations and policy versions."""


@db_group.command("upgrade")
@click.option("--to", "revision", default="head", show_default=True, help="Target revision.")
@database_url_option
@FORMAT_OPTION
@pass_app
def upgrade_command(app: App, revision: str, database_url: str | None, fmt: str) -> None:
    """Upgrade the database schema (creates it in a new database)."""
    with Database.from_settings(store_settings(app, database_url)) as database:
        before, after = migrate.upgrade(database, revision)
    if fmt == "json":
        echo_json(
            {
                "database": database.describe(),
                "before": before,
                "after": after,
                "changed": before != after,
            }
        )
    elif before == after:
        click.echo(f"{database.describe()}: already at revision {after}")
    else:
        click.echo(f"{database.describe()}: upgraded {before or 'empty'} -> {after}")


def _confirm(question: str) -> None:
    """Ask on stderr; anything but yes aborts (exit 1)."""
    click.confirm(question, abort=True, err=True)


@db_group.command("downgrade")
@click.option(
    "--to",
    "revision",
    default="-1",
    show_default=True,
    help="Target revision: -1 is one step back, base removes every table.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Downgrade even though the store holds acceptance or notice records "
    "(a downgrade can drop them: back up first).",
)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@database_url_option
@FORMAT_OPTION
@pass_app
def downgrade_command(
    app: App, revision: str, force: bool, yes: bool, database_url: str | None, fmt: str
) -> None:
    """Downgrade the database schema (base drops every table: back up first).

    Refused while the store holds acceptance or notice records, unless --force; asks for
    confirmation unless --yes.
    """
    with Database.from_settings(store_settings(app, database_url), create=False) as database:
        before, after = migrate.downgrade(
            database, revision, force=force, confirm=None if yes else _confirm
        )
    if fmt == "json":
        echo_json({"database": database.describe(), "before": before, "after": after})
        return
    click.echo(f"{database.describe()}: downgraded {before} -> {after or 'empty'}")


@db_group.command("current")
@database_url_option
@FORMAT_OPTION
@pass_app
@click.pass_context
def current_command(ctx: click.Context, app: App, database_url: str | None, fmt: str) -> None:
    """Show the database's schema revision and whether it is up to date.

    Exit status 0 when it is at the newest revision, 1 when it has no schema or is behind
    (run `publisher db upgrade`), 2 when there is no database at all.
    """
    with Database.from_settings(store_settings(app, database_url), create=False) as database:
        current = migrate.current_revision(database)
    head = migrate.head_revision()
    if fmt == "json":
        echo_json(
            {
                "database": database.describe(),
                "current": current,
                "head": head,
                "up_to_date": current == head,
            }
        )
    elif current == head:
        click.echo(f"{database.describe()}: {current} — up to date")
    elif current is None:
        click.echo(
            f"{database.describe()}: no schema — run `publisher db upgrade` (head is {head})"
        )
    else:
        click.echo(
            f"{database.describe()}: {current} — behind (head is {head}; "
            "run `publisher db upgrade`)"
        )
    if current != head:
        ctx.exit(1)


@db_group.command("history")
@FORMAT_OPTION
def history_command(fmt: str) -> None:
    """List the schema revisions shipped with publisher, oldest first."""
    if fmt == "json":
        echo_json(
            {
                "revisions": [
                    {"id": r.id, "description": r.description} for r in migrate.revisions()
                ],
                "head": migrate.head_revision(),
            }
        )
        return
    for revision in migrate.revisions():
        click.echo(f"{revision.id}  {revision.description}")


@db_group.command("sync")
@click.option("--policy", "slugs", multiple=True, metavar="SLUG", help="Only these policies.")
@database_url_option
@FORMAT_OPTION
@pass_app
def sync_command(app: App, slugs: tuple[str, ...], database_url: str | None, fmt: str) -> None:
    """Copy policy versions (label, commit, sha256, exact text) from git into the store,
    and every version of their translations (language, the source version it renders)."""
    from publisher.history import PolicyRepo

    settings = store_settings(app, database_url)
    # the repository first: outside one, nothing is created (no new empty store)
    with PolicyRepo.open(settings) as repo, open_database(app, database_url) as database:
        result = sync_versions(database, settings, slugs=slugs or None, repo=repo)
    if fmt == "json":
        echo_json(
            {
                "added": result.added,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "translations": {
                    "added": result.translations_added,
                    "unchanged": result.translations_unchanged,
                },
            }
        )
        return
    click.echo(
        f"policy versions: {result.added} added, {result.updated} updated, "
        f"{result.unchanged} unchanged"
    )
    if result.translations_added or result.translations_unchanged:
        click.echo(
            f"translation versions: {result.translations_added} added, "
            f"{result.translations_unchanged} unchanged"
        )


COMMANDS = [db_group]
