"""The site's other languages: every translation gets its policy's pages under
``/<lang>/<slug>/…`` (current, versions, past versions, redlines between that language's
versions, feed and JSON API), built as the source's are; each language's current page of a
family carries a language switcher (links with ``hreflang`` and ``lang``), every translated
page is marked with its ``lang``, and a lagging translation has a banner naming the source
version in force and the clauses changed since (:mod:`publisher.translations`).

Each language's current page also lists the others as ``<link rel="alternate" hreflang>``
(:attr:`SitePage.head`) and a translated page says its language (:attr:`SitePage.lang`),
which the mkdocs plugin puts into ``<head>`` and ``<html lang>``.

With the ``binding_language`` setting, every translated page says which text prevails.

A language's pages are built with its UI language (``SiteOptions.language``): the templates'
strings, the redline's words, page titles and dates come from its gettext catalog
(:mod:`publisher.i18n.catalogs`), as do the switcher's label, the lag banner and the binding
line here.

Not here yet (docs/design.md "Translations"): links between translated policies and the home
page listing languages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from html import escape
from typing import TYPE_CHECKING

from publisher import pages
from publisher.history import Policy, PolicyRepo
from publisher.i18n.catalogs import translations, ui_language
from publisher.translations import TranslationStatus, translation_status

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from publisher.site import SiteCache, SiteOptions
    from publisher.site_store import PageStore, StoredPage

    BuilderFactory = Callable[[PolicyRepo, SiteOptions, date, SiteCache], Any]
    PagesOf = Callable[[Any, Any, tuple[str, ...]], tuple[Any, list[StoredPage]]]


def language_prefix(prefix: str, language: str) -> str:
    """The URL prefix of a language's pages (``de``, ``legal/de``)."""
    return "/".join(p for p in (prefix.strip("/"), language) if p)


def switcher(urls_of: dict[str, pages.Urls], slug: str, current: str, page: str) -> str:
    """The language switcher of ``slug``'s current page in the language ``current``."""
    links = []
    for language, urls in urls_of.items():
        href = pages.relative_url(urls.policy(slug), page)
        mark = ' aria-current="page"' if language == current else ""
        links.append(
            f'<a href="{escape(href)}" hreflang="{escape(language)}" '
            f'lang="{escape(language)}"{mark}>{escape(language)}</a>'
        )
    label = escape(translations(ui_language(current)).gettext(_LANGUAGES))
    return f'<nav class="languages" aria-label="{label}">{" · ".join(links)}</nav>\n'


def alternates(urls_of: dict[str, pages.Urls], slug: str, site_url: str) -> str:
    """``<link rel="alternate" hreflang>`` of each language's current page of ``slug``, and
    ``x-default`` (the source's), as absolute URLs."""
    base = site_url.rstrip("/") + "/"
    links = [
        f'<link rel="alternate" hreflang="{escape(language)}" '
        f'href="{escape(base + urls.policy(slug))}">'
        for language, urls in urls_of.items()
    ]
    source = next(iter(urls_of.values()))
    links.append(
        f'<link rel="alternate" hreflang="x-default" href="{escape(base + source.policy(slug))}">'
    )
    return "\n".join(links) + "\n"


def N_(message: str) -> str:
    """Marks a msgid for extraction (publisher.i18n.extract)."""
    return message


_LAG = N_("This translation renders version %(renders)s; %(link)s is in force.")
_LAG_LINK = N_("version %(version)s (%(language)s)")
_LAG_CLAUSES = N_("Clauses changed since: %(clauses)s.")
_NONE = N_("none")
_LANGUAGES = N_("Languages")
_THEME = {"skip": N_("Skip to main content"), "toc": N_("On this page")}


def theme_words(language: str) -> dict[str, str]:
    """The words of the plugin's mkdocs theme templates (``mkdocs_theme/``: the skip link,
    the table of contents' toggle) in ``language``'s UI language, for a translated page's
    ``page.meta["policy_ui"]`` (mkdocs renders the theme with its own environment)."""
    ui = translations(ui_language(language))
    return {key: ui.gettext(message) for key, message in _THEME.items()}


_BINDING = N_("This is a translation. The %(link)s prevails.")
_BINDING_LINK = N_("%(language)s text")


