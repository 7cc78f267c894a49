"""Rendering the acceptance pages: jinja2 templates (autoescaped) in
``publisher/templates/acceptance/``, the redline between two stored versions, the full text.

The redline is computed from the stored texts (the web hosts need no git checkout) with
:func:`publisher.diff.compare` and cached per pair of content hashes in this process — a cache
only: every process computes the same result.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

from publisher.diff import REDLINE_CSS, Side, compare, render_html
from publisher.document import Document
from publisher.markdown import parse_document
from publisher.store.versions import StoredVersion

TEMPLATE_DIR = "templates/acceptance"


@cache
def environment() -> jinja2.Environment:
    """The templates of the acceptance pages (autoescape on, undefined is an error)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("publisher", TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters["long_date"] = long_date
    env.filters["utc"] = utc_time
    return env


def render(template: str, **values: Any) -> str:
    return environment().get_template(template).render(**values)


def long_date(value: Any) -> str:
    """``1 March 2026``: the same on every machine, no locale data."""
    if value is None:
        return ""
    months = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")
    return f"{value.day} {months[value.month - 1]} {value.year}"


def utc_time(value: Any) -> str:
    """``1 March 2026, 14:05:09 UTC``."""
    return f"{long_date(value)}, {value:%H:%M:%S} UTC"


@cache
def stylesheet() -> bytes:
    """The pages' CSS (served at /static/acceptance.css: the CSP forbids inline styles)."""
    own = resources.files("publisher").joinpath(TEMPLATE_DIR, "acceptance.css").read_text("utf-8")
    return (own + "\n" + REDLINE_CSS).encode("utf-8")


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
    html = render_html(changes, old_href=f"{base}v/{old.label}/", new_href=f"{base}v/{new.label}/")
    result = Redline(Markup(html), changes.summary.describe(), changes.summary.material,
                     changes.summary.total)
    with _lock:
        _cache[key] = result
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return result


def document(version: StoredVersion) -> Document:
    """The parsed text of a stored version (for the full-text section)."""
    return _document(version.sha256, version.body)
