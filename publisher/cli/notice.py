"""``publisher notice``: create, preview, send, follow and remind change notices.

This module holds the group and the commands that plan and show a notice (create, list,
preview); sending and reminding are in :mod:`publisher.cli.notice_send`, following and
settling an outbox in :mod:`publisher.cli.notice_status`, receipt emails in
:mod:`publisher.cli.notice_receipts`."""

from __future__ import annotations

import sys
import tempfile
import webbrowser
from datetime import date
from pathlib import Path

import click

from publisher.cli import notice_receipts, notice_send, notice_status
from publisher.cli.app import FORMAT_OPTION, App, echo_json, pass_app
from publisher.cli.db import database_url_option, notify, open_database, store_settings, sync_policy
from publisher.counting import counted
from publisher.notices import campaign, preview, runner
from publisher.notices.members import count_on_behalf
from publisher.notices.render import default_subject
from publisher.store.customers import import_file
from publisher.version_labels import label_text


@click.group("notice")
def notice_group() -> None:
    """Change notices: tell every customer what changed for them, with a link to accept."""


MEMBERS_SHOWN = 20
"""Members (with their on-behalf links) that ``notice create`` lists in text output."""


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
    command refuses and says why, unless --force. An organisation with members is written
    to through them, each with their own link that accepts on its behalf (listed here).
    Prints the notice id on the last line.
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
        on_behalf = count_on_behalf(database, created.notice.id)
        members = (
            runner.member_links(
                database,
                settings,
                created.notice,
                warn=notify,
                limit=None if fmt == "json" else MEMBERS_SHOWN,
            )
            if on_behalf
            else []
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
                "on_behalf": [member.to_dict() for member in members],
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
    if on_behalf:
        notify(
            f"{counted(on_behalf, 'member')} written to for their organisation, each with "
            "their own link that accepts on its behalf:"
        )
        for member in members:
            notify(f"  {member.describe()}")
        if on_behalf > len(members):
            notify(f"  … and {on_behalf - len(members)} more (see --format json)")
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
    if shown.on_behalf_of is not None:
        notify(
            f"{shown.customer_id} is written to for organisation {shown.on_behalf_of}: "
            "their link accepts on its behalf"
        )
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


for _module in (notice_send, notice_status, notice_receipts):
    for _command in _module.COMMANDS:
        notice_group.add_command(_command)

COMMANDS = [notice_group]
