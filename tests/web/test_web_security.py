"""Security headers everywhere, no inline script or style, friendly 404/500 pages, JSON errors, access log."""

from __future__ import annotations

import logging
import re
import shutil
import sqlite3
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient

from helpers.webdata import XSS_ID
from openpapers.core.settings import resolve_settings
from openpapers.web.app import create_app

PAGES = ["/", "/day/2025-12-11", "/week/2025-W50", "/month/2025-12", f"/paper/{XSS_ID}", "/search?q=evil",
         "/author/alice-example", "/org/example-lab", "/category/cs.LG", "/no/such/page"]


def assert_secure_headers(headers: object) -> None:
    h = headers  # httpx.Headers
    csp = h["content-security-policy"]  # type: ignore[index]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert h["x-content-type-options"] == "nosniff"  # type: ignore[index]
    assert h["x-frame-options"] == "DENY"  # type: ignore[index]
    assert h["referrer-policy"] == "same-origin"  # type: ignore[index]


@pytest.mark.parametrize("url", [*PAGES, "/api/latest", "/healthz", "/static/style.css", "/feeds/daily.atom",
                                 "/api/paper/nope"])
def test_every_response_has_security_headers(client: TestClient, url: str) -> None:
    assert_secure_headers(client.get(url).headers)


@pytest.mark.parametrize("url", PAGES)
def test_pages_have_no_inline_script_or_style(client: TestClient, url: str) -> None:
    html = client.get(url).text
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert 'src="/static/' in tag, tag  # only our own script file: CSP needs no hash or nonce
    assert "<style" not in html and " style=" not in html and " on" + "click=" not in html
    assert "<script>window.__pwned" not in html


def test_static_assets_are_cached_and_traversal_refused(client: TestClient) -> None:
    r = client.get("/static/app.js")
    assert r.status_code == 200 and "max-age" in r.headers["cache-control"]
    assert client.get("/static/../app.py").status_code == 404
    assert client.get("/static/%2e%2e/app.py").status_code == 404


def test_healthz(client: TestClient) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["papers"] == 394


def test_404_page_is_friendly_html_and_json_for_api(client: TestClient) -> None:
    page = client.get("/no/such/page")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "Not found" in page.text and 'action="/search"' in page.text
    api = client.get("/api/no/such")
    assert api.status_code == 404 and api.json() == {"error": "Not Found", "status": 404}


def test_wrong_method_is_405(client: TestClient) -> None:
    r = client.post("/api/search")
    assert r.status_code == 405 and r.json()["status"] == 405


@pytest.fixture()
def broken_client(data_dir: Path, tmp_path: Path) -> TestClient:
    """An app whose store lost a table: every query fails the way a corrupted or half-migrated store would."""
    copy = tmp_path / "data"
    shutil.copytree(data_dir, copy)
    con = sqlite3.connect(copy / "openpapers.db")
    con.execute("DROP TABLE claims")
    con.commit()
    con.close()
    return TestClient(create_app(resolve_settings(copy)))


@pytest.mark.sqlite_only  # breaks a copy of the SQLite file; the error handling itself is backend-independent
def test_500_is_a_friendly_page_with_headers_and_a_log(broken_client: TestClient,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="openpapers.web"):
        page = broken_client.get("/day/2025-12-11")
    assert page.status_code == 500 and "Something went wrong" in page.text
    assert "Traceback" not in page.text and "no such table" not in page.text  # no internals leak
    assert_secure_headers(page.headers)
    assert any("unhandled error on GET /day/2025-12-11" in r.getMessage() for r in caplog.records)
    api = broken_client.get("/api/day/2025-12-11")
    assert api.status_code == 500 and api.json() == {"error": "internal error (logged on the server)", "status": 500}


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_access_log_is_one_json_line_per_request(client: TestClient) -> None:
    handler = _Lines()
    logger = logging.getLogger("openpapers.web.access")
    logger.addHandler(handler)
    try:
        client.get("/day/2025-12-11?sort=newest")
        client.get("/api/paper/nope")
    finally:
        logger.removeHandler(handler)
    first, second = (orjson.loads(line) for line in handler.lines)
    assert first["method"] == "GET" and first["path"] == "/day/2025-12-11" and first["status"] == 200
    assert isinstance(first["duration_ms"], float) and first["bytes"] > 0 and "ts" in first
    assert second["path"] == "/api/paper/nope" and second["status"] == 404


def test_head_is_answered_like_get_without_a_body(client: TestClient) -> None:
    get = client.get("/healthz")
    head = client.head("/healthz")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == get.headers["content-length"]
    assert client.head("/day/2025-12-11").status_code == 200
    assert client.head("/no/such/page").status_code == 404
