"""Raw HTML blocks are read as the clauses they show (issue 10 item 3): headings open
sections, lists give items and bullets with their numbers, tables their cells, paragraphs
their bold lead-ins — like their Markdown equivalents — sanitised, with no raw tag in any
clause's label or text, on the site or in a redline. Synthetic documents; golden redlines."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from kinds_support import diff, kinds, policy

from publisher.diff import render_html, render_text
from publisher.markdown import parse_document
from publisher.sanitize import clause_bodies

HTML = """Intro text.

<h2>1. Acceptable use</h2>
<p><strong>Spam.</strong> You must not send bulk mail.</p>
<ul>
  <li>no <em>phishing</em>;</li>
  <li>no malware, see <a href="https://example.com/list">our list</a>;
    <ul><li>including trojans</li></ul>
  </li>
</ul>

<h2>2. Payment</h2>
<ol start="3">
<li>Fees are due monthly.</li>

<li>Taxes are extra.</li>
</ol>

<table>
<tr><th>Plan</th><th>Price</th></tr>
<tr><td>Basic</td><td>$5</td></tr>
</table>
"""

MARKDOWN = """Intro text.

## 1. Acceptable use

**Spam.** You must not send bulk mail.

- no *phishing*;
- no malware, see [our list](https://example.com/list);
  - including trojans

## 2. Payment

3. Fees are due monthly.
4. Taxes are extra.

| Plan | Price |
| --- | --- |
| Basic | $5 |
"""


def shape(text: str) -> list[tuple[str, str, str | None, str | None, str]]:
    return [
        (c.id, c.kind, c.number, c.heading, c.text) for c in parse_document(policy(text)).walk()
    ]


def test_html_blocks_give_the_clauses_of_their_markdown_equivalent() -> None:
    assert shape(HTML) == shape(MARKDOWN)
    html_doc = parse_document(policy(HTML))
    md_doc = parse_document(policy(MARKDOWN))
    for html_clause, md_clause in zip(html_doc.walk(), md_doc.walk(), strict=True):
        assert html_clause.links == md_clause.links, html_clause.id
        assert html_clause.emphasis == md_clause.emphasis, html_clause.id
        assert html_clause.cells == md_clause.cells, html_clause.id
    assert shape(HTML)[1] == ("1", "section", "1.", "Acceptable use", "")
    assert ("2.3", "item", "3.", None, "Fees are due monthly.") in shape(HTML)


def test_html_clauses_carry_the_file_lines_of_their_elements() -> None:
    document = parse_document(policy(HTML))
    offset = policy("").count("\n")
    lines = {c.id: c.lines[0] - offset for c in document.walk()}
    assert lines["1"] == 3  # <h2>1. Acceptable use</h2>
    assert lines["1.spam"] == 4
    assert lines["1.l2.l1"] == 8
    assert lines["2.4"] == 16  # after a blank line inside the <ol>


def test_rewriting_markdown_as_html_is_not_a_material_change_either_way() -> None:
    for old, new in ((MARKDOWN, HTML), (HTML, MARKDOWN)):
        changes = diff(old, new)
        assert not any(c.material for c in changes.changes), render_text(changes)


def test_a_word_changed_inside_an_html_list_is_one_modified_bullet_both_ways() -> None:
    edited = HTML.replace("no <em>phishing</em>;", "no <em>phishing</em> or smishing;")
    changes = diff(HTML, edited, "html-list-word-added")
    assert kinds(changes) == ["modified"]
    assert changes.changes[0].new is not None and changes.changes[0].new.id == "1.l1"
    assert [op for op in changes.changes[0].inline if op[0] != "="] == [("+", " or smishing")]
    back = diff(edited, HTML, "html-list-word-removed")
    assert kinds(back) == ["modified"]
    assert [op for op in back.changes[0].inline if op[0] != "="] == [("-", " or smishing")]


def test_an_html_table_cell_change_is_reported_by_cell() -> None:
    changes = diff(HTML, HTML.replace("<td>$5</td>", "<td>$7</td>"), "html-table-cell")
    assert kinds(changes) == ["modified"]
    assert changes.changes[0].material
    assert "$7" in render_text(changes)


TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*[\s/>]")


def test_hostile_html_is_dropped_and_no_tag_reaches_labels_text_site_or_redline() -> None:
    hostile = (
        '<h2 onclick="x()">3. <script>alert(1)</script>Conduct</h2>\n'
        '<p style="color:red">Be <a href="javascript:alert(1)">kind</a>'
        '<img src=x onerror=alert(2) alt="smile">.</p>\n'
        "<ul><li>one<li>two <iframe src=//evil></iframe></ul>\n"
        "<style>p { color: red }</style>\n"
    )
    document = parse_document(policy(hostile))
    for clause in document.walk():
        assert not TAG.search(clause.label + clause.text), clause
        assert not any(target.startswith("javascript:") for _, target in clause.links)
    assert [c.text for c in document.walk() if c.kind == "bullet"] == ["one", "two"]
    section = document.clauses[0]
    assert (section.number, section.heading) == ("3.", "Conduct")
    for body in clause_bodies(document).values():
        html = (body.heading or "") + body.html
        assert "script" not in html and "javascript" not in html and "onerror" not in html
        assert "iframe" not in html and "style" not in html
    changes = diff(hostile, hostile.replace("one", "uno"))
    rendered = render_html(changes)
    assert "<script" not in rendered and "javascript:" not in rendered and "<iframe" not in rendered


def test_site_renders_html_clauses_once_each_from_their_text() -> None:
    document = parse_document(policy(HTML))
    bodies = clause_bodies(document)
    assert bodies["1.l2"].html == (
        '<p>no malware, see <a href="https://example.com/list">our list</a>;</p>'
    )
    assert bodies["1.l2.l1"].html == "<p>including trojans</p>"
    assert bodies["2"].heading == "2. Payment" and bodies["2"].html == ""
    assert "<th>Plan</th>" in bodies["2.table1"].html and "$5" in bodies["2.table1"].html
    seen = [b.html for b in bodies.values() if b.html]
    assert len(seen) == len(set(seen)), "a clause rendered another clause's lines too"


_FRAGMENTS = st.sampled_from(
    [
        "<ul>",
        "</ul>",
        "<ol start=2>",
        "</ol>",
        "<li>",
        "</li>",
        "<p>",
        "</p>",
        "<h2>",
        "</h2>",
        "<table>",
        "<tr>",
        "<td>",
        "</td>",
        "</table>",
        "<b>",
        "</b>",
        "<a href='http://x'>",
        "</a>",
        "<script>",
        "</script>",
        "<!--",
        "-->",
        "1. ",
        "- ",
        "word ",
        "\n",
        "\n\n",
        "**",
        "|",
        "#",
        "<br>",
        "<div>",
        "</div>",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_FRAGMENTS, max_size=40))
def test_any_html_soup_parses_without_a_tag_in_any_clause(parts: list[str]) -> None:
    document = parse_document(policy("<div>\n" + "".join(parts) + "\n"))
    for clause in document.walk():
        assert not TAG.search(clause.label + clause.text), clause
    clause_bodies(document)


def test_html_nested_beyond_any_policy_keeps_its_text_and_parses() -> None:
    # 5,000 nested lists: the tree stops nesting at html_blocks.MAX_DEPTH, words are kept.
    document = parse_document(policy("<div>\n" + "<ul><li>deep " * 5000 + "\n"))
    clauses = list(document.walk())
    assert max(c.level for c in clauses) < 30
    assert sum(c.text.count("deep") for c in clauses) == 5000


def test_a_thousand_sections_of_one_heading_get_distinct_ids_in_order() -> None:
    document = parse_document(policy("## Terms\n\nText.\n\n" * 1000))
    sections = [c.id for c in document.clauses]
    assert sections == ["terms"] + [f"terms-{n}" for n in range(2, 1001)]
