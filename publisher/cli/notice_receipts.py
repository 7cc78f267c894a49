"""``publisher notice receipts``: send the receipt emails of new acceptances (setting
``receipts: email``; the outbox is :mod:`publisher.notices.receipts`)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from publisher.cli.app import FORMAT_OPTION, App, echo_json, pass_app
from publisher.cli.db import database_url_option, notify, open_database, store_settings
from publisher.config import MAILERS
from publisher.counting import counted
from publisher.notices import runner
from publisher.notices.receipts import skip_backlog
from publisher.notices.states import State


@click.command("receipts")
@click.option(
    "--mailer",
    type=click.Choice(MAILERS),
    default=None,
    help="folder, smtp or sendgrid (default: the mailer setting).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the folder mailer (setting outbox_dir).",
)
@click.option(
    "--skip-backlog",
    "skip_backlog_",
    is_flag=True,
    help="Send no receipt for the acceptances recorded so far (when turning receipts on "
    "for a store that has some); later ones get theirs.",
)
@database_url_option
@FORMAT_OPTION
@pass_app
def receipts_command(
    app: App,
    mailer: str | None,
    out: Path | None,
    skip_backlog_: bool,
    database_url: str | None,
    fmt: str,
) -> None:
    """Send a receipt email for every acceptance recorded since the last run (link, API or
    on an organisation's behalf: to the customer and to the member who accepted).

    Needs the setting receipts = "email". Safe to run again at any time, and after a crash:
    each receipt is queued once and sent once (a receipt whose outcome was lost with an
    SMTP or SendGrid mailer is reported as unknown, never re-sent). Run it after
    acceptances, e.g. every minute from a timer. Exit status: 0 all sent; 1 some failed or
    are of unknown outcome; 3 stopped early (receipts still queued: run again).
    """
    settings = store_settings(app, database_url)
    with open_database(app, database_url, create=False) as database:
        if skip_backlog_:
            skipped = skip_backlog(database)
            notify(f"{counted(skipped, 'earlier acceptance')} will get no receipt")
        report = runner.receipts(database, settings, mailer=mailer, outbox_dir=out)
    if fmt == "json":
        echo_json(report.to_dict())
    else:
        recovered = ", ".join(f"{n} {state}" for state, n in report.recovered.items())
        if recovered:
            notify(f"receipts left 'sending' by an earlier run: {recovered}")
        click.echo(
            f"receipts: {report.queued} queued, this run sent {report.sent}, failed "
            f"{report.failed}, unknown {report.unknown}; now "
            + (", ".join(f"{state} {n}" for state, n in report.counts.items() if n) or "none")
        )
        if report.aborted:
            notify(f"stopped: {report.aborted}")
    if report.aborted:
        sys.exit(3)
    if report.counts.get(State.FAILED) or report.counts.get(State.UNKNOWN):
        sys.exit(1)


COMMANDS = [receipts_command]
