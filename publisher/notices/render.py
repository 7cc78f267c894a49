"""Rendering notice emails: subject, plain text and HTML from jinja2 templates.

Templates live in ``publisher/templates/notices/`` (``subject.txt``, ``email.txt``,
``email.html``) and are rendered through the shared environment
(:func:`publisher.templating.environment`), so a repository's ``templates/notices/…`` of the
same name overrides them.

Each recipient group's email is rendered **once** with placeholders for the personal values
(:data:`NAME`, :data:`LINK` …): :func:`render_email` is pure (values in, an
:class:`~publisher.notices.mailers.base.EmailTemplate` out); a recipient's copy is the template
with the placeholders replaced (:meth:`Recipient.personalise`, or SendGrid ``substitutions``).
:class:`NoticeRenderer` ties it to a notice: it computes each group's change set once, signs
each recipient's acceptance link and caches the rendered templates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from email.headerregistry import Address
from html import escape
from pathlib import Path
from typing import Any

from publisher.diff import Change, ChangeSet, InlineOp, wording
from publisher.i18n.catalogs import translations
from publisher.links import LinkClaims, LinkSigner, link_url
from publisher.notices.campaign import REMINDER, NoticeInfo
from publisher.notices.changes import ChangeSource, GroupChanges, group_changes
from publisher.notices.languages import LanguagePlan, Listed, TranslatedChanges
from publisher.notices.mailers.base import EmailTemplate, Recipient
from publisher.pages import Urls
from publisher.store.models import utcnow
from publisher.store.versions import StoredVersion
from publisher.templating import environment

NAME = "%%name%%"
"""Placeholder of the customer's name in the text part and the subject."""
NAME_HTML = "%%name_html%%"
"""Placeholder of the customer's name (HTML-escaped) in the HTML part."""
LINK = "%%accept_url%%"
"""Placeholder of the personal acceptance link in the text part."""
LINK_HTML = "%%accept_url_html%%"
"""Placeholder of the personal acceptance link (HTML-escaped) in the HTML part."""


def N_(message: str) -> str:
    """Marks a msgid for extraction (translated where it is used)."""
    return message


Gettext = Callable[[str], str]

_TITLES = {
    "added": N_("New"),
    "removed": N_("Removed"),
    "modified": N_("Changed"),
    "moved": N_("Moved"),
    "renumbered": N_("Renumbered"),
    "restructured": N_("Restructured"),
}
_MOVED_AND_CHANGED = N_("Moved and changed")
_ADDED = N_("added %(text)s")
_REMOVED = N_("removed %(text)s")
_SHORT_WORDS = 10
_SHORT_PAIRS = 3


@dataclass(frozen=True)
class ChangeItem:
    """One material change, said shortly: ``Changed`` · ``D.3 Late Payment › “If any…”`` ·
    ``“giving” → “we have sent”``."""

    kind: str
    title: str
    citation: str
    note: str
    words: tuple[str, ...]


@dataclass(frozen=True)
class VersionNote:
    """A version the email covers, with its front matter summary."""

    label: str
    effective: date | None
    summary: str | None


def _quote(text: str) -> str:
    return "“" + " ".join(text.split()) + "”"


def _same(message: str) -> str:
    return message


def word_changes(ops: Sequence[InlineOp], gettext: Gettext = _same) -> tuple[str, ...]:
    """The word edits of a reworded clause as short phrases (``“14” → “30”``,
    ``added “if the amount is still unpaid”``), or () when they are too many or too long to
    say shortly (the redline shows them)."""
    pairs: list[tuple[str, str]] = []
    old: list[str] = []
    new: list[str] = []
    for tag, text in [*ops, ("=", "")]:
        if tag == "-":
            old.append(text)
        elif tag == "+":
            new.append(text)
        else:
            if old or new:
                pairs.append((" ".join("".join(old).split()), " ".join("".join(new).split())))
            old, new = [], []
    pairs = [(a, b) for a, b in pairs if a or b]
    if not pairs or len(pairs) > _SHORT_PAIRS:
        return ()
    if any(len(a.split()) > _SHORT_WORDS or len(b.split()) > _SHORT_WORDS for a, b in pairs):
        return ()
    phrases = []
    for a, b in pairs:
        if a and b:
            phrases.append(f"{_quote(a)} → {_quote(b)}")
        elif b:
            phrases.append(gettext(_ADDED) % {"text": _quote(b)})
        else:
            phrases.append(gettext(_REMOVED) % {"text": _quote(a)})
    return tuple(phrases)


def change_item(change: Change, gettext: Gettext = _same) -> ChangeItem:
    """How one change is listed in an email (its title and word edits through
    ``gettext``; the move note stays in English)."""
    title = gettext(_TITLES[change.kind])
    note = ""
    if change.kind == "moved":
        note = wording.move_note(change)
        if change.reworded:
            title = gettext(_MOVED_AND_CHANGED)
    words = word_changes(change.inline, gettext) if change.reworded else ()
    return ChangeItem(change.kind, title, change.label, note, words)


