"""Translations in the store (issue 15 item 4): ``db sync`` copies every translation version
with the source version it renders; the acceptance page shows a customer the translation in
their language when one renders exactly the version asked for, else the source text with a
note; the ledger records the language and the sha256 of the text shown; evidence exports it
and, like ``audit verify``, refuses a stored translation that was changed. SQLite and
PostgreSQL."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import store_support as support
from accept_translations_support import (
    FRENCH_V1,
    GERMAN_V1,
    GERMAN_V2,
    TRANSLATIONS,
    add_translations,
    tamper_translation,
)
from click.testing import CliRunner
from gitrepo import GitRepo
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError
from web_support import Site, accept, make_site

from publisher.cli import main
from publisher.document import body_sha256
from publisher.links import LinkClaims
from publisher.store.audit import audit_ledger
from publisher.store.customers import CustomerRow, import_customers
from publisher.store.db import Database
from publisher.store.evidence import (
    EvidenceError,
    collect_evidence,
    evidence_document,
    write_evidence,
)
from publisher.store.integrity import TextMismatch
from publisher.store.ledger import record_acceptance, records
from publisher.store.translations import (
    Candidate,
    pick_shown,
    store_translations,
    stored_translations,
)
from publisher.store.versions import get_version
from publisher.web.context import load_context, shown_facts

POLICY = "acceptable-use"


# -- which text a customer is shown ------------------------------------------------------------


def _candidate(n: int, language: str, position: int, renders: str | None) -> Candidate:
    return Candidate(n, language, position, renders, f"{n:064x}")


CANDIDATES = [
    _candidate(1, "de", 0, "1"),
    _candidate(2, "de", 1, "2"),
    _candidate(3, "fr", 0, "1"),
    _candidate(4, "pt", 0, "2"),
    _candidate(5, "de", 2, "2"),  # a later German version rendering 2 too
]


def test_the_customer_s_chain_picks_the_newest_translation_rendering_the_version() -> None:
    shown = pick_shown("de-AT", "2", CANDIDATES)
    assert (shown.why, shown.language, shown.candidate) == ("translation", "de", CANDIDATES[4])
    assert pick_shown("DE_at", "1", CANDIDATES).candidate == CANDIDATES[0]
    assert pick_shown("pt-BR", "2", CANDIDATES).candidate == CANDIDATES[3]  # pt-BR -> pt


def test_a_lagging_translation_or_none_shows_the_source_text() -> None:
    lagging = pick_shown("fr-CA", "2", CANDIDATES)
    assert (lagging.why, lagging.language, lagging.candidate) == ("lagging", "fr", None)
    for locale in ("en-GB", "es", None, "", "not a tag!"):
        assert pick_shown(locale, "2", CANDIDATES).why == "source", locale
    # a lagging pt-BR translation is the customer's language: pt does not stand in for it
    lagging_br = [*CANDIDATES, _candidate(6, "pt-BR", 0, "1")]
    assert pick_shown("pt-BR", "2", lagging_br).why == "lagging"
    assert pick_shown("de", "3", CANDIDATES).why == "lagging"  # no German text of 3


# -- db sync -----------------------------------------------------------------------------------

GERMAN_FILE = """---
lang: de
title: Richtlinie zur zulässigen Nutzung
version: "de-2"
translation_of: "2"
---
""" + GERMAN_V2.replace("Netz", "Netzwerk")

FRENCH_FILE = (
    """---
