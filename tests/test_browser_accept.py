"""A real browser (Debian's chromium through Playwright) against `publisher web`: a scanner
that only opens the link records nothing; a person sees the redline, presses "I accept" and
gets the receipt. Screenshots go to artifacts/."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
import store_support as support
from browser import needs_chromium
from server_support import Server, start_server, stop_server

from publisher.store.ledger import records, verify_chain

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

pytestmark = needs_chromium


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    running = start_server(database_url, tmp_path, workers=1)
    try:
        yield running
    finally:
        stop_server(running)


def _shot(page: object, name: str, backend: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"accept-{backend}-{name}.png"), full_page=True)  # type: ignore[attr-defined]


def test_scanner_records_nothing_and_a_person_accepts(
    server: Server, browser: object, request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import expect

    backend = request.node.callspec.params["database_url"]
    # c2 accepted version 1 before: their page for version 2 shows the redline 1 -> 2.
    from publisher.store.ledger import record_acceptance

    record_acceptance(
        server.database, customer_id="c2", policy="acceptable-use", version="1", method="import"
    )
    link = server.link("c2")

    # 1. Mail scanners: a plain GET, and a headless browser that opens the page, runs its
    #    scripts and follows its links — but never submits the form.
    assert httpx.get(link).status_code == 200
    scanner = browser.new_context(user_agent="SafeLinks-Scanner/1.0")  # type: ignore[attr-defined]
    page = scanner.new_page()
    page.goto(link)
    for href in page.eval_on_selector_all("a[href^='/']", "els => els.map(e => e.href)"):
        page.goto(href)
    scanner.close()
    assert records(server.database, customer_id="c2", version="2") == []

    # 2. The customer.
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Acceptable Use Policy")
    changes = page.locator("section.changes")
    expect(changes).to_contain_text("What changed since version 1, which you accepted")
    expect(changes.locator("del").first).to_have_text("spam")
    expect(changes.locator("ins").first).to_have_text("bulk or unsolicited mail")
    deleted = changes.locator("del").first.evaluate("e => getComputedStyle(e).textDecorationLine")
    assert "line-through" in deleted  # struck through, not colour alone
    _shot(page, "1-landing", backend)
    levels = page.eval_on_selector_all(
        ":is(h1, h2, h3, h4, h5, h6)", "els => els.map(e => +e.tagName[1])"
    )
    assert levels[0] == 1 and all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels
    for tag, word in (("del", "deleted"), ("ins", "inserted")):  # said to screen readers
        assert f"[{word}: " in changes.locator(tag).first.locator("xpath=..").aria_snapshot()
    page.get_by_role("button", name="I accept").last.click()  # the one after the changes
    page.wait_for_url("**/receipt")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you: your acceptance is recorded"
    )
    _shot(page, "2-receipt", backend)
    (record,) = records(server.database, customer_id="c2", version="2")
    expect(page.locator(".receipt")).to_contain_text(record.content_sha256)
    assert record.method == "link" and record.ip == "127.0.0.1"
    assert "Chrome" in (record.user_agent or "")
    expected = support.SEED_VERSIONS[1].body
    from publisher.store.evidence import normalised_text

    assert hashlib.sha256(normalised_text(expected).encode()).hexdigest() == record.content_sha256

    # 3. Back button and a second press: idempotent, and the page says so.
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "You have already accepted this version"
    )
    context.close()
    assert len(records(server.database, customer_id="c2", version="2")) == 1
    assert verify_chain(server.database).ok


BULLETS = """# Acceptable Use Policy

You shall not:

- send bulk or unsolicited mail;
- scan other customers' hosts.