def _said(message: str, ui: str, /, **values: str) -> str:
    """``message`` in the UI language ``ui``, its values HTML-escaped unless marked
    safe with a leading ``<a ``."""
    translated = translations(ui).gettext(message)
    return translated % {k: v if v.startswith("<a ") else escape(v) for k, v in values.items()}


def lag_banner(
    status: TranslationStatus, source_urls: pages.Urls, page: str, language: str = "en"
) -> str:
    """The banner of a lagging translation (empty when it is current), in ``language``'s
    UI language."""
    if not status.lagging or status.rendering.renders is None:
        return ""
    source = status.source
    href = pages.relative_url(source_urls.policy(source.slug), page)
    ui = ui_language(language)
    clauses = ", ".join((c.number or c.id).rstrip(".") for c in status.clauses)
    text = _said(_LAG_LINK, ui, version=source.current.label, language=source.language)
    link = f'<a href="{escape(href)}" hreflang="{escape(source.language)}">{text}</a>'
    return (
        f'<div class="translation-lag" role="note" lang="{escape(ui)}">'
        + _said(_LAG, ui, renders=status.rendering.renders.label, link=link)
        + " "
        + _said(_LAG_CLAUSES, ui, clauses=clauses or translations(ui).gettext(_NONE))
        + "</div>\n"
    )


def binding_line(binding: str, language: str, source_urls: pages.Urls, slug: str, page: str) -> str:
    """The line saying which language's text prevails (empty when none is set, or the page
    is in that language), in the page's UI language."""
    if not binding or binding.lower() == language.lower():
        return ""
    href = pages.relative_url(source_urls.policy(slug), page)
    ui = ui_language(language)
    text = _said(_BINDING_LINK, ui, language=binding)
    link = f'<a href="{escape(href)}" hreflang="{escape(binding)}">{text}</a>'
    return f'<p class="binding-language" lang="{escape(ui)}">{_said(_BINDING, ui, link=link)}</p>\n'


def language_pages(
    repo: PolicyRepo,
    options: SiteOptions,
    today: date,
    cache: SiteCache,
    sources: Sequence[Policy],
    site_pages: list[StoredPage],
    builder_of: BuilderFactory,
    pages_of: PagesOf,
    store: PageStore,
) -> list[StoredPage]:
    """The pages of every translation of ``sources``; the sources' current pages in
    ``site_pages`` get the language switcher (replaced in place). ``builder_of`` makes the
    site's page builder for a language's options, ``pages_of`` gives a build's policy info
    and pages (from the page cache or made now): both passed in, the site imports this
    module. The pages are written to ``store``."""
    found: list[StoredPage] = []
    at = {page.path: i for i, page in enumerate(site_pages)}
    for source in sources:
        translations = [t for t in repo.translations(source) if t.versions]
        if not translations:
            continue
        urls_of = {source.language: options.urls}
        urls_of.update(
            {
                t.language: pages.Urls(language_prefix(options.prefix, t.language))
                for t in translations
            }
        )
        main = options.urls.policy(source.slug)
        head = alternates(urls_of, source.slug, options.site_url)
        if main in at:
            page = site_pages[at[main]].page()
            site_pages[at[main]] = store.stored(
                replace(
                    page,
                    content=switcher(urls_of, source.slug, source.language, main) + page.text,
                    head=head,
                )
            )
        for translation in translations:
            language = translation.language
            builder = builder_of(
                repo,
                replace(options, prefix=urls_of[language].prefix, language=language),
                today,
                cache,
            )
            build = builder.plan(translation)
            _, made = pages_of(builder, build, ())
            current = urls_of[language].policy(translation.slug)
            status = translation_status(
                repo, translation, today=today, grace_days=repo.settings.translation_lag_grace_days
            )
            for stored in made:
                if stored.kind != "html":
                    found.append(stored)
                    continue
                page = stored.page()
                top, links = "", ""
                if page.path == current:
                    top = switcher(urls_of, translation.slug, language, page.path) + lag_banner(
                        status, options.urls, page.path, language
                    )
                    links = head
                top += binding_line(
                    repo.settings.binding_language,
                    language,
                    urls_of.get(repo.settings.binding_language, options.urls),
                    translation.slug,
                    page.path,
                )
                found.append(
                    store.stored(
                        replace(
                            page,
                            in_nav=False,
                            head=links,
                            lang=language,
                            content=f'{top}<div lang="{escape(language)}">\n{page.text}</div>\n',
                        )
                    )
                )
    return found
