"""Person pages and their twins, the name page as a disambiguation page, cards linking names to people, and a
merged-away id redirecting (HTML and JSON)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from openpapers.authors import admin, profiles
from openpapers.core.settings import resolve_settings
from openpapers.papers.demo import load_demo
from openpapers.papers.store import open_store
from openpapers.web.app import create_app


def test_name_page_lists_its_people_and_person_pages_have_twins(client: TestClient) -> None:
    name_page = client.get("/api/author/qi-meng").json()
    people = name_page["people"]
    assert len(people) > 1 and people[0]["paper_count"] == max(p["paper_count"] for p in people)
    html = client.get("/author/qi-meng")
    assert html.status_code == 200 and f"{len(people)} people published as Qi Meng" in html.text
    assert all(f'href="{p["url"]}"' in html.text for p in people)
    main = people[0]
    page = client.get(main["url"])
    assert page.status_code == 200 and "Papers" in page.text and "Co-authors" in page.text
    twin = client.get(f"/api{main['url']}").json()
    assert twin["id"] == main["id"] and twin["paper_count"] == main["paper_count"]
    assert twin == client.get("/api/authors", params={"name": "Qi Meng"}).json()[0]
    assert twin["topics"] and twin["years"][0] <= twin["years"][1]
    feed = client.get(f"/feeds/author/{main['id']}.atom")
    assert feed.status_code == 200 and "OmniFluids" in feed.text and "ParaTool" not in feed.text


def test_cards_link_each_name_to_its_person(client: TestClient) -> None:
    cards = client.get("/api/author/qi-meng").json()["papers"]
    persons = {a["person"] for card in cards for a in card["authors"] if a["id"] == "qi-meng"}
    assert len(persons) > 1 and None not in persons  # namesakes' cards point at different people
    for card in cards:
        for a in card["authors"]:
            if a["person"]:
                assert a["url"] == f"/author/{a['person']}"
    paper = client.get(f"/api/paper/{cards[0]['id']}").json()
    assert any(a.get("person") for a in paper["authors"])


def test_a_merged_away_id_redirects(tmp_path: Path) -> None:
    settings = resolve_settings(tmp_path)
    with open_store(settings) as store:
        load_demo(store)
        people = profiles.by_name(store, "Qi Meng")
        gone = admin.merge(store, people[0]["id"], people[-1]["id"])["redirected"]
        kept = people[0]["id"]
    with TestClient(create_app(settings), follow_redirects=False) as client:
        html, api = client.get(f"/author/{gone}"), client.get(f"/api/author/{gone}")
        assert html.status_code == 301 and html.headers["location"] == f"/author/{kept}"
        assert api.status_code == 301 and api.headers["location"] == f"/api/author/{kept}"
        assert client.get("/api/author/qi-meng--4242").status_code == 404
