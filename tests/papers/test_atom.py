"""Atom feeds: valid Atom 1.0 with absolute links, linked from the pages, robust to hostile text."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from lxml import etree

from helpers.webdata import FEATURED_ID, SCRIPT, XSS_ID

# Every test here runs on SQLite and on PostgreSQL (see tests/conftest.py).
pytestmark = pytest.mark.usefixtures("backend_db")

NS = {"a": "http://www.w3.org/2005/Atom"}


def parse(client: TestClient, url: str) -> etree._Element:
    r = client.get(url)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/atom+xml")
    root = etree.fromstring(r.content)
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    assert root.find("a:id", NS) is not None and root.find("a:updated", NS) is not None
    return root


def entry_ids(root: etree._Element) -> list[str]:
    return [e.findtext("a:id", namespaces=NS) for e in root.findall("a:entry", NS)]


def test_daily_feed_covers_the_latest_week(client: TestClient) -> None:
    root = parse(client, "/feeds/daily.atom")
    ids = entry_ids(root)
    assert ids == ["http://testserver/paper/" + i for i in [p["id"] for p in
                                                              client.get("/api/latest").json()["papers"]]]
    entry = root.find("a:entry", NS)
    assert entry.find("a:link", NS).get("href").startswith("http://testserver/paper/")  # rel defaults to alternate
    assert entry.findtext("a:author/a:name", namespaces=NS) == "Zekai Yu"


def test_search_feed_keeps_hostile_text_as_text(client: TestClient) -> None:
    root = parse(client, "/feeds/search.atom?q=evil+operator&mode=keyword")
    assert root.findtext("a:title", namespaces=NS) == "openpapers search: evil operator"
    titles = [e.findtext("a:title", namespaces=NS) for e in root.findall("a:entry", NS)]
    assert any(t.startswith(SCRIPT) for t in titles)  # parsed back: the script tag was text, not markup
    assert "<script>" not in client.get("/feeds/search.atom?q=evil+operator&mode=keyword").text


def test_search_feed_with_control_characters_and_filters(client: TestClient) -> None:
    root = parse(client, "/feeds/search.atom?q=%01operator%0B&mode=keyword&org=example-lab")
    assert entry_ids(root) == [f"http://testserver/paper/{XSS_ID}"]
    assert parse(client, "/feeds/search.atom?org=example-lab&mode=keyword") is not None
    bad = client.get("/feeds/search.atom?q=x&from=soon")  # the spec's pattern refuses it
    assert bad.status_code == 422 and "from: String should match pattern" in bad.json()["error"]
    bad = client.get("/feeds/search.atom?q=x&has_code=0000000000")  # schemathesis' find: a boolean in the spec
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "has_code"]
    assert client.get("/feeds/search.atom?q=operator&has_code=1").status_code == 200
    empty = client.get("/feeds/search.atom?q=-survey")  # matches the spec, cannot run: the documented 422
    assert empty.status_code == 422 and "add a word" in empty.json()["error"] and "detail" not in empty.json()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/feeds/author/alice-example.atom", {XSS_ID, FEATURED_ID}),
        ("/feeds/org/example-lab.atom", {XSS_ID, FEATURED_ID}),
        ("/feeds/category/cs.CL.atom", {FEATURED_ID}),
    ],
)
def test_entity_feeds(client: TestClient, url: str, expected: set[str]) -> None:
    found = {i.removeprefix("http://testserver/paper/") for i in entry_ids(parse(client, url))}
    assert expected <= found


def test_missing_feed_targets_are_404(client: TestClient) -> None:
    for url in ("/feeds/author/nobody-at-all.atom", "/feeds/org/nope.atom", "/feeds/category/xx.YY.atom"):
        r = client.get(url)
        assert r.status_code == 404 and r.json()["status"] == 404


@pytest.mark.parametrize(
    "page",
    ["/", "/day/2025-12-11", "/search?q=operator&mode=keyword", "/author/alice-example", "/org/example-lab",
     "/category/cs.LG"],
)
def test_pages_link_their_feed_and_json_twin(client: TestClient, page: str) -> None:
    html = client.get(page).text
    atom = re.search(r'<link rel="alternate" type="application/atom\+xml" title="[^"]*" href="([^"]+)">', html)
    twin = re.search(r'<link rel="alternate" type="application/json" title="[^"]*" href="([^"]+)">', html)
    assert atom and twin, page
    parse(client, atom.group(1).replace("&amp;", "&"))
    assert client.get(twin.group(1).replace("&amp;", "&")).status_code == 200
