"""`create_app()` mounted under ``/legal`` in another Starlette app: the whole link flow (page,
stylesheet, CSRF cookie, form post, redirect, receipt), error pages and the API all honour
``root_path`` (SQLite and PostgreSQL, in process)."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import store_support as support
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route
from web_support import API_TOKEN, KEY, POLICY, csrf_of

from publisher.config import load_settings
from publisher.links import LinkClaims, signer_for
from publisher.store import migrate
from publisher.store.db import Database
from publisher.store.ledger import records
from publisher.web import create_app
from publisher.web.security import CSRF_COOKIE

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient


@dataclass
class Host:
    client: TestClient
    database: Database
    link: str


@pytest.fixture
def host(database_url: str, tmp_path: Path) -> Iterator[Host]:
    settings = load_settings(
        tmp_path,
        env={
            "PUBLISHER_SECRET_KEY": KEY,
            "PUBLISHER_API_TOKEN": API_TOKEN,
            "PUBLISHER_ACCEPT_URL": "http://testserver/legal",
        },
        overrides={"database_url": database_url},
    )
    database = migrate.open_store(settings)
    support.seed(database)

    async def home(request: object) -> PlainTextResponse:
        return PlainTextResponse("the provider's own app")

    outer = Starlette(
        routes=[Route("/", home), Mount("/legal", app=create_app(settings, database=database))]
    )
    token = signer_for(settings).sign(LinkClaims("c1", POLICY, "2", None))
    client = TestClient(outer)
    try:
        yield Host(client, database, f"/legal/a/{token}")
    finally:
        client.close()
        database.dispose()


def test_the_whole_link_flow_works_mounted(host: Host) -> None:
    page = host.client.get(host.link)
    assert page.status_code == 200
    html = page.text
    assert f'action="{host.link}"' in html
    stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert stylesheet is not None and stylesheet.group(1) == "/legal/static/acceptance.css"
    css = host.client.get(stylesheet.group(1))
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    cookie = page.headers["set-cookie"]
    assert f"{CSRF_COOKIE}=" in cookie and "Path=/legal/a/" in cookie
    response = host.client.post(
        host.link, data={"csrf": csrf_of(html), "accept": "yes"}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"{host.link}/receipt"
    receipt = host.client.get(response.headers["location"])
    assert receipt.status_code == 200 and "your acceptance is recorded" in receipt.text
    assert [r.version for r in records(host.database, customer_id="c1")] == ["2"]
    # the provider's own routes are untouched
    assert host.client.get("/").text == "the provider's own app"


def test_receipt_before_accepting_redirects_inside_the_mount(host: Host) -> None:
    response = host.client.get(f"{host.link}/receipt", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == host.link


def test_superseded_link_points_inside_the_mount(host: Host, tmp_path: Path) -> None:
    settings = load_settings(tmp_path, env={"PUBLISHER_SECRET_KEY": KEY})
    token = signer_for(settings).sign(LinkClaims("c1", POLICY, "1", None))
    page = host.client.get(f"/legal/a/{token}")
    assert page.status_code == 200
    assert re.search(r'href="/legal/a/[^"]+">review and accept', page.text)


def test_error_pages_and_api_mounted(host: Host) -> None:
    assert host.client.get("/legal/a/not-a-token").status_code == 400
    assert "/legal/static/acceptance.css" in host.client.get("/legal/a/not-a-token").text
    api = host.client.get(
        "/legal/api/ledger/verify", headers={"authorization": f"Bearer {API_TOKEN}"}
    )
    assert api.status_code == 200 and api.json()["ok"] is True
    assert host.client.get("/legal/healthz").text == "ok\n"


def test_body_limits_apply_inside_the_mount(host: Host) -> None:
    from publisher.web.guard import DEFAULT_BODY_LIMIT

    big = b"x" * (DEFAULT_BODY_LIMIT + 1)
    refused = host.client.post(
        host.link, content=big, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert refused.status_code == 413
    # the webhook's own larger limit is found under the mount too: not refused for size
    webhook = host.client.post(
        "/legal/webhooks/sendgrid", content=big, headers={"content-type": "application/json"}
    )
    assert webhook.status_code != 413
