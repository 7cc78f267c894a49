"""PDFs of a redline and of a version, from the HTML and the print styles the site uses.

The page is the site's own: the policy text is :func:`publisher.pages.policy_body` (the
fragment every version page shows), the redline :func:`publisher.diff.render_html`; the
stylesheet is the site's ``policies.css`` (whose ``@media print`` rules drop the self-links
and make insertions and deletions black, underlined and struck through, so they survive a
black-and-white printer), then :data:`PAGE_CSS`: the paper, and in the page margins the
policy's title, the version(s) and dates, and "Page N of M". WeasyPrint (a maintained
HTML/CSS-to-PDF library on pango, installed by pip) lays it out for print media.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from html import escape

from publisher.diff import REDLINE_CSS, render_html
from publisher.diff.model import ChangeSet
from publisher.document import Document
from publisher.templating import environment

PAGE_CSS = """\
@page {
  size: A4; margin: 22mm 18mm 20mm 18mm;
  @top-left { content: %(left)s; font: 8.5pt sans-serif; color: #000; }
  @top-right { content: %(right)s; font: 8.5pt sans-serif; color: #000; }
  @bottom-center { content: "Page " counter(page) " of " counter(pages);
                   font: 8.5pt sans-serif; color: #000; }
}
html { font: 10.5pt/1.5 serif; color: #000; }
.pdf-title { font-size: 1.6em; margin: 0 0 .2em; }
.pdf-facts { margin: 0 0 1.5em; font-size: .95em; }
.redline ins { text-decoration: underline; text-decoration-thickness: 1.5px; }
.redline del { text-decoration: line-through; text-decoration-thickness: 1.5px; }
.redline .change { border-left: 2px solid #000; }
.redline .change--editorial { border-left-style: dotted; }
.clause-link { display: none; }
/* the "[deleted: …]" words said to screen readers: paper shows the strike and underline */
del::before, del::after, ins::before, ins::after { content: none; }
.policy-body li.clause-item { display: block; }
.policy-body li.clause-item > .clause-number { float: left; margin-right: .5em; }
"""
"""The page box and its margin texts (``left``/``right``: CSS strings, per document)."""


@dataclass(frozen=True)
class PageFacts:
    """What the page header says: the policy's title (left) and versions and dates (right)."""

    title: str
    versions: str


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def site_css() -> str:
    """The site's stylesheet for the policy pages (with the redline's styles)."""
    template = environment(None).get_template("site/policies.css")
    return template.render(redline_css=REDLINE_CSS)


def page_html(body: str, facts: PageFacts, *, heading: str, lines: list[str]) -> str:
    """A whole HTML page around ``body`` (already escaped HTML) for printing."""
    page = PAGE_CSS % {"left": _css_string(facts.title), "right": _css_string(facts.versions)}
    facts_html = "".join(f"<div>{escape(line)}</div>" for line in lines)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(heading)}</title>"
        f"<style>{site_css()}\n{page}</style></head>"
        f'<body><main class="policy"><h1 class="pdf-title">{escape(heading)}</h1>'
        f'<div class="pdf-facts">{facts_html}</div>\n{body}</main></body></html>\n'
    )


def html_to_pdf(html: str) -> bytes:
    """Lay out an HTML page for print and return the PDF's bytes."""
    import weasyprint

    # WeasyPrint warns about every CSS property it ignores (the screen styles' grids):
    # noise for a reader of the command's output, and so are the redline's links to clause
    # anchors of the site's version pages, which a PDF of the redline does not hold.
    logging.getLogger("weasyprint").setLevel(logging.CRITICAL)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    pdf = weasyprint.HTML(string=html).write_pdf()
    assert pdf is not None
    return bytes(pdf)


def _day(value: date | None) -> str:
    return value.isoformat() if value else "no effective date"


def redline_pdf_html(changes: ChangeSet, *, material_only: bool = False) -> str:
    """The page of a redline: the site's redline fragment under a title (only the material
    changes listed with ``material_only``)."""
    title = changes.new.title or changes.old.title or changes.policy or "Policy"
    versions = (
        f"{changes.old.display} ({_day(changes.old.effective)}) → "
        f"{changes.new.display} ({_day(changes.new.effective)})"
    )
    lines = [f"Compares {versions}"]
    return page_html(
        render_html(changes, material_only=material_only),
        PageFacts(title, f"Redline {versions}"),
        heading=f"{title}: changes",
        lines=lines,
    )


def redline_pdf(changes: ChangeSet, *, material_only: bool = False) -> bytes:
    """A redline as a PDF."""
    return html_to_pdf(redline_pdf_html(changes, material_only=material_only))


def version_pdf_html(
    document: Document,
    *,
    version: str | None,
    effective: date | None,
    published: date | None = None,
) -> str:
    """The page of one version: the policy text as the site's version page shows it."""
    from publisher.pages import policy_body
    from publisher.sanitize import clause_bodies

    title = document.meta.title or document.title or "Policy"
    label = f"Version {version}" if version else "Unversioned"
    right = f"{label} · effective {_day(effective)}"
    lines = [right]
    if published:
        lines.append(f"Published {published.isoformat()}")
    body = policy_body(document, clause_bodies(document))
    return page_html(body, PageFacts(title, right), heading=title, lines=lines)


def version_pdf(
    document: Document,
    *,
    version: str | None,
    effective: date | None,
    published: date | None = None,
) -> bytes:
    """A version of a policy as a PDF."""
    return html_to_pdf(
        version_pdf_html(document, version=version, effective=effective, published=published)
    )
