"""The example site's languages in a real browser (Debian's chromium through Playwright,
headless): from the English Privacy Policy, the language switcher leads to the French
translation, which says its language, lists the other languages as hreflang alternates and
warns that it lags version 3; the switcher leads back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from browser import needs_chromium
from sitebuild import REPO_ROOT, build_site_cli, serve_directory

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("browser-languages")
    result = build_site_cli(REPO_ROOT, tmp / "site", tmp / "cache")
    assert result.exit_code == 0, result.output
    with serve_directory(tmp / "site") as url:
        yield url


def test_switcher_and_hreflang_between_english_and_french(site_url: str, browser: Any) -> None:
    expect = pytest.importorskip("playwright.sync_api").expect
    page = browser.new_context(java_script_enabled=False).new_page()
    page.goto(site_url + "privacy/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    alternates = page.locator('link[rel="alternate"][hreflang]')
    assert sorted(alternates.evaluate_all("ls => ls.map(l => l.hreflang)")) == [
        "de",
        "en",
        "fr",
        "x-default",
    ]
    switcher = page.locator("nav.languages")
    expect(switcher.locator('[aria-current="page"]')).to_have_text("en")
    switcher.locator('a[hreflang="fr"]').click()
    expect(page).to_have_url(site_url + "fr/privacy/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("article").first).to_contain_text("Politique de confidentialité")
    banner = page.locator(".translation-lag")
    expect(banner).to_be_visible()
    expect(banner).to_have_attribute("lang", "fr")  # said in the page's language
    expect(banner).to_contain_text("rend la version 2")
    expect(banner).to_contain_text("version 3 (en)")
    fr_alternate = page.locator('link[rel="alternate"][hreflang="de"]')
    expect(fr_alternate).to_have_attribute("href", "http://127.0.0.1:8001/de/privacy/")
    page.locator('nav.languages a[hreflang="de"]').click()
    expect(page).to_have_url(site_url + "de/privacy/")
    expect(page.locator(".translation-lag")).to_have_count(0)
    page.locator('nav.languages a[hreflang="en"]').click()
    expect(page).to_have_url(site_url + "privacy/")
