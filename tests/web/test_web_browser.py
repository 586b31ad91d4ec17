"""Real headless Chromium against `openpapers serve` on 127.0.0.1: navigation, search, hostile text, screenshots.

Chromium is Debian's (/usr/bin/chromium), driven by the playwright package (never `playwright install`). Without
it these tests skip, except under CI=true where a missing browser is an error. Screenshots of every page type go
to test-artifacts/screenshots/, and also to docs/screenshots/ when OPENPAPERS_SAVE_SCREENSHOTS=1.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from helpers.browserkit import launch_browser, open_page, serving, shot
from helpers.webdata import SCRIPT, XSS_ID

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(data_dir: Path, serve_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving(data_dir, serve_env, tmp_path_factory.mktemp("serve") / "serve.log") as base:
        yield base


browser = pytest.fixture(scope="module")(launch_browser)
page = pytest.fixture()(open_page)


def test_home_and_day_navigation(server: str, page: Page) -> None:
    page.goto(server + "/")
    expect(page.locator("h1")).to_contain_text("Daily papers")
    expect(page.locator("h1")).to_contain_text("May 28, 2026")
    shot(page, "home")
    page.locator(".period-nav a[rel=prev]").click()
    expect(page).to_have_url(server + "/day/2026-03-30")
    expect(page.locator(".card")).to_have_count(1)
    page.goto(server + "/day/2025-12-13")  # an empty Saturday
    expect(page.locator(".empty h2")).to_have_text("No papers on this day")
    shot(page, "day-empty")
    page.locator(".nearest").get_by_role("link", name="Monday, December 15, 2025 →").click()
    expect(page).to_have_url(server + "/day/2025-12-15")
    expect(page.locator(".card-title")).to_contain_text("weekend learning dynamics")
    page.goto(server + "/week/2025-W50")
    shot(page, "week")
    page.goto(server + "/month/2026-03")
    expect(page.locator(".card")).to_have_count(4)
    shot(page, "month")


def test_show_all_authors_without_javascript_tricks(server: str, page: Page) -> None:
    page.goto(server + "/day/2025-12-11")
    hidden = page.locator(".all-authors p")
    expect(hidden).to_be_hidden()
    page.locator(".all-authors summary").click()
    expect(hidden).to_be_visible()
    expect(hidden).to_contain_text("Dan Fourth")


def test_search_with_a_filter_then_paper_then_author_then_feed(server: str, page: Page) -> None:
    page.goto(server + "/search")
    page.locator("#q").fill("operator")
    page.get_by_label("Keyword").check()
    page.locator("details.filters summary").click()
    page.get_by_label("Category").fill("cs.LG")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page).to_have_url(f"{server}/search?q=operator&mode=keyword&category=cs.LG&author=&org=&from=&to="
                             "&has_code=")
    expect(page.locator(".list-head")).to_contain_text("results")
    expect(page.locator(".card mark").first).to_be_visible()
    shot(page, "search")
    first = page.locator(".card-title a").first
    title = first.inner_text()
    first.click()
    expect(page.locator("h1.paper-title")).to_have_text(title)
    expect(page.locator(".bibtex")).to_contain_text("@")
    expect(page.get_by_role("button", name="Copy BibTeX")).to_be_visible()  # app.js ran under the CSP
    shot(page, "paper")
    author = page.locator(".paper-authors a").first
    name = author.inner_text()
    author.click()
    expect(page.locator("h1")).to_have_text(name)
    shot(page, "author")
    href = page.locator('link[rel=alternate][type="application/atom+xml"]').get_attribute("href")
    assert href and href.startswith("/feeds/author/")
    feed = page.request.get(server + href)
    assert feed.ok and feed.headers["content-type"].startswith("application/atom+xml")
    assert "<feed" in feed.text() and name in feed.text()
    page.get_by_role("link", name="Atom feed").first.click()  # the visible link too
    assert page.url == server + href


@pytest.mark.parametrize("path", [f"/paper/{XSS_ID}", "/day/2025-12-11", "/search?q=evil&mode=keyword",
                                  "/org/example-lab", "/feeds/search.atom?q=evil&mode=keyword"])
def test_injected_script_never_runs(server: str, page: Page, path: str) -> None:
    page.goto(server + path)
    page.wait_for_load_state("load")
    assert page.evaluate("window.__pwned") is None
    if path.startswith("/paper/"):
        expect(page.locator("h1")).to_contain_text(SCRIPT)  # shown as text
        expect(page.locator(".abstract .math").first).to_have_text("$L^2$")


def test_other_page_types_for_screenshots(server: str, page: Page, browser: Browser) -> None:
    page.goto(server + "/org/example-lab")
    expect(page.locator("h1")).to_have_text("Example Lab")
    shot(page, "org")
    page.goto(server + "/category/cs.LG")
    expect(page.locator("h1")).to_contain_text("Machine Learning")
    shot(page, "category")
    lost = browser.new_context(viewport={"width": 1280, "height": 700})  # its console reports the 404
    missing = lost.new_page()
    assert missing.goto(server + "/no/such/page").status == 404
    expect(missing.locator("h1")).to_contain_text("Not found")
    shot(missing, "not-found")
    lost.close()
    phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    mobile = phone.new_page()
    mobile.goto(server + "/search?q=neural+operator&mode=keyword")
    width = mobile.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page scrolls sideways on a phone ({width}px)"
    shot(mobile, "search-phone")
    mobile.goto(server + "/")
    shot(mobile, "home-phone")
    phone.close()
