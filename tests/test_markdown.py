"""The Markdown -> clause tree parser: structure, numbers, text, ids, lines, and bad input."""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser

import mistune
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from publisher.document import Clause, Document, normalise_space
from publisher.errors import PolicyError
from publisher.markdown import MAX_POLICY_BYTES, decode_policy, parse_body, parse_document


def flat(doc: Document | tuple[Clause, ...]) -> list[tuple[str, str, str | None, str | None, str]]:
    """(id, kind, number, heading, text) of every clause in document order."""
    clauses = doc.walk() if isinstance(doc, Document) else (c for top in doc for c in top.walk())
    return [(c.id, c.kind, c.number, c.heading, c.text) for c in clauses]


def by_id(doc: Document, clause_id: str) -> Clause:
    clause = doc.find(clause_id)
    assert clause is not None, f"no clause {clause_id!r} in {[c.id for c in doc.walk()]}"
    return clause


# --------------------------------------------------------------------------- sections


def test_headings_nest_by_level_and_collect_following_blocks() -> None:
    doc = parse_document(
        "## A. First\n\nIntro.\n\n### 1. Sub\n\nSub text.\n\n## B. Second\n\nMore.\n"
    )
    assert [(c.id, c.level) for c in doc.walk()] == [
        ("a", 0),
        ("a.p1", 1),
        ("a.1", 1),
        ("a.1.p1", 2),
        ("b", 0),
        ("b.p1", 1),
    ]
    a = by_id(doc, "a")
    assert (a.kind, a.number, a.heading, a.text) == ("section", "A.", "First", "")
    assert [c.id for c in a.children] == ["a.p1", "a.1"]


def test_deeper_heading_then_shallower_closes_sections() -> None:
    doc = parse_document("## A\n#### deep\ntext\n### mid\n## B\n")
    assert [(c.id, c.level) for c in doc.walk()] == [
        ("a", 0),
        ("a.deep", 1),
        ("a.deep.p1", 2),
        ("a.mid", 1),
        ("b", 0),
    ]


def test_setext_headings_are_sections() -> None:
    doc = parse_document("Title\n=====\n\nPart One\n--------\n\nText.\n\n## Part Two\n")
    assert doc.title == "Title"
    assert flat(doc) == [
        ("part-one", "section", None, "Part One", ""),
        ("part-one.p1", "paragraph", None, None, "Text."),
        ("part-two", "section", None, "Part Two", ""),
    ]


def test_single_h1_is_the_title_not_a_clause() -> None:
    doc = parse_document("# Terms of Service\n\nIntro.\n\n## A. Terms\n\nText.\n")
    assert doc.title == "Terms of Service"
    assert [c.id for c in doc.clauses] == ["p1", "a"]


def test_several_h1_are_sections_and_title_falls_back_to_front_matter() -> None:
    doc = parse_document("---\ntitle: From Meta\n---\n# One\n\nx\n\n# Two\n\ny\n")
    assert doc.title == "From Meta"
    assert [c.id for c in doc.clauses] == ["one", "two"]


def test_h1_after_another_heading_is_a_section() -> None:
    doc = parse_document("## Preface\n\n# Real Part\n\nText.\n")
    assert doc.title is None
    assert [c.id for c in doc.walk()] == ["preface", "real-part", "real-part.p1"]


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("heading", "number", "rest"),
    [
        ("## B. Account Terms", "B.", "Account Terms"),
        ("## 12\\. Changes", "12.", "Changes"),
        ("### a. Fees", "a.", "Fees"),
        ("### 1.1 Scope", "1.1", "Scope"),
        ("### 1.2. Scope", "1.2.", "Scope"),
        ("### iv. Roman Four", "iv.", "Roman Four"),
        ("### XII. Twelve", "XII.", "Twelve"),
        ("### (ii) In Brackets", "(ii)", "In Brackets"),
        ("### c) Delimited", "c)", "Delimited"),
        ("### 7.", "7.", None),
        ("#### 4.Services Usage Limits", "4.", "Services Usage Limits"),
        ("## 3.x lower case", None, "3.x lower case"),
        ("## Section 3 — Fees", None, "Section 3 — Fees"),
        ("## Users. Accounts", None, "Users. Accounts"),
        ("## e.g. examples", None, "e.g. examples"),
        ("## 2024. A Year", None, "2024. A Year"),
        ("## mix. Not Roman", None, "mix. Not Roman"),
    ],
)
def test_heading_numbers(heading: str, number: str | None, rest: str | None) -> None:
    (clause,) = parse_body(heading + "\n")
    assert (clause.number, clause.heading) == (number, rest)


