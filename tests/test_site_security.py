"""A policy containing <script>, onerror= and javascript: links renders inert everywhere on
the built site: the current page, past versions, redlines, feeds and the home page."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

from gitrepo import GitRepo
from sitebuild import build_site_cli

HOSTILE_V1 = """\
---
title: Hostile <script>alert('title')</script> Policy
version: "1"
effective: 2024-02-01
summary: "Summary with <img src=x onerror=alert('summary')>"
---

1. Read <a href="javascript:alert('href')">this</a> and [that](javascript:alert('md')).
2. See <img src="logo.png" onerror="alert('img')"> here.

<script>alert('block')</script>

<div onmouseover="alert('div')">Hover text.</div>

<a href="JaVaScRiPt:alert('case')">Mixed case</a> and <a href="&#106;avascript:alert('ent')">entity</a>.
"""

HOSTILE_V2 = HOSTILE_V1.replace('version: "1"', 'version: "2"').replace(
    "Hover text.", "Hover <svg onload=alert('svg')>text</svg> changed."
)


class _Scan(HTMLParser):
    """Collects what could run: script elements and their text, event handler attributes,
    and URLs with a javascript: scheme."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action", "formaction") and value is not None:
                scheme = "".join(value.split()).lower()
                if scheme.startswith(("javascript:", "data:", "vbscript:")):
                    self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "script":
            src = dict(attrs).get("src") or ""
            # The theme's own scripts (mkdocs' js/, search/) and inline set-up are fine; no
            # script may come from the policy (its text would contain "alert").
            self._in_script = True
            if src and not any(p in src for p in ("js/", "search/", "assets/javascripts/")):
                self.problems.append(f"<script src={src!r}>")
        if tag in ("iframe", "object", "embed", "svg", "math"):
            self.problems.append(f"<{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and "alert" in data:
            self.problems.append(f"script text {data[:40]!r}")


def _scan(html: str) -> list[str]:
    scan = _Scan()
    scan.feed(html)
    return scan.problems


def test_hostile_policy_renders_inert_everywhere(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.commit("v1", date="2024-01-01", files={"policies/hostile.md": HOSTILE_V1})
    repo.commit("v2", date="2024-01-10", files={"policies/hostile.md": HOSTILE_V2})
    site = tmp_path / "site"
    result = build_site_cli(repo.path, site, tmp_path / "cache")
    assert result.exit_code == 0, result.output

    pages = sorted(site.rglob("*.html"))
    checked = {p.relative_to(site).as_posix() for p in pages}
    assert {
        "index.html",
        "hostile/index.html",
        "hostile/v/1/index.html",
        "hostile/changes/1..2/index.html",
        "hostile/versions/index.html",
    } <= checked
    for page in pages:
        assert _scan(page.read_text(encoding="utf-8")) == [], page

    # The visible text survives, as text.
    current = (site / "hostile" / "index.html").read_text(encoding="utf-8")
    assert "Hover" in current and "Mixed case" in current
    assert "Hostile &lt;script&gt;" in current  # the title is text, not markup
    redline = (site / "hostile" / "changes" / "1..2" / "index.html").read_text(encoding="utf-8")
    assert "<ins>" in redline

    # Feeds: the HTML inside <content type="html"> is as inert as the pages.
    for feed in (site / "feed.xml", site / "hostile" / "feed.xml"):
        root = ET.parse(feed).getroot()
        for content in root.iter("{http://www.w3.org/2005/Atom}content"):
            assert _scan(content.text or "") == [], feed


def test_scanner_catches_what_it_looks_for() -> None:
    # The scan above must be able to fail.
    assert _scan('<img src="x" onerror="alert(1)">') != []
    assert _scan('<a href=" javascript:alert(1)">x</a>') != []
    assert _scan("<script>alert(1)</script>") != []
    assert _scan('<script src="js/theme.js"></script><p>ok</p>') == []
