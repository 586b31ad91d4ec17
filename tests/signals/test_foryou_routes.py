"""/for-you and /trending with their JSON twins, on a store of their own with the web tests' demo data (keyword
index only, so the personal feed runs on its TF-IDF fallback): login required, helpful empty states, reasons on the
cards, private caching, the Trending link on the feed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from helpers.webdata import FEATURED_ID, XSS_ID, writable_store
from openpapers.accounts import service as accounts
from openpapers.signals import candidates
from openpapers.signals import repository as signals
from openpapers.web.app import create_app

# Every test here runs on SQLite and on PostgreSQL (see tests/conftest.py).
pytestmark = pytest.mark.usefixtures("backend_db")


@pytest.fixture(scope="module")
def app_client(tmp_path_factory: pytest.TempPathFactory, backend: Any) -> Iterator[TestClient]:
    """These tests write users and signals, so they get a store of their own (the shared one is read-only): the
    same demo corpus and crafted papers, keyword index only, on each backend."""
    settings = writable_store(backend, tmp_path_factory.mktemp("foryou"))
    candidates.clear_cache()
    with TestClient(create_app(settings), follow_redirects=False) as c:
        yield c


@pytest.fixture(scope="module")
def engine(app_client: TestClient):  # type: ignore[no-untyped-def]
    return app_client.app.state.web.store.engine


_users = iter(range(1000))


def login(client: TestClient, engine) -> tuple[int, dict[str, str]]:  # type: ignore[no-untyped-def]
    """A fresh user and the cookie of a session of theirs (what logging in sets)."""
    user = accounts.sign_up(engine, f"reader{next(_users)}@example.org", "a long test password 1", "Reader")
    session = accounts.open_session(engine, user)
    assert session.token
    return user.id, {"Cookie": f"op_session={session.token}"}


def paper_id(client: TestClient, ref: str) -> str:
    return client.get(f"/api/paper/{ref}").json()["id"]  # type: ignore[no-any-return]


def test_for_you_requires_login(app_client: TestClient) -> None:
    page = app_client.get("/for-you?window=all")
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/for-you%3Fwindow%3Dall"
    api = app_client.get("/api/for-you")
    assert api.status_code == 401 and api.json()["status"] == 401


def test_empty_state_helps(app_client: TestClient, engine) -> None:  # type: ignore[no-untyped-def]
    _, cookies = login(app_client, engine)
    page = app_client.get("/for-you", headers=cookies)
    assert page.status_code == 200
    assert "Follow authors or save papers to get recommendations" in page.text
    assert page.headers["cache-control"] == "private, no-store"
    api = app_client.get("/api/for-you", headers=cookies).json()
    assert api == {"window": "week", "since": "2026-05-22", "papers": [], "has_signals": False}


def test_follow_and_library_give_reasons_on_the_cards(app_client: TestClient, engine) -> None:  # type: ignore[no-untyped-def]
    uid, cookies = login(app_client, engine)
    signals.add_follow(engine, uid, "author", "qi-meng", "Qi Meng")
    store = app_client.app.state.web.store  # type: ignore[attr-defined]
    saved = next(p.id for p in store.iter_papers() if p.title.startswith("Monte Carlo Neural PDE Solver"))
    signals.save_to_library(engine, uid, saved)
    api = app_client.get("/api/for-you?window=all", headers=cookies)
    assert api.headers["cache-control"] == "private, no-store"
    papers = api.json()["papers"]
    assert papers and papers[0]["reasons"][0] == "because you follow Qi Meng"
    assert saved not in {p["paper"]["id"] for p in papers}
    assert any(r.startswith("similar to “Monte Carlo Neural PDE Solver") for p in papers for r in p["reasons"])
    page = app_client.get("/for-you?window=all", headers=cookies)
    assert page.status_code == 200 and page.headers["cache-control"] == "private, no-store"
    assert 'class="reasons"' in page.text and "because you follow Qi Meng" in page.text
    assert papers[0]["paper"]["title"] in page.text.replace("&#39;", "'")
    signals.dismiss(engine, uid, papers[0]["paper"]["id"])
    after = app_client.get("/api/for-you?window=all", headers=cookies).json()["papers"]
    assert papers[0]["paper"]["id"] not in {p["paper"]["id"] for p in after}


def test_nothing_new_in_the_window_suggests_a_longer_one(app_client: TestClient, engine) -> None:  # type: ignore[no-untyped-def]
    uid, cookies = login(app_client, engine)
    signals.add_follow(engine, uid, "author", "frank-sixth", "Frank Sixth")  # only a 1999 paper
    page = app_client.get("/for-you?window=week", headers=cookies)
    assert "Nothing new for you in this window" in page.text and 'href="/for-you?window=all"' in page.text
    assert app_client.get("/api/for-you?window=week", headers=cookies).json()["has_signals"] is True


def test_for_you_api_with_a_bearer_token(app_client: TestClient, engine) -> None:  # type: ignore[no-untyped-def]
    user = accounts.sign_up(engine, "script@example.org", "a long test password 1", "Script")
    signals.add_follow(engine, user.id, "author", "qi-meng", "Qi Meng")
    _, token = accounts.create_api_token(engine, user, "tests")
    api = app_client.get("/api/for-you?window=all", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200 and api.json()["papers"]
    assert app_client.get("/api/for-you?window=decade", headers={"Authorization": f"Bearer {token}"}).status_code == 422


def test_trending_from_source_upvotes(app_client: TestClient) -> None:
    api = app_client.get("/api/trending?day=2025-12-15").json()
    assert api["day"] == "2025-12-15" and api["window_days"] == 7 and "2^(−age_h/48)" in api["formula"]
    ids = [p["paper"]["id"] for p in api["papers"]]
    assert ids[:2] == [paper_id(app_client, FEATURED_ID), paper_id(app_client, XSS_ID)]  # 70 then 42 upvotes
    assert api["papers"][0]["reasons"] == ["▲ 70 on Hugging Face"]
    page = app_client.get("/trending?day=2025-12-15")
    assert page.status_code == 200 and "▲ 70 on Hugging Face" in page.text
    assert "<script>window.__pwned" not in page.text  # titles stay escaped
    assert "private" not in page.headers.get("cache-control", "")  # the same for everyone


def test_trending_counts_local_votes(app_client: TestClient, engine) -> None:  # type: ignore[no-untyped-def]
    uid, cookies = login(app_client, engine)
    old = paper_id(app_client, "hep-th/9901001")
    signals.add_vote(engine, uid, old)
    today = datetime.now(UTC).date().isoformat()
    api = app_client.get(f"/api/trending?day={today}").json()
    item = next(p for p in api["papers"] if p["paper"]["id"] == old)  # other tests' saves trend too
    assert item["reasons"] == ["1 upvote in the last day"] and item["votes"] == 1
    page = app_client.get("/trending", headers=cookies)  # the default day is the latest with signals: today
    assert "1 upvote in the last day" in page.text and page.headers["cache-control"] == "private, no-store"


def test_trending_empty_state_and_bad_input(app_client: TestClient) -> None:
    page = app_client.get("/trending?day=1990-01-01")
    assert page.status_code == 200 and "Nothing is trending yet" in page.text
    assert app_client.get("/api/trending?day=2025-02-30").status_code == 422  # the spec's pattern: real days only
    assert app_client.get("/api/trending?day=0000000000").status_code == 422  # schemathesis' find
    assert app_client.get("/trending?day=2025-02-30").status_code == 400  # the page explains it in words
    assert app_client.get("/api/trending?day=2024-02-29").status_code == 200
    assert app_client.get("/api/trending?window=0").status_code == 422


def test_feed_links_trending(app_client: TestClient) -> None:
    home = app_client.get("/")
    assert 'href="/trending"' in home.text and 'href="/for-you"' in home.text
