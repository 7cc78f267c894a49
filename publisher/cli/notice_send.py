"""``publisher notice send`` and ``publisher notice remind``: run a notice's (or a reminder's)
outbox with a progress bar, and say what the run did (the rules are in
:func:`publisher.notices.runner.send`)."""

from __future__ import annotations

import sys
from pathlib import Path
from types import TracebackType
from typing import Any

import click

from publisher.cli.app import FORMAT_OPTION, App, echo_json, pass_app
from publisher.cli.db import database_url_option, notify, open_database, store_settings
from publisher.config import MAILERS, Settings
from publisher.counting import counted
from publisher.notices import campaign, reminders, runner
from publisher.notices.outbox import SendOptions, SendReport
from publisher.notices.states import SETTLED, State
from publisher.store.db import Database

# ------------------------------------------------------------------------------ send


class _Bar:
    """A rich progress bar on a terminal; plain lines on stderr otherwise."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.tty = sys.stderr.isatty()
        self._progress: Any = None
        self._task: Any = None
        self.counts = dict.fromkeys(SETTLED, 0)

    def __enter__(self) -> _Bar:
        if self.tty:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TaskProgressColumn,
                TextColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TaskProgressColumn(),
                TextColumn("{task.fields[states]}"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self._progress.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.__exit__(kind, value, traceback)

    def _states(self) -> str:
        return ", ".join(f"{k} {v}" for k, v in self.counts.items() if v)

    def start(self, total: int, done: int) -> None:
        if self._progress is not None:
            self._task = self._progress.add_task(self.title, total=total, completed=done, states="")
        elif done:
            notify(f"{self.title}: resuming, {done} of {total} already done")

    def advance(self, outcome: State, count: int) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + count
        if self._progress is not None:
            self._progress.update(self._task, advance=count, states=self._states())

    def waiting(self, seconds: float, reason: str) -> None:
        message = f"not accepted ({reason}); retrying in {seconds:.1f} s"
        if self._progress is not None:
            self._progress.console.print(message)
        else:
            notify(message)


def _send_options(rate: float | None, batch_size: int | None, retry_failed: bool) -> SendOptions:
    if rate is not None and rate <= 0:
        raise click.BadParameter("must be more than 0", param_hint="--rate")
    if batch_size is not None and batch_size < 1:
        raise click.BadParameter("must be 1 or more", param_hint="--batch-size")
    return SendOptions(rate=rate, batch_size=batch_size, retry_failed=retry_failed)


def _report(report: SendReport, notice_id: int, fmt: str) -> int:
    """Print what a run did; returns the exit status (0 all sent, 1 failed or unknown rows,
    3 stopped early with rows still queued)."""
    if fmt == "json":
        echo_json(report.to_dict())
    else:
        counts = report.counts
        recovered = ", ".join(f"{n} {state}" for state, n in report.recovered.items())
        if recovered:
            notify(f"rows left 'sending' by an earlier run: {recovered}")
        click.echo(
            f"notice {notice_id}: this run sent {report.sent}, failed {report.failed}, "
            f"unknown {report.unknown} in {counted(report.batches, 'batch', 'batches')}, "
            f"{report.elapsed:.1f} s; now "
            + ", ".join(f"{state} {n}" for state, n in counts.items() if n)
        )
        if report.aborted:
            notify(f"stopped: {report.aborted}")
        if counts.get(State.FAILED) or counts.get(State.UNKNOWN):
            notify(
                f"see `publisher notice status {notice_id}` for the failed and "
                "unknown rows and how to settle them"
            )
    if report.aborted and not report.complete:
        return 3
    if report.counts.get(State.FAILED) or report.counts.get(State.UNKNOWN):
        return 1
    return 0


def _run_send(
    settings: Settings,
    database: Database,
    notice: campaign.NoticeInfo,
    *,
    mailer: str | None,
    options: SendOptions,
    out: Path | None,
    force: bool,
    fmt: str,
) -> SendReport:
    try:
        with _Bar(f"notice {notice.id}") as bar:
            report = runner.send(
                database,
                settings,
                notice,
                mailer=mailer,
                options=options,
                progress=bar if fmt == "text" else None,
                outbox_dir=out,
                force=force,
                warn=notify,
            )
    except KeyboardInterrupt:
        notify(f"interrupted: nothing is lost; run `publisher notice send {notice.id}` to resume")
        raise
    if report.topped_up and fmt == "text":
        notify(f"{counted(report.topped_up, 'new customer')} added to notice {notice.id}")
    overridden = campaign.get_notice(database, notice.id).override
    if force and overridden and overridden != notice.override and fmt == "text":
        notify(f"override recorded: {overridden}")
    return report


_MAILER_OPTION = click.option(
    "--mailer",
    type=click.Choice(MAILERS),
    default=None,
    help="folder, smtp or sendgrid (default: the mailer setting).",
)
_RATE_OPTION = click.option(
    "--rate", type=float, default=None, metavar="N", help="At most N recipients per second."
)
_BATCH_OPTION = click.option(
    "--batch-size",
    type=int,
    default=None,
    metavar="N",
    help="Recipients per batch (at most the mailer's limit: 1,000 for SendGrid).",
)
_OUT_OPTION = click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the folder mailer (setting outbox_dir).",
)


@click.command("send")
@click.argument("notice_id", metavar="NOTICE", type=int)
@_MAILER_OPTION
@_RATE_OPTION
@_BATCH_OPTION
@click.option("--retry-failed", is_flag=True, help="Queue failed rows again first.")
@click.option(
    "--force", is_flag=True, help="Send even if the notice period is no longer met (recorded)."
)
@_OUT_OPTION
@database_url_option
@FORMAT_OPTION
@pass_app
def send_command(
    app: App,
    notice_id: int,
    mailer: str | None,
    rate: float | None,
    batch_size: int | None,
    retry_failed: bool,
    force: bool,
    out: Path | None,
    database_url: str | None,
    fmt: str,
) -> None:
    """Send NOTICE to every queued recipient, or resume an interrupted send.

    Safe to run again at any time: rows already sent are never sent again, and a batch
    whose outcome was lost (a crash during the request) is reported by `notice status`,
    not re-sent. Exit status: 0 all sent; 1 done but some rows failed or are of unknown
    outcome; 3 stopped early (rows still queued: run again).
    """
    options = _send_options(rate, batch_size, retry_failed)
    settings = store_settings(app, database_url)
    with open_database(app, database_url, create=False) as database:
        notice = campaign.get_notice(database, notice_id)
        report = _run_send(
            settings,
            database,
            notice,
            mailer=mailer,
            options=options,
            out=out,
            force=force,
            fmt=fmt,
        )
    sys.exit(_report(report, notice_id, fmt))


# ------------------------------------------------------------------------------ remind


@click.command("remind")
@click.argument("notice_id", metavar="NOTICE", type=int)
@click.option(
    "--after-days",
    type=int,
    default=None,
    metavar="N",
    help="Only customers last written to at least N days ago (setting remind_after_days, 14).",
)
@_MAILER_OPTION
@_RATE_OPTION
@_BATCH_OPTION
@_OUT_OPTION
@database_url_option
@FORMAT_OPTION
@pass_app
def remind_command(
    app: App,
    notice_id: int,
    after_days: int | None,
    mailer: str | None,
    rate: float | None,
    batch_size: int | None,
    out: Path | None,
    database_url: str | None,
    fmt: str,
) -> None:
    """Remind the customers NOTICE was sent to who have not accepted after N days.

    Creates a reminder (its own outbox, resumable like a notice: running the command again
    resumes an unfinished reminder) and sends it. Prints the reminder's id on the last line.
    """
    options = _send_options(rate, batch_size, False)
    settings = store_settings(app, database_url)
    days = after_days if after_days is not None else settings.remind_after_days
    if days < 0:
        raise click.BadParameter("must be 0 or more", param_hint="--after-days")
    with open_database(app, database_url, create=False) as database:
        plan = reminders.create_reminder(database, notice_id, after_days=days)
        notify(plan.message)
        if plan.reminder is None:
            if fmt == "json":
                echo_json({"reminder": None, "message": plan.message})
            return
        report = _run_send(
            settings,
            database,
            plan.reminder,
            mailer=mailer,
            options=options,
            out=out,
            force=False,
            fmt=fmt,
        )
    code = _report(report, plan.reminder.id, fmt)
    if fmt == "text":
        click.echo(plan.reminder.id)
    sys.exit(code)


COMMANDS = [send_command, remind_command]
