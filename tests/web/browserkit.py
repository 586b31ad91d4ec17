"""What the browser tests share: Debian's Chromium (or a skip, or under CI=true an error), `openpapers serve` in a
child process on 127.0.0.1, Playwright browser/page fixtures that fail a test on console errors, screenshots.

Import this module only from browser test modules: importing it skips the module when Chromium is missing.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

if not CHROMIUM.exists():
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install -y chromium)")
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium)", allow_module_level=True)

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(data_dir: Path, env: dict[str, str], log: Path, *extra: str) -> Iterator[str]:
    """`openpapers serve` (the serve module imported explicitly, so this works whether or not the CLI package
    lists it) on a free loopback port; yields its base URL once /healthz answers, stops it afterwards."""
    port = free_port()
    cmd = [sys.executable, "-c", "from openpapers.cli import main, serve; main()",
           "--data-dir", str(data_dir), "serve", "--host", "127.0.0.1", "--port", str(port), *extra]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"openpapers serve did not start:\n{log.read_text()}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


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
