"""Mailers behind one interface (:class:`~publisher.notices.mailers.base.Mailer`): ``folder``
(.eml files, the default), ``smtp`` (stdlib smtplib) and ``sendgrid`` (the official client).

:func:`make_mailer` builds the one named by the ``mailer`` setting (or ``--mailer``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from publisher.config import MAILERS, Settings
from publisher.notices.mailers.base import (
    Batch,
    BatchResult,
    EmailTemplate,
    Mailer,
    MailerError,
    Recipient,
    RecipientResult,
)

__all__ = [
    "Batch",
    "BatchResult",
    "EmailTemplate",
    "Mailer",
    "MailerError",
    "Recipient",
    "RecipientResult",
    "make_mailer",
]


def make_mailer(
    settings: Settings,
    name: str | None = None,
    *,
    now: Callable[[], datetime],
    outbox_dir: Path | None = None,
    kind: str = "notice",
) -> Mailer:
    """The mailer ``name`` (default: the ``mailer`` setting) configured from ``settings``
    (``kind``: what the folder mailer names each message's folder by, ``notice`` or
    ``receipt``)."""
    name = name or settings.mailer
    if name == "folder":
        from publisher.notices.mailers.folder import FolderMailer

        return FolderMailer(
            outbox_dir or settings.resolve(settings.outbox_dir), now=now, prefix=kind
        )
    if name == "smtp":
        from publisher.notices.mailers.smtp import SMTPMailer, SMTPOptions

        return SMTPMailer(
            SMTPOptions(
                host=settings.smtp_host,
                port=settings.smtp_port,
                security=settings.smtp_security,
                username=settings.smtp_username,
                password=settings.smtp_password,
                timeout=float(settings.mail_timeout),
            ),
            now=now,
        )
    if name == "sendgrid":
        from publisher.notices.mailers.sendgrid import SendGridMailer

        return SendGridMailer(
            settings.sendgrid_api_key,
            host=settings.sendgrid_host,
            timeout=float(settings.mail_timeout),
        )
    raise MailerError(f"unknown mailer {name!r}", hint=f"use one of {', '.join(MAILERS)}")
