"""The example site in a real browser (Debian's chromium through Playwright, headless): open
the current AUP, follow "What changed" to the redline, see a struck-through deletion and an
underlined insertion, open the "material changes only" page, open a past version from the
history and land on a clause anchor. Screenshots go to artifacts/ (not committed)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import needs_chromium
from sitebuild import REPO_ROOT, build_site_cli, serve_directory

ARTIFACTS = REPO_ROOT / "artifacts"

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("browser-site")
    result = build_site_cli(REPO_ROOT, tmp / "site", tmp / "cache")
    assert result.exit_code == 0, result.output
    with serve_directory(tmp / "site") as url:
        yield url


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"site-{name}.png"), full_page=False)


def _style(locator: Any, prop: str) -> str:
    return str(locator.evaluate(f"e => getComputedStyle(e).{prop}"))


def test_reader_follows_what_changed_filters_and_lands_on_a_clause(
    site_url: str, browser: Any
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(
        viewport={"width": 1200, "height": 900}, java_script_enabled=False
    )  # everything works without JS
    page = context.new_page()

    # 1. The current AUP: its banner says which version is in force.
    page.goto(site_url + "acceptable-use/")
    banner = page.locator(".version-banner")
    expect(banner).to_contain_text("Version 3")
    expect(banner).to_contain_text("In force")
    expect(page.locator("#c-1")).to_be_visible()
    _shot(page, "1-current-aup")

    # 2. "What changed" leads to the redline from version 2 to version 3.
    page.get_by_role("link", name="What changed").click()
    expect(page).to_have_url(site_url + "acceptable-use/changes/2..3/")
    expect(page.locator("h1")).to_contain_text("changes from version 2 to version 3")
    deletion = page.locator(".redline .change del").first
    insertion = page.locator(".redline .change ins").first
    expect(deletion).to_be_visible()
    expect(insertion).to_be_visible()
    assert "line-through" in _style(deletion, "textDecorationLine")
    assert "underline" in _style(insertion, "textDecorationLine")
    _shot(page, "2-redline-2-3")

    # 3. "Material changes only": a page of its own, so it works without JavaScript and can be
    # shared.
    page.get_by_role("link", name="Material changes only").click()
    expect(page).to_have_url(site_url + "acceptable-use/changes/2..3/material/")
    expect(page.locator(".redline-view-link-material")).to_have_attribute("aria-current", "page")
    material = page.locator('.change[data-material="true"]')
    assert material.count() > 0
    for i in range(material.count()):
        expect(material.nth(i)).to_be_visible()
    _shot(page, "3-material-only-2-3")

    # Versions 1 -> 2 have editorial changes too: the material page leaves out exactly those,
    # its sidebar lists only what it shows, and following a sidebar entry keeps the view.
    page.goto(site_url + "acceptable-use/changes/1..2/")
    editorial = page.locator('.change[data-material="false"]')
    assert editorial.count() > 0
    expect(editorial.first).to_be_visible()
    page.get_by_role("link", name="Material changes only").click()
    expect(page).to_have_url(site_url + "acceptable-use/changes/1..2/material/")
    expect(page.locator('.change[data-material="false"]')).to_have_count(0)
    shown = page.locator('.change[data-material="true"]')
    expect(shown.first).to_be_visible()
    expect(page.locator(".redline__hidden")).to_contain_text("editorial change")
    sidebar = page.locator('.bs-sidebar a[href^="#redline-change-"]')
    expect(sidebar).to_have_count(shown.count())
    sidebar.last.click()
    expect(page).to_have_url(re.compile(r"/changes/1\.\.2/material/#redline-change-\d+$"))
    expect(page.locator('.change[data-material="false"]')).to_have_count(0)
    expect(page.locator(".redline-view-link-material")).to_have_attribute("aria-current", "page")
    _shot(page, "4-material-only-1-2")
    page.locator(".redline-view-link-all").click()
    expect(page).to_have_url(site_url + "acceptable-use/changes/1..2/")
    expect(editorial.first).to_be_visible()

    # 4. The history, then a past version: marked superseded, with a way back to current.
    page.get_by_role("link", name="All versions").click()
    expect(page).to_have_url(site_url + "acceptable-use/versions/")
    _shot(page, "5-history")
    page.get_by_role("table").get_by_role("link", name="Version 1", exact=True).click()
    expect(page).to_have_url(site_url + "acceptable-use/v/1/")
    expect(page.locator(".version-banner")).to_contain_text("Superseded")
    expect(page.locator(".version-banner")).to_contain_text("no longer in force")

    # 5. Land on a clause anchor: the clause's own link puts it in the URL and in view.
    clause = page.locator("#c-9")  # the resale rule (10 in version 2), removed in version 3
    expect(clause).to_contain_text("resell")
    clause.locator("> .clause-link").click()
    expect(page).to_have_url(site_url + "acceptable-use/v/1/#c-9")
    expect(clause).to_be_in_viewport()
    assert page.evaluate("document.querySelector(':target').id") == "c-9"
    _shot(page, "6-clause-anchor")

    # And a redline's change title links to that clause in the version it came from.
    page.get_by_role("link", name="Compare this version with version 3").click()
    expect(page).to_have_url(site_url + "acceptable-use/changes/1..3/")
    page.locator(".change--removed .change__title a").first.click()
    expect(page).to_have_url(site_url + "acceptable-use/v/1/#c-9")
    page.wait_for_load_state("load")
    # The clause is the page's target. (Whether headless Chromium has scrolled it into view
    # by now is timing: the same check after a direct click on the clause's link, above,
    # covers scrolling.)
    expect(page.locator("#c-9:target")).to_have_count(1)
    context.close()


def _luminance(css_colour: str) -> float:
    channels = [float(x) / 255 for x in re.findall(r"[\d.]+", css_colour)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast_on_white(locator: Any) -> float:
    return 1.05 / (_luminance(_style(locator, "color")) + 0.05)


def test_our_links_and_titles_meet_wcag_aa_contrast(site_url: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.goto(site_url + "terms-of-service/changes/1..2/")
    checked = {
        "change title": page.locator(".redline .change__title a").first,
        "view switch": page.locator(".redline-view-link-material"),
        "sidebar link": page.locator(".bs-sidebar .nav-link").first,
        "page title": page.locator("h1").first,
    }
    for name, locator in checked.items():
        assert _contrast_on_white(locator) >= 4.5, (name, _style(locator, "color"))
    assert int(_style(checked["change title"], "fontWeight")) >= 400
    # The view shown is white on dark: the links' colour must not win over it.
    current = page.locator('.redline-view-link[aria-current="page"]')
    assert _style(current, "color") == "rgb(255, 255, 255)"
    assert _luminance(_style(current, "backgroundColor")) < 0.05
    context.close()


def test_version_history_fits_a_1280px_window(site_url: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(site_url + "acceptable-use/versions/")
    wrap = page.locator(".table-wrap")
    assert wrap.evaluate("e => e.scrollWidth <= e.clientWidth"), "the table scrolls sideways"
    badge = page.locator(".versions-table .badge-material").first
    assert badge.evaluate("e => e.getBoundingClientRect().right <= window.innerWidth")
    for name in HISTORY_COLUMNS:
        assert _visible_within(page.get_by_role("columnheader", name=name, exact=True), 1280)
    for name, cell in _history_row_cells(page).items():
        assert _visible_within(cell, 1280), f"the {name} cell is cut off"
    _shot(page, "7-history-1280")
    context.close()


def test_pages_print_without_navigation_and_with_marks(site_url: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    page = context.new_page()
    page.goto(site_url + "acceptable-use/changes/2..3/")
    page.emulate_media(media="print")
    assert _style(page.locator(".redline-views"), "display") == "none"
    assert _style(page.locator(".navbar").first, "display") == "none"
    deletion = page.locator(".redline del").first
    assert "line-through" in _style(deletion, "textDecorationLine")  # not by colour alone
    ARTIFACTS.mkdir(exist_ok=True)
    page.pdf(path=str(ARTIFACTS / "site-print-redline.pdf"))
    context.close()


def test_keyboard_reaches_the_view_switch_and_focus_is_visible(site_url: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.goto(site_url + "acceptable-use/changes/1..2/")
    link = page.get_by_role("link", name="Material changes only")
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.textContent").startswith(
            "Material changes only"
        ):
            break
    else:
        raise AssertionError("Tab never reached the 'Material changes only' link")
    assert _style(link, "outlineStyle") != "none"
    page.keyboard.press("Enter")
    page.wait_for_url("**/changes/1..2/material/")
    context.close()


# The version history's columns, as a reader must find them in every medium: the header's
# text, and for the newest row its summary and its change counts.
HISTORY_COLUMNS = ("Version", "Status", "Effective", "Published", "Commit", "Summary", "Changes")


def _visible_within(locator: Any, width: float) -> bool:
    """Shown, not clipped by a scrolling ancestor, and inside ``width`` CSS pixels."""
    return bool(
        locator.evaluate(
            """(e, width) => {
            const r = e.getBoundingClientRect();
            if (r.width === 0 || r.height === 0 || r.left < 0 || r.right > width + 0.5)
                return false;
            for (let p = e.parentElement; p; p = p.parentElement) {
                const s = getComputedStyle(p);
                if (s.display === 'none' || s.visibility === 'hidden') return false;
                if (s.overflowX !== 'visible' && p.scrollWidth > p.clientWidth + 1) return false;
            }
            return true;
        }""",
            width,
        )
    )


def _history_row_cells(page: Any) -> dict[str, Any]:
    row = page.locator(".versions-table tbody tr").first
    return {
        "Summary": row.locator(".version-summary"),
        "Changes": row.locator(".version-changes"),
        "Commit": row.locator(".version-commit"),
        "Effective": row.locator(".version-effective-date"),
    }


@pytest.mark.parametrize("width", [1280, 700])  # a wide window; A4 paper's printable width
def test_version_history_prints_every_column_on_the_full_width(
    site_url: str, browser: Any, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(site_url + "acceptable-use/versions/")
    page.emulate_media(media="print")
    width = page.evaluate("document.documentElement.clientWidth")
    for name in HISTORY_COLUMNS:
        header = page.get_by_role("columnheader", name=name, exact=True)
        assert _visible_within(header, width), f"column {name} is cut off in print"
    cells = _history_row_cells(page)
    assert "reselling" in cells["Summary"].inner_text()
    for name, cell in cells.items():
        assert _visible_within(cell, width), f"the {name} cell is cut off in print"
    article = page.locator(".policy-versions")
    used = article.evaluate("e => e.getBoundingClientRect().width")
    assert used >= 0.9 * width, f"print uses {used:.0f} of {width} px"
    ARTIFACTS.mkdir(exist_ok=True)
    page.pdf(path=str(ARTIFACTS / f"site-print-history-{width}.pdf"))
    context.close()


def test_version_history_reads_on_a_phone(site_url: str, browser: Any) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    page = context.new_page()
    page.goto(site_url + "acceptable-use/versions/")
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "page scrolls sideways"
    cells = _history_row_cells(page)
    for name, cell in cells.items():
        assert _visible_within(cell, width), f"the {name} cell is off screen on a phone"
    # Each value is named beside it, as the column header would on a wide screen.
    summary = cells["Summary"]
    assert "Summary" in summary.evaluate("e => getComputedStyle(e, '::before').content")
    assert summary.evaluate("e => e.getBoundingClientRect().width") >= 0.6 * width
    # A row stays short enough to read: no column squeezed to a few words a line.
    row = page.locator(".versions-table tbody tr").first
    assert row.evaluate("e => e.getBoundingClientRect().height") < 900
    _shot(page, "8-history-phone")
    context.close()


def test_hand_written_pages_links_meet_wcag_aa_contrast(site_url: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    for path in ("", "contact/"):
        page.goto(site_url + path)
        links = page.locator('div[role="main"] a')
        assert links.count() > 0
        for i in range(links.count()):
            link = links.nth(i)
            assert _contrast_on_white(link) >= 4.5, (path, link.inner_text(), _style(link, "color"))
        assert _contrast_on_white(page.locator("h1").first) >= 4.5
    context.close()


def test_a_skip_link_is_the_first_stop_and_moves_to_the_content(
    site_url: str, browser: Any
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(site_url + "acceptable-use/")
    skip = page.get_by_role("link", name="Skip to main content")
    assert not skip.evaluate("e => e.getBoundingClientRect().bottom > 0")  # hidden at rest
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    assert _visible_within(skip, 1280)  # shown when focused
    page.keyboard.press("Enter")
    page.wait_for_url("**/acceptable-use/#main-content")
    assert page.evaluate("document.activeElement.id") == "main-content"
    context.close()


def test_redline_marks_are_said_to_screen_readers_and_headings_do_not_skip(
    site_url: str, browser: Any
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(site_url + "acceptable-use/changes/2..3/")
    for tag, word in (("del", "deleted"), ("ins", "inserted")):
        mark = page.locator(f".redline .change {tag}").first
        before = mark.evaluate("e => getComputedStyle(e, '::before').content")
        assert word in before
        # Said, not shown: the text takes no room on screen.
        assert mark.evaluate("e => getComputedStyle(e, '::before').position") == "absolute"
        assert mark.evaluate("e => getComputedStyle(e, '::before').clipPath") != "none"
        # The accessibility tree (what a screen reader reads) has the words.
        snapshot = mark.locator("xpath=..").aria_snapshot()
        assert f"[{word}: " in snapshot, snapshot
    levels = page.eval_on_selector_all(
        'div[role="main"] :is(h1, h2, h3, h4, h5, h6)', "els => els.map(e => +e.tagName[1])"
    )
    assert levels[0] == 1
    skipped = [(a, b) for a, b in itertools.pairwise(levels) if b > a + 1]
    assert skipped == [], levels
    context.close()


def test_a_phone_page_names_its_contents_toggle(site_url: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(site_url + "acceptable-use/")
    toggle = page.locator(".bs-sidebar .navbar-toggler")
    expect_text = toggle.inner_text().strip()
    assert expect_text == "On this page", repr(expect_text)
    assert _visible_within(toggle, 390)
    footer = page.locator("footer").last.inner_text()
    assert "Documentation built with" not in footer and "Northwind Cloud policies" in footer
    _shot(page, "9-policy-phone")
    context.close()


@pytest.mark.parametrize(
    "path", ["", "acceptable-use/", "acceptable-use/changes/1..3/", "acceptable-use/v/1/"]
)
def test_every_page_prints_on_the_full_width(site_url: str, browser: Any, path: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(site_url + path)
    page.emulate_media(media="print")
    width = page.evaluate("document.documentElement.clientWidth")
    main = page.locator('div[role="main"]')
    used = main.evaluate("e => e.getBoundingClientRect().width")
    assert used >= 0.9 * width, f"{path or 'home'}: print uses {used:.0f} of {width} px"
    assert page.locator(".bs-sidebar").first.is_hidden()
    context.close()


def _contrast(foreground: str, background: str) -> float:
    lighter, darker = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_the_built_in_site_navigation_bar_meets_wcag_aa(browser: Any, tmp_path: Path) -> None:
    from gitrepo import GitRepo

    repo = GitRepo.init(tmp_path / "repo")  # no mkdocs.yml: the built-in configuration
    repo.write("policies/aup.md", "---\ntitle: AUP\nversion: '1'\n---\n\n1. Be kind.\n")
    repo.commit("AUP v1", date="2024-01-01")
    result = build_site_cli(repo.path, tmp_path / "site", tmp_path / "cache")
    assert result.exit_code == 0, result.output
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    with serve_directory(tmp_path / "site") as url:
        page.goto(url + "aup/")
        bar = _style(page.locator(".navbar").first, "backgroundColor")
        for link in (page.locator(".navbar-brand"), page.locator(".navbar .nav-link").first):
            assert _contrast(_style(link, "color"), bar) >= 4.5, (_style(link, "color"), bar)
    context.close()