@pytest.mark.parametrize(
    ("paragraph", "number", "text"),
    [
        ("12\\. We may change these terms.", "12.", "We may change these terms."),
        ("(b) the second case;", "(b)", "the second case;"),
        ("iv) fourth", "iv)", "fourth"),
        ("1.1 million users agree.", None, "1.1 million users agree."),
        ("Users. Subject to these Terms.", None, "Users. Subject to these Terms."),
        ("i.e. that is", None, "i.e. that is"),
    ],
)
def test_paragraph_numbers(paragraph: str, number: str | None, text: str) -> None:
    (clause,) = parse_body(paragraph + "\n")
    assert (clause.kind, clause.number, clause.text) == ("paragraph", number, text)


def test_ordered_lists_number_like_commonmark() -> None:
    doc = parse_document("1. one\n1. two\n1. three\n\nBreak.\n\n3. three\n4. four\n\n1) a\n2) b\n")
    assert [(c.kind, c.number, c.text) for c in doc.walk() if c.kind == "item"] == [
        ("item", "1.", "one"),
        ("item", "2.", "two"),
        ("item", "3.", "three"),
        ("item", "3.", "three"),
        ("item", "4.", "four"),
        ("item", "1)", "a"),
        ("item", "2)", "b"),
    ]


def test_item_text_label_replaces_the_list_number() -> None:
    doc = parse_document("1. (a) first\n2. (b) second\n3. plain (c) inside\n")
    assert [(c.id, c.number, c.text) for c in doc.walk()] == [
        ("a", "(a)", "first"),
        ("b", "(b)", "second"),
        ("3", "3.", "plain (c) inside"),
    ]


def test_bullets_are_unnumbered_unless_their_text_has_a_label() -> None:
    doc = parse_document("- plain\n- (a) lettered\n- b. dotted\n- 2\\. escaped\n- Users. word\n")
    assert [(c.id, c.kind, c.number, c.text) for c in doc.walk()] == [
        ("l1", "bullet", None, "plain"),
        ("a", "bullet", "(a)", "lettered"),
        ("b", "bullet", "b.", "dotted"),
        ("2", "bullet", "2.", "escaped"),
        ("l2", "bullet", None, "Users. word"),
    ]


def test_nested_bullets_and_item_paragraphs_become_children() -> None:
    doc = parse_document(
        "1. First item\n"
        "   - nested one\n"
        "     - deeper\n"
        "   - nested two\n"
        "2. Loose item\n"
        "\n"
        "   Second paragraph.\n"
        "\n"
        "   > a quote\n"
    )
    assert [(c.id, c.kind, c.level, c.text) for c in doc.walk()] == [
        ("1", "item", 0, "First item"),
        ("1.l1", "bullet", 1, "nested one"),
        ("1.l1.l1", "bullet", 2, "deeper"),
        ("1.l2", "bullet", 1, "nested two"),
        ("2", "item", 0, "Loose item"),
        ("2.p1", "paragraph", 1, "Second paragraph."),
        ("2.quote1", "quote", 1, "a quote"),
    ]


def test_item_that_starts_with_a_list_has_empty_text() -> None:
    doc = parse_document("- - inner\n")
    assert [(c.id, c.text) for c in doc.walk()] == [("l1", ""), ("l1.l1", "inner")]


# --------------------------------------------------------------------------- lead-ins


