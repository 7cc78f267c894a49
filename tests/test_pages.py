"""publisher.pages, publisher.sanitize and publisher.templating: pure rendering, no git."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from publisher import pages
from publisher.diff import REDLINE_CSS, Summary, compare, render_html
from publisher.markdown import parse_document
from publisher.pages import PageContext, PolicyInfo, Urls, VersionInfo, label_path, relative_url
from publisher.sanitize import clause_bodies, inline_to_html, markdown_to_html
from publisher.templating import environment, templates_fingerprint

ATOM = "{http://www.w3.org/2005/Atom}"


# ------------------------------------------------------------------------------ URLs


@pytest.mark.parametrize(
    ("target", "page", "expected"),
    [
        ("acceptable-use/changes/1..2/", "acceptable-use/", "changes/1..2/"),
        ("acceptable-use/", "acceptable-use/v/1/", "../../"),
        ("acceptable-use/changes/1..3/", "acceptable-use/v/1/", "../../changes/1..3/"),
        ("acceptable-use/", "", "acceptable-use/"),
        ("feed.xml", "acceptable-use/versions/", "../../feed.xml"),
        ("acceptable-use/v/1/#c-3", "acceptable-use/v/1/", "./#c-3"),
        ("api/aup/v/1.json", "aup/v/2/", "../../../api/aup/v/1.json"),
    ],
)
def test_relative_url(target: str, page: str, expected: str) -> None:
    assert relative_url(target, page) == expected


def test_urls_follow_design_table_under_a_prefix() -> None:
    assert Urls().changes("aup", "1", "2") == "aup/changes/1..2/"
    legal = Urls("legal")
    assert legal.policy("aup") == "legal/aup/"
    assert legal.version("aup", "2024-03-07.2") == "legal/aup/v/2024-03-07.2/"
    assert legal.api_changes("aup", "1", "2") == "legal/api/aup/changes/1..2.json"
    assert legal.feed() == "legal/feed.xml"
    assert legal.absolute("https://x.example/").version("aup", "3") == (
        "https://x.example/legal/aup/v/3/"
    )


def test_label_path_keeps_safe_labels_and_replaces_the_rest() -> None:
    assert label_path("3") == "3"
    assert label_path("2024-03-07.2") == "2024-03-07.2"
    assert label_path("v2 (draft)/x") == "v2-draft-x"


# --------------------------------------------------------------------- sanitised bodies

HOSTILE = """\
---
title: Hostile
---

1. Click <a href="javascript:alert(1)">here</a> or [there](javascript:alert(2)).
2. An image <img src="x.png" onerror="alert(3)"> and <b onclick="alert(4)">bold</b>.

<script>alert(5)</script>

<iframe src="https://evil.example/"></iframe>

<p style="position:fixed" id="c-1">Spoofed anchor</p>

