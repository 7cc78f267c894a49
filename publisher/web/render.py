"""Rendering the acceptance pages: jinja2 templates (autoescaped) in
``publisher/templates/acceptance/``, the redline between two stored versions, the full text
(rendered like the site's pages, from :func:`publisher.pages.policy_body`).
The templates go through the product's shared environment, like the site's and the notices'.

The redline is computed from the stored texts (the web hosts need no git checkout) with
:func:`publisher.diff.compare` and cached per pair of content hashes in this process — a cache
only: every process computes the same result.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from markupsafe import Markup

from publisher.diff import REDLINE_CSS, Side, compare, render_html
from publisher.document import Document
from publisher.markdown import parse_document
from publisher.notices.languages import language_name
from publisher.pages import policy_body
from publisher.sanitize import clause_bodies
from publisher.store.translations import StoredTranslation
from publisher.store.versions import StoredVersion
from publisher.templating import environment
from publisher.web.context import LinkContext

Text = StoredVersion | StoredTranslation
"""A text the pages show: a policy version, or a translation version rendering one."""


def render(
    template: str, *, templates: Path | None = None, language: str | None = None, **values: Any
) -> str:
    """Render ``acceptance/<template>`` with the product's shared jinja2 environment
    (autoescape on, undefined is an error; see :mod:`publisher.templating`), ``templates``
    (the ``templates`` setting's folder) in front of the package's templates, its UI strings
    and dates in ``language`` (default English)."""
    env = environment(templates, language=language)
    return env.get_template(f"acceptance/{template}").render(**values)


def _source(name: str, templates: Path | None) -> str:
    """A template file's text as written (an override's, else the package's)."""
    env = environment(templates)
    assert env.loader is not None
    return env.loader.get_source(env, name)[0]


@lru_cache(maxsize=8)
def stylesheet(templates: Path | None = None) -> bytes:
    """The pages' CSS (served at /static/acceptance.css: the CSP forbids inline styles):
    ``acceptance/acceptance.css`` and the shared policy text styles, each from ``templates``
    when it has them."""
    own = _source("acceptance/acceptance.css", templates)
    body = _source("fragments/policy_body.css", templates)
    return (own + "\n" + body + "\n" + REDLINE_CSS).encode("utf-8")


@lru_cache(maxsize=8)
def favicon(templates: Path | None = None) -> bytes:
    """The service's icon (``acceptance/favicon.svg``), served at /favicon.ico as well."""
    return _source("acceptance/favicon.svg", templates).encode("utf-8")


@dataclass(frozen=True)
class Redline:
    """The changes from one version to another: HTML fragment and one-line summary."""

    html: Markup
    summary: str
    material: int
    total: int


_cache: OrderedDict[tuple[str, ...], Redline] = OrderedDict()
_lock = threading.Lock()
_CACHE_SIZE = 256


@lru_cache(maxsize=64)
def _document(sha256: str, body: str) -> Document:
    return parse_document(body)


def redline(old: StoredVersion, new: StoredVersion, *, site_url: str) -> Redline:
    """The redline from ``old`` to ``new`` (cached by content hashes)."""
    key = (old.slug, old.label, old.sha256, new.label, new.sha256, site_url)
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    changes = compare(_document(old.sha256, old.body), _document(new.sha256, new.body))
    changes = changes.labelled(
        policy=new.title or new.slug,
        old=Side(rev=old.commit, version=old.label, sha256=old.sha256),
        new=Side(rev=new.commit, version=new.label, sha256=new.sha256),
    )
    base = f"{site_url.rstrip('/')}/{new.slug}/"
    # Without the fragment's own title and counts: the page gives the heading and the
    # summary once (accept.html).
    html = render_html(
        changes, old_href=f"{base}v/{old.label}/", new_href=f"{base}v/{new.label}/", header=False
    )
    result = Redline(
        Markup(html), changes.summary.describe(), changes.summary.material, changes.summary.total
    )
    with _lock:
        _cache[key] = result
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return result


def document(version: Text) -> Document:
    """The parsed text of a stored version or translation (for the full-text section)."""
    return _document(version.sha256, version.body)


@lru_cache(maxsize=64)
def _full_text(sha256: str, body: str) -> Markup:
    parsed = _document(sha256, body)
    return Markup(policy_body(parsed, clause_bodies(parsed)))


def full_text(version: Text) -> Markup:
    """The text of a stored version as the site shows it: sanitised Markdown (lists keep
    their bullets and numbers, emphasis and links stay), an anchor on every clause."""
    return _full_text(version.sha256, version.body)


@dataclass(frozen=True)
class TextLanguage:
    """What the page says about the language of the text it shows (names in the page's
    language, for the template's translated sentences)."""

    language: str
    """The tag of the text shown (its ``lang`` attribute)."""
    source: str
    """The source's (default) language, named."""
    note: str | None = None
    """``lagging`` (the customer's language has a translation, not of this version) or
    ``missing`` (none in the customer's language): the page says the source text is shown."""
    customer: str | None = None
    """The customer's language, named (for ``lagging``)."""
    binding: str | None = None
    """With the ``binding_language`` setting and a translation shown in another language:
    that language, named, and the address of its text (``binding_url``)."""
    binding_url: str | None = None


def text_language(
    context: LinkContext, *, page: str, default: str, binding: str, site_url: str
) -> TextLanguage:
    """The language facts of ``context``'s page in the UI language ``page``: the text's
    language, the note when the source text stands in for the customer's language, and the
    binding-language line when a translation is shown."""
    shown = context.shown
    source = language_name(default, page)
    if context.translation is not None:
        language = context.translation.language
        if not binding or binding.lower() == language.lower():
            return TextLanguage(language, source)
        base = site_url.rstrip("/")
        prefix = "" if binding.lower() == default.lower() else f"/{binding}"
        return TextLanguage(
            language,
            source,
            binding=language_name(binding, page),
            binding_url=f"{base}{prefix}/{context.version.slug}/",
        )
    if shown.why == "lagging" and shown.language is not None:
        return TextLanguage(
            default, source, note="lagging", customer=language_name(shown.language, page)
        )
    locale = (context.customer.locale or default).replace("_", "-").split("-")[0].lower()
    missing = locale != default.split("-")[0].lower()
    return TextLanguage(default, source, note="missing" if missing else None)
