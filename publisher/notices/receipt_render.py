"""Rendering a receipt email: the facts of the receipt page as subject, text and HTML.

Templates: ``publisher/templates/notices/receipt_subject.txt``, ``receipt.txt`` and
``receipt.html`` (a repository's ``templates/notices/…`` of the same name overrides them),
in the recipient's language. Pure apart from reading templates and catalogs: the facts
(:class:`ReceiptFacts`, read by :mod:`publisher.notices.receipts`) come in, an
:class:`~publisher.notices.mailers.base.EmailTemplate` without placeholders comes out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from publisher.i18n.catalogs import ui_language
from publisher.notices.mailers.base import EmailTemplate
from publisher.templating import environment
from publisher.urls import Urls


@dataclass(frozen=True)
class ReceiptFacts:
    """What a receipt says: the record, the version accepted, who accepted and the ledger's
    head when the receipt is sent (the same facts as the receipt page)."""

    seq: int
    record_hash: str
    content_sha256: str
    accepted_at: datetime
    slug: str
    version: str
    title: str
    effective: date | None
    customer_name: str
    """The customer the record is for (the organisation, for an on-behalf acceptance)."""
    company: str
    member_name: str | None
    """The member who accepted on the organisation's behalf (None: the customer did)."""
    head_seq: int
    head_hash: str


@dataclass(frozen=True)
class ReceiptSender:
    """Who receipts come from and what they link to (from the settings)."""

    provider: str
    contact: str
    site_url: str


def receipt_context(
    facts: ReceiptFacts, *, recipient_name: str, language: str | None, sender: ReceiptSender
) -> dict[str, Any]:
    """The values the receipt templates see."""
    version_url = Urls().absolute(sender.site_url).version(facts.slug, facts.version)
    return {
        "language": ui_language(language),
        "recipient_name": recipient_name,
        "provider": sender.provider,
        "contact": sender.contact,
        "customer_name": facts.customer_name,
        "company": facts.company,
        "member_name": facts.member_name,
        "title": facts.title,
        "slug": facts.slug,
        "version": facts.version,
        "effective": facts.effective,
        "accepted_at": facts.accepted_at,
        "content_sha256": facts.content_sha256,
        "seq": facts.seq,
        "record_hash": facts.record_hash,
        "head_seq": facts.head_seq,
        "head_hash": facts.head_hash,
        "version_url": version_url,
    }


def render_receipt(context: dict[str, Any], *, templates: Path | None = None) -> EmailTemplate:
    """Subject, text and HTML of one receipt in ``context["language"]``."""
    env = environment(templates, language=context["language"])
    subject = " ".join(env.get_template("notices/receipt_subject.txt").render(**context).split())
    text = env.get_template("notices/receipt.txt").render(**context)
    html = env.get_template("notices/receipt.html").render(**context, subject=subject)
    return EmailTemplate(subject=subject, text=text, html=html)