A [fine link](https://example.com/terms) and <span>kept text</span>.
"""


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend((tag, name, value) for name, value in attrs)


def test_hostile_html_renders_inert() -> None:
    document = parse_document(HOSTILE)
    html = pages.policy_body(document, clause_bodies(document))
    found = _Elements()
    found.feed(html)
    assert not {"script", "iframe", "style"} & set(found.tags)
    for tag, name, value in found.attrs:
        assert not name.startswith("on"), (tag, name)
        assert name != "style"
        assert "javascript:" not in (value or "").lower(), (tag, name, value)
    assert "alert(5)" not in html
    # The clause anchors are ours only: the policy's own id="c-1" is dropped.
    ids = [v for _, n, v in found.attrs if n == "id"]
    assert ids.count("c-1") == 1
    # What is safe stays.
    assert (
        '<a href="https://example.com/terms" rel="noopener noreferrer nofollow">fine link</a>'
        in html
    )
    assert "<span>kept text</span>" in html
    assert "<b>bold</b>" in html


def test_sanitize_helpers() -> None:
    assert markdown_to_html("[x](javascript:alert(1))") in (
        '<p><a href="#harmful-link" rel="noopener noreferrer nofollow">x</a></p>\n',
        '<p><a rel="noopener noreferrer nofollow">x</a></p>\n',
    )
    assert inline_to_html("1. Definitions *and* terms") == "1. Definitions <em>and</em> terms"


BODY = """\
---
title: Terms
---

Intro paragraph with a [reference link][terms].

## B. Accounts

### 1. Security

You **must** keep your password safe.

1. First item
   - a bullet under it
2. (a) Lettered inside a numbered list

[terms]: https://example.com/terms
"""


def test_every_clause_gets_an_anchor_and_structure() -> None:
    document = parse_document(BODY)
    html = pages.policy_body(document, clause_bodies(document))
    for clause in document.walk():
        assert f'id="{clause.anchor}"' in html, clause.id
    assert '<h2 id="c-b-h" class="clause-heading">B. Accounts' in html
    assert '<h3 id="c-b-1-h" class="clause-heading">1. Security' in html
    assert "You <strong>must</strong> keep your password safe." in html
    assert '<span class="clause-number">1.</span>' in html
    # "(a)" is the item's number written in its text: no second number beside it.
    assert '<span class="clause-number">(a)</span>' not in html
    assert "(a) Lettered inside a numbered list" in html
    # A link reference defined elsewhere in the document still resolves inside its clause.
    assert '<a href="https://example.com/terms"' in html
    assert 'class="clause-list clause-list-ol"' in html
    assert 'class="clause-list clause-list-ul"' in html


def test_links_to_other_policy_files_point_at_their_pages() -> None:
    body = (
        '<a href="privacy.md">P</a> <a href="../legal/tos.md#c-b-3">T</a> '
        '<a href="tos.md#heading">T2</a> <a href="notes.md">N</a> '
        '<a href="../legal/tos.md#b-fees">T3</a> '
        '<a href="https://example.com/x.md">X</a>'
    )
    targets = {"policies/privacy.md": "privacy", "legal/tos.md": "terms"}
    out = pages.rewrite_policy_links(body, "policies/aup.md", "aup/v/2/", targets, Urls())
    assert '<a href="../../../privacy/">P</a>' in out
    assert '<a href="../../../terms/#c-b-3">T</a>' in out
    assert '<a href="../../../terms/#b-fees">T3</a>' in out  # GitHub-style: an alias there
    assert '<a href="tos.md#heading">T2</a>' in out  # policies/tos.md is no policy
    assert '<a href="notes.md">N</a>' in out
    assert '<a href="https://example.com/x.md">X</a>' in out


# ----------------------------------------------------------------------- pages and feeds


def _info(today_status: str = "current") -> PolicyInfo:
    published = datetime(2025, 1, 6, 10, tzinfo=UTC)
    v1 = VersionInfo(
        "1", date(2025, 2, 1), published, "a" * 40, "1" * 64, "AUP", "First.", "superseded"
    )
    v2 = VersionInfo(
        "2",
        date(2025, 7, 1),
        published.replace(month=5),
        "b" * 40,
        "2" * 64,
        "AUP",
        "Adds a rule & a <b>tag</b>.",
        "current",
        previous="1",
        counts=Summary(added=1, material=1),
    )
    v3 = VersionInfo(
        "3",
        date(2099, 1, 1),
        published.replace(month=9),
        "c" * 40,
        "3" * 64,
        "AUP",
        None,
        "upcoming",
        previous="2",
        counts=Summary(modified=1, editorial=1),
    )
    return PolicyInfo("aup", "AUP", "policies/aup.md", (v1, v2, v3), current="2")


def test_current_page_shows_the_upcoming_version_beside_it() -> None:
    info = _info()
    ctx = PageContext(urls=Urls(), page="aup/", today=date(2026, 1, 1))
    html = pages.version_page(ctx, info, info.version("2"), "<p>text</p>", main=True)
    assert "Version 2" in html and "In force" in html
    assert 'class="upcoming-notice"' in html
    assert "Version 3 is coming: it takes effect on" in html
    assert 'href="v/3/">Read version 3</a>' in html
    assert 'href="changes/2..3/">What will change</a>' in html
    # The summary is text: escaped, not markup.
    assert "a &lt;b&gt;tag&lt;/b&gt;." in html


def heading_levels_skipped(html: str) -> list[str]:
    """Each heading that is more than one level below the heading before it."""
    levels = [(int(m.group(1)), m.group(0)) for m in re.finditer(r"<h([1-6])\b[^>]*>", html)]
    return [tag for (before, _), (level, tag) in itertools.pairwise(levels) if level > before + 1]


def test_superseded_version_says_from_when_until_when_it_was_in_force() -> None:
    info = _info()
    ctx = PageContext(urls=Urls(), page="aup/v/1/", today=date(2026, 1, 1))
    html = pages.version_page(ctx, info, info.version("1"), "", main=False)
    assert (
        'It was in force from <time datetime="2025-02-01">1 February 2025</time> until '
        '<time datetime="2025-07-01">1 July 2025</time>' in html
    )
    # Without an effective date of its own, it still says until when.
    undated = replace(
        info, versions=(replace(info.versions[0], effective=None), *info.versions[1:])
    )
    html = pages.version_page(ctx, undated, undated.version("1"), "", main=False)
    assert 'It was in force until <time datetime="2025-07-01">1 July 2025</time>' in html


def test_page_footer_gives_the_whole_content_hash() -> None:
    info = _info()
    ctx = PageContext(urls=Urls(), page="aup/", today=date(2026, 1, 1))
    html = pages.version_page(ctx, info, info.version("2"), "", main=True)
    footer = html[html.index('<footer class="policy-footer">') :]
    assert "2" * 64 in footer and "…" not in footer


def test_upcoming_version_page_says_when_it_takes_effect() -> None:
    info = _info()
    ctx = PageContext(urls=Urls(), page="aup/v/3/", today=date(2026, 1, 1))
    html = pages.version_page(ctx, info, info.version("3"), "", main=False)
    assert "version-banner-upcoming" in html
    assert "This version is not in force yet: it takes effect on" in html
    assert 'Until then <a href="../../">version 2</a> applies.' in html


def test_first_version_banner_says_its_summary_once() -> None:
    info = _info()
    first = replace(info.version("1"), summary="First published version.")
    ctx = PageContext(urls=Urls(), page="aup/v/1/", today=date(2026, 1, 1))
    html = pages.version_page(ctx, info, first, "", main=False)
    assert html.count("First published version.") == 1
    assert "Summary of this version:</span> First published version." in html
    unsummarised = replace(first, summary=None)
    html = pages.version_page(ctx, info, unsummarised, "", main=False)
    assert html.count("First published version.") == 1


_OLD = """---
title: AUP
effective: 2025-02-01
---

1. Do not send spam.
2. Do not attack networks.
3. Be kind.
"""
_NEW = """---
title: AUP
effective: 2025-07-15
---

1. Do not send spam, ever.
2. Do not attack networks.
3. Be kind!
"""


def test_redline_page_has_one_title_one_summary_and_dates_for_people() -> None:
    changeset = compare(parse_document(_OLD), parse_document(_NEW)).labelled(policy="aup")
    info = _info()
    old = replace(info.version("1"), effective=date(2025, 2, 1))
    new = replace(info.version("2"), effective=date(2025, 7, 15))
    ctx = PageContext(urls=Urls(), page="aup/changes/1..2/", today=date(2026, 1, 1))
    html = pages.changes_page(
        ctx, info, old, new, changeset.summary, render_html(changeset, header=False)
    )
    assert html.count("<h1") == 1 and html.count("<h2") == 1  # the title; the list's heading
    assert heading_levels_skipped(html) == []
    assert "aup: changes from" not in html
    assert html.count(changeset.summary.describe()) == 1
    assert "2025-02-01 →" not in html and "1 February 2025" in html and "15 July 2025" in html
    assert 'id="redline-change-1"' in html
    # Notices and acceptance pages keep the fragment's own header.
    assert "aup: changes from" in render_html(changeset)


def test_material_changes_are_a_page_of_their_own_with_their_own_toc() -> None:
    changeset = compare(parse_document(_OLD), parse_document(_NEW)).labelled(policy="aup")
    assert (changeset.summary.material, changeset.summary.editorial) == (1, 1)
    info = _info()
    old, new = info.version("1"), info.version("2")
    assert Urls().changes_material("aup", "1", "2") == "aup/changes/1..2/material/"
    assert Urls("legal").changes_material("aup", "1", "2") == "legal/aup/changes/1..2/material/"
    # The material page's table of contents numbers the changes as its redline does.
    material = render_html(changeset, material_only=True, header=False)
    toc = pages.changes_toc(changeset, material_only=True)
    assert len(toc) == changeset.summary.material
    for entry, change in zip(toc, changeset.listed(material_only=True), strict=True):
        assert f'id="{entry.anchor}"' in material
        assert change.label in entry.title
    assert len(pages.changes_toc(changeset)) == len(changeset.changes)
    # The two views link to each other; no fragment trick.
    ctx = PageContext(urls=Urls(), page="aup/changes/1..2/", today=date(2026, 1, 1))
    full = pages.changes_page(
        ctx, info, old, new, changeset.summary, render_html(changeset, header=False)
    )
    assert 'href="material/"' in full and "#material-only" not in full
    ctx = PageContext(urls=Urls(), page="aup/changes/1..2/material/", today=date(2026, 1, 1))
    only = pages.changes_page(ctx, info, old, new, changeset.summary, material, material_only=True)
    assert 'href="../"' in only and "#material-only" not in only
    assert 'aria-current="page"' in only and 'data-material="false"' not in only
    assert "1 editorial change not listed" in only


def test_policy_feed_is_well_formed_atom_with_one_entry_per_version() -> None:
    info = _info()
    xml = pages.policy_feed(Urls(), "https://p.example/", info, site_name="Example & Co")
    root = ET.fromstring(xml)
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}id") == "https://p.example/aup/feed.xml"
    assert root.findtext(f"{ATOM}updated") == "2025-09-06T10:00:00+00:00"
    assert root.find(f"{ATOM}author/{ATOM}name").text == "Example & Co"  # type: ignore[union-attr]
    links = {(x.get("rel"), x.get("href")) for x in root.findall(f"{ATOM}link")}
    assert ("self", "https://p.example/aup/feed.xml") in links
    assert ("alternate", "https://p.example/aup/") in links
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}id") for e in entries] == [
        "https://p.example/aup/v/3/",
        "https://p.example/aup/v/2/",
        "https://p.example/aup/v/1/",
    ]
    for entry in entries:
        assert datetime.fromisoformat(entry.findtext(f"{ATOM}updated") or "").tzinfo is not None
        assert entry.find(f"{ATOM}link[@rel='alternate']") is not None
    # The HTML content is escaped once for XML: the reader gets markup, the text its entities.
    content = entries[1].findtext(f"{ATOM}content") or ""
    assert "<p>Adds a rule &amp; a &lt;b&gt;tag&lt;/b&gt;.</p>" in content
    related = entries[1].find(f"{ATOM}link[@rel='related']")
    assert related is not None and related.get("href") == "https://p.example/aup/changes/1..2/"


def test_site_feed_merges_policies_newest_first() -> None:
    other = PolicyInfo(
        "tos",
        "ToS",
        "policies/tos.md",
        (
            VersionInfo(
                "1",
                None,
                datetime(2025, 8, 1, tzinfo=UTC),
                "d" * 40,
                "4" * 64,
                "ToS",
                None,
                "current",
            ),
        ),
        current="1",
    )
    root = ET.fromstring(pages.site_feed(Urls(), "https://p.example/", [_info(), other]))
    ids = [e.findtext(f"{ATOM}id") for e in root.findall(f"{ATOM}entry")]
    assert ids == [
        "https://p.example/aup/v/3/",
        "https://p.example/tos/v/1/",
        "https://p.example/aup/v/2/",
        "https://p.example/aup/v/1/",
    ]


def test_api_versions_payload() -> None:
    data = pages.api_versions(Urls(), "https://p.example", _info())
    assert data["current"] == "2"
    assert [v["status"] for v in data["versions"]] == ["superseded", "current", "upcoming"]
    assert data["versions"][1]["changes"]["added"] == 1
    assert data["versions"][1]["changes_api"] == "https://p.example/api/aup/changes/1..2.json"
    assert data["versions"][0]["previous"] is None and "redline" not in data["versions"][0]


# ---------------------------------------------------------------------------- templating


def test_environment_autoescapes_and_overrides(tmp_path: Path) -> None:
    env = environment()
    assert env.from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("override {{ policies|length }}")
    ctx = PageContext(urls=Urls(), page="", today=date(2026, 1, 1), templates=tmp_path)
    assert pages.policies_index(ctx, []) == "override 0"
    assert templates_fingerprint(tmp_path) != templates_fingerprint(None)


def test_text_templates_are_not_html_escaped(tmp_path: Path) -> None:
    (tmp_path / "note.txt").write_text("Hello {{ name }}")
    assert environment(tmp_path).get_template("note.txt").render(name="A & B") == "Hello A & B"


def test_stylesheet_keeps_the_redline_css_selectors_as_written() -> None:
    css = environment().get_template("site/policies.css").render(redline_css=REDLINE_CSS)
    assert '.redline__filter:checked ~ .change[data-material="false"]' in css
    assert "&#34;" not in css and "&quot;" not in css


# ------------------------------------------------------------------- any input, inert output

_FRAGMENTS = [
    "# Title\n",
    "## A. Section\n",
    "### 1. Clause\n",
    "1. item\n",
    "   - bullet\n",
    "- b\n",
    "(a) lettered\n",
    "**Lead.** text\n",
    "| a | b |\n|---|---|\n| 1 | 2 |\n",
    "```\ncode\n```\n",
    "> quote\n",
    "\n",
    "text [link](javascript:alert(1)) ",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="jAvAsCrIpT:alert(1)">x</a>',
    "<div>\n",
    "</div>\n",
    "<pre>",
    "<style>p{}</style>",
    "<!-- c -->",
    "[ref]: https://e.com\n",
    "text [r][ref] ",
    "<svg onload=alert(1)>",
    "&lt;script&gt;",
    "    indented\n",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(_FRAGMENTS), st.text(max_size=20)), max_size=25))
def test_any_policy_renders_inert_with_an_anchor_per_clause(parts: list[str]) -> None:
    document = parse_document("".join(parts))
    html = pages.policy_body(document, clause_bodies(document))
    found = _Elements()
    found.feed(html)
    assert not {"script", "style", "svg", "iframe"} & set(found.tags)
    for tag, name, value in found.attrs:
        assert not name.startswith("on"), (tag, name)
        assert not "".join((value or "").split()).lower().startswith("javascript:"), value
    for clause in document.walk():
        assert f'id="{clause.anchor}"' in html


def test_counts_are_said_in_the_right_number() -> None:
    from publisher.counting import counted

    assert counted(1, "policy") == "1 policy"
    assert [counted(n, "policy") for n in (0, 2)] == ["0 policies", "2 policies"]
    assert counted(3, "version") == "3 versions"
    assert counted(2, "feed and API file") == "2 feed and API files"
    assert counted(2, "person", "people") == "2 people"
    template = environment().from_string('{{ n|plural("day") }}')
    assert [template.render(n=n) for n in (1, 5)] == ["1 day", "5 days"]
