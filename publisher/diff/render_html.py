"""The HTML redline: a fragment (no ``<html>``) for the site, the notices and the acceptance page.

Semantic and accessible: the redline is a ``<section>`` with a summary on top and one
``<section>`` per change (``<h3>`` title linking to the clause's anchor, ``#c-b-3``);
deletions are ``<del>`` (struck through), insertions ``<ins>`` (underlined) — not colour
alone; moves carry ``change--moved`` and a "Moved" badge so they read apart from edits.
Every change has ``data-material`` and the fragment starts with a checkbox, so the CSS in
:data:`REDLINE_CSS` gives a "material changes only" filter without JavaScript. All policy
text is escaped (``html.escape``); nothing is injected raw. Pure: a change set in, a string out.
Its own words (change titles, notes, the filter) go through ``gettext`` (default: English), so
a translated site page shows its redline in the page's language.
"""

from __future__ import annotations

from html import escape

from publisher.diff import wording
from publisher.diff.model import KINDS, Change, ChangeSet, InlineOp, MetaChange
from publisher.diff.wording import Gettext, english

REDLINE_CSS = """\
.redline del { text-decoration: line-through; background: #ffebe9; color: #82071e; }
.redline ins { text-decoration: underline; background: #dafbe1; color: #116329; }
.redline .change { border-left: 4px solid #d0d7de; padding: 0 0 0 1em; margin: 1.5em 0; }
.redline .change--material { border-left-color: #9a6700; }
.redline .change--moved { border-left-style: double; border-left-width: 6px; }
.redline .change__kind, .redline .change__class {
  font-size: .8em; border: 1px solid currentColor; border-radius: .3em; padding: 0 .3em; }
.redline .change__note { font-style: italic; }
.redline__filter:checked ~ .change[data-material="false"] { display: none; }
@media print { .redline__filter, .redline__filter + label { display: none; } }
"""
"""Default styles for the fragment (the site and the notices may use their own)."""


def inline_html(ops: tuple[InlineOp, ...]) -> str:
    """Escaped text with ``<del>``/``<ins>`` around the words that changed."""
    out: list[str] = []
    for tag, text in ops:
        if tag == "=":
            out.append(escape(text))
            continue
        lead, core, trail = wording.split_edges(text)
        if not core:
            out.append(escape(text))
            continue
        element = "del" if tag == "-" else "ins"
        out.append(f"{escape(lead)}<{element}>{escape(core)}</{element}>{escape(trail)}")
    return "".join(out)


def _href(change: Change, old_href: str, new_href: str) -> str:
    if change.new is not None:
        return f"{new_href}#{change.new.anchor}"
    assert change.old is not None
    return f"{old_href}#{change.old.anchor}"


def _change(
    change: Change,
    number: int,
    *,
    id_prefix: str,
    old_href: str,
    new_href: str,
    gettext: Gettext = english,
) -> str:
    classes = [
        "change",
        f"change--{change.kind}",
        "change--material" if change.material else "change--editorial",
    ]
    if change.kind == "moved" and change.reworded:
        classes.append("change--reworded")
    if change.override is not None:
        classes.append("change--overridden")
    material = "true" if change.material else "false"
    title_id = f"{id_prefix}-change-{number}"
    parts = [
        f'<section class="{" ".join(classes)}" data-kind="{change.kind}" '
        f'data-material="{material}" aria-labelledby="{title_id}">',
        f'<h3 class="change__title" id="{title_id}">'
        f'<span class="change__kind">{escape(gettext(wording.TITLES[change.kind]))}</span> '
        f'<a href="{escape(_href(change, old_href, new_href))}">{escape(change.label)}</a> '
        f'<span class="change__class">{escape(wording.classification(change, gettext))}</span>'
        "</h3>",
    ]
    note = "; ".join(wording.notes(change, gettext))
    if note:
        parts.append(f'<p class="change__note">{escape(note[0].upper() + note[1:])}.</p>')
    if change.heading_inline and change.kind not in ("added", "removed"):
        heading = inline_html(change.heading_inline)
        said = escape(gettext("Heading: %(heading)s")).replace("%(heading)s", heading)
        parts.append(f'<p class="change__heading">{said}</p>')
    parts.extend(
        f'<p class="change__text">{inline_html(ops)}</p>' for ops in wording.body(change, gettext)
    )
    parts.append("</section>")
    return "\n".join(parts)


