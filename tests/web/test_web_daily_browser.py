"""The daily habit in real headless Chromium against `openpapers serve`: the home page at desktop and phone width
(a compact header), axe-core on home, search, paper, All papers, Following and settings at both widths (no serious
or critical violation), the Following page, keyboard focus after voting, and a no-script vote that comes back to
its card.

axe-core is vendored as one file (tests/helpers/vendor/axe-4.10.2.min.js, MPL-2.0, from the npm package
axe-core) and injected with the page's CSP bypassed for the test only: the site itself allows no inline script.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from helpers.accountkit import confirm_path
from helpers.browserkit import ARGS, CHROMIUM, launch_browser, serving, shot
from helpers.webdata import XSS_ID, writable_store

pytestmark = pytest.mark.slow
AXE = Path(__file__).resolve().parents[1] / "helpers" / "vendor" / "axe-4.10.2.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
PASSWORD = "correct horse battery staple"
assert CHROMIUM and ARGS  # browserkit skips this module where Chromium is missing


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, backend: Any) -> Iterator[tuple[str, Path]]:
    data = tmp_path_factory.mktemp("daily-browser")
    settings = writable_store(backend, data)
    env = {**os.environ, "OPENPAPERS_DATABASE_URL": settings.database_url, "OPENPAPERS_ACCOUNT_MAIL": "log"}
    with serving(data, env, data / "serve.log") as base:
        yield base, data / "serve.log"


browser = pytest.fixture(scope="module")(launch_browser)


@pytest.fixture(scope="module")
def session_state(served: tuple[str, Path], browser: Browser) -> dict[str, Any]:
    """Sign up once through the pages; the cookies are reused by every signed-in test."""
    server, log = served
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(server + "/signup")
    page.get_by_label("Email").fill("daily@example.org")
    page.get_by_label("Name (shown with your comments and public collections)").fill("Daily Reader")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    deadline = time.monotonic() + 10
    while "/signup/confirm/" not in log.read_text():
        assert time.monotonic() < deadline, "no confirmation link logged"
        time.sleep(0.05)
    page.goto(server + confirm_path(log.read_text()))
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url(server + "/")
    state = context.storage_state()
    context.close()
    return dict(state)


SCRIPT_ERRORS: list[str] = []  # uncaught errors of any page these tests open (app.js must never throw)


def new_page(browser: Browser, viewport: dict[str, int], state: dict[str, Any] | None = None, **kw: Any) -> Page:
    context = browser.new_context(viewport=viewport, storage_state=state, **kw)  # type: ignore[arg-type]
    page = context.new_page()
    page.on("pageerror", lambda e: SCRIPT_ERRORS.append(str(e)))
    page.set_default_timeout(10_000)
    return page


def axe_problems(page: Page) -> list[str]:
    page.add_script_tag(content=AXE.read_text())
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {json.dumps([n['target'] for n in v['nodes']][:3])}"
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_home_tells_a_newcomer_what_it_holds_with_a_compact_header(served: tuple[str, Path],
                                                                     browser: Browser) -> None:
    server, _ = served
    for name, viewport, limit in (("home", DESKTOP, 80), ("home-phone", PHONE, 150)):
        page = new_page(browser, viewport)
        page.goto(server + "/")
        expect(page.locator(".intro")).to_contain_text("collects research papers")
        expect(page.locator(".recent .card").first).to_be_visible()
        header = page.locator("header.site").bounding_box()
        assert header and header["height"] <= limit, (name, header)
        brand = page.locator(".brand").bounding_box()
        box = page.locator("#site-q").bounding_box()
        assert brand and box and abs((brand["y"] + brand["height"] / 2) - (box["y"] + box["height"] / 2)) < 12, \
            "the search box shares the brand's row"
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]  # no sideways scroll
        shot(page, name)
        details = page.locator(".card details.abstract").first
        full = details.locator("p")
        expect(full).to_be_hidden()
        expect(details.locator(".lead")).to_be_visible()
        details.locator("summary").click()
        expect(full).to_be_visible()
        expect(details.locator(".lead")).to_be_hidden()  # the whole abstract, not its first lines twice
        expect(details.locator(".less")).to_be_visible()
        page.context.close()


def test_signed_in_header_keeps_the_search_box_usable(served: tuple[str, Path], browser: Browser,
                                                      session_state: dict[str, Any]) -> None:
    """A reader's header holds more links (Library, Following, Submit, their name, Log out): still compact, and
    the search box keeps a usable width at either size."""
    server, _ = served
    for viewport, limit in ((DESKTOP, 110), (PHONE, 170)):
        page = new_page(browser, viewport, session_state)
        page.goto(server + "/papers")
        header = page.locator("header.site").bounding_box()
        box = page.locator("#site-q").bounding_box()
        assert header and header["height"] <= limit, (viewport, header)
        assert box and box["width"] >= 120, (viewport, box)
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        page.context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_axe_finds_no_serious_problem(served: tuple[str, Path], browser: Browser, session_state: dict[str, Any],
                                      viewport: dict[str, int]) -> None:
    server, _ = served
    found: dict[str, list[str]] = {}
    for signed_in, paths in ((False, ["/", "/search?q=operator&mode=keyword", f"/paper/{XSS_ID}", "/papers",
                                      "/author/qi-meng", "/login", "/collections"]),
                             (True, ["/", "/search?q=operator&mode=keyword", f"/paper/{XSS_ID}", "/settings",
                                     "/following", "/submit", "/for-you?window=all", "/library"])):
        page = new_page(browser, viewport, session_state if signed_in else None, bypass_csp=True)
        for path in paths:
            page.goto(server + path)
            problems = axe_problems(page)
            if problems:
                found[f"{'signed in ' if signed_in else ''}{path}"] = problems
        page.context.close()
    assert found == {}


def test_following_page_after_saving_a_search(served: tuple[str, Path], browser: Browser,
                                              session_state: dict[str, Any]) -> None:
    server, _ = served
    page = new_page(browser, DESKTOP, session_state)
    page.goto(server + "/search?q=operator+learning&mode=keyword")
    menu = page.locator("details.follow-menu")
    expect(menu.locator("summary")).to_have_text("Follow this search")
    menu.locator("summary").click()
    expect(menu).to_contain_text("Email digest and For you")
    expect(menu).to_contain_text("Atom link")
    menu.get_by_role("button", name="Save this search").click()
    expect(menu.get_by_role("button", name="Saved: stop following")).to_have_attribute("aria-pressed", "true")
    expect(menu.locator("summary")).to_have_text("Following this search ✓")
    page.reload()
    expect(page.locator("details.follow-menu summary")).to_have_text("Following this search ✓")

    page.goto(server + "/author/qi-meng")
    page.locator("form.follow button").click()
    expect(page.locator("form.follow button")).to_have_text("Following")
    page.get_by_role("link", name="Following", exact=True).click()
    expect(page).to_have_url(server + "/following")
    search = page.locator(".follow-item", has_text="operator learning")
    expect(search).to_have_count(1)
    expect(page.locator(".follow-item", has_text="Qi Meng")).to_have_count(1)
    search.get_by_label("In digest").uncheck()
    search.get_by_role("button", name="Save", exact=True).click()
    search = page.locator(".follow-item", has_text="operator learning")
    expect(search.get_by_label("In digest")).not_to_be_checked()
    search.locator("summary").click()
    search.get_by_label("Name").fill("Operators")
    search.get_by_role("button", name="Rename").click()
    expect(page.locator(".follow-item .follow-name", has_text="Operators")).to_have_count(1)
    shot(page, "following")
    page.locator(".follow-item", has_text="Qi Meng").get_by_role("button", name="Unfollow").click()
    expect(page.locator(".follow-item", has_text="Qi Meng")).to_have_count(0)
    assert SCRIPT_ERRORS == []
    page.context.close()


def test_keyboard_focus_stays_on_the_vote_button(served: tuple[str, Path], browser: Browser,
                                                 session_state: dict[str, Any]) -> None:
    server, _ = served
    page = new_page(browser, DESKTOP, session_state)
    page.goto(server + "/search?q=operator&mode=keyword")
    page.keyboard.press("Tab")  # skip to content
    page.keyboard.press("Tab")
    tabs = 1
    while page.evaluate("document.activeElement.textContent.trim()") != "Skip to results":
        page.keyboard.press("Tab")
        tabs += 1
        assert tabs < 25, "no skip-to-results link"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    tabs = 0
    while "vote" not in (page.evaluate("document.activeElement.className") or ""):
        page.keyboard.press("Tab")
        tabs += 1
        assert tabs < 10, "the first vote button is not a few Tabs after the skip link"
    card = page.evaluate("document.activeElement.closest('article').id")
    vote = page.locator(f"#{card} button.vote")
    page.keyboard.press("Enter")
    expect(vote).to_have_attribute("aria-pressed", "true")
    expect(vote).to_have_attribute("title", "Remove your upvote")
    assert page.evaluate(f"document.activeElement === document.querySelector('#{card} button.vote')")
    page.keyboard.press("Enter")  # again: the vote is taken back, focus still there
    expect(vote).to_have_attribute("aria-pressed", "false")
    assert page.evaluate(f"document.activeElement === document.querySelector('#{card} button.vote')")
    page.context.close()


def test_vote_without_javascript_comes_back_to_the_card(served: tuple[str, Path], browser: Browser,
                                                        session_state: dict[str, Any]) -> None:
    server, _ = served
    page = new_page(browser, PHONE, session_state, java_script_enabled=False)
    page.goto(server + "/papers")
    card = page.locator(".card").nth(12)
    anchor = card.get_attribute("id")
    card.locator("button.vote").click()
    page.wait_for_url(f"{server}/papers#{anchor}")
    assert page.evaluate("window.scrollY") > 500  # at the card, not the top
    expect(page.locator(f"#{anchor} button.vote")).to_have_attribute("aria-pressed", "true")
    page.context.close()
