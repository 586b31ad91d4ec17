"""What signed-in readers do, through the real app: votes, library, not-interested, follows, admin featuring;
HTML forms (no script) and the JSON API, paper ids in any spelling, clear 4xx answers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from helpers.accountkit import build_store, client_for, page_token, sign_up, use_cheap_hashing
from helpers.webdata import FEATURED_ID, OLD_STYLE_ID, SCRIPT, XSS_ID
from openpapers.accounts import service as accounts
from openpapers.core.settings import Settings

# Every test here runs on SQLite and on PostgreSQL (see tests/conftest.py).
pytestmark = pytest.mark.usefixtures("backend_db")

cheap = pytest.fixture(autouse=True, scope="module")(use_cheap_hashing)


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, backend: Any) -> Settings:
    return build_store(tmp_path_factory.mktemp("actions"), backend)


@pytest.fixture()
def reader(settings: Settings, request: pytest.FixtureRequest) -> Iterator[tuple[TestClient, str]]:
    """A signed-in client and its CSRF token (a new account per test)."""
    with client_for(settings) as c:
        sign_up(c, f"{request.node.name[:40]}@example.org".replace("[", "-").replace("]", ""))
        yield c, page_token(c)


def card_upvotes(html: str, paper_id: str) -> int:
    """The count on the vote button of a paper's card."""
    form = re.search(r'name="paper_id" value="' + re.escape(paper_id) + r'".*?<span class="n">(\d+)</span>', html,
                     re.S)
    assert form, paper_id
    return int(form.group(1))


def test_one_vote_per_reader_added_to_the_sources_count(reader: tuple[TestClient, str], settings: Settings) -> None:
    c, token = reader
    before = c.get(f"/api/paper/{FEATURED_ID}").json()
    assert before["local_upvotes"] == 0
    source = before["source_upvotes"]
    for _ in range(2):  # twice: still one vote
        r = c.post("/me/votes", data={"paper_id": f"arXiv:{FEATURED_ID}v1", "csrf_token": token,
                                      "next": "/search?q=x"})
        assert r.status_code == 303 and r.headers["location"] == "/search?q=x"
    after = c.get(f"/api/paper/{FEATURED_ID}").json()
    assert after["local_upvotes"] == 1 and after["upvotes"] == (source or 0) + 1
    assert after["viewer"] == ["voted"]
    page = c.get(f"/paper/{FEATURED_ID}").text
    assert card_upvotes(page, FEATURED_ID) == (source or 0) + 1 and 'aria-pressed="true"' in page
    with client_for(settings) as anon:  # anonymous readers see the same total, without buttons
        data = anon.get(f"/api/paper/{FEATURED_ID}").json()
        assert data["upvotes"] == (source or 0) + 1 and data["viewer"] is None
        assert "/me/votes" not in anon.get(f"/paper/{FEATURED_ID}").text
    r = c.post("/me/votes", data={"paper_id": FEATURED_ID, "action": "remove", "csrf_token": token})
    assert r.status_code == 303
    assert c.get(f"/api/paper/{FEATURED_ID}").json()["local_upvotes"] == 0


def test_forms_answer_json_to_scripts_and_need_the_token(reader: tuple[TestClient, str]) -> None:
    c, token = reader
    r = c.post("/me/votes", data={"paper_id": XSS_ID, "csrf_token": token}, headers={"Accept": "application/json"})
    assert r.status_code == 200 and r.json()["voted"] is True
    r = c.post("/me/votes", data={"paper_id": XSS_ID, "action": "remove"},
               headers={"Accept": "application/json", "X-CSRF-Token": token})
    assert r.status_code == 200 and r.json()["voted"] is False
    assert c.post("/me/votes", data={"paper_id": XSS_ID}).status_code == 403
    assert c.post("/me/votes", data={"paper_id": XSS_ID, "csrf_token": "wrong" * 8}).status_code == 403
    assert c.post("/me/votes", data={"paper_id": "9999.99999", "csrf_token": token}).status_code == 404
    assert c.post("/me/votes", data={"paper_id": XSS_ID, "action": "explode", "csrf_token": token}).status_code \
        == 400