def change_items(changes: ChangeSet | None, gettext: Gettext = _same) -> tuple[ChangeItem, ...]:
    """The material changes of a change set, in document order."""
    if changes is None:
        return ()
    return tuple(change_item(c, gettext) for c in changes.changes if c.material)


@dataclass(frozen=True)
class Sender:
    """Who the notices come from: the From and Reply-To addresses and the contact line."""

    address: Address
    reply_to: Address | None
    contact: str

    @property
    def provider(self) -> str:
        return self.address.display_name or self.address.domain


def email_context(
    notice: NoticeInfo,
    group: GroupChanges,
    *,
    title: str,
    site_url: str,
    sender: Sender,
    today: date,
    policy_url: str | None = None,
    language: str = "en",
    language_note: str | None = None,
    listed: Listed | None = None,
) -> dict[str, Any]:
    """The values the notice templates see (placeholders for the personal ones).
    ``in_force``: the version is in effect on ``today`` (the day the email is sent), so the
    email says "in effect since", not "takes effect on". ``language``: the email's language
    (its UI strings, dates and change titles); ``language_note``: a line saying why the
    changes are listed in the default language; ``listed``: the changes and pages of a
    current translation (default: the source's)."""
    if listed is None:
        listed = Listed(Urls(), group.base, notice.version_label, group.changes)
    urls = listed.urls.absolute(site_url)
    redline_url = (
        urls.changes(notice.slug, listed.base, listed.target)
        if listed.base is not None
        else urls.version(notice.slug, listed.target)
    )
    changes = listed.changes
    items = change_items(changes, translations(language).gettext)
    editorial = changes.summary.editorial if changes is not None else 0
    return {
        "notice_id": notice.id,
        "language": language,
        "language_note": language_note,
        "reminder": notice.kind == REMINDER,
        "subject": notice.subject,
        "title": title,
        "slug": notice.slug,
        "version": notice.version_label,
        "effective": notice.effective,
        "in_force": in_force(notice.effective, today),
        "summary": notice.summary,
        "since": group.since,
        "base": group.base,
        "versions": tuple(VersionNote(v.label, v.effective, v.summary) for v in group.versions),
        "changes": items,
        "change_count": changes.summary.total if changes is not None else 0,
        "material_count": len(items),
        "editorial_count": editorial,
        "redline_url": redline_url,
        "policy_url": policy_url or urls.policy(notice.slug),
        "provider": sender.provider,
        "contact": sender.contact,
        "customer_name": NAME,
        "accept_url": LINK,
    }


def render_email(context: dict[str, Any], *, templates: Path | None = None) -> EmailTemplate:
    """Subject (the notice's), text and HTML of one group's email in ``context["language"]``
    (pure apart from reading templates and catalogs)."""
    env = environment(templates, language=context.get("language"))
    subject = " ".join(str(context["subject"]).split())
    text = env.get_template("notices/email.txt").render(**context)
    html = env.get_template("notices/email.html").render(
        **{**context, "customer_name": NAME_HTML, "accept_url": LINK_HTML, "subject": subject}
    )
    return EmailTemplate(subject=subject, text=text, html=html)


def in_force(effective: date | None, today: date) -> bool:
    """Whether a version effective on ``effective`` is in effect on ``today``."""
    return effective is not None and effective <= today


def default_subject(
    version: StoredVersion,
    effective: date,
    today: date,
    *,
    templates: Path | None = None,
    language: str | None = None,
    title: str | None = None,
) -> str:
    """The subject line of a new notice created on ``today`` when ``--subject`` is not
    given (in ``language``, default English; ``title``: the policy's title in it)."""
    template = environment(templates, language=language).get_template("notices/subject.txt")
    return " ".join(
        template.render(
            title=title or version.title or version.slug,
            version=version.label,
            effective=effective,
            in_force=in_force(effective, today),
        ).split()
    )


def personal_values(name: str, accept_url: str) -> tuple[dict[str, str], dict[str, str]]:
    """The placeholder values of one recipient: for the text part, and HTML-escaped."""
    return (
        {NAME: name, LINK: accept_url},
        {NAME_HTML: escape(name, quote=True), LINK_HTML: escape(accept_url, quote=True)},
    )


def notice_link(
    signer: LinkSigner,
    accept_url: str,
    notice: NoticeInfo,
    customer_id: str,
    organisation: str | None = None,
) -> str:
    """The signed acceptance link of ``customer_id`` for ``notice`` (for a member written
    to for ``organisation``: their link that accepts on its behalf)."""
    claims = LinkClaims(
        customer_id, notice.slug, notice.version_label, notice.id, organisation=organisation
    )
    return link_url(accept_url, signer.sign(claims))


