"""The search page and /api/search: results with highlights, filters, pagination, empty and error states."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from helpers.webdata import FEATURED_ID, XSS_ID


def test_blank_search_page_shows_the_form_and_syntax_help(client: TestClient) -> None:
    r = client.get("/search")
    assert r.status_code == 200
    assert 'name="q"' in r.text and "Search syntax" in r.text and 'value="semantic"' in r.text
    assert "result" not in r.text.split("</form>")[1]


def test_keyword_search_highlights_and_escapes(client: TestClient) -> None:
    r = client.get("/search", params={"q": "evil operator", "mode": "keyword"})
    assert r.status_code == 200
    assert "<mark>Evil</mark>" in r.text  # highlight markup kept...
    assert "<script>window" not in r.text and "&lt;script&gt;" in r.text  # ...everything else escaped
    body = client.get("/api/search", params={"q": "evil operator", "mode": "keyword"}).json()
    assert body["results"][0]["paper"]["id"] == XSS_ID and body["used_mode"] == "keyword"
    assert "<mark>" in body["results"][0]["title_html"]


def test_hybrid_works_without_a_vector_index(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "neural operator"}).json()
    assert body["mode"] == "hybrid" and body["used_mode"] in ("hybrid", "keyword")
    assert body["total"] > 0 and body["results"]
    assert client.get("/search", params={"q": "neural operator", "mode": "semantic"}).status_code == 200


def test_filters_apply(client: TestClient) -> None:
    cl = client.get("/api/search", params={"category": "cs.CL", "mode": "keyword"}).json()
    assert cl["total"] >= 1
    assert all("cs.CL" in [c["code"] for c in r["paper"]["categories"]] for r in cl["results"])
    org = client.get("/api/search", params={"org": "example-lab", "mode": "keyword"}).json()
    assert {r["paper"]["id"] for r in org["results"]} == {XSS_ID, FEATURED_ID}
    dated = client.get("/api/search", params={"org": "Example Lab", "from": "2025-12-05", "to": "2025-12-31",
                                              "mode": "keyword"}).json()
    assert [r["paper"]["id"] for r in dated["results"]] == [XSS_ID]
    coded = client.get("/api/search", params={"q": "learning", "has_code": "true", "mode": "keyword"}).json()
    assert coded["results"] and all(r["paper"]["has_code"] for r in coded["results"])
    assert coded["filters"]["has_code"] is True
    html = client.get("/search", params={"q": "", "author": "alice-example", "mode": "keyword"}).text
    assert "weekend learning dynamics" in html and "Filters (active)" in html


def test_empty_fields_from_the_html_form_are_ignored(client: TestClient) -> None:
    r = client.get("/search?q=operator&mode=keyword&category=&author=&org=&from=&to=&has_code=")
    assert r.status_code == 200 and "result" in r.text


def test_pagination(client: TestClient) -> None:
    first = client.get("/api/search", params={"q": "learning", "mode": "keyword"}).json()
    second = client.get("/api/search", params={"q": "learning", "mode": "keyword", "page": 2}).json()
    assert first["total"] > 20 and second["page"] == 2
    assert {r["paper"]["id"] for r in first["results"]}.isdisjoint(r["paper"]["id"] for r in second["results"])
    html = client.get("/search", params={"q": "learning", "mode": "keyword"}).text
    assert 'rel="next" href="/search?q=learning&amp;mode=keyword&amp;page=2"' in html


def test_no_results_state_is_helpful(client: TestClient) -> None:
    r = client.get("/search", params={"q": "zzqxv", "mode": "keyword", "category": "cs.LG"})
    assert r.status_code == 200
    assert "No papers match" in r.text and "Search again without filters" in r.text


@pytest.mark.parametrize(
    ("params", "message", "api_field"),
    [
        ({"q": "x", "from": "yesterday"}, "is not a date", "from"),
        ({"q": "x", "from": "2025-02-30"}, "is not a date", "from"),
        ({"q": "x", "from": "2025-12-31", "to": "2025-01-01"}, "from is after to", None),
        ({"q": "x", "mode": "fuzzy"}, "mode must be one of", "mode"),
        ({"q": "x", "has_code": "maybe"}, "has_code must be true or false", "has_code"),
        ({"q": "x", "has_code": "0000000000"}, "has_code must be true or false", "has_code"),  # schemathesis'
        ({"q": "x", "page": "0"}, "page must be a number", "page"),
        ({"q": "x", "page": "51"}, "page must be a number", "page"),
        ({"q": "-survey"}, "add a word", None),
    ],
)
def test_bad_searches_are_refused_with_the_message(client: TestClient, params: dict[str, str], message: str,
                                                   api_field: str | None) -> None:
    """The page explains every mistake (400). The twin's typed parameters are in the spec: breaking them is
    FastAPI's 422 naming the field; what matches them but cannot run is the documented 422 with the message."""
    page = client.get("/search", params=params)
    assert page.status_code == 400 and message in page.text and "could not run" in page.text
    api = client.get("/api/search", params=params)
    assert api.status_code == 422 and api.json()["status"] == 422
    if api_field is None:
        assert message in api.json()["error"] and "detail" not in api.json()
    else:
        assert [e["loc"] for e in api.json()["detail"]] == [["query", api_field]]