def test_api_votes_resolve_any_spelling_of_an_id(reader: tuple[TestClient, str]) -> None:
    c, token = reader
    h = {"X-CSRF-Token": token}
    r = c.post(f"/api/me/votes/{OLD_STYLE_ID}", headers=h)
    assert r.status_code == 200 and r.json()["voted"] is True
    r = c.post(f"/api/me/votes/https://arxiv.org/abs/{XSS_ID}v3", headers=h)
    assert r.status_code == 200 and r.json()["paper_id"] != f"https://arxiv.org/abs/{XSS_ID}v3"
    assert c.delete(f"/api/me/votes/{OLD_STYLE_ID}", headers=h).json()["voted"] is False
    r = c.post("/api/me/votes/nope-not-a-paper", headers=h)
    assert r.status_code == 404 and r.json()["status"] == 404
    assert c.post("/api/me/votes/" + "x" * 250, headers=h).status_code == 422
    assert c.post(f"/api/me/votes/{XSS_ID}").status_code == 403  # cookie session without the CSRF header


def test_library_with_tags_and_notes(reader: tuple[TestClient, str]) -> None:
    c, token = reader
    h = {"X-CSRF-Token": token}
    r = c.put(f"/api/me/library/{XSS_ID}", json={"tags": ["pde", " PDE ", "ops", "pde"], "note": SCRIPT},
              headers=h)
    assert r.status_code == 200
    item = r.json()
    assert item["tags"] == ["pde", "PDE", "ops"] and item["note"] == SCRIPT and item["paper"]["viewer"] == ["saved"]
    r = c.put(f"/api/me/library/{OLD_STYLE_ID}", headers=h)  # no body: saved with no tags
    assert r.status_code == 200 and r.json()["tags"] == []
    r = c.put(f"/api/me/library/{XSS_ID}", json={"note": "changed"}, headers=h)  # tags kept
    assert r.json()["tags"] == ["pde", "PDE", "ops"] and r.json()["note"] == "changed"
    lib = c.get("/api/me/library").json()
    assert lib["total"] == 2 and lib["tags"] == ["ops", "PDE", "pde"]
    assert [i["paper_id"] for i in c.get("/api/me/library?tag=ops").json()["items"]] == [item["paper_id"]]
    # the HTML form on the paper page sets tags and note; the library page escapes them
    c.post("/me/library", data={"paper_id": XSS_ID, "tags": "<b>bold</b>, x", "note": SCRIPT, "csrf_token": token})
    page = c.get("/library")
    assert page.status_code == 200 and SCRIPT not in page.text and "&lt;script&gt;" in page.text
    assert page.headers["cache-control"] == "private, no-store"
    assert "bbold/b" in c.get(f"/api/me/library/{XSS_ID}").json()["tags"]
    assert c.get(f"/paper/{XSS_ID}").text.count("Your tags and note") == 1
    assert c.put(f"/api/me/library/{XSS_ID}", json={"tags": [f"t{i}" for i in range(21)]}, headers=h).status_code \
        == 422  # the spec's maxItems
    assert c.put(f"/api/me/library/{XSS_ID}", json={"tags": [f"t{i}" for i in range(20)]}, headers=h).status_code \
        == 200
    assert c.delete(f"/api/me/library/{OLD_STYLE_ID}", headers=h).status_code == 200
    assert c.delete(f"/api/me/library/{OLD_STYLE_ID}", headers=h).status_code == 404
    assert c.get(f"/api/me/library/{OLD_STYLE_ID}").status_code == 404


def test_not_interested(reader: tuple[TestClient, str]) -> None:
    c, token = reader
    h = {"X-CSRF-Token": token}
    assert c.post(f"/api/me/dismissals/{XSS_ID}", headers=h).json() == {"paper_id": XSS_ID, "dismissed": True}
    assert c.get(f"/api/paper/{XSS_ID}").json()["viewer"] == ["dismissed"]
    assert "Undo not interested" in c.get(f"/paper/{XSS_ID}").text
    assert c.delete(f"/api/me/dismissals/{XSS_ID}", headers=h).json()["dismissed"] is False
    assert c.get("/api/me").json()["counts"]["dismissals"] == 0


