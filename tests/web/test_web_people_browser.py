"""A reader's first minutes, in real headless Chromium against `openpapers serve`: sign up, open an author's page,
follow the author, upvote a paper, then find the author's papers in /for-you with "because you follow …", and
the upvote on /trending. Screenshots go where tests/web/test_web_browser.py puts them (for-you, trending)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from helpers.accountkit import confirm_path
from helpers.browserkit import launch_browser, open_page, serving, shot
from helpers.webdata import writable_store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, backend: Any) -> Iterator[tuple[str, Path]]:
    """`openpapers serve` on a store of its own (this test signs up, follows and votes: the shared web store is
    read-only), with the web tests' demo data, keyword index only."""
    data = tmp_path_factory.mktemp("people-browser")
    settings = writable_store(backend, data)
    env = {**os.environ, "OPENPAPERS_DATABASE_URL": settings.database_url, "OPENPAPERS_ACCOUNT_MAIL": "log"}
    with serving(data, env, data / "serve.log") as base:
        yield base, data / "serve.log"


def logged_confirm_path(log: Path) -> str:
    """The confirmation link ``serve`` logged (OPENPAPERS_ACCOUNT_MAIL=log), waiting for the background task."""
    deadline = time.monotonic() + 10
    while "/signup/confirm/" not in log.read_text():
        assert time.monotonic() < deadline, "no confirmation link logged"
        time.sleep(0.05)
    return confirm_path(log.read_text())


browser = pytest.fixture(scope="module")(launch_browser)
page = pytest.fixture()(open_page)


def test_sign_up_follow_upvote_then_personal_feed(served: tuple[str, Path], page: Page) -> None:
    server, log = served
    page.goto(server + "/for-you")
    expect(page).to_have_url(server + "/login?next=/for-you")  # the personal feed needs an account

    page.goto(server + "/signup?next=/for-you")
    page.get_by_label("Email").fill("reader@example.org")
    page.get_by_label("Name (shown with your comments and public collections)").fill("Reader")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("status")).to_contain_text("Check your inbox")
    page.goto(server + logged_confirm_path(log))  # the link of the confirmation mail
    page.get_by_role("button", name="Create my account").click()
    expect(page).to_have_url(server + "/for-you")
    expect(page.locator(".empty h2")).to_have_text("Nothing to recommend yet")
    expect(page.locator(".empty")).to_contain_text("Follow authors or save papers to get recommendations")

    page.goto(server + "/author/qi-meng")
    follow = page.locator("form.follow button")
    expect(follow).to_have_text("Follow")
    follow.click()
    expect(page.locator("form.follow button")).to_have_text("Following")

    card = page.locator(".card").first
    voted_title = card.locator(".card-title").inner_text()
    card.locator("button.vote").click()
    expect(page.locator(".card").first.locator("button.vote")).to_have_attribute("aria-pressed", "true")

    page.goto(server + "/for-you?window=all")
    expect(page.locator("h1")).to_have_text("For you")
    items = page.locator(".ranked-item")
    expect(items.first.locator(".reasons")).to_contain_text("because you follow Qi Meng")
    assert items.count() > 5
    titles = items.locator(".card-title").all_inner_texts()
    assert voted_title not in titles  # what you upvoted is not recommended back to you
    shot(page, "for-you")

    page.get_by_role("link", name="Trending").first.click()
    expect(page).to_have_url(server + "/trending")
    top = page.locator(".ranked-item").first
    expect(top.locator(".card-title")).to_have_text(voted_title)
    expect(top.locator(".reasons")).to_contain_text("1 upvote in the last day")
    shot(page, "trending")
