"""The Quickstart's dry run: change notices for the repository's policies into a folder.

:func:`dry_run` uses a store of its own (``.publisher/demo/demo.db``, recreated each time, so
the real store is never touched), three made-up customers — one who accepted each policy's
first version, one who accepted the previous version, one who never accepted — and, for every
policy with at least two versions, a notice for its newest version, effective on that
version's own date (forced, and so recorded, when the date is inside the notice period or
already past: the email then says "in effect since"). The notices are sent with the folder mailer into ``.publisher/demo/outbox``:
one ``.eml`` file per customer and policy, each showing what changed since *that customer's*
version. Returns the lines to print.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, time
from pathlib import Path

from publisher.config import Settings
from publisher.counting import counted
from publisher.notices import campaign, runner
from publisher.notices.changes import ChangeSource
from publisher.notices.languages import TranslationLagError
from publisher.notices.outbox import SendOptions, SendReport
from publisher.notices.render import default_subject
from publisher.store import migrate
from publisher.store.customers import CustomerRow, import_customers
from publisher.store.db import Database
from publisher.store.ledger import AcceptanceRequest, record_acceptances
from publisher.store.versions import stored_versions, sync_versions
from publisher.version_labels import label_text

DEMO_DIR = ".publisher/demo"

CUSTOMERS = (
    CustomerRow(2, "demo-first", "ada@example.com", "Ada Example", "First Version Ltd"),
    CustomerRow(
        3, "demo-previous", "ben@example.com", "Ben Example", "Previous Version Ltd", "de-DE"
    ),
    CustomerRow(4, "demo-never", "cy@example.com", "Cy Example", "Never Accepted Ltd"),
)


def dry_run(settings: Settings, *, today: date, warn: Callable[[str], None]) -> list[str]:
    """Create and send the demo notices into a folder; the lines that say what happened."""
    folder = settings.resolve(DEMO_DIR)
    shutil.rmtree(folder, ignore_errors=True)
    outbox = folder / "outbox"
    demo = replace(settings, database_url=f"sqlite:///{folder / 'demo.db'}", mailer="folder")
    lines: list[str] = []
    with migrate.open_store(demo) as database:
        sync_versions(database, demo)
        import_customers(database, CUSTOMERS)
        by_policy: dict[str, list[str]] = {}
        for version in stored_versions(database):
            by_policy.setdefault(version.slug, []).append(version.label)
        requests = []
        for slug, labels in by_policy.items():
            if len(labels) >= 2:
                requests.append(AcceptanceRequest("demo-first", slug, labels[0], "import"))
                requests.append(AcceptanceRequest("demo-previous", slug, labels[-2], "import"))
        record_acceptances(database, requests)
        with runner.change_source(demo, warn=warn) as source:
            for slug, labels in by_policy.items():
                if len(labels) < 2:
                    continue
                created, forced = _create(database, demo, source, slug, labels[-1], today)
                notice = created.notice
                groups = ", ".join(
                    f"{g.count} on {label_text(g.since)}"
                    if g.since
                    else f"{g.count} never accepted"
                    for g in created.groups
                )
                lines.append(
                    f"publisher notice create {slug}{' --force' if forced else ''}"
                    f"  ->  notice {notice.id} ({groups}), effective "
                    f"{notice.effective}{_why(notice, today) if forced else ''}"
                )
        for notice in campaign.list_notices(database):

            def send(force: bool, notice: campaign.NoticeInfo = notice) -> SendReport:
                return runner.send(
                    database,
                    demo,
                    notice,
                    mailer="folder",
                    outbox_dir=outbox,
                    options=SendOptions(),
                    force=force,
                    warn=warn,
                    now=lambda: datetime.combine(today, time(12), UTC),
                )

            try:
                report, lagging = send(False), ""
            except TranslationLagError as refused:
                # What `notice send` would refuse; the demo sends as --force would and says why.
                report, lagging = send(True), f" --force ({refused.message})"
            lines.append(
                f"publisher notice send {notice.id}{lagging}  ->  "
                f"{counted(report.sent, '.eml file')} "
                f"in {_shown(outbox / f'notice-{notice.id}', settings.root)}"
            )
    lines.append(
        f"open any .eml file in a mail client; the demo store is "
        f"{_shown(folder / 'demo.db', settings.root)}"
    )
    return lines


def _create(
    database: Database,
    settings: Settings,
    source: ChangeSource,
    slug: str,
    label: str,
    today: date,
) -> tuple[campaign.CreatedNotice, bool]:
    """The demo notice for ``slug`` version ``label``, effective on the version's own date;
    forced (and so recorded) when that date is too close or already past, as `notice create
    --force` would be: the demo still shows what the customers would be told."""
    templates = runner.templates_dir(settings)

    def create(force: bool) -> campaign.CreatedNotice:
        return campaign.create_notice(
            database,
            slug=slug,
            label=label,
            effective=None,
            source=source,
            default_notice_days=settings.notice_days,
            force=force,
            subject_for=lambda version, day, created: default_subject(
                version, day, created, templates=templates
            ),
            now=lambda: datetime.combine(today, time(12), UTC),
        )

    try:
        return create(False), False
    except campaign.NoticePeriodError:
        return create(True), True


def _why(notice: campaign.NoticeInfo, today: date) -> str:
    if notice.effective is not None and notice.effective <= today:
        return ' (already in effect: announced as "in effect since", override recorded)'
    return " (inside the notice period: override recorded)"


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
