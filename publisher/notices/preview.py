"""One recipient's email of a notice, exactly as it will be sent (``publisher notice preview``).

:func:`preview` renders the recipient's group email with the settings' renderer and sender,
personalises it and builds the MIME message the SMTP and folder mailers would send; the CLI
only chooses what of it to print.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from publisher.config import Settings
from publisher.notices import campaign, runner
from publisher.notices.mailers.base import Batch, EmailTemplate
from publisher.notices.mailers.message import build_message
from publisher.store.customers import get_customer
from publisher.store.db import Database
from publisher.store.models import utcnow

HEADERS = ("From", "To", "Reply-To", "Subject")
"""The headers a preview shows (when present)."""


@dataclass(frozen=True)
class Preview:
    """One recipient's email: the whole message and its personalised parts."""

    notice: campaign.NoticeInfo
    customer_id: str
    since: str | None
    """The version the recipient last accepted (None: never)."""
    message: EmailMessage
    content: EmailTemplate
    on_behalf_of: str | None = None
    """The organisation the recipient (its member) is written to for: their link accepts
    on its behalf."""

    def headers(self) -> dict[str, str]:
        """The shown headers that the message has, in order."""
        return {name: str(self.message[name]) for name in HEADERS if self.message[name]}

    def to_dict(self) -> dict[str, Any]:
        return {
            "notice": self.notice.id,
            "customer": self.customer_id,
            "since": self.since,
            "on_behalf_of": self.on_behalf_of,
            "headers": self.headers(),
            "subject": self.content.subject,
            "text": self.content.text,
            "html": self.content.html,
        }


def preview(
    database: Database,
    settings: Settings,
    notice_id: int,
    customer_id: str | None,
    *,
    warn: runner.Warn,
    now: Callable[[], datetime] = utcnow,
) -> Preview:
    """The email ``customer_id`` (default: the notice's first recipient) gets from
    ``notice_id``; NotFoundError when they are not one of its recipients."""
    notice = campaign.get_notice(database, notice_id)
    row = campaign.recipient_row(database, notice_id, customer_id)
    sender = runner.sender_for(settings, mailer="folder")
    with runner.change_source(settings, warn=warn) as source:
        renderer = runner.renderer_for(
            database, settings, notice, source, sender=sender, warn=warn, today=now().date()
        )
        language = renderer.language_of(get_customer(database, row.customer_id).locale)
        template = renderer.template(row.since, language)
    recipient = renderer.recipient(
        row.delivery_id, row.customer_id, row.email, row.name, row.on_behalf_of
    )
    batch = Batch(
        id="preview",
        notice_id=notice.id,
        template=template,
        recipients=(recipient,),
        sender=sender.address,
        reply_to=sender.reply_to,
    )
    message = build_message(batch, recipient, date=now())
    return Preview(
        notice,
        row.customer_id,
        row.since,
        message,
        recipient.personalise(template),
        row.on_behalf_of,
    )