@pytest.mark.parametrize(
    ("source", "number", "heading", "text"),
    [
        (
            "**Exceptions.** Information that is public.",
            None,
            "Exceptions",
            "Information that is public.",
        ),
        ("**Short version:** *We use these terms.*", None, "Short version", "We use these terms."),
        ("**Note**: colon outside.", None, "Note", "colon outside."),
        ("**3.1** Numbered by bold.", "3.1", None, "Numbered by bold."),
        ("**(a)** Lettered by bold.", "(a)", None, "Lettered by bold."),
        (
            "**Payment Based on Plan** For monthly plans.",
            None,
            "Payment Based on Plan",
            "For monthly plans.",
        ),
        (
            "**1. GitHub Pages**\nWe offer Pages sites.",
            "1.",
            "GitHub Pages",
            "We offer Pages sites.",
        ),
        ("**B. Definitions.** Terms used here.", "B.", "Definitions", "Terms used here."),
        ("**1. GitHub Pages**", "1.", "GitHub Pages", ""),
        ("**Do not** share your password.", None, None, "Do not share your password."),
        (
            "**Please read this section carefully.**",
            None,
            None,
            "Please read this section carefully.",
        ),
        ("Text with **bold** inside.", None, None, "Text with bold inside."),
    ],
)
def test_bold_lead_ins(source: str, number: str | None, heading: str | None, text: str) -> None:
    (clause,) = parse_body(source + "\n")
    assert (clause.number, clause.heading, clause.text) == (number, heading, text)


def test_lead_in_inside_a_list_item() -> None:
    (clause,) = parse_body("1. **Definitions.** Words we use.\n")
    assert (clause.number, clause.heading, clause.text) == ("1.", "Definitions", "Words we use.")


# --------------------------------------------------------------------------- blocks and text


def test_table_is_one_clause_with_rows_and_cells_flattened() -> None:
    (table,) = parse_body(
        "| Section | What |\n|---|---|\n| [A. Defs](#a) | Some *terms* |\n| B | Rules |\n"
    )
    assert table.kind == "table"
    assert table.text == "Section | What / A. Defs | Some terms / B | Rules"
    assert table.lines == (1, 4)


def test_code_blocks_fenced_and_indented() -> None:
    clauses = parse_body(
        "```python\ndef f():\n    return 1\n```\n\n    indented   code\n    more\n"
    )
    assert [(c.kind, c.text, c.lines) for c in clauses] == [
        ("code", "def f(): return 1", (1, 4)),
        ("code", "indented code more", (6, 7)),
    ]


def test_block_quote_is_one_clause_and_thematic_breaks_are_dropped() -> None:
    clauses = parse_body("> Quoted **text**\n> - with a list\n\n---\n\n***\n\nAfter.\n")
    assert [(c.kind, c.text) for c in clauses] == [
        ("quote", "Quoted text with a list"),
        ("paragraph", "After."),
    ]


def test_html_comments_are_ignored_and_raw_html_keeps_its_words() -> None:
    clauses = parse_body(
        "<!-- markdownlint-disable GHD034 -->\n\n"
        "Before <!-- inline note --> after.\n\n"
        "<!-- block\ncomment -->\n\n"
        '<div class="x">\n<p>Visible &eacute;t&eacute;</p><script>hidden()</script>\n</div>\n\n'
        "Line<br>break and <b>bold</b> tag.\n"
    )
    assert [(c.kind, c.text) for c in clauses] == [
        ("paragraph", "Before after."),
        ("paragraph", "Visible été"),
        ("paragraph", "Line break and bold tag."),
    ]


def test_markup_is_removed_from_text() -> None:
    (clause,) = parse_body(
        'Some *emphasis*, __strong__, [a link](https://example.com "t"), `code & more`, '
        "![the alt](img.png), ~~struck~~, <https://auto.link>, AT&amp;T &copy; "
        "\\*escaped\\*, soft\nbreak, hard  \nbreak.\n"
    )
    assert clause.text == (
        "Some emphasis, strong, a link, code & more, the alt, struck, https://auto.link, "
        "AT&T © *escaped*, soft break, hard break."
    )


def test_reference_links_resolve_and_definitions_are_not_clauses() -> None:
    clauses = parse_body("See [the terms][t].\n\n[t]: https://example.com/terms\n\nNext.\n")
    assert [(c.text, c.lines) for c in clauses] == [("See the terms.", (1, 1)), ("Next.", (5, 5))]


# --------------------------------------------------------------------------- ids


