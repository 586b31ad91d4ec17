"""Managing follows: the Following page and its forms, PATCH /api/me/follows/{id}, the search page's Follow
control and its state, one validation path for page and API, follows left out of the digest. Both backends."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from helpers.accountkit import build_store, client_for, page_token, sign_up, use_cheap_hashing
from openpapers.accounts import service as accounts
from openpapers.core.settings import Settings
from openpapers.papers.store import open_store
from openpapers.signals.ranking_queries import user_signals

pytestmark = pytest.mark.usefixtures("backend_db")
cheap = pytest.fixture(autouse=True, scope="module")(use_cheap_hashing)


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, backend: Any) -> Settings:
    return build_store(tmp_path_factory.mktemp("following"), backend)


@pytest.fixture()
def reader(settings: Settings, request: pytest.FixtureRequest) -> Iterator[tuple[TestClient, str]]:
    with client_for(settings) as c:
        sign_up(c, f"{request.node.name[:40]}@example.org".replace("[", "-").replace("]", ""))
        yield c, page_token(c)


def save_search(c: TestClient, token: str, q: str, **filters: Any) -> Any:
    return c.post("/me/follows", data={"csrf_token": token, "kind": "search", "action": "add", "q": q,
                                       "next": "/search", **filters})


def test_search_page_shows_whether_the_search_is_saved(reader: tuple[TestClient, str]) -> None:
    c, token = reader
    url = "/search?q=%22neural+operator%22&mode=keyword"
    before = c.get(url).text
    assert "<summary>Follow this search</summary>" in before and ">Save this search</button>" in before
    assert "Email digest and For you:" in before and "Atom link: paste it into a feed reader" in before
    assert 'id="feed-url" type="text" readonly value="http://testserver/feeds/search.atom?' in before
    assert "Follow this search (Atom)" not in before  # one control, not two
    assert save_search(c, token, '"neural operator"').status_code == 303
    after = c.get(url).text
    assert "<summary>Following this search ✓</summary>" in after and ">Saved: stop following</button>" in after
    assert 'name="action" value="remove"' in after[after.index('class="follow-menu"'):]
    follows = c.get("/api/following").json()["follows"]
    assert [f["label"] for f in follows] == ['"neural operator"']  # the query's own quotes, none added


def test_anonymous_search_page_offers_login_and_the_feed(settings: Settings) -> None:
    with client_for(settings) as anon:
        html = anon.get("/search?q=operator&mode=keyword").text
    assert "Log in to save this search" in html and 'id="feed-url"' in html and "csrf_token" not in html


def test_following_page_lists_renames_edits_and_unfollows(reader: tuple[TestClient, str]) -> None:
    c, token = reader
    save_search(c, token, "operator learning", category="cs.LG")
    c.post("/me/follows", data={"csrf_token": token, "kind": "author", "target": "Qi Meng", "next": "/"})
    c.post("/me/follows", data={"csrf_token": token, "kind": "category", "target": "cs.CL", "next": "/"})
    html = c.get("/following").text
    for heading in ("Authors <span", "Categories <span", "Saved searches <span"):
        assert heading in html
    assert html.count('name="in_digest" value="on" checked') == 3 and html.count(">Unfollow</button>") == 3
    follows = {f["kind"]: f for f in c.get("/api/following").json()["follows"]}
    assert follows["author"]["target"] == "qi-meng" and follows["author"]["label"] == "Qi Meng"  # by name
    sid = follows["search"]["id"]
    assert follows["search"]["search"] == {"q": "operator learning", "category": ["cs.LG"], "author": [],
                                           "org": [], "has_code": None}

    r = c.post(f"/following/{sid}", data={"csrf_token": token, "action": "rename", "label": "  PDE   operators "})
    assert r.status_code == 303 and r.headers["location"] == f"/following#f-{sid}"
    r = c.post(f"/following/{sid}", data={"csrf_token": token, "action": "edit", "q": "neural operator",
                                          "category": "cs.LG, math.NA", "has_code": "true"})
    assert r.status_code == 303
    r = c.post(f"/following/{sid}", data={"csrf_token": token, "action": "digest"})  # the box unticked
    assert r.status_code == 303
    search = next(f for f in c.get("/api/following").json()["follows"] if f["id"] == sid)
    assert search["label"] == "PDE operators" and search["in_digest"] is False
    assert search["search"] == {"q": "neural operator", "category": ["cs.LG", "math.NA"], "author": [], "org": [],
                                "has_code": True}
    assert search["url"].startswith("/search?q=neural+operator&category=cs.LG&category=math.NA")

    r = c.post(f"/following/{follows['category']['id']}", data={"csrf_token": token, "action": "remove"})
    assert r.status_code == 303 and r.headers["location"] == "/following"
    assert {f["kind"] for f in c.get("/api/following").json()["follows"]} == {"author", "search"}
    assert c.post("/following/999999", data={"csrf_token": token, "action": "remove"}).status_code == 404


def test_digest_takes_only_the_follows_ticked_for_it(reader: tuple[TestClient, str], settings: Settings) -> None:
    c, token = reader
    c.post("/me/follows", data={"csrf_token": token, "kind": "author", "target": "qi-meng", "next": "/"})
    c.post("/me/follows", data={"csrf_token": token, "kind": "category", "target": "cs.LG", "next": "/"})
    follows = c.get("/api/following").json()["follows"]
    cat = next(f for f in follows if f["kind"] == "category")
    r = c.patch(f"/api/me/follows/{cat['id']}", json={"in_digest": False}, headers={"X-CSRF-Token": token})
    assert r.status_code == 200 and r.json()["in_digest"] is False
    store = open_store(settings)
    try:
        me = accounts.find_user(store.db, c.get("/api/me").json()["email"])
        assert me is not None
        sig = user_signals(store.db, me.id)
    finally:
        store.close()
    assert {f["target"] for f in sig.digest_follows()} == {"qi-meng"}  # the digest's follows
    assert {t for _, t, _ in sig.follows} == {"qi-meng", "cs.LG"}  # For you still uses both


def test_page_and_api_validate_the_same_way(reader: tuple[TestClient, str]) -> None:
    c, token = reader
    page = c.get("/search?q=-survey")
    assert page.status_code == 400 and "only -exclusions" in page.text
    api = c.post("/api/me/follows", json={"kind": "search", "q": "-survey"}, headers={"X-CSRF-Token": token})
    assert api.status_code == 422 and "only -exclusions" in api.json()["error"]
    ok = c.post("/api/me/follows", json={"kind": "search", "q": "-survey", "category": ["cs.LG"]},
                headers={"X-CSRF-Token": token})
    assert ok.status_code == 201  # with a filter the search page runs it too
    assert c.get("/search?q=-survey&category=cs.LG").status_code == 200
    sid = ok.json()["id"]
    r = c.patch(f"/api/me/follows/{sid}", json={"category": []}, headers={"X-CSRF-Token": token})
    assert r.status_code == 422 and "only -exclusions" in r.json()["error"]
    by_name = c.post("/api/me/follows", json={"kind": "author", "target": "Qi Meng"},
                     headers={"X-CSRF-Token": token})
    assert by_name.status_code == 201 and by_name.json()["target"] == "qi-meng"
    assert c.post("/api/me/follows", json={"kind": "author", "target": "Nobody Known Here"},
                  headers={"X-CSRF-Token": token}).status_code == 404
    author = by_name.json()["id"]
    r = c.patch(f"/api/me/follows/{author}", json={"q": "x"}, headers={"X-CSRF-Token": token})
    assert r.status_code == 422  # an author has no query
    r = c.patch(f"/api/me/follows/{author}", json={"label": "Meng, Q."}, headers={"X-CSRF-Token": token})
    assert r.status_code == 200 and r.json()["label"] == "Meng, Q."
    assert c.patch("/api/me/follows/999999", json={"label": "x"}, headers={"X-CSRF-Token": token}).status_code == 404


def test_following_needs_an_account(settings: Settings) -> None:
    with client_for(settings) as anon:
        assert anon.get("/following").status_code == 303
        assert anon.get("/api/following").status_code == 401
        assert anon.patch("/api/me/follows/1", json={"label": "x"}).status_code == 401