def _meta(change: MetaChange) -> str:
    """``Effective date: <del>2025-01-06</del> → <ins>2025-02-01</ins>``."""
    name = change.name[0].upper() + change.name[1:]
    old = escape(wording.meta_value(change, change.old))
    new = escape(wording.meta_value(change, change.new))
    old = f"<del>{old}</del>" if change.old is not None else old
    new = f"<ins>{new}</ins>" if change.new is not None else new
    return (
        f'<li class="redline__meta-change" data-field="{change.field}">'
        f"{escape(name)}: {old} → {new}</li>"
    )


def render_html(
    changes: ChangeSet,
    *,
    material_only: bool = False,
    old_href: str = "",
    new_href: str = "",
    id_prefix: str = "redline",
    header: bool = True,
    gettext: Gettext = english,
) -> str:
    """The change set as an HTML fragment.

    ``new_href``/``old_href`` prefix the clause anchors (the pages of the new and the old
    version; empty = this page); ``id_prefix`` keeps element ids unique when a page holds
    several redlines. ``header=False`` leaves out the fragment's own title, summary and
    title/date changes, for a page that shows them itself (the site's redline pages).
    ``gettext`` says the changes' titles, notes and the filter in another language (the
    header's title and counts stay English: the site's pages, which translate, have none).
    """
    prefix = escape(id_prefix)
    summary = changes.summary
    counts = "".join(
        f'<li class="redline__count redline__count--{kind}">'
        f"<strong>{getattr(summary, kind)}</strong> {kind}{summary.note(kind)}</li>"
        for kind in (*KINDS, "material", "editorial")
    )
    title = f"Changes from {changes.old.display} to {changes.new.display}"
    if changes.policy:
        title = f"{changes.policy}: {title[0].lower()}{title[1:]}"
    if header:
        parts = [
            f'<section class="redline" aria-labelledby="{prefix}-title">',
            '<header class="redline__summary">',
            f'<h2 id="{prefix}-title">{escape(title)}</h2>',
            f"<p>{escape(changes.describe())}</p>",
            f'<ul class="redline__counts">{counts}</ul>',
        ]
        if changes.meta_changes:
            parts.append('<ul class="redline__meta">')
            parts.extend(_meta(meta) for meta in changes.meta_changes)
            parts.append("</ul>")
        parts.append("</header>")
    else:
        label = escape(gettext("Changes"))
        parts = [f'<section class="redline" aria-label="{label}">']
    listed = changes.listed(material_only=material_only)
    if material_only and len(listed) < len(changes.changes):
        hidden = len(changes.changes) - len(listed)
        if hidden == 1:
            said = gettext("%(count)d editorial change not listed.")
        else:
            said = gettext("%(count)d editorial changes not listed.")
        parts.append(f'<p class="redline__hidden">{escape(said % {"count": hidden})}</p>')
    elif any(not c.material for c in listed) and any(c.material for c in listed):
        only = gettext("Material changes only")
        parts.append(
            f'<input type="checkbox" class="redline__filter" id="{prefix}-material-only">'
            f'<label for="{prefix}-material-only">{escape(only)}</label>'
        )
    for number, change in enumerate(listed, start=1):
        parts.append(
            _change(
                change,
                number,
                id_prefix=prefix,
                old_href=old_href,
                new_href=new_href,
                gettext=gettext,
            )
        )
    parts.append("</section>")
    return "\n".join(parts) + "\n"