def test_ids_follow_the_number_path() -> None:
    doc = parse_document(
        "## B. Account Terms\n\n### 3. Security\n\nText.\n\n1. (iv) item\n\n"
        "## 2. Other\n\n1. first\n"
    )
    assert [c.id for c in doc.walk()] == ["b", "b.3", "b.3.p1", "b.3.iv", "2", "2.1"]
    assert by_id(doc, "b.3").anchor == "c-b-3"


def test_numbered_ids_skip_unnumbered_wrappers() -> None:
    doc = parse_document(
        "### Acceptable Use\n\nIntro.\n\n#### 1. Laws\n\n- a bullet\n  1. nested item\n\n"
        "#### 2. Safety\n"
    )
    assert [c.id for c in doc.walk()] == [
        "acceptable-use",
        "acceptable-use.p1",
        "1",
        "1.l1",
        "1.1",
        "2",
    ]


def test_unnumbered_clauses_get_slugs_and_positions() -> None:
    doc = parse_document(
        "### Summary\n\nOne.\n\nTwo.\n\n- x\n- y\n\n| a | b |\n|---|---|\n\n```\nc\n```\n\n> q\n\n"
        "### The GitHub Terms of Service, Made Easy to Read for Everyone\n\n"
        "### Ünïcödé Héading\n\n### ---\n"
    )
    assert [c.id for c in doc.walk()] == [
        "summary",
        "summary.p1",
        "summary.p2",
        "summary.l1",
        "summary.l2",
        "summary.table1",
        "summary.code1",
        "summary.quote1",
        "the-github-terms-of-service-made-easy-to",
        "unicode-heading",
        "s1",
    ]


def test_repeated_ids_are_disambiguated() -> None:
    doc = parse_document(
        "## A. One\n\n## A. Again\n\n## A. Third\n\n### 1.1 Dotted\n\n1. one\n   1. nested\n"
    )
    ids = [c.id for c in doc.walk()]
    assert ids == ["a", "a-2", "a-3", "a-3.1-1", "a-3.1-1.1", "a-3.1-1.1.1"]
    doc = parse_document("## 1.1 Dotted\n\n## 1. One\n\n1. sub\n")
    ids = [c.id for c in doc.walk()]
    # "1.1" (child 1 of 1) would share the anchor c-1-1 with "1-1", so it is renamed.
    assert ids == ["1-1", "1", "1.1-2"]
    assert len({c.anchor for c in doc.walk()}) == len(ids)


# --------------------------------------------------------------------------- lines


def test_line_spans_count_front_matter_and_trim_blank_lines() -> None:
    text = (
        "---\n"  # 1
        "title: T\n"  # 2
        "---\n"  # 3
        "\n"  # 4
        "## A. First\n"  # 5
        "\n"  # 6
        "Para one\n"  # 7
        "continues.\n"  # 8
        "\n"  # 9
        "\n"  # 10
        "- bullet\n"  # 11
        "  lazy\n"  # 12
        "- second\n"  # 13
        "\n"  # 14
        "<!-- c -->\n"  # 15
        "## B. Second\n"  # 16
        "Tail.\n"  # 17
    )
    doc = parse_document(text)
    assert doc.body_start_line == 4
    assert [(c.id, c.lines) for c in doc.walk()] == [
        ("a", (5, 13)),
        ("a.p1", (7, 8)),
        ("a.l1", (11, 12)),
        ("a.l2", (13, 13)),
        ("b", (16, 17)),
        ("b.p1", (17, 17)),
    ]


