"""Issue 11 item 8: no page of ours makes a third-party request.

Every built page loaded highlight.js from a public CDN (the mkdocs theme's default), on a
privacy site and without ``integrity``. Both the example site (this repository's mkdocs.yml)
and the built-in configuration (a repository without one) are built with the real CLI, and
every page and stylesheet is scanned for what a browser would fetch by itself: scripts,
stylesheets, fonts, images, frames, preconnects, CSS ``@import`` and ``url()``.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from gitrepo import GitRepo
from sitebuild import REPO_ROOT, build_site_cli

#: Elements and attributes a browser fetches without a click (``<a href>`` is not one).
_FETCHED = {
    "script": ("src",),
    "img": ("src", "srcset"),
    "iframe": ("src",),
    "source": ("src", "srcset"),
    "video": ("src", "poster"),
    "audio": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "link": ("href",),
}
_LINK_NAVIGATION = frozenset(
    {"alternate", "canonical", "next", "prev", "search", "author", "license", "help"}
)
_CSS_URL = re.compile(r"""@import\s+(?:url\()?\s*["']?([^"')\s;]+)|url\(\s*["']?([^"')\s]+)""")


class _Requests(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self._style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "link" and set(values.get("rel", "").lower().split()) <= _LINK_NAVIGATION:
            return  # a feed or the canonical URL: not fetched by the page
        for name in _FETCHED.get(tag, ()):
            if values.get(name):
                self.urls.extend(
                    part.split()[0] for part in values[name].split(",") if part.strip()
                )
        if "style" in values:
            self.urls.extend(_css_urls(values["style"]))
        self._style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._style = False

    def handle_data(self, data: str) -> None:
        if self._style:
            self.urls.extend(_css_urls(data))


def _css_urls(css: str) -> list[str]:
    return [a or b for a, b in _CSS_URL.findall(css)]


def third_party_requests(site: Path, own_host: str) -> dict[str, list[str]]:
    """Each page or stylesheet of ``site`` that makes a request to another host, with the
    URLs it requests."""
    found: dict[str, list[str]] = {}
    for path in sorted(site.rglob("*")):
        if path.suffix == ".html":
            scan = _Requests()
            scan.feed(path.read_text(encoding="utf-8"))
            urls = scan.urls
        elif path.suffix == ".css":
            urls = _css_urls(path.read_text(encoding="utf-8"))
        else:
            continue
        foreign = [u for u in urls if urlsplit(u).netloc and urlsplit(u).netloc != own_host]
        if foreign:
            found[path.relative_to(site).as_posix()] = foreign
    return found


def test_the_scan_finds_what_a_browser_would_fetch(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text(
        '<link rel="stylesheet" href="https://cdn.example/x.css">'
        '<link rel="alternate" href="https://feeds.example/feed.xml">'
        '<a href="https://other.example/">a link</a>'
        '<script src="//cdnjs.example/highlight.min.js"></script>'
        '<style>@import url("https://fonts.example/f.css");</style>'
        '<img src="/local.png"><img srcset="https://img.example/a.png 2x">',
        encoding="utf-8",
    )
    (tmp_path / "site.css").write_text(
        "body { background: url(https://img.example/b.png) }", encoding="utf-8"
    )
    assert third_party_requests(tmp_path, "127.0.0.1:8001") == {
        "index.html": [
            "https://cdn.example/x.css",
            "//cdnjs.example/highlight.min.js",
            "https://fonts.example/f.css",
            "https://img.example/a.png",
        ],
        "site.css": ["https://img.example/b.png"],
    }


@pytest.fixture(scope="module")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("third-party")
    result = build_site_cli(REPO_ROOT, tmp / "site", tmp / "cache")
    assert result.exit_code == 0, result.output
    return tmp / "site"


def test_the_example_site_requests_nothing_from_other_hosts(example_site: Path) -> None:
    pages = list(example_site.rglob("*.html"))
    assert len(pages) > 20
    assert third_party_requests(example_site, "127.0.0.1:8001") == {}
    assert not any("hljs" in p.read_text(encoding="utf-8") for p in pages)


def test_the_built_in_configuration_requests_nothing_from_other_hosts(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write(
        "policies/terms.md",
        "---\ntitle: Terms\nversion: '1'\n---\n# Terms\n\n1. Pay.\n\n```\ncode\n```\n",
    )
    repo.commit("Add the terms")
    result = build_site_cli(repo.path, tmp_path / "site", tmp_path / "cache")
    assert result.exit_code == 0, result.output
    site = tmp_path / "site"
    assert (site / "terms" / "index.html").is_file()
    assert third_party_requests(site, "") == {}
