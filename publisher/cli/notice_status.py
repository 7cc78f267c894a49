"""``publisher notice status`` and ``publisher notice settle``: a notice's outbox rows and the
batches of unknown outcome a person settles."""

from __future__ import annotations

import click

from publisher.cli.app import FORMAT_OPTION, App, echo_json, pass_app
from publisher.cli.db import database_url_option, open_database
from publisher.counting import counted
from publisher.notices import status
from publisher.notices.states import State

# ------------------------------------------------------------------------------ status, settle


@click.command("status")
@click.argument("notice_id", metavar="NOTICE", type=int)
@click.option("--all-failed", is_flag=True, help="List every failed row in text output.")
@database_url_option
@FORMAT_OPTION
@pass_app
def status_command(
    app: App, notice_id: int, all_failed: bool, database_url: str | None, fmt: str
) -> None:
    """Rows per state, the batches of unknown outcome and how to settle them, failures."""
    with open_database(app, database_url, create=False) as database:
        found = status.notice_status(database, notice_id)
    if fmt == "json":
        echo_json(found.to_dict())
        return
    click.echo(status.render_status(found, all_failed=all_failed), nl=False)


@click.command("settle")
@click.argument("notice_id", metavar="NOTICE", type=int)
@click.option(
    "--batch",
    "batch_id",
    required=True,
    metavar="ID",
    help="A batch of unknown outcome (see `notice status`).",
)
@click.option(
    "--as",
    "as_state",
    required=True,
    type=click.Choice([State.SENT.value, State.QUEUED.value]),
    help="sent: the provider has them (its activity log says so); queued: send them.",
)
@database_url_option
@FORMAT_OPTION
@pass_app
def settle_command(
    app: App, notice_id: int, batch_id: str, as_state: str, database_url: str | None, fmt: str
) -> None:
    """Settle a batch of unknown outcome after checking the provider's activity log."""
    with open_database(app, database_url, create=False) as database:
        changed = status.settle(
            database, notice_id, batch_id, State.SENT if as_state == State.SENT else State.QUEUED
        )
    if fmt == "json":
        echo_json({"notice": notice_id, "batch": batch_id, "as": as_state, "settled": changed})
        return
    follow = (
        f"; send them with `publisher notice send {notice_id}`" if as_state == State.QUEUED else ""
    )
    click.echo(
        f"notice {notice_id}: {counted(changed, 'row')} of batch {batch_id} settled as {as_state}{follow}"
    )


COMMANDS = [status_command, settle_command]
