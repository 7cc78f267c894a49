"""A Word redline: the new version of a policy with real tracked changes.

python-docx makes the document (styles, headings, lists, core properties); the revision
elements it lacks are written here with its ``OxmlElement``: ``w:ins``/``w:del`` around the
words that changed (``w:delText`` for deleted text), the paragraph mark inserted or deleted
with a whole clause, and ``w:moveFrom``/``w:moveTo`` inside named move ranges
(``w:moveFromRangeStart`` … ``w:moveToRangeEnd``) for a moved clause, at both ends. Every
revision carries the author and date of the new revision. Numbers are written as the policy
writes them (``B.``, ``3.``, ``(a)``), so a renumbering is a tracked change too.

At the top, a change summary (not tracked: it is about the redline) lists the material and
then, apart, the editorial changes; the policy text follows from the bookmark
``policy_text``. Word's "Accept all" on that part gives exactly the new version's clauses,
"Reject all" the old ones.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import count

import docx
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Cm
from docx.text.paragraph import Paragraph as DocxParagraph

from publisher.diff import wording
from publisher.diff.model import Change, ChangeSet
from publisher.formats.layout import Paragraph, Segment, layout
from publisher.formats.sources import Redline

BOOKMARK = "policy_text"
"""The bookmark where the policy text starts (after the change summary)."""

_INDENT = Cm(0.75)
_HEADING_KINDS = frozenset({"section"})
_MARK: dict[str, str] = {
    "inserted": "w:ins",
    "deleted": "w:del",
    "moved-from": "w:moveFrom",
    "moved-to": "w:moveTo",
}


class _Revisions:
    """Revision attributes: one id sequence for the whole document, one author and date."""

    def __init__(self, author: str, date: datetime) -> None:
        self.author = author
        self.date = date.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self._ids: Iterator[int] = count(1)

    def next_id(self) -> str:
        return str(next(self._ids))

    def element(self, tag: str, *, dated: bool = True, **attrs: str) -> BaseOxmlElement:
        el = OxmlElement(tag)
        el.set(qn("w:id"), self.next_id())
        if dated:
            el.set(qn("w:author"), self.author)
            el.set(qn("w:date"), self.date)
        for name, value in attrs.items():
            el.set(qn(f"w:{name}"), value)
        return el


def _run(text: str, *, bold: bool, deleted: bool) -> BaseOxmlElement:
    run = OxmlElement("w:r")
    if bold:
        props = OxmlElement("w:rPr")
        props.append(OxmlElement("w:b"))
        run.append(props)
    body = OxmlElement("w:delText" if deleted else "w:t")
    body.set(qn("xml:space"), "preserve")
    body.text = text
    run.append(body)
    return run


def _segments(
    target: BaseOxmlElement, segments: tuple[Segment, ...], rev: _Revisions, *, whole_deleted: bool
) -> None:
    """Runs for the segments into ``target``: ``-`` in ``w:del``, ``+`` in ``w:ins``."""
    for segment in segments:
        deleted = whole_deleted or segment.tag == "-"
        run = _run(segment.text, bold=segment.bold, deleted=deleted)
        if segment.tag == "=":
            target.append(run)
            continue
        wrapper = rev.element("w:del" if segment.tag == "-" else "w:ins")
        wrapper.append(run)
        target.append(wrapper)


def _mark_paragraph(paragraph: DocxParagraph, tag: str, rev: _Revisions) -> None:
    """Track the paragraph mark itself (a clause that came, went or moved as a whole)."""
    p_pr = paragraph._p.get_or_add_pPr()
    r_pr = p_pr.find(qn("w:rPr"))
    if r_pr is None:
        r_pr = OxmlElement("w:rPr")
        p_pr.append(r_pr)
    r_pr.append(rev.element(tag))


def _fill(paragraph: DocxParagraph, item: Paragraph, rev: _Revisions) -> None:
    p = paragraph._p
    if item.revision == "kept":
        _segments(p, item.segments, rev, whole_deleted=False)
        return
    if item.revision in ("inserted", "deleted"):
        tag = _MARK[item.revision]
        wrapper = rev.element(tag)
        for segment in item.segments:
            wrapper.append(_run(segment.text, bold=segment.bold, deleted=tag == "w:del"))
        p.append(wrapper)
        _mark_paragraph(paragraph, tag, rev)
        return
    assert item.move is not None
    side = "moveFrom" if item.revision == "moved-from" else "moveTo"
    start = rev.element(f"w:{side}RangeStart", name=item.move)
    p.append(start)
    wrapper = rev.element(f"w:{side}")
    _segments(wrapper, item.segments, rev, whole_deleted=side == "moveFrom")
    p.append(wrapper)
    end = OxmlElement(f"w:{side}RangeEnd")
    end.set(qn("w:id"), start.get(qn("w:id")))
    p.append(end)
    _mark_paragraph(paragraph, f"w:{side}", rev)


def _style(item: Paragraph) -> tuple[str, int]:
    """The Word style of a clause's paragraph and its indentation level."""
    if item.kind in _HEADING_KINDS:
        return f"Heading {min(item.depth + 1, 9)}", 0
    if item.kind == "bullet":
        return "List Bullet", item.depth
    return "Normal", item.depth