def test_line_spans_of_nested_lists_quotes_and_empty_first_lines() -> None:
    text = (
        "1. First\n"  # 1
        "   - sub a\n"  # 2
        "\n"  # 3
        "     sub para\n"  # 4
        "   - sub b\n"  # 5
        "2.\n"  # 6
        "   Starts below.\n"  # 7
        "\n"  # 8
        "   > quoted\n"  # 9
        "   > more\n"  # 10
        "\n"  # 11
        "> Outer quote\n"  # 12
        "lazy line\n"  # 13
    )
    doc = parse_document(text)
    assert [(c.id, c.lines) for c in doc.walk()] == [
        ("1", (1, 5)),
        ("1.l1", (2, 4)),
        ("1.l1.p1", (4, 4)),
        ("1.l2", (5, 5)),
        ("2", (6, 10)),
        ("2.quote1", (9, 10)),
        ("quote1", (12, 13)),
    ]
    assert by_id(doc, "2").text == "Starts below."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # mistune emits the list before the quote it interrupted (the list was itself
        # interrupted by the comment); clauses come back in document order.
        (
            "> Terms\n- <!-- note -->\n<!-- note -->\n",
            [("quote1", (1, 1), "Terms"), ("l1", (2, 2), "")],
        ),
        # mistune gives the quote's lazy "3)" line back to the paragraph before the quote.
        (
            "Terms\n> Terms\n3) *iv.*\n",
            [("p1", (1, 1), "Terms 3) iv."), ("quote1", (2, 3), "Terms")],
        ),
    ],
)
def test_blocks_mistune_reorders_keep_their_own_lines(
    text: str, expected: list[tuple[str, tuple[int, int], str]]
) -> None:
    assert [(c.id, c.lines, c.text) for c in parse_body(text)] == expected


def test_crlf_input_gives_the_same_tree_and_lines() -> None:
    text = "---\ntitle: T\n---\n## A. One\n\nText\nmore.\n\n1. item\n2. item\n"
    unix = parse_document(text)
    windows = parse_document(text.replace("\n", "\r\n"))
    assert flat(windows) == flat(unix)
    assert [c.lines for c in windows.walk()] == [c.lines for c in unix.walk()]
    assert windows.sha256 == unix.sha256


# --------------------------------------------------------------------------- decoding


def test_decode_strips_bom_and_keeps_text() -> None:
    assert decode_policy("\ufeffTérms\n".encode()) == "Térms\n"


def test_decode_rejects_binary_with_line_and_offset() -> None:
    with pytest.raises(PolicyError) as info:
        decode_policy(b"line one\nline two\x00\x01", path="p.md")
    assert (info.value.path, info.value.line) == ("p.md", 2)
    assert "binary" in info.value.message and "offset 17" in info.value.message
    assert info.value.hint


def test_decode_rejects_utf16_as_binary() -> None:
    with pytest.raises(PolicyError, match="binary"):
        decode_policy("Terms\n".encode("utf-16"))


def test_decode_rejects_non_utf8_with_line_and_offset() -> None:
    with pytest.raises(PolicyError) as info:
        decode_policy("ok\ncaf\u00e9 latin-1\n".encode("latin-1"), path="p.md")
    error = info.value
    assert error.line == 2
    assert "not UTF-8" in error.message and "0xe9" in error.message
    assert "offset 6" in error.message and "column 4" in error.message
    assert "UTF-8" in (error.hint or "")


def test_decode_rejects_huge_files() -> None:
    with pytest.raises(PolicyError, match="at most"):
        decode_policy(b"a" * (MAX_POLICY_BYTES + 1))
    assert len(decode_policy(b"a" * MAX_POLICY_BYTES)) == MAX_POLICY_BYTES


def test_front_matter_errors_surface_from_parse_document() -> None:
    with pytest.raises(PolicyError) as info:
        parse_document("---\ntitle: [\n---\nbody\n", path="policies/x.md")
    assert info.value.path == "policies/x.md" and info.value.line is not None


@pytest.mark.parametrize(
    "text",
    [
        "> " * 500 + "deep",
        "- " * 500 + "deep",
        "[" * 5000,
        "*" * 5000 + "a",
        "#" * 100,
        "1. " * 300,
        "|" * 1000 + "\n|-|\n",
        "<div>" * 300,
        "\x00\ufeff\u2028\r\r\n",
    ],
)
def test_pathological_inputs_do_not_crash(text: str) -> None:
    parse_body(text)


# --------------------------------------------------------------------------- properties

_WORDS = re.compile(r"[^\W_]+")
_BLOCK_TAGS = {
    "p",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "pre",
    "blockquote",
    "table",
    "thead",
    "tbody",
    "tr",
    "td",
    "th",
    "hr",
    "br",
    "div",
}
_HTML = mistune.create_markdown(escape=False, plugins=["table", "strikethrough"])


