"""Author, organisation and category pages and their JSON twins."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from helpers.webdata import FEATURED_ID, OLD_STYLE_ID, XSS_ID

# Every test here runs on SQLite and on PostgreSQL (see tests/conftest.py).
pytestmark = pytest.mark.usefixtures("backend_db")


def test_author_page(client: TestClient) -> None:
    body = client.get("/api/author/qi-meng").json()
    assert body["name"] == "Qi Meng" and body["total"] >= 40 and len(body["papers"]) == 30
    dates = [p["published"] for p in body["papers"] if p["published"]]
    assert dates == sorted(dates, reverse=True)  # newest first
    coauthors = {c["id"]: c["count"] for c in body["coauthors"]}
    assert "qi-meng" not in coauthors and coauthors["wei-chen"] >= 5
    assert body["categories"][0]["id"] == "cs.LG" and body["feed_url"] == "/feeds/author/qi-meng.atom"
    html = client.get("/author/qi-meng").text
    assert "<h1>Qi Meng</h1>" in html and "Co-authors" in html and 'href="/author/wei-chen"' in html
    assert 'rel="next" href="/author/qi-meng?page=2"' in html


def test_author_paging(client: TestClient) -> None:
    first = client.get("/api/author/qi-meng").json()
    second = client.get("/api/author/qi-meng?page=2").json()
    assert len(second["papers"]) == first["total"] - 30 and second["pages"] == 2


def test_author_with_orgs_and_categories(client: TestClient) -> None:
    body = client.get("/api/author/alice-example").json()
    assert {p["id"] for p in body["papers"]} == {XSS_ID, FEATURED_ID}
    assert {o["id"]: o["count"] for o in body["orgs"]} == {"example-lab": 2, "other-org": 1}
    assert {c["id"] for c in body["categories"]} == {"cs.LG", "stat.ML", "cs.CL"}


def test_org_page(client: TestClient) -> None:
    body = client.get("/api/org/example-lab").json()
    assert body["name"] == "Example Lab" and body["total"] == 2
    assert body["top_authors"][0] == {"id": "alice-example", "name": "Alice Example", "count": 2,
                                      "url": "/author/alice-example"}
    html = client.get("/org/example-lab").text
    assert "Most active authors" in html and "Evil" in html and "&lt;script&gt;" in html


def test_category_pages(client: TestClient) -> None:
    body = client.get("/api/category/cs.LG").json()
    assert body["name"] == "Machine Learning" and body["total"] >= 25
    assert body["top_authors"][0]["id"] == "qi-meng"
    assert any(c["id"] == "stat.ML" for c in body["related_categories"])
    archive = client.get("/api/category/cs").json()  # a whole archive
    assert archive["total"] > body["total"] and archive["name"] == "cs (all subjects)"
    assert [p["id"] for p in client.get("/api/category/hep-th").json()["papers"]] == [OLD_STYLE_ID]
    html = client.get("/category/cs.LG").text
    assert "Machine Learning" in html and 'href="/feeds/category/cs.LG.atom"' in html


def test_category_spelling_is_normalised(client: TestClient) -> None:
    r = client.get("/category/CS.lg")
    assert r.status_code == 301 and r.headers["location"] == "/category/cs.LG"
    assert client.get("/api/category/CS.lg").json()["code"] == "cs.LG"


def test_unknown_entities_are_404_and_bad_ids_4xx(client: TestClient) -> None:
    for url in ("/author/nobody-at-all", "/org/no-such-org", "/category/xx.YY"):
        assert client.get(url).status_code == 404
        api = client.get("/api" + url)
        assert api.status_code == 404 and "was not found" in api.json()["error"]
    page = client.get("/author/Not_A_Slug")  # a name, not a slug: the page redirects to the slug (issue 15)
    assert page.status_code == 301 and page.headers["location"] == "/author/not-a-slug"
    page = client.get("/author/%21%21")  # no name at all: explained, without a regex
    assert page.status_code == 400 and "is not a name or an id" in page.text and "[a-z0-9]" not in page.text
    api = client.get("/api/author/Not_A_Slug")
    assert api.status_code == 422 and "author_id" in api.json()["error"] and api.json()["detail"]
