"""The acceptance page in the customer's language (golden, for a German customer, who is
shown the German translation of the version), and the ledger's record of the language and
the sha256 of the text shown, on SQLite and PostgreSQL; evidence exports carry both."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import web_support as web_accept
from accept_translations_support import GERMAN_V2, add_translations
from goldens import Golden
from web_support import Site, accept, make_site

from publisher.document import body_sha256
from publisher.store.evidence import collect_evidence, evidence_document
from publisher.store.ledger import record_acceptance, records
from publisher.store.versions import get_version


@pytest.fixture
def site(database_url: str, tmp_path: Path) -> Iterator[Site]:
    made = make_site(database_url, tmp_path)
    add_translations(made.database)
    record_acceptance(
        made.database, customer_id="c4", policy=web_accept.POLICY, version="1", method="import"
    )
    try:
        yield made
    finally:
        made.client.close()
        made.database.dispose()


def _stable(html: str) -> str:
    """The page without its per-request values (the signed link, CSRF field, nonces)."""
    html = re.sub(r"/a/[A-Za-z0-9_.-]+", "/a/TOKEN", html)
    html = re.sub(r'name="csrf" value="[^"]+"', 'name="csrf" value="…"', html)
    return re.sub(r'nonce="[^"]+"', 'nonce="…"', html)


def test_a_german_customer_gets_the_page_in_german(site: Site, golden: Golden) -> None:
    page = site.client.get(site.link("c4"))
    assert page.status_code == 200
    golden("acceptance/accept-de.html", _stable(page.text))
    assert '<html lang="de">' in page.text
    assert "Guten Tag Dora Schmidt (Schmidt GmbH)," in page.text
    assert 'class="accept__button">Ich stimme zu</button>' in page.text
    assert "Diese Version gilt ab dem <strong>1. Februar 2024</strong>." in page.text
    assert '<article class="policy" lang="de"' in page.text
    assert "Sie dürfen die Rechner anderer Kunden nicht scannen." in page.text
    assert "shall not scan" not in page.text.split('class="fulltext"')[1]
    assert body_sha256(GERMAN_V2) in page.text  # the fingerprint of the text shown
    assert "translation-note" not in page.text
    english = site.client.get(site.link("c2"))
    assert '<html lang="en">' in english.text and "I accept" in english.text


def test_the_ledger_records_the_language_and_hash_of_the_text_shown(site: Site) -> None:
    response = accept(site, site.link("c4"))
    assert response.status_code == 303
    receipt = site.client.get(response.headers["location"])
    assert "Vielen Dank: Ihre Zustimmung ist gespeichert" in receipt.text
    version = get_version(site.database, web_accept.POLICY, "2")
    german = next(r for r in records(site.database) if r.customer_id == "c4" and r.version == "2")
    assert german.language == "de"
    assert german.shown_sha256 == body_sha256(GERMAN_V2) != version.sha256
    assert german.content_sha256 == version.sha256  # what is accepted: the source version
    assert accept(site, site.link("c2")).status_code == 303  # no locale: the default
    bob = next(r for r in records(site.database) if r.customer_id == "c2" and r.version == "2")
    assert bob.language == "en" and bob.shown_sha256 == version.sha256
    imported = next(r for r in records(site.database) if r.method == "import")
    assert imported.language is None and imported.shown_sha256 is None
    exported = evidence_document(collect_evidence(site.database, "c4"))
    (entry,) = [a for a in exported["acceptances"] if a["record"]["version"] == "2"]
    assert entry["record"]["language"] == "de"
    assert entry["record"]["shown_sha256"] == body_sha256(GERMAN_V2)
    assert entry["text_shown"] == "translation"
    assert entry["translation"]["language"] == "de"
    assert entry["translation"]["renders"] == "2"
    assert entry["translation_text"] == GERMAN_V2
    assert entry["text"] == version.body  # the source text accepted, as before
    (bobs,) = [
        a
        for a in evidence_document(collect_evidence(site.database, "c2"))["acceptances"]
        if a["record"]["version"] == "2"
    ]
    assert bobs["text_shown"] == "source" and bobs["translation"] is None
