"""Policy Markdown → safe HTML, clause by clause. Pure: text in, strings out.

Policies may contain raw HTML (github/site-policy does); it is never passed through. Markdown is
rendered by mistune with raw HTML kept, then every fragment goes through ``nh3`` (the Python
binding of the Rust sanitiser ammonia) with an allow-list of tags and attributes and a URL
scheme allow-list: ``<script>``/``<style>`` lose their content, event handlers (``onerror=``),
``style`` and ``id`` attributes are dropped, and ``javascript:``/``data:`` links lose their
``href``. mistune itself already neutralises harmful link schemes in Markdown links; ammonia is
the second, authoritative line.

:func:`clause_bodies` renders the *own* Markdown of every clause of a document (its source
lines minus its children's, list marker and heading marker removed), in one mistune pass for
the whole document, so a page can wrap each clause in its own element with its anchor.
"""

from __future__ import annotations

import re
import secrets
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import mistune
import nh3
from markupsafe import escape

from publisher.document import Clause, Document

__all__ = [
    "SANITIZER_VERSION",
    "ClauseBody",
    "clause_bodies",
    "inline_to_html",
    "markdown_to_html",
    "sanitize_html",
]

#: Bump when the output of this module changes for the same input (cached pages depend on it).
SANITIZER_VERSION = "1"

ALLOWED_TAGS = frozenset(nh3.ALLOWED_TAGS - {"area", "map", "center", "strike", "tt", "acronym"})
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "hreflang", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start", "type"},
    "th": {"scope", "rowspan", "colspan", "align"},
    "td": {"rowspan", "colspan", "align"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "del": {"datetime"},
    "ins": {"datetime"},
    "time": {"datetime"},
    "code": {"class"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})

_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags={"script", "style"},
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes=set(URL_SCHEMES),
    link_rel="noopener noreferrer nofollow",
    strip_comments=True,
)


@lru_cache(maxsize=1)
def _markdown() -> mistune.Markdown:
    return mistune.create_markdown(
        escape=False, hard_wrap=False, plugins=["strikethrough", "table", "url"]
    )


def sanitize_html(html: str) -> str:
    """``html`` with everything outside the allow-list removed (see the module doc)."""
    return _CLEANER.clean(html)


def markdown_to_html(text: str) -> str:
    """Block Markdown (raw HTML allowed in the input) → sanitised HTML."""
    return sanitize_html(str(_markdown()(text)))


def inline_to_html(text: str) -> str:
    """One line of inline Markdown (a heading's text) → sanitised HTML without a block
    element around it. ``1. Definitions`` stays text: it is not turned into a list."""
    html = str(_markdown()("###### " + " ".join(text.split())))
    return sanitize_html(_strip_heading(html))


_H6 = re.compile(r"\A\s*<h6[^>]*>(.*)</h6>\s*\Z", re.DOTALL)


def _strip_heading(html: str) -> str:
    match = _H6.match(html)
    return match.group(1) if match else html


# ------------------------------------------------------------------------- clause bodies


@dataclass(frozen=True)
class ClauseBody:
    """The rendered own content of one clause.

    ``heading`` is the inline HTML of a section's heading (with its number as written) or
    None; ``html`` the block HTML of the clause's own text (children excluded); ``marker`` the
    number to show beside a list item whose marker was taken off (``"3."``), else None.
    """

    heading: str | None
    html: str
    marker: str | None = None


