"""A reading group's flow in real headless Chromium against `openpapers serve`: sign up, make a public
collection from a paper's page, write a note on it, comment on the paper in Markdown, then read both as an
anonymous visitor. Screenshots: collection, paper-discussion."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from helpers.accountkit import confirm_path
from helpers.browserkit import launch_browser, open_page, serving, shot
from helpers.webdata import XSS_ID, writable_store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, backend: Any) -> Iterator[tuple[str, Path]]:
    data = tmp_path_factory.mktemp("collections-browser")
    settings = writable_store(backend, data)
    env = {**os.environ, "OPENPAPERS_DATABASE_URL": settings.database_url, "OPENPAPERS_ACCOUNT_MAIL": "log",
           "OPENPAPERS_WEB_CACHE": "0"}
    with serving(data, env, data / "serve.log") as base:
        yield base, data / "serve.log"


browser = pytest.fixture(scope="module")(launch_browser)
page = pytest.fixture()(open_page)


def test_collection_and_comment_flow(served: tuple[str, Path], page: Page, browser: Any) -> None:
    import time

    server, log = served
    page.goto(server + "/signup")
    page.get_by_label("Email").fill("group@example.org")
    page.get_by_label("Name (shown with your comments and public collections)").fill("Reading Group")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign up").click()
    deadline = time.monotonic() + 10
    while "/signup/confirm/" not in log.read_text():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    page.goto(server + confirm_path(log.read_text()))
    page.get_by_role("button", name="Create my account").click()

    page.goto(server + f"/paper/{XSS_ID}")
    page.locator("details.collection-add summary").click()
    page.get_by_label("New collection").fill("Operator learning")
    page.locator("details.collection-add").get_by_label("Public").check()
    page.get_by_role("button", name="Create and add").click()
    expect(page.locator("details.collection-add")).to_contain_text("Operator learning ✓")  # back on the paper
    page.goto(server + "/collections")
    page.get_by_role("link", name="Operator learning").first.click()  # (also listed under Public)
    expect(page.locator("h1")).to_contain_text("Operator learning")
    note = page.get_by_label("Note")
    note.fill("Read the error bound first")
    note.press("Tab")
    page.keyboard.press("Enter")  # keyboard: the Save note button follows the field
    expect(page.get_by_label("Note")).to_have_value("Read the error bound first")
    collection_url = page.url.split("#")[0]
    shot(page, "collection")

    page.goto(server + f"/paper/{XSS_ID}")
    page.get_by_label("Add a comment").fill("**Tight** bound; code at <https://github.com/x/y>\n\n<script>x</script>")
    page.get_by_role("button", name="Post comment").click()
    comment = page.locator(".comment").first
    expect(comment.locator("strong").first).to_have_text("Reading Group")
    expect(comment.locator(".comment-body strong")).to_have_text("Tight")
    expect(comment.locator(".comment-body")).to_contain_text("<script>x</script>")  # shown as text
    shot(page, "paper-discussion")

    anon = browser.new_context().new_page()
    anon.goto(collection_url)
    expect(anon.locator(".collection-note")).to_have_text("Read the error bound first")
    expect(anon.locator("a.follow-link")).to_have_text("Log in to follow")
    anon.goto(server + f"/paper/{XSS_ID}#comments")
    expect(anon.locator(".comment-body strong")).to_have_text("Tight")
    anon.context.close()
