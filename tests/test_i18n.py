"""Our UI in the reader's language: locale fallback chains, dates by Babel, and catalogs
that translate every msgid of the templates (publisher/i18n)."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from babel.messages.pofile import read_po

from publisher.i18n import fallback_chain, format_long_date, pick_language, translations
from publisher.i18n.catalogs import UI_LANGUAGES, catalog_path, ui_language
from publisher.i18n.extract import extract_messages
from publisher.i18n.locales import page_language
from publisher.notices.languages import LanguagePlan, language_name
from publisher.templating import environment


@pytest.mark.parametrize(
    ("locale", "chain"),
    [
        ("pt-BR", ["pt-BR", "pt", "en"]),
        ("pt_br", ["pt-BR", "pt", "en"]),
        ("DE", ["de", "en"]),
        ("en-GB", ["en-GB", "en"]),
        ("zh-Hans-CN", ["zh-Hans-CN", "zh-Hans", "zh", "en"]),
        ("en", ["en"]),
        (None, ["en"]),
        ("", ["en"]),
        ("   ", ["en"]),
        ("not a locale", ["en"]),
        ("x", ["en"]),
        ("de--AT", ["en"]),
    ],
)
def test_the_fallback_chain_goes_from_the_most_specific_to_the_default(
    locale: str | None, chain: list[str]
) -> None:
    assert fallback_chain(locale, "en") == chain


def test_the_default_language_ends_every_chain_once() -> None:
    assert fallback_chain("fr-CA", "fr") == ["fr-CA", "fr"]
    assert fallback_chain("de-AT", "fr") == ["de-AT", "de", "fr"]


def test_the_first_available_language_of_the_chain_is_picked() -> None:
    assert pick_language("pt-BR", ["en", "pt"], "en") == "pt"
    assert pick_language("pt-BR", ["en", "pt-BR", "pt"], "en") == "pt-BR"
    assert pick_language("de-AT", ["en", "de"], "en") == "de"
    assert pick_language("it", ["en", "de"], "en") == "en"
    assert pick_language("PT_br", ["pt-br"], "en") == "pt-br"  # as spelled where it is
    assert pick_language(None, ["de"], "en") == "en"
    assert page_language("es-MX", "en") == "es"
    assert page_language("ja", "en") == "en"


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (None, "1 March 2026"),
        ("en", "1 March 2026"),
        ("en-US", "1 March 2026"),
        ("de", "1. März 2026"),
        ("de-AT", "1. März 2026"),
        ("fr", "1 mars 2026"),
        ("es", "1 de marzo de 2026"),
        ("xx", "1 March 2026"),
    ],
)
def test_dates_are_localised_by_babel(language: str | None, said: str) -> None:
    assert format_long_date(date(2026, 3, 1), language) == said
    assert format_long_date(datetime(2026, 3, 1, 23, 59), language) == said
    assert format_long_date(None, language) == ""


def test_the_ui_language_of_a_content_language() -> None:
    assert ui_language("de-CH") == "de"
    assert ui_language("pt-BR") == "en"  # no catalog: English
    assert ui_language(None) == "en"


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"%\((\w+)\)[sd]", text))


@pytest.mark.parametrize("language", [lang for lang in UI_LANGUAGES if lang != "en"])
def test_every_catalog_translates_every_msgid(language: str) -> None:
    from importlib import resources

    wanted = {m.id for m in extract_messages() if m.id}
    assert len(wanted) > 50
    with resources.files("publisher").joinpath(catalog_path(language)).open("rb") as handle:
        catalog = read_po(handle, locale=language)
    have = {m.id: m for m in catalog if m.id}
    missing = [m for m in wanted if m not in have]
    assert not missing, f"{language}: msgids without an entry (python -m publisher.i18n.extract)"
    for msgid in wanted:
        message = have[msgid]
        assert not message.fuzzy, msgid
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        ids = msgid if isinstance(msgid, tuple) else (msgid,)
        assert all(strings), f"{language}: {msgid!r} is not translated"
        for text in strings:
            assert _placeholders(text) == _placeholders(ids[-1]), (language, msgid)


def test_strings_are_translated_and_plurals_follow_the_language() -> None:
    german = translations("de")
    assert german.gettext("I accept") == "Ich stimme zu"
    assert translations("fr").gettext("I accept") == "J’accepte"
    assert translations("es").gettext("I accept") == "Acepto"
    assert translations("en").gettext("I accept") == "I accept"
    assert translations("ja").gettext("I accept") == "I accept"
    one = "Also %(num)d editorial change (punctuation, numbering or similar, with no change in meaning), shown in the full comparison."
    many = one.replace("change (", "changes (")
    assert german.ngettext(one, many, 1).startswith("Außerdem %(num)d redaktionelle Änderung (")
    assert german.ngettext(one, many, 3).startswith("Außerdem %(num)d redaktionelle Änderungen (")


def test_templates_render_in_each_language_with_escaping_kept() -> None:
    template = "{{ _('Hello %(name)s,', name=name) }} {{ effective|long_date }}"
    values = {"name": "<Ana & Co>", "effective": date(2026, 3, 1)}
    english = environment().from_string(template).render(**values)
    german = environment(language="de-AT").from_string(template).render(**values)
    assert english == "Hello &lt;Ana &amp; Co&gt;, 1 March 2026"
    assert german == "Guten Tag &lt;Ana &amp; Co&gt;, 1. März 2026"


def test_the_note_says_why_changes_are_in_the_default_language() -> None:
    plan = LanguagePlan("en", current={"de": {"3": "2026-03-01"}}, lagging={"fr": "2"})
    assert plan.language_of("fr-CA") == "fr" and plan.language_of("es") == "es"
    assert plan.language_of("it") == "en" and plan.language_of(None) == "en"
    assert plan.note("en") is None
    assert "Übersetzung" in (plan.note("de") or "")  # current, but nothing to compare
    assert plan.note("fr") == (
        "La traduction de cette version en français n’est pas encore prête ; les "
        "modifications ci-dessous sont celles du texte en anglais, qui est celui qui "
        "s’applique."
    )
    assert plan.note("es") == (
        "Esta política no está publicada en su idioma; los cambios siguientes son los del "
        "texto en inglés, que es el que se aplica."
    )
    assert language_name("de", "de") == "Deutsch" and language_name("zz-??", "de") == "zz-??"