_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_LIST_MARKER = re.compile(r"^([ \t]*)([-*+]|(\d{1,9})[.)])([ \t]+|$)")
_REFERENCE = re.compile(r"^ {0,3}\[[^\]\n]+\]:[ \t]*\S.*$", re.MULTILINE)
_MARKUP = re.compile(r"[*_`\\]")
#: A clause whose own source starts with an HTML block tag came from raw HTML
#: (:mod:`publisher.html_blocks`): its lines may hold other clauses' elements too, so it is
#: rendered from its parsed text, never from those lines.
_HTML_BLOCK_START = re.compile(
    r"^\s*</?(?:h[1-6]|ul|ol|li|table|thead|tbody|tfoot|tr|td|th|caption|p|div|dl|dt|dd"
    r"|blockquote|pre|section|article|main|header|footer|aside|nav|center)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Chunk:
    clause: Clause
    kind: str  # "heading" | "block"
    markdown: str
    marker: str | None = None


def _own_lines(clause: Clause, lines: list[str], first_line: int) -> list[str] | None:
    """The clause's own source lines (its span minus its children's), or None when its span
    does not lie inside the body."""
    start, end = clause.lines
    if start < first_line or end < start or end - first_line >= len(lines):
        return None
    taken: set[int] = set()
    for child in clause.children:
        c_start, c_end = child.lines
        taken.update(range(c_start, c_end + 1))
    own = [lines[n - first_line] for n in range(start, end + 1) if n not in taken]
    while own and not own[-1].strip():
        own.pop()
    return own


def _item_chunk(clause: Clause, own: list[str]) -> _Chunk:
    """A list item or bullet: take the marker off the first line and dedent the rest."""
    first = own[0]
    match = _LIST_MARKER.match(first)
    if match is None:
        return _Chunk(clause, "block", textwrap.dedent("\n".join(own)))
    width = len(match.group(0)) if match.group(4) else len(match.group(0)) + 1
    rest = [line[width:] if line[:width].strip() == "" else line.lstrip() for line in own[1:]]
    text = "\n".join([first[len(match.group(0)) :], *rest])
    # An ordered-list item: its number was in the marker. Show it beside the text, unless the
    # text itself starts with the clause's number ("1. (a) …" keeps "(a)" in place).
    ordered = match.group(3) is not None and clause.number is not None
    marker = (
        clause.number if ordered and not _starts_with_number(text, clause.number or "") else None
    )
    return _Chunk(clause, "block", textwrap.dedent(text), marker)


def _starts_with_number(text: str, number: str) -> bool:
    return _MARKUP.sub("", text).lstrip().startswith(number.strip())


def _chunks(document: Document) -> Iterator[_Chunk | Clause]:
    """One chunk per clause with usable source lines; the bare clause otherwise."""
    lines = document.body.split("\n")
    first = document.body_start_line
    for clause in document.walk():
        own = _own_lines(clause, lines, first)
        if not own or not any(line.strip() for line in own):
            yield clause
            continue
        while own and not own[0].strip():
            own.pop(0)
        if clause.kind != "code" and _HTML_BLOCK_START.match(own[0]):
            yield clause
            continue
        if clause.kind == "section":
            heading = _ATX.match(own[0])
            if heading is not None:
                yield _Chunk(clause, "heading", heading.group(2) or "")
                rest = own[1:]
            elif len(own) > 1 and _SETEXT.match(own[1]):
                yield _Chunk(clause, "heading", own[0].strip())
                rest = own[2:]
            else:
                yield clause
                continue
            text = [line for line in rest if line.strip()]
            # Lines of an HTML block whose elements are the section's children: not its own.
            if text and not _HTML_BLOCK_START.match(text[0]):
                yield _Chunk(clause, "block", textwrap.dedent("\n".join(rest)))
        elif clause.kind in ("item", "bullet"):
            yield _item_chunk(clause, own)
        else:
            yield _Chunk(clause, "block", textwrap.dedent("\n".join(own)))


def _fallback(clause: Clause) -> ClauseBody:
    """A clause rendered from its parsed values rather than its source lines (unknown, or
    raw HTML): its plain text, escaped, with its links and a table's cells."""
    heading = str(escape(clause.label)) if clause.kind == "section" and clause.label else None
    if clause.cells:
        return ClauseBody(heading=heading, html=_table(clause.cells))
    html = f"<p>{_with_links(clause.text, clause.links)}</p>" if clause.text else ""
    return ClauseBody(heading=heading, html=html)


_SAFE_HREF = re.compile(r"^(?:https?:|mailto:|#|/|\.{0,2}/|[^:/?#]+(?:[/?#]|$))", re.IGNORECASE)


def _with_links(text: str, links: tuple[tuple[str, str], ...]) -> str:
    """``text`` escaped, the first occurrence of each link's text (after the previous link)
    made a link to its target when that target has a safe scheme."""
    out: list[str] = []
    position = 0
    for label, target in links:
        found = text.find(label, position) if label else -1
        if found < 0 or not _SAFE_HREF.match(target):
            continue
        out.append(str(escape(text[position:found])))
        out.append(f'<a href="{escape(target)}">{escape(label)}</a>')
        position = found + len(label)
    out.append(str(escape(text[position:])))
    return "".join(out)


def _table(rows: tuple[tuple[str, ...], ...]) -> str:
    head, *body = rows
    cells = "".join(f"<th>{escape(cell)}</th>" for cell in head)
    lines = [f"<table><thead><tr>{cells}</tr></thead><tbody>"]
    for row in body:
        lines.append("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>")
    lines.append("</tbody></table>")
    return "".join(lines)


#: Rendered chunks by (kind, source, reference definitions): the versions of a policy share
#: most of their clauses, so a site build renders each distinct clause once. Bounded.
_RENDERED: dict[tuple[str, str, str], str] = {}
_RENDERED_MAX = 200_000


def clause_bodies(document: Document) -> dict[str, ClauseBody]:
    """Clause id → its rendered, sanitised own content, for every clause of ``document``.

    The clauses' own Markdown chunks not rendered before (in this process) are rendered in
    one mistune pass: joined with a random separator comment, the HTML is split on it again
    (link reference definitions of the document are appended, so ``[text][1]`` links keep
    working). If the split does not give back one piece per chunk (an unclosed raw
    ``<script>`` or ``<pre>`` swallows what follows), each chunk is rendered on its own.
    """
    chunks: list[_Chunk] = []
    bodies: dict[str, ClauseBody] = {}
    for item in _chunks(document):
        if isinstance(item, Clause):
            bodies[item.id] = _fallback(item)
        else:
            chunks.append(item)
    references = "\n".join(_REFERENCE.findall(document.body))
    keys = [(c.kind, _source(c), references) for c in chunks]
    todo = list({k: c for k, c in zip(keys, chunks, strict=True) if k not in _RENDERED}.items())
    if todo:
        fresh = [c for _, c in todo]
        pieces = _render_together(fresh, references) or [_render_one(c, references) for c in fresh]
        if len(_RENDERED) + len(todo) > _RENDERED_MAX:
            _RENDERED.clear()
        for (key, chunk), html in zip(todo, pieces, strict=True):
            if chunk.kind == "heading":
                _RENDERED[key] = sanitize_html(_strip_heading(html))
            else:
                _RENDERED[key] = sanitize_html(html).strip()
    headings: dict[str, str] = {}
    blocks: dict[str, list[str]] = {}
    markers: dict[str, str | None] = {}
    for chunk, key in zip(chunks, keys, strict=True):
        html = _RENDERED[key]
        if chunk.kind == "heading":
            headings[chunk.clause.id] = html
        else:
            blocks.setdefault(chunk.clause.id, []).append(html)
            markers.setdefault(chunk.clause.id, chunk.marker)
    for clause in document.walk():
        if clause.id in bodies:
            continue
        bodies[clause.id] = ClauseBody(
            heading=headings.get(clause.id),
            html="\n".join(blocks.get(clause.id, [])),
            marker=markers.get(clause.id),
        )
    return bodies


def _source(chunk: _Chunk) -> str:
    if chunk.kind == "heading":
        return "###### " + " ".join(chunk.markdown.split())
    return chunk.markdown


def _render_one(chunk: _Chunk, references: str) -> str:
    return str(_markdown()(_source(chunk) + ("\n\n" + references if references else "")))


def _render_together(chunks: list[_Chunk], references: str) -> list[str] | None:
    if not chunks:
        return []
    separator = f"<!--publisher-clause-{secrets.token_hex(8)}-->"
    source = f"\n\n{separator}\n\n".join(_source(c) for c in chunks)
    if references:
        source += f"\n\n{separator}\n\n{references}"
    html = str(_markdown()(source))
    pieces = html.split(separator)
    if references:
        pieces = pieces[:-1] if len(pieces) == len(chunks) + 1 else []
    return pieces if len(pieces) == len(chunks) else None