def test_typed_twin_parameters_read_as_before(client: TestClient) -> None:
    """Booleans in every spelling the page takes; empty dates (an HTML form's ``from=``) mean no bound."""
    for code in ("true", "1", "yes", "on"):
        r = client.get("/api/search", params={"q": "operator", "mode": "keyword", "has_code": code, "from": ""})
        assert r.status_code == 200 and r.json()["filters"]["has_code"] is True, code
    assert client.get("/api/search", params={"q": "operator", "has_code": "off"}).json()["filters"]["has_code"] is False


def test_query_text_is_escaped_where_it_is_echoed(client: TestClient) -> None:
    r = client.get("/search", params={"q": '"><script>alert(1)</script>', "mode": "keyword"})
    assert "<script>alert(1)" not in r.text and "&lt;script&gt;alert(1)" in r.text


def test_overlong_query_is_refused(client: TestClient) -> None:
    assert client.get("/api/search", params={"q": "a" * 5000}).status_code == 422


def test_control_characters_in_filters_are_not_a_server_error(client: TestClient) -> None:
    """Schemathesis' find on PostgreSQL: a NUL in a filter value was a 500 (text cannot hold one)."""
    for name in ("category", "author", "org"):
        r = client.get("/api/search", params={"q": "operator", "mode": "keyword", name: ["\x00cs.LG\x1f", "\x00"]})
        assert r.status_code == 200, (name, r.text)
    feed = client.get("/feeds/search.atom", params={"q": "operator", "category": "cs\x00.LG"})
    assert feed.status_code == 200


def test_misspelt_search_shows_the_corrected_results_and_says_so(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "nueral operater", "mode": "keyword"}).json()
    assert body["suggestion"] == "neural operator" and body["corrected"] is True
    assert "showing results for neural operator; no results for nueral operater" in body["notes"]
    texts = [f'{r["title_html"]} {r["snippet_html"]}'.lower() for r in body["results"]]
    assert len(texts) >= 5 and all("<mark>operator" in t for t in texts[:5])  # relevant: the top ones match
    fixed = client.get("/api/search", params={"q": "neural operator", "mode": "keyword"}).json()
    assert [r["paper"]["id"] for r in body["results"]] == [r["paper"]["id"] for r in fixed["results"]]
    html = client.get("/search", params={"q": "nueral operater"}).text
    assert "Showing results for neural operator; no results for nueral operater." in html
    assert 'value="nueral operater"' in html  # the box keeps what was typed


def test_a_search_with_results_offers_the_suggestion_as_a_link(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "nueral operator", "mode": "keyword"}).json()
    assert body["suggestion"] == "neural operator" and body["corrected"] is False and body["total"] > 0
    html = client.get("/search", params={"q": "nueral operator", "mode": "keyword"}).text
    assert 'Did you mean <a href="/search?q=neural+operator&amp;mode=keyword">neural operator</a>?' in html
    hostile = client.get("/search", params={"q": 'nueral operator "<b>x"', "mode": "keyword"}).text
    assert "Did you mean" in hostile and "<b>x" not in hostile and "&#34;&lt;b&gt;x&#34;</a>?" in hostile
    fixed = client.get("/api/search", params={"q": "ti:nueral", "mode": "keyword"}).json()
    assert fixed["suggestion"] == "ti:neural" and fixed["corrected"] is True


def test_correct_and_nonsense_queries_get_no_suggestion(client: TestClient) -> None:
    good = client.get("/api/search", params={"q": "neural operator"}).json()
    assert good["suggestion"] is None and good["corrected"] is False
    assert "Did you mean" not in client.get("/search", params={"q": "neural operator"}).text
    bad = client.get("/api/search", params={"q": "qwzxv blorptang"}).json()
    assert bad["total"] == 0 and bad["suggestion"] is None and bad["corrected"] is False
    assert any("check the spelling" in n for n in bad["notes"])
    html = client.get("/search", params={"q": "qwzxv blorptang"}).text
    assert "No paper matches this search: check the spelling" in html and "Did you mean" not in html


def test_search_feed_follows_the_corrected_results(client: TestClient) -> None:
    typed = client.get("/feeds/search.atom", params={"q": "nueral operater", "mode": "keyword"})
    fixed = client.get("/feeds/search.atom", params={"q": "neural operator", "mode": "keyword"})
    assert typed.status_code == 200 and typed.text.count("<entry>") > 0
    assert typed.text.count("<entry>") == fixed.text.count("<entry>")


@pytest.mark.parametrize("mode", ["keyword", "hybrid"])
def test_search_feed_has_the_same_results_as_the_search(client: TestClient, mode: str) -> None:
    """The feed holds the search's first 50 results: no padding there either, nothing for a query that matches
    nothing."""
    for q in ("operator", '"neural operator"', "qwzxv blorptang"):
        api = client.get("/api/search", params={"q": q, "mode": mode}).json()
        feed = client.get("/feeds/search.atom", params={"q": q, "mode": mode}).text
        assert feed.count("<entry>") == min(api["total"], 50) and len(api["results"]) == min(api["total"], 20), q
        assert all(r["paper"]["id"] in feed for r in api["results"])
