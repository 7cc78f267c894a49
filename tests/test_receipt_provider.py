"""The receipt names the provider: the `provider` setting, else mail_from's display name,
else the site's host name."""

from __future__ import annotations

from pathlib import Path

import pytest
from web_support import accept, make_site

from publisher.config import load_settings


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"PUBLISHER_PROVIDER": "Northwind Cloud Ltd"}, "Northwind Cloud Ltd"),
        ({"PUBLISHER_MAIL_FROM": "Northwind Legal <legal@northwind.example>"}, "Northwind Legal"),
        ({}, "policies.example.com"),
    ],
)
def test_provider_name_falls_back(tmp_path: Path, env: dict[str, str], expected: str) -> None:
    settings = load_settings(
        tmp_path, env={"PUBLISHER_SITE_URL": "https://policies.example.com", **env}
    )
    assert settings.provider_name == expected


def test_the_receipt_names_the_provider(database_url: str, tmp_path: Path) -> None:
    site = make_site(database_url, tmp_path, PUBLISHER_PROVIDER="Northwind Cloud Ltd")
    try:
        done = accept(site, site.link())
        assert done.status_code == 303
        receipt = site.client.get(done.headers["location"])
        assert receipt.status_code == 200
        assert "<dt>Provider</dt><dd>Northwind Cloud Ltd</dd>" in receipt.text
        again = site.client.get(site.link())
        assert "<dt>Provider</dt><dd>Northwind Cloud Ltd</dd>" in again.text
    finally:
        site.client.close()
        site.database.dispose()
