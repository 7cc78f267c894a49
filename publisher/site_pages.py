"""Pages of the site that are not themed: the redirects that keep the address of a redline
the site no longer publishes (:func:`redirect_pages`), and a redline's Word document
(:func:`redline_docx`).

A redline from a version outside the ``redline_window`` to the version in force (or to the
latest) is not published (see :func:`publisher.site_versions.redline_pairs`); its addresses,
which an earlier site had, answer with a tiny page that sends the reader to the version
history at that version (a meta refresh, a canonical link and a plain link), and its JSON
with a small document naming the policy's versions JSON. At most two such redlines per
version, so the redirects stay linear in the versions. A translation's redirects are said in
its language (:func:`publisher.i18n.catalogs.translations`).
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from html import escape

from publisher.diff import ChangeSet
from publisher.document import Document
from publisher.history import PolicyRepo, Version
from publisher.i18n.catalogs import translations, ui_language
from publisher.site_model import SitePage
from publisher.urls import Urls, label_path, relative_url

__all__ = ["redirect_html", "redirect_pages", "redline_docx"]


def redirect_html(target: str, canonical: str, message: str, language: str | None = None) -> str:
    """A page that sends the reader to ``target`` (a link relative to the page) at once:
    meta refresh, ``rel=canonical`` (``canonical`` is absolute) and a plain link, in
    ``language`` (default English)."""
    href, absolute = escape(target), escape(canonical)
    go = translations(language).gettext("Go to the version history")
    return (
        "<!doctype html>\n"
        f'<html lang="{escape(ui_language(language))}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(message)}</title>\n"
        '<meta name="robots" content="noindex">\n'
        f'<link rel="canonical" href="{absolute}">\n'
        f'<meta http-equiv="refresh" content="0; url={href}">\n'
        "</head>\n<body>\n"
        f'<p>{escape(message)} <a href="{href}">{escape(go)}</a>.</p>\n'
        "</body>\n</html>\n"
    )


def redirect_pages(
    urls: Urls,
    base_url: str,
    slug: str,
    old: str,
    new: str,
    *,
    api: bool,
    language: str | None = None,
) -> Iterator[SitePage]:
    """The redirects of the unpublished redline ``old..new`` of ``slug``: its page, its
    "material changes only" page and (with ``api``) its JSON (its message in ``language``,
    default English)."""
    history = urls.versions(slug) + f"#v-{label_path(old)}"
    canonical = base_url.rstrip("/") + "/" + history
    message = translations(language).gettext(
        "The redline from version %(old)s to version %(new)s is no longer published: "
        "version %(old)s was last in force too long ago. The version history lists every "
        "change, version by version."
    ) % {"old": old, "new": new}
    for page in (urls.changes(slug, old, new), urls.changes_material(slug, old, new)):
        yield SitePage(
            path=page + "index.html",
            kind="file",
            content=redirect_html(relative_url(history, page), canonical, message, language),
        )
    if api:
        link = urls.absolute(base_url)
        data = {
            "policy": slug,
            "old": {"version": old},
            "new": {"version": new},
            "published": False,
            "message": message,
            "versions": link.api_versions(slug),
            "history": link.versions(slug),
        }
        yield SitePage(
            path=urls.api_changes(slug, old, new),
            kind="file",
            content=json.dumps(data, ensure_ascii=False) + "\n",
        )


def redline_docx(repo: PolicyRepo, changeset: ChangeSet, old: Version, new: Version) -> bytes:
    """The redline as a Word document with tracked changes, exactly as ``publisher diff
    <slug> --from <old> --to <new> --format docx`` writes it (revisions by the new
    version's author, on its author date)."""
    return docx_bytes(
        changeset,
        repo.document(old.revision),
        repo.document(new.revision),
        new.revision.author_name,
        new.revision.authored,
    )


def docx_bytes(
    changeset: ChangeSet, old: Document, new: Document, author: str, authored: datetime
) -> bytes:
    """The Word redline of ``changeset`` between the documents ``old`` and ``new``, its
    revisions by ``author`` on ``authored`` (:func:`redline_docx`, given the documents)."""
    from publisher.formats.docx import render_docx
    from publisher.formats.sources import Redline

    return _stamped(render_docx(Redline(changeset, old, new, author, authored)), authored)


def _stamped(data: bytes, when: datetime) -> bytes:
    """The .docx with every zip entry dated ``when`` instead of the time it was written,
    so the same redline always gives the same bytes (a rebuild leaves the file alone)."""
    stamp = when.astimezone(UTC).timetuple()[:6]
    stamp = max(stamp, (1980, 1, 1, 0, 0, 0))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=stamp)
            info.compress_type = entry.compress_type
            info.external_attr = entry.external_attr
            target.writestr(info, source.read(entry))
    return out.getvalue()