class NoticeRenderer:
    """Renders one notice's emails: a template per recipient group (computed once) and a
    :class:`Recipient` per outbox row (its signed link)."""

    def __init__(
        self,
        notice: NoticeInfo,
        *,
        versions: Sequence[StoredVersion],
        source: ChangeSource,
        signer: LinkSigner,
        accept_url: str,
        site_url: str,
        sender: Sender,
        templates: Path | None = None,
        today: date | None = None,
        plan: LanguagePlan | None = None,
        translated: TranslatedChanges | None = None,
    ) -> None:
        self.notice = notice
        self.plan = plan or LanguagePlan("en")
        """Which language each customer gets (default: English for everyone)."""
        self.translated = translated
        """Change sets of the current translations (None: the source's only)."""
        self.today = today or utcnow().date()
        """The day the emails are sent (the version may be in force by then)."""
        self.versions = tuple(versions)
        by_label = {v.label: v for v in self.versions}
        if notice.version_label not in by_label:
            from publisher.errors import NotFoundError

            raise NotFoundError(
                f"notice {notice.id} is for {notice.slug} version {notice.version_label}, "
                "which is not in the store",
                hint="run `publisher db sync` in the policy repository",
            )
        self.target = by_label[notice.version_label]
        self.source = source
        self.signer = signer
        self.accept_url = accept_url
        self.site_url = site_url
        self.sender = sender
        self.templates = templates
        self._groups: dict[str | None, GroupChanges] = {}
        self._rendered: dict[tuple[str | None, str], EmailTemplate] = {}

    def language_of(self, locale: str | None) -> str:
        """The language of the email of a customer with ``locale``."""
        return self.plan.language_of(locale)

    def group(self, since: str | None) -> GroupChanges:
        """What changed for customers who last accepted ``since`` (computed once)."""
        if since not in self._groups:
            self._groups[since] = group_changes(self.source, self.versions, self.target, since)
        return self._groups[since]

    def context(self, since: str | None, language: str | None = None) -> dict[str, Any]:
        language = language or self.plan.default
        group = self.group(since)
        listed = (
            self.translated.listed(language, group.base, self.notice.version_label)
            if self.translated is not None
            else None
        )
        title = self.target.title or self.notice.slug
        if language in self.plan.current and self.translated is not None:
            title = self.translated.title(language, self.notice.version_label) or title
        context = email_context(
            self.notice,
            group,
            title=title,
            site_url=self.site_url,
            sender=self.sender,
            today=self.today,
            language=language,
            language_note=self.plan.note(language) if listed is None else None,
            listed=listed,
            policy_url=(
                Urls(language).absolute(self.site_url).policy(self.notice.slug)
                if language in self.plan.current
                else None
            ),
        )
        context["subject"] = self.subject(language, title)
        return context

    def subject(self, language: str, title: str | None = None) -> str:
        """The notice's subject in ``language``: the default subject is said again in that
        language; a subject written for the notice (``--subject``) stays as written."""
        notice = self.notice
        if language.lower() == self.plan.default.lower() or notice.effective is None:
            return notice.subject
        created = notice.created_at.date()
        english = default_subject(self.target, notice.effective, created, templates=self.templates)
        if " ".join(notice.subject.split()) != english:
            return notice.subject
        return default_subject(
            self.target,
            notice.effective,
            created,
            templates=self.templates,
            language=language,
            title=title,
        )

    def template(self, since: str | None, language: str | None = None) -> EmailTemplate:
        """The group's email in ``language`` (default: the plan's default) with placeholders
        (rendered once)."""
        key = (since, language or self.plan.default)
        if key not in self._rendered:
            self._rendered[key] = render_email(
                self.context(since, key[1]), templates=self.templates
            )
        return self._rendered[key]

    def link(self, customer_id: str, organisation: str | None = None) -> str:
        """The customer's signed acceptance link for this notice (for a member written to
        for ``organisation``: their link that accepts on its behalf)."""
        return notice_link(self.signer, self.accept_url, self.notice, customer_id, organisation)

    def recipient(
        self,
        delivery_id: int,
        customer_id: str,
        email: str,
        name: str,
        organisation: str | None = None,
    ) -> Recipient:
        text_values, html_values = personal_values(name, self.link(customer_id, organisation))
        return Recipient(delivery_id, customer_id, email, name, text_values, html_values)


def make_sender(mail_from: str, reply_to: str, contact: str, *, required: bool) -> Sender:
    """The sender from the settings; without ``mail_from`` a placeholder for dry runs
    (``required`` makes it a MailerError, for the mailers that really send)."""
    from publisher.notices.mailers.message import parse_address

    if mail_from:
        address = parse_address(mail_from, setting="mail_from")
    elif required:
        from publisher.notices.mailers.base import MailerError

        raise MailerError(
            "mail_from is not set: notices need a sender",
            hint="set mail_from, e.g. PUBLISHER_MAIL_FROM='Northwind Legal "
            "<legal@northwind.example>'",
        )
    else:
        address = Address(
            display_name="Policy notices", username="notices", domain="example.invalid"
        )
    reply = parse_address(reply_to, setting="reply_to") if reply_to else None
    return Sender(address, reply, contact or (reply or address).addr_spec)
