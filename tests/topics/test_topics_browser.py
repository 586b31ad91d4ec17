"""The topic map in real headless Chromium against `openpapers serve` (SQLite and PostgreSQL): it renders with every
paper, zooms and pans with the small script, opens a paper on click, and works with JavaScript turned off.
Screenshots: test-artifacts/screenshots/ (and docs/screenshots/topics.png with OPENPAPERS_SAVE_SCREENSHOTS=1)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from helpers.browserkit import launch_browser, open_page, serving, shot
from helpers.topicdata import build_settings

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("backend_db")]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, backend: Any) -> Iterator[str]:
    settings = build_settings(backend, tmp_path_factory.mktemp("topic-map"), tmp_path_factory.mktemp("embed"))
    env = {**os.environ, "OPENPAPERS_DATABASE_URL": settings.database_url}
    with serving(settings.data_dir, env, tmp_path_factory.mktemp("serve") / "serve.log") as base:
        yield base
    if backend.is_postgres:
        backend.drop(settings.database_url)


browser = pytest.fixture(scope="module")(launch_browser)
page = pytest.fixture()(open_page)


def test_the_map_renders_zooms_pans_and_opens_a_paper(server: str, page: Page) -> None:
    page.goto(server + "/topics")
    svg = page.locator("#topic-map")
    expect(svg).to_be_visible()
    expect(page.locator("#topic-map circle")).to_have_count(391)
    expect(page.locator("#topic-map .map-label text").first).to_be_visible()
    shot(page, "topics")
    start = svg.get_attribute("viewBox")
    box = svg.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -400)
    expect(svg).not_to_have_attribute("viewBox", start or "")
    zoomed = svg.get_attribute("viewBox") or ""
    assert float(zoomed.split()[2]) < float((start or "").split()[2])  # narrower: zoomed in
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 120, box["y"] + box["height"] / 2 + 40, steps=5)
    page.mouse.up()
    panned = svg.get_attribute("viewBox") or ""
    assert panned.split()[2] == zoomed.split()[2] and panned.split()[0] != zoomed.split()[0]
    svg.dblclick(position={"x": 5, "y": 5})
    expect(svg).to_have_attribute("viewBox", start or "")
    first = page.locator("#topic-map a[href^='/paper/']").first
    href = first.get_attribute("href")
    first.locator("circle").click(force=True)  # a real click at the point (labels may sit on top)
    expect(page).to_have_url(server + (href or ""))
    expect(page.locator("h1.paper-title")).to_be_visible()
    expect(page.locator("dt", has_text="Topic")).to_be_visible()


def test_the_map_and_topic_page_work_without_javascript(server: str, browser: Browser) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    try:
        pg.goto(server + "/topics")
        expect(pg.locator("#topic-map circle")).to_have_count(391)
        label = pg.locator("#topic-map .map-label").first
        label.click()
        expect(pg).to_have_url(re.compile(re.escape(server) + r"/topic/\d+$"))
        expect(pg.locator(".month-chart svg rect").first).to_be_attached()
        expect(pg.locator(".card").first).to_be_visible()
        shot(pg, "topic")
        pg.goto(server + "/topics?from=2025-01-01")
        assert pg.locator("#topic-map circle").count() < 391
    finally:
        context.close()
