"""The anonymous response cache (web/cache.py): hits, ETag/304, invalidation on import, and what it must never
cache (signed-in readers' requests, non-GET, errors)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from helpers.webdata import CRAFTED
from openpapers.core.records import PaperRecord
from openpapers.core.settings import resolve_settings
from openpapers.papers.store import open_store
from openpapers.search.service import SearchService
from openpapers.web import cache as cache_mod
from openpapers.web.app import create_app
from openpapers.web.cache import ResponseCache

SEARCH = "/api/search?q=zyzzogeton&mode=keyword"


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    store = open_store(resolve_settings(tmp_path))
    try:
        store.apply(CRAFTED)
        SearchService(store, tmp_path).sync(semantic=False)
    finally:
        store.close()
    return tmp_path


@pytest.fixture()
def app(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    monkeypatch.setattr(cache_mod, "VERSION_TTL_S", 0.0)  # read the store's version on every request
    monkeypatch.delenv("OPENPAPERS_WEB_CACHE", raising=False)
    return create_app(resolve_settings(data_dir))


@pytest.fixture()
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as c:
        yield c


def the_cache(app: FastAPI) -> ResponseCache:
    layer = app.middleware_stack
    while layer is not None and not isinstance(layer, ResponseCache):
        layer = getattr(layer, "app", None)
    assert isinstance(layer, ResponseCache), "the response cache is not in the middleware stack"
    return layer


def test_repeated_anonymous_get_is_served_from_the_cache_with_an_etag(client: TestClient, app: FastAPI) -> None:
    first = client.get("/api/search?q=operator&mode=keyword")
    cache = the_cache(app)
    hits = cache.hits
    second = client.get("/api/search?q=operator&mode=keyword")
    assert first.status_code == second.status_code == 200
    assert cache.hits == hits + 1
    assert first.content == second.content
    assert first.headers["etag"] == second.headers["etag"]
    assert second.headers["cache-control"] == "no-cache"
    assert "Cookie" in second.headers["vary"]
    assert second.headers["x-frame-options"] == "DENY"  # replayed pages still get Guard's security headers


def test_entries_expire_after_their_lifetime(client: TestClient, app: FastAPI,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_mod, "MAX_AGE_S", 0.0)  # votes do not advance seq: lifetime bounds their staleness
    client.get("/api/search?q=learning&mode=keyword")
    hits = the_cache(app).hits
    client.get("/api/search?q=learning&mode=keyword")
    assert the_cache(app).hits == hits


def test_pages_for_another_host_name_are_cached_apart(client: TestClient) -> None:
    one = client.get("/feeds/daily.atom", headers={"Host": "one.example"})
    two = client.get("/feeds/daily.atom", headers={"Host": "two.example"})
    assert one.status_code == two.status_code == 200
    assert b"one.example" in one.content and b"two.example" in two.content and b"one.example" not in two.content


def test_if_none_match_gets_a_bodiless_304(client: TestClient) -> None:
    etag = client.get("/search?q=operator&mode=keyword").headers["etag"]
    again = client.get("/search?q=operator&mode=keyword", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    other = client.get("/search?q=operator&mode=keyword", headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.content


def test_an_import_invalidates_cached_pages(client: TestClient, data_dir: Path) -> None:
    assert client.get(SEARCH).json()["total"] == 0
    assert client.get(SEARCH).json()["total"] == 0  # now cached
    store = open_store(resolve_settings(data_dir))
    try:
        store.apply([PaperRecord(source="test", source_key="new", arxiv_id="2512.09999",
                                 title="The zyzzogeton operator", abstract="A word nobody else uses.",
                                 authors=["New Author"], categories=["cs.LG"], published=date(2025, 12, 20))])
        SearchService(store, data_dir).sync(semantic=False)
    finally:
        store.close()
    client.app.state.web.search.keyword.refresh()  # type: ignore[attr-defined]
    assert client.get(SEARCH).json()["total"] == 1


@pytest.mark.parametrize("credentials", [{"Cookie": "op_session=not-a-real-session"},
                                         {"Authorization": "Bearer not-a-real-token"}])
def test_requests_with_a_session_or_token_bypass_the_cache(client: TestClient, app: FastAPI,
                                                           credentials: dict[str, str]) -> None:
    url = "/api/search?q=learning&mode=keyword"
    client.get(url)
    cache = the_cache(app)
    hits, entries = cache.hits, len(cache.entries)
    for _ in range(2):
        r = client.get(url, headers=credentials)
        assert "etag" not in r.headers
    assert cache.hits == hits and len(cache.entries) == entries


def test_errors_and_non_get_are_not_cached(client: TestClient, app: FastAPI) -> None:
    for _ in range(2):
        assert client.get("/paper/2599.99999").status_code == 404
    assert client.post("/api/search?q=operator").status_code in (403, 405)
    cache = the_cache(app)
    assert not any(key[0] == "/paper/2599.99999" for key in cache.entries)
    assert not any(key[0] == "/healthz" for key in cache.entries)


def test_cache_can_be_turned_off(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENPAPERS_WEB_CACHE", "0")
    app = create_app(resolve_settings(data_dir))
    with TestClient(app) as c:
        for _ in range(2):
            r = c.get("/api/search?q=operator&mode=keyword")
            assert r.status_code == 200 and r.headers["etag"]
        assert the_cache(app).entries == {} and the_cache(app).hits == 0
