"""A real browser (Debian's chromium through Playwright) against the acceptance service
mounted under ``/legal`` in another Starlette app served by uvicorn: the page is styled by
the mounted stylesheet, "I accept" posts inside the mount with its CSRF cookie, and the
receipt follows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import store_support as support
from browser import needs_chromium
from live_server import free_port, serve
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route
from web_support import KEY, POLICY

from publisher.config import load_settings
from publisher.links import LinkClaims, signer_for
from publisher.store import migrate
from publisher.store.db import Database
from publisher.store.ledger import record_acceptance, records, verify_chain
from publisher.web import create_app

pytestmark = needs_chromium


@dataclass
class Mounted:
    base: str
    database: Database
    link: str


@pytest.fixture
def mounted(database_url: str, tmp_path: Path) -> Iterator[Mounted]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = load_settings(
        tmp_path,
        env={"PUBLISHER_SECRET_KEY": KEY, "PUBLISHER_ACCEPT_URL": f"{base}/legal"},
        overrides={"database_url": database_url},
    )
    database = migrate.open_store(settings)
    support.seed(database)
    record_acceptance(database, customer_id="c2", policy=POLICY, version="1", method="import")

    async def home(request: Request) -> PlainTextResponse:
        return PlainTextResponse("the provider's app")

    outer = Starlette(
        routes=[Route("/", home), Mount("/legal", app=create_app(settings, database=database))]
    )
    token = signer_for(settings).sign(LinkClaims("c2", POLICY, "2", None))
    try:
        with serve(outer, port):
            yield Mounted(base, database, f"{base}/legal/a/{token}")
    finally:
        database.dispose()


def test_a_person_accepts_through_the_mounted_service(mounted: Mounted, browser: object) -> None:
    from playwright.sync_api import expect

    assert httpx.get(f"{mounted.base}/").text == "the provider's app"
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(mounted.link)
    changes = page.locator("section.changes")
    expect(changes).to_contain_text("What changed since version 1, which you accepted")
    deleted = changes.locator("del").first.evaluate("e => getComputedStyle(e).textDecorationLine")
    assert "line-through" in deleted  # the mounted stylesheet is applied
    page.get_by_role("button", name="I accept").first.click()
    page.wait_for_url("**/legal/a/*/receipt")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you: your acceptance is recorded"
    )
    context.close()
    (record,) = records(mounted.database, customer_id="c2", version="2")
    assert record.method == "link" and "Chrome" in (record.user_agent or "")
    assert verify_chain(mounted.database).ok
