"""What the browser tests share: Debian's Chromium (or a skip, or under CI=true an error), `openpapers serve` in a
child process on 127.0.0.1, Playwright browser/page fixtures that fail a test on console errors, screenshots.

Import this module only from browser test modules: importing it skips the module when Chromium is missing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.servekit import serving  # noqa: F401  (the browser tests' server, re-exported)

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

if not CHROMIUM.exists():
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install -y chromium)")
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium)", allow_module_level=True)

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402


def launch_browser() -> Iterator[Browser]:
    """Body of a module-scoped ``browser`` fixture."""
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def open_page(browser: Browser) -> Iterator[Page]:
    """Body of a ``page`` fixture: a fresh context; console errors (CSP violations, script errors) fail the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    problems: list[str] = []
    pg.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: problems.append(str(e)))
    yield pg
    context.close()
    assert not problems, f"browser console errors (CSP violations, script errors): {problems}"


def shot(page: Page, name: str) -> None:
    """A screenshot under test-artifacts/ (and docs/screenshots/ with OPENPAPERS_SAVE_SCREENSHOTS=1)."""
    targets = [ROOT / "test-artifacts" / "screenshots"]
    if os.environ.get("OPENPAPERS_SAVE_SCREENSHOTS") == "1":
        targets.append(ROOT / "docs" / "screenshots")
    for folder in targets:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"), full_page=False)
