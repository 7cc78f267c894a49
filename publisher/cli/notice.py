"""``publisher notice``: create, preview, send, follow and remind change notices."""

from __future__ import annotations

import sys
import tempfile
import webbrowser
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Any

import click

from publisher.cli.app import FORMAT_OPTION, App, echo_json, pass_app
from publisher.cli.db import database_url_option, notify, open_database, store_settings, sync_policy
from publisher.config import MAILERS, Settings
from publisher.counting import counted
from publisher.notices import campaign, preview, reminders, runner, status
from publisher.notices.outbox import SendOptions, SendReport
from publisher.notices.render import default_subject
from publisher.notices.states import SETTLED, State
from publisher.store.customers import import_file
from publisher.store.db import Database
from publisher.version_labels import label_text


@click.group("notice")
def notice_group() -> None:
    """Change notices: tell every customer what changed for them, with a link to accept."""


def _date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (use YYYY-MM-DD)") from None


# ------------------------------------------------------------------------------ create


@notice_group.command("create")
@click.argument("policy")
@click.option(
    "--version",
    "label",
    default=None,
    metavar="V",
    help="The version to announce (default: the newest).",
)
@click.option(
    "--effective",
    default=None,
    metavar="DATE",
    callback=_date,
    help="When the version takes effect (YYYY-MM-DD; default: the version's own "
    "effective date, which a different one must --force).",
)
@click.option(
    "--subject", default=None, help="Subject line (default from templates/notices/subject.txt)."
)
@click.option(
    "--summary",
    default=None,
    help="What changed and why (default: the version's front matter summary).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Create it even if the notice period is not met (the override is recorded).",
)
@click.option(
    "--customers",
    "customers_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Import customers from this CSV first (id,email,name,company"
    "[,locale]); a file with invalid rows stops here unless --skip-invalid.",
)
@click.option(
    "--skip-invalid",
    is_flag=True,
    help="With --customers: import the valid rows, list the invalid ones.",
)
@database_url_option
@FORMAT_OPTION
@pass_app
def create_command(
    app: App,
    policy: str,
    label: str | None,
    effective: date | None,
    subject: str | None,
    summary: str | None,
    force: bool,
    customers_file: Path | None,
    skip_invalid: bool,
    database_url: str | None,
    fmt: str,
) -> None:
    """Record a notice for a version of POLICY (slug) and plan its recipients: every customer
    who has not accepted that version, grouped by the version they last accepted.

    The notice is effective on the version's own effective date; another --effective date
    is refused unless --force. A material change needs notice_days (30 by default; a
    policy's front matter may say otherwise) between today and the effective date: the
    command refuses and says why, unless --force. Prints the notice id on the last line.
    """
    settings = store_settings(app, database_url)
    # Without a repository only an existing store knows the policy: never create one then.
    in_repository = runner.check_policy(settings, policy)
    with open_database(app, database_url, create=in_repository) as database:
        if customers_file is not None:
            imported = import_file(database, customers_file, skip_invalid=skip_invalid)
            for problem in imported.skipped:
                notify(f"skipped {customers_file}:{problem.line}: {problem.message}")
            notify(
                f"{customers_file}: {imported.created} created, {imported.updated} updated, "
                f"{imported.unchanged} unchanged"
            )
        sync_policy(database, settings, policy)
        templates = runner.templates_dir(settings)
        with runner.change_source(settings, warn=notify) as source:
            created = campaign.create_notice(
                database,
                slug=policy,
                label=label,
                effective=effective,
                source=source,
                default_notice_days=settings.notice_days,
                subject=subject,
                summary=summary,
                force=force,
                subject_for=lambda version, day, today: default_subject(
                    version, day, today, templates=templates
                ),
            )
    for warning in created.warnings:
        notify(f"warning: {warning}")
    notice = created.notice
    if fmt == "json":
        echo_json(
            {
                "notice": notice.to_dict(),
                "groups": [
                    {
                        "since": g.since,
                        "count": g.count,
                        "changes": c.changes.summary.as_dict() if c.changes else None,
                    }
                    for g, c in zip(created.groups, created.changes, strict=True)
                ],
                "warnings": list(created.warnings),
            }
        )
        return
    if notice.override:
        notify(f"override recorded: {notice.override}")
    notify(
        f"notice {notice.id}: {notice.slug} version {notice.version_label}, effective "
        f"{notice.effective}, subject {notice.subject!r}"
    )
    for group, changes in zip(created.groups, created.changes, strict=True):
        since = f"since version {group.since}" if group.since else "never accepted"
        what = changes.changes.summary.describe() if changes.changes else "first version"
        notify(f"  {counted(group.count, 'customer')} {since}: {what}")
    notify(
        f"preview with `publisher notice preview {notice.id}`, "
        f"send with `publisher notice send {notice.id}`"
    )
    click.echo(notice.id)


