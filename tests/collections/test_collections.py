"""Collections through the real app on both backends: create public and private ones with the forms (no script),
notes per paper, the JSON twins, the Atom feed, the BibTeX export, following, who may see and change what."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lxml import etree

from helpers.accountkit import build_store, client_for, page_token, sign_up, use_cheap_hashing
from helpers.webdata import FEATURED_ID, OLD_STYLE_ID, XSS_ID
from openpapers.core.settings import Settings

pytestmark = pytest.mark.usefixtures("backend_db")
cheap = pytest.fixture(autouse=True, scope="module")(use_cheap_hashing)


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, backend: Any) -> Settings:
    return build_store(tmp_path_factory.mktemp("collections"), backend)


def reader(settings: Settings, email: str) -> tuple[TestClient, str]:
    c = client_for(settings)
    sign_up(c, email, name=email.split("@")[0].title())
    return c, page_token(c)


@pytest.fixture()
def two(settings: Settings, request: pytest.FixtureRequest) -> Iterator[tuple[tuple[TestClient, str], ...]]:
    name = request.node.name[:30].replace("[", "-").replace("]", "")
    a, b = reader(settings, f"a-{name}@example.org"), reader(settings, f"b-{name}@example.org")
    yield a, b
    a[0].close()
    b[0].close()


def create(c: TestClient, token: str, name: str, public: bool, **extra: str) -> int:
    data = {"name": name, "description": "For the **reading group**", "csrf_token": token, **extra}
    if public:
        data["public"] = "on"
    r = c.post("/collections", data=data)
    assert r.status_code == 303, r.text
    return int(r.headers["location"].rsplit("/", 1)[1])


def test_a_public_collection_with_notes_its_twin_feed_and_bibtex(two: Any, settings: Settings) -> None:
    (c, token), (other, other_token) = two
    cid = create(c, token, "PDE solvers", True, paper_id=f"arXiv:{XSS_ID}v1")
    r = c.post(f"/collection/{cid}/items", data={"paper_id": OLD_STYLE_ID, "note": "read §3 <b>first</b>",
                                                 "csrf_token": token, "next": f"/collection/{cid}#item-2"})
    assert r.status_code == 303 and r.headers["location"] == f"/collection/{cid}#item-2"
    twin = c.get(f"/api/collection/{cid}").json()
    assert twin["total"] == 2 and [i["paper_id"] for i in twin["items"]] == [XSS_ID, OLD_STYLE_ID]
    assert twin["items"][1]["note"] == "read §3 <b>first</b>" and twin["collection"]["mine"] is True
    assert twin["collection"]["public"] and twin["collection"]["size"] == 2
    with client_for(settings) as anon:  # shareable by URL: anyone reads it, its feed and its BibTeX
        html = anon.get(f"/collection/{cid}")
        assert html.status_code == 200 and "read §3 &lt;b&gt;first&lt;/b&gt;" in html.text
        assert f'href="/feeds/collection/{cid}.atom"' in html.text and "csrf_token" not in html.text
        assert anon.get(f"/api/collection/{cid}").json()["collection"]["mine"] is None
        feed = anon.get(f"/feeds/collection/{cid}.atom")
        assert feed.headers["content-type"].startswith("application/atom+xml")
        entries = etree.fromstring(feed.content).findall("{http://www.w3.org/2005/Atom}entry")
        assert len(entries) == 2 and entries[0].findtext("{http://www.w3.org/2005/Atom}title").startswith("An old")
        bib = anon.get(f"/collection/{cid}/bibtex")
        assert bib.headers["content-type"].startswith("application/x-bibtex") and bib.text.count("@") == 2
        listing = anon.get("/api/collections").json()
        assert listing["mine"] is None and cid in [x["id"] for x in listing["public"]]
    # another reader follows it, and cannot change it
    r = other.post(f"/collection/{cid}/follow", data={"action": "add", "csrf_token": other_token})
    assert r.status_code == 303
    assert other.get(f"/api/collection/{cid}").json()["collection"]["following"] is True
    assert c.get(f"/api/collection/{cid}").json()["collection"]["followers"] == 1
    follows = other.get("/api/me/follows").json()["follows"]
    assert [(f["kind"], f["url"]) for f in follows] == [("collection", f"/collection/{cid}")]
    assert 'aria-pressed="true">Following' in other.get(f"/collection/{cid}").text
    r = other.post(f"/collection/{cid}/items", data={"paper_id": FEATURED_ID, "csrf_token": other_token})
    assert r.status_code == 403
    # the owner edits the note, removes a paper, makes it private: the follower loses it
    c.post(f"/collection/{cid}/items", data={"paper_id": OLD_STYLE_ID, "note": "skip", "csrf_token": token})
    assert c.get(f"/api/collection/{cid}").json()["items"][1]["note"] == "skip"
    c.post(f"/collection/{cid}/items", data={"paper_id": XSS_ID, "action": "remove", "csrf_token": token})
    r = c.post(f"/collection/{cid}", data={"action": "edit", "name": "PDE", "public": "false", "csrf_token": token})
    assert r.status_code == 303
    after = c.get(f"/api/collection/{cid}").json()
    assert after["total"] == 1 and after["collection"]["name"] == "PDE" and not after["collection"]["public"]
    assert other.get(f"/api/collection/{cid}").status_code == 404
    assert other.get("/api/me/follows").json()["follows"] == []


def test_private_collections_are_404_to_everyone_else_and_forms_need_csrf(two: Any, settings: Settings) -> None:
    (c, token), (other, other_token) = two
    cid = create(c, token, "Secret list", False)
    for url in (f"/collection/{cid}", f"/api/collection/{cid}", f"/collection/{cid}/bibtex",
                f"/feeds/collection/{cid}.atom"):
        assert other.get(url).status_code == 404, url
    assert c.get(f"/feeds/collection/{cid}.atom").status_code == 404  # feeds are for public collections
    assert c.get(f"/collection/{cid}/bibtex").headers["cache-control"] == "private, no-store"
    assert other.post(f"/collection/{cid}/follow", data={"csrf_token": other_token}).status_code == 404
    assert c.post(f"/collection/{cid}/items", data={"paper_id": XSS_ID}).status_code == 403  # no CSRF token
    assert c.post("/collections", data={"name": "  ", "csrf_token": token}).status_code == 400
    assert c.post("/collections", data={"name": "x" * 101, "csrf_token": token}).status_code == 400
    r = c.post(f"/collection/{cid}/items", data={"paper_id": "nope", "csrf_token": token})
    assert r.status_code == 404
    mine = c.get("/api/collections").json()["mine"]
    assert [x["name"] for x in mine] == ["Secret list"]
    assert cid not in [x["id"] for x in other.get("/api/collections").json()["public"]]
    # JSON answers for scripts; delete removes it
    r = c.post(f"/collection/{cid}/items", data={"paper_id": XSS_ID, "csrf_token": token},
               headers={"Accept": "application/json"})
    assert r.json() == {"collection_id": cid, "paper_id": XSS_ID, "in_collection": True, "deleted": False}
    page = c.get(f"/paper/{XSS_ID}").text
    assert "Secret list ✓" in page  # the paper page's "Add to a collection" knows
    r = c.post(f"/collection/{cid}", data={"action": "delete", "csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == "/collections"
    assert c.get(f"/api/collection/{cid}").status_code == 404
