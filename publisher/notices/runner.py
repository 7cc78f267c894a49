"""Wiring notices to the settings: where change sets come from, the renderer, the mailer.

The CLI (and the demo) call these so they stay thin: :func:`change_source` prefers git (so
``Policy-Change`` trailers count) and falls back to the texts in the store;
:func:`renderer_for` builds a notice's renderer; :func:`send` enforces the sending rules
(new customers, materiality, the notice period) and runs the outbox with the mailer the
settings name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

from publisher.config import Settings
from publisher.errors import GitError
from publisher.links import signer_for
from publisher.notices.campaign import (
    NOTICE,
    NoticeInfo,
    NoticePeriodError,
    check_still_in_time,
    get_notice,
    recheck_material,
    record_override,
    top_up,
)
from publisher.notices.changes import ChangeSource, GitChanges, StoredChanges
from publisher.notices.languages import (
    LanguagePlan,
    TranslatedChanges,
    check_lagging,
    plan_languages,
)
from publisher.notices.mailers import make_mailer
from publisher.notices.members import OnBehalf, on_behalf
from publisher.notices.outbox import Progress, SendOptions, SendReport, send_notice
from publisher.notices.receipt_render import ReceiptSender
from publisher.notices.receipts import ReceiptError, ReceiptMail, ReceiptReport, send_receipts
from publisher.notices.render import NoticeRenderer, Sender, make_sender, notice_link
from publisher.store.db import Database
from publisher.store.models import utcnow
from publisher.store.versions import stored_versions
from publisher.templating import templates_folder

Warn = Callable[[str], None]


def templates_dir(settings: Settings) -> Path | None:
    """The folder of the ``templates`` setting (overrides the package's templates), if any."""
    return templates_folder(settings)


@contextmanager
def change_source(settings: Settings, *, warn: Warn) -> Iterator[ChangeSource]:
    """Change sets from the policy repository's git history, or from the store's texts when
    there is no repository here (a sending host without a checkout)."""
    from publisher.history import PolicyRepo

    try:
        repo = PolicyRepo.open(settings)
    except GitError as exc:
        warn(
            f"note: no policy repository here ({exc.message}); comparing the texts stored "
            "in the database (Policy-Change trailers are not applied)"
        )
        yield StoredChanges()
        return
    try:
        yield GitChanges(repo)
    finally:
        repo.close()


def check_policy(settings: Settings, slug: str) -> bool:
    """Make sure ``slug`` names a policy of the repository before anything is written
    (NotFoundError listing the known slugs otherwise). False when there is no policy
    repository here: only the store's copy of the versions can then say."""
    from publisher.history import PolicyRepo

    try:
        repo = PolicyRepo.open(settings)
    except GitError:
        return False
    with repo:
        repo.policy(slug)
    return True


def sender_for(settings: Settings, *, mailer: str) -> Sender:
    """The sender; the mailers that really send require ``mail_from``."""
    return make_sender(
        settings.mail_from, settings.reply_to, settings.contact, required=mailer != "folder"
    )


def renderer_for(
    database: Database,
    settings: Settings,
    notice: NoticeInfo,
    source: ChangeSource,
    *,
    sender: Sender,
    warn: Warn,
    today: date | None = None,
) -> NoticeRenderer:
    """The renderer of ``notice``'s emails, sent on ``today`` (default: the current date),
    each customer's in their language (:func:`language_plan`)."""
    plan = language_plan(settings, notice, source)
    repo = source.repo if isinstance(source, GitChanges) else None
    return NoticeRenderer(
        notice,
        versions=stored_versions(database, slug=notice.slug),
        source=source,
        signer=signer_for(settings, warn=warn),
        accept_url=settings.accept_url,
        site_url=settings.site_url,
        sender=sender,
        templates=templates_dir(settings),
        today=today,
        plan=plan,
        translated=TranslatedChanges(repo, plan) if repo is not None else None,
    )


def language_plan(settings: Settings, notice: NoticeInfo, source: ChangeSource) -> LanguagePlan:
    """The languages of ``notice``'s policy (its translations from git; without a
    repository, the default language and our UI languages only)."""
    repo = source.repo if isinstance(source, GitChanges) else None
    return plan_languages(repo, notice.slug, notice.version_label, settings.default_language)


def send(
    database: Database,
    settings: Settings,
    notice: NoticeInfo,
    *,
    mailer: str | None = None,
    options: SendOptions | None = None,
    progress: Progress | None = None,
    outbox_dir: Path | None = None,
    force: bool = False,
    warn: Warn,
    now: Callable[[], datetime] = utcnow,
) -> SendReport:
    """Send (or resume) ``notice`` with the mailer ``mailer`` (default: the setting), under
    the sending rules: customers who became recipients since the notice was created are
    added (``topped_up``), its materiality is computed again for them, and the notice period
    is checked again for today. A notice no longer in time is refused
    (:class:`NoticePeriodError`, nothing sent) unless ``force``, which records the override;
    so is one with recipients whose language has a lagging translation
    (:class:`~publisher.notices.languages.TranslationLagError`, listing them).
    Reminders are sent as they are (their notice was checked)."""
    name = mailer or settings.mailer
    sender = sender_for(settings, mailer=name)
    with change_source(settings, warn=warn) as source:
        notice, added = _ready(database, notice, source, force=force, now=now)
        if not force and notice.kind == NOTICE:
            plan = language_plan(settings, notice, source)
            check_lagging(database, notice.id, notice.slug, notice.version_label, plan)
        with make_mailer(settings, name, now=now, outbox_dir=outbox_dir) as chosen:
            renderer = renderer_for(
                database, settings, notice, source, sender=sender, warn=warn, today=now().date()
            )
            report = send_notice(
                database,
                notice.id,
                chosen,
                renderer,
                sender=sender.address,
                reply_to=sender.reply_to,
                options=options or SendOptions(),
                progress=progress,
                now=now,
            )
    report.topped_up = added
    return report


def _ready(
    database: Database,
    notice: NoticeInfo,
    source: ChangeSource,
    *,
    force: bool,
    now: Callable[[], datetime],
) -> tuple[NoticeInfo, int]:
    """The notice as it may be sent today and how many recipients were added; raises when
    the notice period is no longer met and ``force`` is not given."""
    added = 0
    if notice.kind == NOTICE:
        added = top_up(database, notice, now=now)
        notice = recheck_material(database, notice, source)
    problem = check_still_in_time(notice, today=now().date())
    if problem:
        if not force:
            raise NoticePeriodError(
                f"refusing to send notice {notice.id} today: {problem}",
                hint="create a notice with a later --effective date, or pass --force to "
                "send anyway (the override is recorded)",
            )
        record_override(database, notice.id, problem)
        notice = get_notice(database, notice.id)
    return notice, added


def member_links(
    database: Database,
    settings: Settings,
    notice: NoticeInfo,
    *,
    warn: Warn,
    limit: int | None = None,
) -> list[OnBehalf]:
    """The notice's members written to for their organisation, each with the link their
    email will carry (the same claims, signed now)."""
    signer = signer_for(settings, warn=warn)
    return on_behalf(
        database,
        notice.id,
        lambda member, organisation: notice_link(
            signer, settings.accept_url, notice, member, organisation
        ),
        limit=limit,
    )


def receipts(
    database: Database,
    settings: Settings,
    *,
    mailer: str | None = None,
    outbox_dir: Path | None = None,
    now: Callable[[], datetime] = utcnow,
) -> ReceiptReport:
    """Queue and send the receipt emails of the acceptances recorded since the last run
    (setting ``receipts: email``; ReceiptError when it is off), through the mailer
    ``mailer`` (default: the setting); the folder mailer writes ``receipt-<seq>/`` folders."""
    if settings.receipts != "email":
        raise ReceiptError(
            "receipt emails are off (setting receipts)",
            hint='set receipts = "email" in [tool.publisher] (or PUBLISHER_RECEIPTS=email)',
        )
    name = mailer or settings.mailer
    sender = sender_for(settings, mailer=name)
    mail = ReceiptMail(
        sender.address,
        sender.reply_to,
        ReceiptSender(settings.provider_name, sender.contact, settings.site_url),
        templates_dir(settings),
    )
    with make_mailer(settings, name, now=now, outbox_dir=outbox_dir, kind="receipt") as chosen:
        return send_receipts(database, chosen, mail, now=now)