# ------------------------------------------------------------------------------ list


@notice_group.command("list")
@click.option("--policy", "slug", default=None, metavar="SLUG", help="Only this policy.")
@database_url_option
@FORMAT_OPTION
@pass_app
def list_command(app: App, slug: str | None, database_url: str | None, fmt: str) -> None:
    """List notices and reminders with their status."""
    with open_database(app, database_url, create=False) as database:
        notices = campaign.list_notices(database, slug=slug)
        groups = {n.id: campaign.recipient_groups(database, n.id) for n in notices}
    if fmt == "json":
        echo_json(
            {
                "notices": [
                    {**n.to_dict(), "recipients": sum(g.count for g in groups[n.id])}
                    for n in notices
                ]
            }
        )
        return
    for n in notices:
        kind = f"reminder of {n.parent_id}" if n.parent_id else "notice"
        recipients = sum(g.count for g in groups[n.id])
        click.echo(
            f"{n.id}  {n.slug} {label_text(n.version_label)}  {kind}  {n.status}  "
            f"{counted(recipients, 'recipient')}  effective {n.effective}  {n.subject}"
        )


# ------------------------------------------------------------------------------ preview


@notice_group.command("preview")
@click.argument("notice_id", metavar="NOTICE", type=int)
@click.option(
    "--customer",
    "customer_id",
    default=None,
    metavar="ID",
    help="Whose email (default: the first recipient).",
)
@click.option("--html", "show_html", is_flag=True, help="Print the HTML part instead of the text.")
@click.option("--eml", "show_eml", is_flag=True, help="Print the whole MIME message.")
@click.option("--open", "open_browser", is_flag=True, help="Open the HTML part in a browser.")
@database_url_option
@FORMAT_OPTION
@pass_app
def preview_command(
    app: App,
    notice_id: int,
    customer_id: str | None,
    show_html: bool,
    show_eml: bool,
    open_browser: bool,
    database_url: str | None,
    fmt: str,
) -> None:
    """Render one recipient's email of NOTICE exactly as it will be sent.

    With --format json: the headers, subject, text and HTML parts as one JSON document.
    """
    settings = store_settings(app, database_url)
    with open_database(app, database_url, create=False) as database:
        shown = preview.preview(database, settings, notice_id, customer_id, warn=notify)
    content = shown.content
    if fmt == "json":
        echo_json(shown.to_dict())
        return
    if open_browser:
        with tempfile.NamedTemporaryFile(
            "w", suffix=".html", delete=False, encoding="utf-8"
        ) as handle:
            handle.write(content.html)
        notify(f"opening {handle.name}")
        webbrowser.open(Path(handle.name).as_uri())
        return
    if show_eml:
        sys.stdout.write(shown.message.as_string())
        return
    if show_html:
        click.echo(content.html, nl=False)
        return
    for header, value in shown.headers().items():
        click.echo(f"{header}: {value}")
    click.echo()
    click.echo(content.text, nl=False)


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


@notice_group.command("send")
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


# ------------------------------------------------------------------------------ status, settle


@notice_group.command("status")
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


@notice_group.command("settle")
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


# ------------------------------------------------------------------------------ remind


@notice_group.command("remind")
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


COMMANDS = [notice_group]