def _summary_line(change: Change) -> str:
    notes = "; ".join(wording.notes(change))
    line = f"{wording.TITLES[change.kind]} {change.label}"
    return f"{line} ({notes})" if notes else line


class _Styles:
    """Paragraphs added at the end of the body with a style set by id. python-docx looks a
    style name up by scanning every style on each paragraph (most of the time of a long
    policy): here once per name."""

    def __init__(self, document: docx.document.Document) -> None:
        self.document = document
        self.ids: dict[str, str | None] = {}
        self.body = document.element.body
        # python-docx finds the section properties anew for each paragraph it adds (a scan
        # of the body: quadratic for a long policy); new paragraphs go just before them.
        self.end = self.body.sectPr

    def add(self, style: str, text: str | None = None) -> DocxParagraph:
        if style not in self.ids:
            self.ids[style] = None if style == "Normal" else self.document.styles[style].style_id
        element = OxmlElement("w:p")
        if self.end is not None:
            self.end.addprevious(element)
        else:
            self.body.append(element)
        paragraph = DocxParagraph(element, self.document._body)
        if text:
            paragraph.add_run(text)
        style_id = self.ids[style]
        if style_id is not None:
            paragraph._p.get_or_add_pPr().style = style_id
        return paragraph


def _summary(document: docx.document.Document, changes: ChangeSet) -> None:
    styles = _Styles(document)
    title = f"Changes from {changes.old.display} to {changes.new.display}"
    if changes.policy:
        title = f"{changes.policy}: {title[0].lower()}{title[1:]}"
    styles.add("Heading 1", title)
    styles.add("Normal", changes.describe())
    for meta in changes.meta_changes:
        styles.add("List Bullet", wording.meta_line(meta).strip())
    for heading, material in (("Material changes", True), ("Editorial changes", False)):
        listed = [c for c in changes.changes if c.material is material]
        if not listed:
            continue
        styles.add("Heading 2", f"{heading} ({len(listed)})")
        for change in listed:
            styles.add("List Bullet", _summary_line(change))


def _bookmark(paragraph: DocxParagraph, rev: _Revisions) -> None:
    start = rev.element("w:bookmarkStart", dated=False, name=BOOKMARK)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), start.get(qn("w:id")))
    paragraph._p.insert(0 if paragraph._p.pPr is None else 1, start)
    paragraph._p.append(end)


def _title(redline: Redline) -> Paragraph:
    old = redline.changes.old.title or redline.old.title or ""
    new = redline.changes.new.title or redline.new.title or ""
    if old == new:
        segments: tuple[Segment, ...] = (Segment("=", new),)
    else:
        segments = tuple(s for s in (Segment("-", old), Segment("+", new)) if s.text)
    return Paragraph("title", 0, "kept", segments)


def render_docx(redline: Redline) -> bytes:
    """The redline as the bytes of a .docx file."""
    changes = redline.changes
    rev = _Revisions(redline.author, redline.date)
    document = docx.Document()
    properties = document.core_properties
    properties.title = changes.new.title or redline.new.title or changes.policy or ""
    properties.author = redline.author
    properties.subject = f"Redline {changes.old.display} → {changes.new.display}"
    properties.created = properties.modified = redline.date.replace(microsecond=0)
    # python-docx's template carries a fixed revision count and last-saved date: make them ours.
    properties.revision = 1
    properties.last_modified_by = redline.author
    _summary(document, changes)
    document.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)

    title = _title(redline)
    first = document.add_paragraph(style="Title")
    _fill(first, title, rev)
    _bookmark(first, rev)
    styles = _Styles(document)
    for item in layout(changes, redline.old, redline.new):
        style, indent = _style(item)
        paragraph = styles.add(style)
        if indent:
            paragraph.paragraph_format.left_indent = _INDENT * indent
        _fill(paragraph, item, rev)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
