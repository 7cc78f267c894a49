"""Translations of the seeded acceptable-use policy for the acceptance-page tests: a German
translation of both versions and a French one of version 1 only (it lags version 2), stored
as ``publisher db sync`` stores them, and the customers who read them."""

from __future__ import annotations

from sqlalchemy import text

from publisher.document import body_sha256
from publisher.store.customers import CustomerRow, import_customers
from publisher.store.db import Database
from publisher.store.translations import TranslationText, store_translations

POLICY = "acceptable-use"

GERMAN_V1 = """# Richtlinie zur zulässigen Nutzung

1. Sie dürfen keinen Spam versenden.
2. Sie dürfen das Netz nicht angreifen.
"""

GERMAN_V2 = """# Richtlinie zur zulässigen Nutzung

1. Sie dürfen keine Massen- oder unerwünschten E-Mails versenden.
2. Sie dürfen die Rechner anderer Kunden nicht scannen.
3. Sie dürfen das Netz nicht angreifen.
"""

FRENCH_V1 = """# Politique d’utilisation acceptable

1. Vous ne devez pas envoyer de spam.
2. Vous ne devez pas attaquer le réseau.
"""

GERMAN = CustomerRow(5, "c4", "dora@schmidt.example", "Dora Schmidt", "Schmidt GmbH", "de-AT")
FRENCH = CustomerRow(6, "c5", "remi@example.fr", "Rémi Martin", "Martin SARL", "fr-CA")
SPANISH = CustomerRow(7, "c6", "luz@example.es", "Luz Pérez", "Pérez SL", "es")


def translation(
    language: str, label: str, position: int, renders: str, body: str
) -> TranslationText:
    title = {"de": "Richtlinie zur zulässigen Nutzung", "fr": "Politique d’utilisation acceptable"}
    return TranslationText(
        slug=POLICY,
        language=language,
        label=label,
        position=position,
        renders=renders,
        inferred=False,
        title=title[language],
        commit=f"{position + 11:040x}",
        path=f"policies/{POLICY}.{language}.md",
        blob=f"{position + 21:040x}",
        sha256=body_sha256(body),
        body=body,
    )


TRANSLATIONS = (
    translation("de", "1", 0, "1", GERMAN_V1),
    translation("de", "2", 1, "2", GERMAN_V2),
    translation("fr", "1", 0, "1", FRENCH_V1),
)


def add_translations(database: Database) -> None:
    """The translations above and the German, French and Spanish customers."""
    store_translations(database, TRANSLATIONS)
    import_customers(database, [GERMAN, FRENCH, SPANISH])


def tamper_translation(database: Database, statement: str, **values: str) -> None:
    """Run ``statement`` on ``translations`` past its append-only triggers, as an
    administrator of the database could."""
    with database.engine.begin() as connection:
        if database.dialect == "sqlite":
            connection.execute(text("DROP TRIGGER translations_no_update"))
        else:
            connection.execute(text("ALTER TABLE translations DISABLE TRIGGER USER"))
        connection.execute(text(statement), values)