class _Visible(HTMLParser):
    """Words a reader sees in mistune's own HTML rendering (an independent path to text)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.parts.append(" " + (dict(attrs).get("alt") or "") + " ")
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def visible_words(markdown: str) -> Counter[str]:
    parser = _Visible()
    parser.feed(str(_HTML(markdown)))
    parser.close()
    return Counter(_WORDS.findall("".join(parser.parts)))


def clause_words(doc: Document) -> Counter[str]:
    words: Counter[str] = Counter(_WORDS.findall(doc.title or ""))
    for clause in doc.walk():
        # An ordered item's list number is rendered by the browser, not written as text.
        list_number = clause.kind == "item" and re.fullmatch(r"\d+[.)]", clause.number or "")
        for part in (None if list_number else clause.number, clause.heading, clause.text):
            words.update(_WORDS.findall(part or ""))
    return words


_VOCAB = [
    "Terms",
    "you",
    "may",
    "not",
    "GitHub",
    "A.",
    "iv.",
    "(b)",
    "1.1",
    "12\\.",
    "e.g.",
    "Service",
    "été",
    "&amp;",
    "&eacute;",
    "3.",
    "x",
    "Short",
    "version:",
]
_word = st.sampled_from(_VOCAB)
_inline = st.one_of(
    _word,
    _word.map(lambda w: f"**{w}**"),
    _word.map(lambda w: f"*{w}*"),
    _word.map(lambda w: f"`{w}`"),
    _word.map(lambda w: f"[{w}](http://e.com/{len(w)})"),
    _word.map(lambda w: f"![{w}](i.png)"),
    _word.map(lambda w: f"~~{w}~~"),
    st.just("<!-- note -->"),
)
_phrase = st.lists(_inline, min_size=1, max_size=6).map(" ".join)
_line = st.one_of(
    _phrase,
    st.tuples(st.integers(1, 6), _phrase).map(lambda t: "#" * t[0] + " " + t[1]),
    st.tuples(st.sampled_from(["- ", "* ", "1. ", "3) ", "  - ", "   1. ", "    "]), _phrase).map(
        "".join
    ),
    _phrase.map(lambda p: f"**{p}.** rest of it"),
    _phrase.map(lambda p: f"> {p}"),
    st.tuples(_phrase, _phrase).map(lambda t: f"| {t[0]} | {t[1]} |"),
    st.tuples(_phrase, _phrase, _phrase).map(
        lambda t: f"| {t[0]} | {t[1]} |\n|---|---|\n| {t[2]} | x |"
    ),
    st.tuples(_phrase, _phrase).map(lambda t: f"```\n{t[0]}\n{t[1]}\n```"),
    st.sampled_from(["", "", "---", "===", "|---|---|", "```", "<!-- c -->", "(a) item", "  "]),
)
_markdownish = st.lists(_line, max_size=25).map("\n".join)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_never_raises_on_any_text(text: str) -> None:
    clauses = parse_body(text)
    ids = [c.id for top in clauses for c in top.walk()]
    assert len(set(ids)) == len(ids)


@settings(max_examples=200, deadline=None)
@given(_markdownish)
def test_every_word_lands_in_exactly_one_clause(markdown: str) -> None:
    doc = parse_document("\n" + markdown)  # a first line "---" would open front matter
    assert clause_words(doc) == visible_words(markdown)


@settings(max_examples=200, deadline=None)
@given(_markdownish)
def test_ids_unique_text_normalised_and_spans_nested(markdown: str) -> None:
    markdown = "\n" + markdown  # a first line "---" would open front matter
    doc = parse_document(markdown)
    ids = [c.id for c in doc.walk()]
    assert len(set(ids)) == len(ids)
    assert len({c.anchor for c in doc.walk()}) == len(ids)
    n_lines = markdown.count("\n") + 1

    def check(clauses: tuple[Clause, ...], low: int, high: int, level: int) -> None:
        previous = low - 1
        for clause in clauses:
            start, end = clause.lines
            assert low <= start <= end <= high and start > previous, (clause.id, clause.lines)
            assert clause.level == level
            assert clause.text == normalise_space(clause.text)
            previous = end
            check(clause.children, start, end, level + 1)

    check(doc.clauses, 1, n_lines, 0)
