"""The acceptance service's own pages besides the link pages: its icon and a real 404 page."""

from __future__ import annotations

import itertools
import re
import time
from pathlib import Path
from xml.etree import ElementTree

import pytest
import web_support
from web_support import Site

from publisher.links import LinkClaims, LinkSigner


def test_the_service_has_an_icon(site: Site) -> None:
    page = site.client.get(site.link())
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page.text
    for path in ("/static/favicon.svg", "/favicon.ico"):
        icon = site.client.get(path)
        assert icon.status_code == 200
        assert icon.headers["content-type"] == "image/svg+xml"
        assert ElementTree.fromstring(icon.content).tag == "{http://www.w3.org/2000/svg}svg"


def test_an_unknown_address_gets_a_page_that_says_what_to_do(site: Site) -> None:
    missing = site.client.get("/nothing/here")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert "<h1>Page not found</h1>" in missing.text
    assert "/static/acceptance.css" in missing.text  # styled like every other page
    assert "ask for a new one" in missing.text
    assert "content-security-policy" in missing.headers
    api = site.client.get("/api/nothing")
    assert api.status_code == 404 and api.json() == {"error": "no such API endpoint"}


def test_the_link_page_says_each_summary_once(site: Site) -> None:
    page = site.client.get(site.link())  # c2 accepted version 1: the redline 1 -> 2
    assert page.status_code == 200
    described = re.search(r"\d+ added, [^<]*editorial\)", page.text)
    assert described, "no summary of the changes"
    assert page.text.count(described.group(0)) == 1
    assert 'class="redline__counts"' not in page.text  # the same counts, said again
    # The page's own heading leads the changes; the redline has no second title.
    assert "What changed since version 1, which you accepted" in page.text
    assert "changes from v1 to v2" not in page.text
    levels = [int(n) for n in re.findall(r"<h([1-6])\b", page.text)]
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels


@pytest.mark.parametrize(("days", "said"), [(1, "valid for 1 day,"), (2, "valid for 2 days,")])
def test_the_expired_page_says_the_days_in_the_right_number(
    database_url: str, tmp_path: Path, days: int, said: str
) -> None:
    made = web_support.make_site(database_url, tmp_path, PUBLISHER_LINK_MAX_AGE_DAYS=str(days))
    try:
        old = time.time() - (days + 1) * 86400
        signer = LinkSigner([web_support.KEY], clock=lambda: old)
        page = made.client.get("/a/" + signer.sign(LinkClaims("c2", web_support.POLICY, "2")))
        assert page.status_code == 410
        assert said in page.text
    finally:
        made.client.close()
        made.database.dispose()