title: Politique d’utilisation acceptable
---
"""
    + FRENCH_V1
)


def _repo(path: Path) -> Path:
    """acceptable-use 1 and 2; French written after 1 (renders 1, inferred), German of 2."""
    repo = GitRepo.init(path)
    repo.write("policies/acceptable-use.md", support.AUP_FILE_V1)
    repo.commit("Publish the acceptable use policy", date="2024-01-10")
    repo.write("policies/acceptable-use.fr.md", FRENCH_FILE)
    repo.commit("French translation", date="2024-01-20")
    repo.write("policies/acceptable-use.md", support.AUP_FILE_V2)
    repo.commit("AUP v2: bulk mail and scanning", date="2024-03-01")
    repo.write("policies/acceptable-use.de.md", GERMAN_FILE)
    repo.commit("German translation of 2", date="2024-03-05")
    return path


def _sync(repo: Path, url: str) -> dict[str, object]:
    result = CliRunner().invoke(
        main, ["-C", str(repo), "db", "sync", "--format", "json", "--database-url", url]
    )
    assert result.exit_code == 0, result.output
    found: dict[str, object] = json.loads(result.stdout)
    return found


def test_db_sync_stores_every_translation_version_once(tmp_path: Path, database_url: str) -> None:
    repo = _repo(tmp_path / "repo")
    assert _sync(repo, database_url)["translations"] == {"added": 2, "unchanged": 0}
    db = Database.from_url(database_url, root=repo)
    try:
        german, french = sorted(stored_translations(db), key=lambda t: t.language != "de")
        assert (german.language, german.label, german.renders, german.inferred) == (
            "de",
            "de-2",
            "2",
            False,
        )
        assert (french.language, french.renders, french.inferred) == ("fr", "1", True)
        assert german.body == GERMAN_V2.replace("Netz", "Netzwerk")
        assert german.sha256 == body_sha256(german.body)
        assert german.title == "Richtlinie zur zulässigen Nutzung"
        git = GitRepo(repo)
        assert german.blob == git.git("rev-parse", "HEAD:policies/acceptable-use.de.md").strip()
        assert german.commit == git.head() and german.path == "policies/acceptable-use.de.md"
    finally:
        db.dispose()
    assert _sync(repo, database_url)["translations"] == {"added": 0, "unchanged": 2}
    # a fix under the same label is a new row; the text shown before stays
    GitRepo(repo).commit(
        "Fix the German text",
        files={"policies/acceptable-use.de.md": GERMAN_FILE.replace("Netzwerk", "Netz")},
    )
    assert _sync(repo, database_url)["translations"] == {"added": 1, "unchanged": 1}
    db = Database.from_url(database_url, root=repo)
    try:
        bodies = [t.body for t in stored_translations(db) if t.language == "de"]
        assert bodies == [GERMAN_V2.replace("Netz", "Netzwerk"), GERMAN_V2]
        assert audit_ledger(db, repo_root=repo).ok
    finally:
        db.dispose()


def test_translations_are_append_only(database: Database) -> None:
    support.seed(database)
    add_translations(database)
    for statement in ("UPDATE translations SET body = 'x'", "DELETE FROM translations"):
        with pytest.raises(DBAPIError, match="append-only"), database.engine.begin() as c:
            c.execute(text(statement))
    assert len(stored_translations(database)) == 3


def test_audit_compares_stored_translations_with_git(tmp_path: Path, database_url: str) -> None:
    """Body and sha256 rewritten together: only the blob in git disagrees."""
    repo = _repo(tmp_path / "repo")
    _sync(repo, database_url)
    db = Database.from_url(database_url, root=repo)
    try:
        forged = GERMAN_V2 + "4. Sie verzichten auf alle Rechte.\n"
        tamper_translation(
            db,
            "UPDATE translations SET body = :b, sha256 = :s WHERE language = 'de'",
            b=forged,
            s=body_sha256(forged),
        )
        assert not [m for k, m in audit_ledger(db).messages if k == "text"]
        messages = [m for k, m in audit_ledger(db, repo_root=repo).messages if k == "text"]
        assert len(messages) == 1
        assert (
            "acceptable-use (de) version de-2 differs from policies/acceptable-use.de.md"
            in (messages[0])
        )
    finally:
        db.dispose()


# -- the acceptance page -----------------------------------------------------------------------


@pytest.fixture
def translated(database_url: str, tmp_path: Path) -> Iterator[Site]:
    made = make_site(database_url, tmp_path, PUBLISHER_BINDING_LANGUAGE="en")
    add_translations(made.database)
    try:
        yield made
    finally:
        made.client.close()
        made.database.dispose()


def _fulltext(html: str) -> str:
    return html.split('<details class="fulltext"')[1].split("</details>")[0]


def test_a_german_customer_reads_the_german_text_and_which_text_prevails(
    translated: Site,
) -> None:
    page = translated.client.get(translated.link("c4"))
    assert page.status_code == 200
    full = _fulltext(page.text)
    assert 'lang="de"' in full and "Sie dürfen die Rechner anderer Kunden nicht scannen." in full
    assert "<h1>Richtlinie zur zulässigen Nutzung" in page.text
    assert (
        '<p class="binding-language">Dies ist eine Übersetzung. Maßgeblich ist der '
        '<a href="https://policies.example.com/acceptable-use/">Text (Englisch)</a>.</p>'
    ) in page.text
    older = translated.client.get(translated.link("c4", version="1"))
    assert "Sie dürfen keinen Spam versenden." in _fulltext(older.text)
    assert body_sha256(GERMAN_V1) in older.text


def test_a_lagging_translation_shows_the_english_text_with_a_note(translated: Site) -> None:
    page = translated.client.get(translated.link("c5"))
    assert page.status_code == 200 and '<html lang="fr">' in page.text
    full = _fulltext(page.text)
    assert 'lang="en"' in full and "You shall not scan other customers" in full
    assert "Vous ne devez pas" not in page.text
    assert (
        '<p class="translation-note" role="note">La traduction de cette version en français '
        "n’est pas encore prête ; le texte ci-dessous est le texte en anglais, qui est celui "
        "qui s’applique.</p>"
    ) in page.text
    assert "binding-language" not in page.text  # the binding text itself is shown
    # version 1 has a French text: no note
    older = translated.client.get(translated.link("c5", version="1"))
    assert "Vous ne devez pas envoyer de spam." in older.text
    assert "translation-note" not in older.text
    assert accept(translated, translated.link("c5")).status_code == 303
    record = next(r for r in records(translated.database) if r.customer_id == "c5")
    source = get_version(translated.database, POLICY, "2")
    assert (record.language, record.shown_sha256) == ("en", source.sha256)


def test_a_customer_without_a_translation_gets_a_note_and_one_in_english_none(
    translated: Site,
) -> None:
    spanish = translated.client.get(translated.link("c6"))
    assert (
        "Esta política no está publicada en su idioma; el texto siguiente es el texto en "
        "inglés, que es el que se aplica."
    ) in spanish.text
    english = translated.client.get(translated.link("c2"))  # no locale
    assert "translation-note" not in english.text and 'lang="en"' in _fulltext(english.text)
    british = translated.client.get(translated.link("c1"))  # en-GB
    assert "translation-note" not in british.text


def test_the_ledger_and_evidence_carry_the_german_text(translated: Site, tmp_path: Path) -> None:
    response = accept(translated, translated.link("c4"))
    assert response.status_code == 303
    receipt = translated.client.get(response.headers["location"])
    assert (
        "<dt>Angezeigter Text (sha256, de)</dt>"
        f'<dd><code class="hash">{body_sha256(GERMAN_V2)}</code></dd>'
    ) in receipt.text
    record = next(r for r in records(translated.database) if r.customer_id == "c4")
    assert (record.language, record.shown_sha256) == ("de", body_sha256(GERMAN_V2))
    assert audit_ledger(translated.database).ok
    evidence = collect_evidence(translated.database, "c4")
    written = write_evidence(evidence, tmp_path / "evidence")
    shown = tmp_path / "evidence" / f"texts/{POLICY}/2.de.{body_sha256(GERMAN_V2)[:12]}.md"
    assert shown in written and shown.read_text(encoding="utf-8") == GERMAN_V2
    sums = (tmp_path / "evidence" / "SHA256SUMS").read_text()
    assert f"{body_sha256(GERMAN_V2)}  texts/{POLICY}/2.de." in sums
    document = json.loads((tmp_path / "evidence" / "evidence.json").read_text())
    (entry,) = document["acceptances"]
    assert entry["translation_text_file"] == shown.relative_to(tmp_path / "evidence").as_posix()
    assert (
        "shown in de (translation version 2" in (tmp_path / "evidence" / "README.txt").read_text()
    )


BRAZILIAN_V2 = "# Política de uso aceitável\n\n1. Você não deve enviar spam.\n"


def test_a_translation_in_a_language_without_ui_strings_is_recorded_in_its_language(
    translated: Site,
) -> None:
    """The ledger names the language of the text shown, not the page's UI language: a
    pt-BR text (no pt catalog ships) is recorded as pt-BR with its own hash."""
    brazilian = replace(
        TRANSLATIONS[1],
        language="pt-BR",
        title="Política de uso aceitável",
        path=f"policies/{POLICY}.pt-BR.md",
        sha256=body_sha256(BRAZILIAN_V2),
        body=BRAZILIAN_V2,
    )
    store_translations(translated.database, [brazilian])
    import_customers(
        translated.database, [CustomerRow(8, "c7", "ana@example.com.br", "Ana Lima", "", "pt-BR")]
    )
    assert accept(translated, translated.link("c7")).status_code == 303
    record = next(r for r in records(translated.database) if r.customer_id == "c7")
    assert (record.language, record.shown_sha256) == ("pt-BR", body_sha256(BRAZILIAN_V2))


def test_a_tampered_translation_is_never_shown_exported_or_passed(translated: Site) -> None:
    assert accept(translated, translated.link("c4")).status_code == 303
    tamper_translation(
        translated.database,
        "UPDATE translations SET body = body || :extra WHERE language = 'de' AND label = '2'",
        extra="4. Sie verzichten auf alle Rechte.\n",
    )
    audit = audit_ledger(translated.database)
    assert not audit.ok
    texts = [m for k, m in audit.messages if k == "text"]
    assert len(texts) == 1 and "acceptable-use (de) version 2 hashes to" in texts[0]
    with pytest.raises(TextMismatch, match=r"acceptable-use \(de\) version 2"):
        collect_evidence(translated.database, "c4")
    page = translated.client.get(translated.link("c4"))
    assert page.status_code == 404 and "verzichten" not in page.text


def test_a_translation_shown_that_is_gone_from_the_store_fails(translated: Site) -> None:
    """Body and sha256 rewritten together: the record still names the text shown."""
    assert accept(translated, translated.link("c4")).status_code == 303
    forged = GERMAN_V2 + "4. Sie verzichten auf alle Rechte.\n"
    tamper_translation(
        translated.database,
        "UPDATE translations SET body = :b, sha256 = :s WHERE language = 'de' AND label = '2'",
        b=forged,
        s=body_sha256(forged),
    )
    messages = [m for k, m in audit_ledger(translated.database).messages if k == "text"]
    assert len(messages) == 1 and "record seq 2: the text shown (de translation" in messages[0]
    with pytest.raises(EvidenceError, match="is not in the store"):
        collect_evidence(translated.database, "c4")


def test_an_app_s_own_shown_text_is_not_looked_for(database: Database) -> None:
    support.seed(database)
    record_acceptance(
        database,
        customer_id="c1",
        policy=POLICY,
        version="2",
        method="api",
        language="de",
        shown_sha256="a" * 64,
    )
    assert audit_ledger(database).ok
    evidence = collect_evidence(database, "c1")
    assert evidence.shown == {}
    (entry,) = evidence_document(evidence)["acceptances"]
    assert entry["record"]["shown_sha256"] == "a" * 64
    assert entry["text_shown"] is None and entry["translation"] is None


def test_recording_reads_the_text_shown_in_one_query(translated: Site) -> None:
    """The POST's facts (language, hash of the text shown) come from one statement, and
    are the text the page showed."""
    statements: list[str] = []

    def count(*args: object) -> None:
        if str(args[2]).lstrip().upper() != "BEGIN":  # SQLite's transaction control
            statements.append(str(args[2]))

    def traced(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.set_trace_callback(statements.append)  # what the driver runs

    engine = translated.database.autocommit_engine
    sqlite = translated.database.dialect == "sqlite"  # the hot read bypasses SQLAlchemy
    if sqlite:
        engine.dispose()  # every connection from here on is traced
        event.listen(engine, "connect", traced)
    else:
        event.listen(engine, "before_cursor_execute", count)
    try:
        for customer, label in (("c4", "2"), ("c4", "1"), ("c5", "2"), ("c5", "1"), ("c2", "2")):
            statements.clear()
            claims = LinkClaims(customer, POLICY, label, None)
            facts = shown_facts(translated.database, claims)
            assert len(statements) == 1, statements
            context = load_context(translated.database, claims)
            language = context.translation.language if context.translation else None
            assert facts == (language, context.text.sha256), (customer, label)
    finally:
        if sqlite:
            event.remove(engine, "connect", traced)
            engine.dispose()
        else:
            event.remove(engine, "before_cursor_execute", count)
