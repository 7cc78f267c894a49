"""Helpers for the site tests: build a site with the real CLI, read a built site's links and
ids, and serve a built site over HTTP on loopback.

    from sitebuild import build_site_cli, SiteLinks, serve_directory
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from click.testing import CliRunner, Result

from publisher.cli import main

REPO_ROOT = Path(__file__).resolve().parents[1]


def build_site_cli(
    repo: Path, site_dir: Path, cache_dir: Path, *args: str, env: dict[str, str] | None = None
) -> Result:
    """``publisher -C repo build --site-dir site_dir …`` with its cache in ``cache_dir``."""
    runner = CliRunner()
    return runner.invoke(
        main,
        ["-C", str(repo), "build", "--site-dir", str(site_dir), *args],
        env={"PUBLISHER_CACHE_DIR": str(cache_dir), **(env or {})},
        catch_exceptions=False,
    )


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[str, str]] = []  # (tag, url)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("id", "name"):
            if values.get(name) and (name == "id" or tag == "a"):
                self.ids.add(str(values[name]))
        for name in ("href", "src"):
            value = values.get(name)
            if value is not None:
                self.links.append((tag, value))


@dataclass
class SiteLinks:
    """Every page of a built site, its element ids and its links."""

    root: Path
    ids: dict[str, set[str]] = field(default_factory=dict)  # site path of the file -> ids
    links: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    @classmethod
    def read(cls, root: Path) -> SiteLinks:
        site = cls(root)
        for path in sorted(root.rglob("*.html")):
            collector = _Collector()
            collector.feed(path.read_text(encoding="utf-8"))
            rel = path.relative_to(root).as_posix()
            site.ids[rel] = collector.ids
            site.links[rel] = collector.links
        return site

    def target(self, url: str) -> Path:
        """The file a site path (``acceptable-use/v/1/``) is served from."""
        path = self.root / unquote(url)
        return path / "index.html" if url.endswith("/") or url == "" else path

    def broken(self, *, check_fragments: bool = True) -> list[str]:
        """Every internal link (href/src) that does not resolve to a file of the site, or to
        an element id of its target page; external links are not followed."""
        problems: list[str] = []
        base = "http://site.invalid/"
        for page, links in self.links.items():
            page_url = base + page
            for tag, link in links:
                absolute = urljoin(page_url, link)
                parts = urlsplit(absolute)
                if parts.scheme in ("mailto", "tel") or not absolute.startswith(base):
                    continue
                path = parts.path.removeprefix("/")
                file = self.target(path)
                if not file.exists():
                    problems.append(f"{page}: <{tag}> {link} -> {path} does not exist")
                    continue
                if check_fragments and parts.fragment and file.suffix == ".html":
                    rel = file.relative_to(self.root).as_posix()
                    if unquote(parts.fragment) not in self.ids.get(rel, set()):
                        problems.append(f"{page}: {link} -> no id {parts.fragment!r} in {rel}")
        return problems


@contextmanager
def serve_directory(root: Path) -> Iterator[str]:
    """Serve ``root`` on 127.0.0.1 (a free port) in a thread; yields the base URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