def test_follows_of_every_kind(reader: tuple[TestClient, str]) -> None:
    c, token = reader
    h = {"X-CSRF-Token": token}
    author = c.get(f"/api/paper/{XSS_ID}").json()["authors"][0]
    r = c.post("/me/follows", data={"kind": "author", "target": author["id"], "csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == author["url"]
    page = c.get(author["url"]).text
    assert "Following" in page and 'value="remove"' in page
    r = c.post("/api/me/follows", json={"kind": "category", "target": "cs.LG"}, headers=h)
    assert r.status_code == 201 and r.json()["label"].startswith("cs.LG · ")
    assert c.post("/api/me/follows", json={"kind": "category", "target": "cs.LG"}, headers=h).status_code == 200
    search = {"kind": "search", "q": "neural  operator", "category": ["cs.LG", "cs.NA"], "has_code": True}
    one = c.post("/api/me/follows", json=search, headers=h).json()
    two = c.post("/api/me/follows", json={**search, "category": ["cs.NA", "cs.LG"]}, headers=h).json()
    assert one["id"] == two["id"] and one["url"].startswith("/search?q=neural+operator")
    assert one["label"] == "neural operator (cs.LG, cs.NA, has code)"  # the query as typed: no quotes added
    assert c.post("/api/me/follows", json={"kind": "author", "target": "no-such-person"}, headers=h).status_code \
        == 404
    r = c.post("/api/me/follows", json={"kind": "search", "q": ""}, headers=h)  # matches the spec, cannot be
    assert r.status_code == 422 and "needs a query or a filter" in r.json()["error"] and "detail" not in r.json()
    assert c.post("/api/me/follows", json={"kind": "planet", "target": "x"}, headers=h).status_code == 422
    follows = c.get("/api/me/follows").json()["follows"]
    assert [f["kind"] for f in follows] == ["author", "category", "search"]
    assert c.request("DELETE", f"/api/me/follows?id={one['id']}", headers=h).status_code == 200
    r = c.request("DELETE", "/api/me/follows?kind=category&target=cs.LG", headers=h)
    assert r.status_code == 200
    assert c.request("DELETE", "/api/me/follows?kind=category&target=cs.LG", headers=h).status_code == 404
    r = c.request("DELETE", "/api/me/follows?target=" + "0" * 2000, headers=h)  # schemathesis' find: no id, no kind
    assert r.status_code == 422 and "give the follow's id, or kind and target" in r.json()["error"]
    assert c.request("DELETE", "/api/me/follows", headers=h).status_code == 422
    assert c.request("DELETE", f"/api/me/follows?id={2**31}", headers=h).status_code == 422  # past MAX_ROW_ID
    assert c.request("DELETE", f"/api/me/follows?id={2**31 - 1}", headers=h).status_code == 404
    # ids past a 32-bit column were a 500 on PostgreSQL; the spec now bounds them (MAX_ROW_ID)
    assert c.delete(f"/api/me/tokens/{2**31 - 1}", headers=h).status_code == 404
    assert c.delete(f"/api/me/tokens/{2**62}", headers=h).status_code == 422
    r = c.post("/me/follows", data={"kind": "author", "target": author["id"], "action": "remove",
                                    "csrf_token": token})
    assert r.status_code == 303 and c.get("/api/me/follows").json()["follows"] == []


def test_saving_a_search_from_the_search_form(reader: tuple[TestClient, str]) -> None:
    c, token = reader
    r = c.post("/me/follows", data={"kind": "search", "q": "operator learning", "category": "cs.LG",
                                    "has_code": "", "csrf_token": token})
    assert r.status_code == 303
    follow = c.get("/api/me/follows").json()["follows"][0]
    assert follow["kind"] == "search" and '"q":"operator learning"' in follow["target"]


def test_admins_feature_papers_first_on_a_days_feed(reader: tuple[TestClient, str], settings: Settings) -> None:
    c, token = reader
    day_feed = c.get("/api/latest").json()
    day = day_feed["period"]["key"]
    last = day_feed["papers"][-1]["id"]
    data = {"paper_id": OLD_STYLE_ID, "day": day, "csrf_token": token}
    assert c.post("/me/featured", data=data).status_code == 403  # not an admin
    assert c.post(f"/api/featured/{day}/{OLD_STYLE_ID}", headers={"X-CSRF-Token": token}).status_code == 403
    me = c.get("/api/me").json()
    accounts.set_admin(c.app.state.web.store.engine, me["id"])
    r = c.post("/me/featured", data=data)
    assert r.status_code == 303 and r.headers["location"] == f"/day/{day}"
    r = c.post(f"/api/featured/{day}/{last}", headers={"X-CSRF-Token": token})
    assert r.status_code == 200 and r.json()["featured"] is True
    with client_for(settings) as anon:
        feed = anon.get(f"/api/day/{day}").json()["papers"]
        assert [p["id"] for p in feed[:2]] == [OLD_STYLE_ID, last] and feed[0]["curated"] and feed[1]["curated"]
        assert [p["id"] for p in feed].count(last) == 1  # not repeated below
        assert not any(p["curated"] for p in feed[2:])
        html = anon.get(f"/day/{day}").text
        assert html.index(OLD_STYLE_ID) < html.index("Featured on this day") + 2000
        assert 'class="badge curated"' in html
        assert "admin-feature" not in anon.get(f"/paper/{XSS_ID}").text
    assert "admin-feature" in c.get(f"/paper/{XSS_ID}").text
    r = c.request("DELETE", f"/api/featured/{day}/{last}", headers={"X-CSRF-Token": token})
    assert r.json()["featured"] is False
    assert c.post("/me/featured", data={**data, "day": "2025-02-30"}).status_code == 400


def test_bearer_tokens_work_for_every_action_without_csrf(reader: tuple[TestClient, str],
                                                         settings: Settings) -> None:
    c, token = reader
    page = c.post("/settings/tokens", data={"name": "bot", "csrf_token": token}).text
    api = re.search(r'<code class="token">([^<]+)</code>', page).group(1)  # type: ignore[union-attr]
    with client_for(settings) as bot:
        h = {"Authorization": f"Bearer {api}"}
        assert bot.post(f"/api/me/votes/{XSS_ID}", headers=h).status_code == 200
        assert bot.put(f"/api/me/library/{XSS_ID}", json={"tags": ["bot"]}, headers=h).status_code == 200
        assert bot.post(f"/api/me/dismissals/{OLD_STYLE_ID}", headers=h).status_code == 200
        assert bot.post("/api/me/follows", json={"kind": "category", "target": "math.NA"}, headers=h).status_code \
            == 201
        counts = bot.get("/api/me", headers=h).json()["counts"]
        assert counts == {"votes": 1, "library": 1, "dismissals": 1, "follows": 1}
        # a cross-site Origin does not matter for token requests (browsers never send the header themselves)
        r = bot.post(f"/api/me/votes/{OLD_STYLE_ID}", headers={**h, "Origin": "https://elsewhere.example"})
        assert r.status_code == 200


def test_signed_out_readers_cannot_act(settings: Settings) -> None:
    with client_for(settings) as anon:
        token = re.search(r'name="csrf_token" value="([^"]+)"', anon.get("/login").text).group(1)  # type: ignore[union-attr]
        r = anon.post("/me/votes", data={"paper_id": XSS_ID, "csrf_token": token})
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
        r = anon.post(f"/api/me/votes/{XSS_ID}")  # no credentials at all: told so (issue 12: was 403 "CSRF")
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert anon.get("/api/me/library").status_code == 401
        assert anon.get("/library").status_code == 303
