"""The renderers on hand-built documents: escaping, anchors, classes, markers, colour."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from publisher.diff import (
    Override,
    Side,
    compare,
    render_html,
    render_json,
    render_markdown,
    render_text,
)
from publisher.document import Clause, Document, PolicyMeta


def _doc(*clauses: Clause) -> Document:
    return Document(meta=PolicyMeta(slug="terms"), title=None, clauses=clauses)


def _section(cid: str, number: str, heading: str, *children: Clause) -> Clause:
    return Clause(
        id=cid, kind="section", number=number, heading=heading, text="", children=children
    )


def _para(cid: str, text: str) -> Clause:
    return Clause(id=cid, kind="paragraph", number=None, heading=None, text=text)


OLD = _doc(
    _section("a", "A.", "Fees <b>", _para("a.p1", "Pay within 14 days & don't be late.")),
    _section("b", "B.", "Use", _para("b.p1", "No spam."), _para("b.p2", "Be *kind*.")),
    _section("c", "C.", "Law", _para("c.p1", "English law applies.")),
)
NEW = _doc(
    _section("a", "A.", "Fees <b>", _para("a.p1", "Pay within 30 days & don't be late.")),
    _section("b", "B.", "Law", _para("b.p1", "English law applies.")),
    _section("c", "C.", "Use", _para("c.p1", "No spam!"), _para("c.p2", "1. Be *kind*.")),
)
CHANGES = compare(OLD, NEW, overrides=[Override("editorial", "c.p2", f"{'f' * 40} trailer")])
LABELLED = CHANGES.labelled(
    old=Side(rev="a" * 40, version="1", sha256="0" * 64),
    new=Side(rev="b" * 40, version="2", sha256="1" * 64),
)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in ("input",):
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1:]}>"
        self.stack.pop()


def test_the_change_set_under_test() -> None:
    assert [(c.kind, c.clause.id, c.material) for c in CHANGES.changes] == [
        ("modified", "a.p1", True),
        ("moved", "b", True),
        ("renumbered", "c", False),
        ("modified", "c.p1", False),
        ("modified", "c.p2", False),
    ]


def test_html_is_well_formed_escaped_and_filterable() -> None:
    html = render_html(LABELLED, new_href="/terms/", old_href="/terms/v/1/")
    parser = _Collector()
    parser.feed(html)
    assert parser.stack == []
    assert "<html" not in html and "<b>" not in html
    assert ">A Fees &lt;b&gt; › “Pay within 30 days &amp; don&#x27;t be late.”</a>" in html
    assert "within <del>14</del> <ins>30</ins> days &amp; don&#x27;t be late." in html
    sections = [a for tag, a in parser.tags if tag == "section" and "data-kind" in a]
    assert [(s["data-kind"], s["data-material"]) for s in sections] == [
        ("modified", "true"),
        ("moved", "true"),
        ("renumbered", "false"),
        ("modified", "false"),
        ("modified", "false"),
    ]
    assert sections[1]["class"] == "change change--moved change--material"
    assert "change--overridden" in (sections[4]["class"] or "")
    links = [a["href"] for tag, a in parser.tags if tag == "a"]
    assert links == [
        "/terms/#c-a-p1",
        "/terms/#c-b",
        "/terms/#c-c",
        "/terms/#c-c-p1",
        "/terms/#c-c-p2",
    ]
    assert (
        "input",
        {"type": "checkbox", "class": "redline__filter", "id": "redline-material-only"},
    ) in parser.tags
    assert "Moved from C." in html
    assert "override: Policy-Change in ffffffffffff trailer" in html


def test_html_links_a_removal_to_the_old_version() -> None:
    changes = compare(OLD, _doc(*OLD.clauses[:2]))
    html = render_html(changes, old_href="/terms/v/1/", new_href="/terms/")
    assert 'href="/terms/v/1/#c-c"' in html
    assert "<del>English law applies.</del>" in html
    assert "redline__filter" not in html  # nothing to filter: all material


def test_markdown_escapes_policy_text() -> None:
    markdown = render_markdown(LABELLED)
    assert markdown.splitlines()[0] == (
        "**terms: v1 → v2** — 3 modified, 1 moved, 1 renumbered (2 material, 3 editorial)"
    )
    assert "Pay within ~~14~~ **30** days & don't be late." in markdown
    assert "- **Moved** B Law — moved from C *(material)*" in markdown
    # Emphasis markers in policy text stay text.
    assert "  ~~Be~~**1. Be** \\*kind\\*." in markdown
    assert "*(editorial (override: Policy-Change in ffffffffffff trailer))*" in markdown


def test_markdown_keeps_a_paragraph_that_looks_like_a_list_item_a_paragraph() -> None:
    old = _doc(_para("p1", "Intro."), _para("p2", "More."), _para("p3", "2) Pay. - Or else."))
    new = _doc(_para("p1", "2) Pay. - Or else."), _para("p2", "Intro."), _para("p3", "More."))
    markdown = render_markdown(compare(old, new))
    assert "\n  2\\) Pay. - Or else.\n" in markdown


def test_text_markers_and_colour() -> None:
    plain = render_text(LABELLED)
    markers = [line[:2] for line in plain.splitlines() if re.match(r"^[-+~>#] ", line)]
    assert markers == ["~ ", "> ", "# ", "~ ", "~ "]
    assert "# C Use  was B  [editorial]" in plain
    assert "No spam[-.-]{+!+}" in plain
    coloured = render_text(LABELLED, color=True)
    assert "\x1b[" in coloured and "\x1b[" not in plain
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain


def test_material_only() -> None:
    text = render_text(LABELLED, material_only=True)
    assert "(3 editorial changes not listed)" in text
    assert "# C Use" not in text
    data = render_json(LABELLED, material_only=True)
    assert data["summary"]["editorial"] == 3
    assert [c["kind"] for c in data["changes"]] == ["modified", "moved"]
    html = render_html(LABELLED, material_only=True)
    assert 'data-material="false"' not in html and "3 editorial changes not listed" in html


def test_json_sides_and_extras() -> None:
    data = render_json(LABELLED)
    assert data["old"] == {
        "rev": "a" * 40,
        "version": "1",
        "sha256": "0" * 64,
        "title": None,
        "effective": None,
    }
    assert data["meta_changes"] == []
    moved = data["changes"][1]
    assert moved["old"]["id"] == "c" and moved["new"]["id"] == "b"
    assert moved["old_parent"] is None and moved["new_parent"] is None
    assert moved["inline"] == []
    overridden = data["changes"][4]
    assert overridden["override"] == {
        "value": "editorial",
        "source": f"{'f' * 40} trailer",
        "clause": "c.p2",
    }


def test_a_moved_and_reworded_clause_is_counted_as_reworded_in_every_summary() -> None:
    pay = "Pay within {} days of the invoice date or we may suspend the account."
    old = _doc(
        _section(
            "a", "A.", "Fees", _para("a.p1", pay.format(14)), _para("a.p2", "Prices include VAT.")
        ),
        _section("b", "B.", "Law", _para("b.p1", "English law applies.")),
    )
    new = _doc(
        _section("a", "A.", "Fees", _para("a.p2", "Prices include VAT.")),
        _section(
            "b", "B.", "Law", _para("b.p1", "English law applies."), _para("b.p2", pay.format(30))
        ),
    )
    changes = compare(old, new)
    assert [(c.kind, c.reworded) for c in changes.changes] == [("moved", True)]
    assert changes.summary.modified == 0 and changes.summary.reworded == 1
    line = "1 moved (1 also reworded) (1 material, 0 editorial)"
    assert render_text(changes).splitlines()[1] == line
    assert render_markdown(changes).splitlines()[0].endswith(f"— {line}")
    html = render_html(changes)
    assert f"<p>{line}</p>" in html
    assert (
        '<li class="redline__count redline__count--moved"><strong>1</strong> moved '
        "(1 also reworded)</li>"
    ) in html
    assert render_json(changes)["summary"]["reworded"] == 1