1. You shall not attack the network.
"""


def test_first_time_customer_sees_bullets_and_why(
    server: Server, browser: object, request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import expect

    from publisher.store.versions import store_versions

    backend = request.node.callspec.params["database_url"]
    store_versions(server.database, [support.version_text("acceptable-use", "3", 2, BULLETS)])
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(server.link("c3", version="3"))
    expect(page.locator("section.changes").first).to_contain_text(
        "You have not accepted a version of this policy before; here is the full text, and "
        "what changed since version 2."
    )
    fulltext = page.locator("details.fulltext")
    expect(fulltext).to_have_attribute("open", "")
    bullet = fulltext.locator("ul.clause-list-ul > li").first
    expect(bullet).to_contain_text("send bulk or unsolicited mail;")
    style = bullet.evaluate("e => [getComputedStyle(e).display, getComputedStyle(e).listStyleType]")
    assert style == ["list-item", "disc"]  # a visible bullet, not a bare paragraph
    numbered = fulltext.locator("ol.clause-list-ol > li").first
    expect(numbered.locator(".clause-number")).to_have_text("1.")
    expect(numbered.locator(".clause-text")).to_have_text("You shall not attack the network.")
    assert numbered.evaluate("e => getComputedStyle(e).listStyleType") == "none"  # "1." once
    _shot(page, "3-first-time-bullets", backend)
    context.close()


LONG = (
    "# Acceptable Use Policy\n\n"
    + "\n".join(
        f"{n}. You shall not do the forbidden thing number {n}, which is described here at "
        "some length so that the policy is as long as a real one and the page is many screens "
        "tall; see also [the rules](https://example.com/rules)."
        for n in range(1, 121)
    )
    + "\n"
)


@pytest.mark.parametrize(
    "viewport",
    [{"width": 1280, "height": 800}, {"width": 390, "height": 844}],
    ids=["desktop", "phone"],
)
def test_the_accept_button_is_in_the_first_screen(
    server: Server, browser: object, request: pytest.FixtureRequest, viewport: dict[str, int]
) -> None:
    from playwright.sync_api import expect

    from publisher.store.versions import store_versions

    backend = request.node.callspec.params["database_url"]
    text = replace(
        support.version_text("acceptable-use", "3", 2, LONG),
        summary="Adds one hundred and twenty rules.",
    )
    store_versions(server.database, [text])
    context = browser.new_context(viewport=viewport, java_script_enabled=False)  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(server.link("c3", version="3"))
    assert page.evaluate("document.documentElement.scrollHeight") > 4 * viewport["height"]
    buttons = page.get_by_role("button", name="I accept")
    expect(buttons).to_have_count(2)  # at the top, and after the text
    first = buttons.first
    expect(first).to_be_in_viewport()
    consent = page.locator(".accept--top .accept__consent")
    expect(consent).to_be_in_viewport()
    expect(consent).to_contain_text("accept Acceptable Use Policy version 3 exactly as shown")
    # The summary is said once on the page.
    assert page.locator("body").inner_text().count("Adds one hundred and twenty rules.") == 1
    # A keyboard reaches it at once.
    for _ in range(7):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "I accept":
            break
    else:
        raise AssertionError("7 Tab presses did not reach the 'I accept' button")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(
        path=str(ARTIFACTS / f"accept-{backend}-4-first-screen-{viewport['width']}.png")
    )
    page.keyboard.press("Enter")
    page.wait_for_url("**/receipt")
    assert len(records(server.database, customer_id="c3", version="3")) == 1
    context.close()


def test_the_acceptance_page_prints_the_changes_without_the_forms(
    server: Server, browser: object, request: pytest.FixtureRequest
) -> None:
    from publisher.store.ledger import record_acceptance

    backend = request.node.callspec.params["database_url"]
    record_acceptance(
        server.database, customer_id="c2", policy="acceptable-use", version="1", method="import"
    )
    context = browser.new_context(viewport={"width": 700, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(server.link("c2"))
    page.emulate_media(media="print")
    assert page.get_by_role("button", name="I accept").first.is_hidden()
    assert page.locator(".accept--top").is_hidden()
    changes = page.locator("section.changes")
    assert changes.is_visible() and changes.locator("del").first.is_visible()
    # The full text too, though its <details> is closed on screen.
    assert page.locator("details.fulltext").get_attribute("open") is None
    assert page.locator("details.fulltext .policy-body .clause").first.is_visible()
    width = page.evaluate("document.documentElement.clientWidth")
    assert changes.evaluate("e => e.getBoundingClientRect().width") >= 0.9 * width
    ARTIFACTS.mkdir(exist_ok=True)
    page.pdf(path=str(ARTIFACTS / f"accept-{backend}-print.pdf"))
    context.close()
