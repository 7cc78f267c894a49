"""One notice as a MIME message (text and HTML alternatives), for the folder and SMTP mailers.

Pure: the date and the Message-ID are passed in, so a message is the same bytes every time
it is built from the same values.
"""

from __future__ import annotations

import re
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr

from publisher.notices.mailers.base import Batch, MailerError, Recipient

_DOMAIN = re.compile(r"^[A-Za-z0-9.-]+$")


def parse_address(value: str, *, setting: str) -> Address:
    """``'Northwind Legal <legal@northwind.example>'`` or a bare address as an Address;
    MailerError naming the setting when it is not one address."""
    name, address = parseaddr(value)
    if not address or "@" not in address or address.count("@") != 1:
        raise MailerError(
            f"{setting} is not an email address: {value!r}",
            hint=f"set {setting}, e.g. 'Northwind Legal <legal@northwind.example>' "
            f"(env PUBLISHER_{setting.upper()})",
        )
    local, domain = address.split("@")
    try:
        return Address(display_name=name, username=local, domain=domain)
    except (ValueError, IndexError) as exc:
        raise MailerError(f"{setting} is not a valid email address: {value!r}") from exc


def message_id(batch: Batch, recipient: Recipient) -> str:
    """A Message-ID unique per notice, recipient and attempt, in the sender's domain."""
    domain = batch.sender.domain if _DOMAIN.match(batch.sender.domain) else "localhost"
    return f"<{batch.kind}-{batch.notice_id}.{recipient.delivery_id}.{batch.id[:12]}@{domain}>"


def build_message(
    batch: Batch, recipient: Recipient, *, date: datetime, msg_id: str | None = None
) -> EmailMessage:
    """The message for ``recipient``: personalised text and HTML parts and the headers
    (From, To, Subject, Date, Message-ID, Reply-To, and the batch's extra headers)."""
    content = recipient.personalise(batch.template)
    message = EmailMessage(policy=SMTP)
    message["From"] = batch.sender
    local, _, domain = recipient.email.rpartition("@")
    message["To"] = Address(display_name=recipient.name, username=local, domain=domain)
    if batch.reply_to is not None:
        message["Reply-To"] = batch.reply_to
    message["Subject"] = content.subject
    message["Date"] = format_datetime(date)
    message["Message-ID"] = msg_id or message_id(batch, recipient)
    for key, value in batch.headers.items():
        message[key] = value
    message.set_content(content.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(content.html, subtype="html", charset="utf-8", cte="quoted-printable")
    return message
