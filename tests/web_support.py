"""Helpers shared by the tests of the acceptance service in process (Starlette TestClient):
a seeded store with its app and link signer (:class:`Site`), and a browser-like accept. The
``site`` fixture built on :func:`make_site` is in ``tests/fixtures/web.py``."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import store_support as support
from sqlalchemy import text

from publisher.config import Settings, load_settings
from publisher.links import LinkClaims, LinkSigner, signer_for
from publisher.store import migrate
from publisher.store.db import Database
from publisher.store.ledger import record_acceptance
from publisher.web import create_app

with warnings.catch_warnings():
    # Starlette asks for its httpx fork in TestClient; httpx itself works and is what we ship.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

POLICY = "acceptable-use"
KEY = "test-key-0123456789abcdef0123456789"
API_TOKEN = "api-token-for-tests"
TABLES = (
    "customers",
    "policy_versions",
    "notices",
    "deliveries",
    "delivery_events",
    "acceptances",
    "chain_head",
)


@dataclass
class Site:
    client: TestClient
    database: Database
    settings: Settings
    signer: LinkSigner

    def link(self, customer: str = "c2", version: str = "2", notice: int | None = None) -> str:
        return "/a/" + self.signer.sign(LinkClaims(customer, POLICY, version, notice))

    def snapshot(self) -> dict[str, Any]:
        """Every row of every table: to prove a request wrote nothing."""
        with self.database.engine.connect() as connection:
            return {
                t: sorted(map(tuple, connection.execute(text(f"SELECT * FROM {t}"))))
                for t in TABLES
            }


def make_site(url: str, root: Path, **env: str) -> Site:
    settings = load_settings(
        root,
        env={
            "PUBLISHER_SECRET_KEY": KEY,
            "PUBLISHER_API_TOKEN": API_TOKEN,
            "PUBLISHER_SITE_URL": "https://policies.example.com",
            **env,
        },
        overrides={"database_url": url},
    )
    database = migrate.open_store(settings)
    support.seed(database)
    # c2 accepted version 1 earlier, so its page shows the redline 1 -> 2.
    record_acceptance(database, customer_id="c2", policy=POLICY, version="1", method="import")
    client = TestClient(create_app(settings, database=database))
    return Site(client, database, settings, signer_for(settings))


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def accept(site: Site, link: str, **extra: str) -> Any:
    page = site.client.get(link)
    assert page.status_code == 200, page.text
    return site.client.post(
        link, data={"csrf": csrf_of(page.text), "accept": "yes", **extra}, follow_redirects=False
    )
