"""Notices in each customer's language, on this repository's Privacy Policy (a German
translation that renders version 3, a French one a version behind): a German customer's email
(golden), notes for the languages whose changes are listed in English, and the refusal to
send while a recipient's translation lags (``--force`` sends it with a note)."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import example_history as english
import notices_support as support
import pytest
from goldens import Golden

from publisher.config import Settings, load_settings
from publisher.history import PolicyRepo
from publisher.notices import campaign, runner
from publisher.notices.changes import GitChanges
from publisher.notices.languages import TranslationLagError
from publisher.notices.mailers.base import Batch
from publisher.notices.mailers.message import build_message
from publisher.notices.render import NoticeRenderer, default_subject
from publisher.store import migrate
from publisher.store.customers import CustomerRow, import_customers
from publisher.store.db import Database
from publisher.store.ledger import record_acceptance

ROOT = english.ROOT
CREATED = datetime(2026, 1, 2, 10, 0, tzinfo=UTC)
SENT = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
CUSTOMERS = [
    CustomerRow(2, "dora", "dora@schmidt.example", "Dora Schmidt", "Schmidt GmbH", "de-AT"),
    CustomerRow(3, "eve", "eve@example.com", "Eve Adams", "Adams Ltd", "en-GB"),
    CustomerRow(4, "luz", "luz@example.es", "Luz Pérez", "Pérez SL", "es"),
]
FRENCH = CustomerRow(5, "remi", "remi@example.fr", "Rémi Martin", "Martin SARL", "fr-CA")


@dataclass
class Example:
    settings: Settings
    database: Database
    notice: campaign.NoticeInfo


def _example(tmp: Path, customers: list[CustomerRow]) -> Example:
    if not english.has_example_history():
        pytest.skip("needs this repository's git history of policies/ (a full clone)")
    settings = load_settings(
        ROOT,
        env=support.notice_env(),
        overrides={
            "database_url": f"sqlite:///{tmp / 'store.db'}",
            "cache_dir": str(tmp / "cache"),
            "policies": "policies/**/*.md",
            "templates": str(tmp / "no-templates"),
        },
    )
    (tmp / "no-templates").mkdir()  # the package's own footer, not this repository's
    database = migrate.open_store(settings)
    from publisher.store.versions import sync_versions

    sync_versions(database, settings, slugs=["privacy"])
    import_customers(database, customers)
    for row in customers:
        record_acceptance(
            database, customer_id=row.id, policy="privacy", version="2", method="import"
        )
    with PolicyRepo.open(settings) as repo:
        created = campaign.create_notice(
            database,
            slug="privacy",
            label="3",
            effective=date(2026, 2, 15),
            source=GitChanges(repo),
            default_notice_days=30,
            now=lambda: CREATED,
            subject_for=default_subject,
        )
    return Example(settings, database, created.notice)


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Example, NoticeRenderer]]:
    made = _example(tmp_path_factory.mktemp("i18n"), CUSTOMERS)
    sender = runner.sender_for(made.settings, mailer="smtp")
    with runner.change_source(made.settings, warn=print) as source:
        renderer = runner.renderer_for(
            made.database,
            made.settings,
            made.notice,
            source,
            sender=sender,
            warn=print,
            today=SENT.date(),
        )
        renderer.signer = support.fixed_signer()  # links the same on every run
        for language in ("de", "en", "es"):
            renderer.template("2", language)  # computed while the repository is open
        yield made, renderer
    made.database.dispose()


def _email(made: Example, renderer: NoticeRenderer, customer: str) -> tuple[str, str, str]:
    row = campaign.recipient_row(made.database, made.notice.id, customer)
    locale = next(c.locale for c in CUSTOMERS if c.id == customer)
    template = renderer.template(row.since, renderer.language_of(locale))
    recipient = renderer.recipient(row.delivery_id, row.customer_id, row.email, row.name)
    batch = Batch(
        id="0123456789abcdef",
        notice_id=made.notice.id,
        template=template,
        recipients=(recipient,),
        sender=renderer.sender.address,
    )
    message = build_message(batch, recipient, date=SENT)
    content = recipient.personalise(template)
    return str(message["Subject"]), content.text, content.html


def test_a_german_customer_gets_the_german_email(
    example: tuple[Example, NoticeRenderer], golden: Golden
) -> None:
    made, renderer = example
    assert renderer.language_of("de-AT") == "de"
    subject, text, html = _email(made, renderer, "dora")
    golden("notices/privacy-v3-de.txt", f"Subject: {subject}\n\n{text}")
    golden("notices/privacy-v3-de.html", html)
    assert subject == "Änderungen: Datenschutzerklärung, gültig ab 15. Februar 2026"
    assert text.startswith("Guten Tag Dora Schmidt,")
    assert "Version 3 tritt am 15. Februar 2026 in Kraft." in text
    assert '<html lang="de">' in html
    assert "https://policies.northwind.example/de/privacy/" in text  # the German text


def test_english_and_spanish_customers(example: tuple[Example, NoticeRenderer]) -> None:
    made, renderer = example
    subject, text, _ = _email(made, renderer, "eve")
    assert subject == "Changes to our Privacy Policy, taking effect on 15 February 2026"
    assert text.startswith("Dear Eve Adams,") and "/privacy/changes/2..3/" in text
    assert "/de/" not in text
    subject, text, html = _email(made, renderer, "luz")  # no Spanish translation
    assert subject == "Cambios: Privacy Policy, en vigor el 15 de febrero de 2026"
    assert "Esta política no está publicada en su idioma" in text
    assert "texto en inglés" in html and '<html lang="es">' in html
    assert "/privacy/changes/2..3/" in text


def test_a_lagging_translation_refuses_the_notice_unless_forced(tmp_path: Path) -> None:
    made = _example(tmp_path, [*CUSTOMERS, FRENCH])
    outbox = tmp_path / "outbox"
    send = lambda force: runner.send(  # noqa: E731
        made.database,
        made.settings,
        made.notice,
        mailer="folder",
        outbox_dir=outbox,
        force=force,
        warn=print,
        now=lambda: SENT,
    )
    try:
        with pytest.raises(TranslationLagError) as refused:
            send(False)
        message = refused.value.message
        assert "1 recipient of notice" in message
        assert "remi (fr-CA -> fr)" in message and "fr renders 2" in message
        assert "dora" not in message and "--force" in (refused.value.hint or "")
        assert not outbox.exists() or not any(outbox.rglob("*.eml"))  # nothing sent
        report = send(True)
        assert report.sent == 4
        eml = next(p for p in outbox.rglob("*remi*.eml")).read_bytes()
        french = email.message_from_bytes(eml, policy=email.policy.default)
        body = french.get_body(("plain",))
        assert body is not None
        text = body.get_content()
        assert text.startswith("Bonjour Rémi Martin,")
        assert "La traduction de cette version en français n’est pas encore prête" in text
    finally:
        made.database.dispose()
