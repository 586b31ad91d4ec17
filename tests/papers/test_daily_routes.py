"""The daily feed pages (home, day, week, month) and their JSON twins, on the demo corpus plus crafted papers."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from helpers.webdata import FEATURED_ID, XSS_ID

# Every test here runs on SQLite and on PostgreSQL (see tests/conftest.py).
pytestmark = pytest.mark.usefixtures("backend_db")


def ids(body: dict) -> list[str]:  # type: ignore[type-arg]
    return [p["id"] for p in body["papers"]]


def test_home_is_the_latest_day_with_papers(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert "Thursday, May 28, 2026" in r.text  # the demo's newest paper
    assert "ParaTool" in r.text
    assert '<link rel="alternate" type="application/atom+xml"' in r.text
    assert 'href="/api/day/2026-05-28"' in r.text
    body = client.get("/api/latest").json()
    assert body["period"] == {"kind": "day", "key": "2026-05-28", "label": "Thursday, May 28, 2026",
                              "url": "/day/2026-05-28", "api_url": "/api/day/2026-05-28"}
    assert body["next"] is None and body["prev"]["key"] == "2026-03-30"


def test_a_day_lists_papers_published_or_featured_on_it(client: TestClient) -> None:
    assert ids(client.get("/api/day/2025-12-11").json()) == [XSS_ID]  # published that day
    assert ids(client.get("/api/day/2025-12-12").json()) == [XSS_ID]  # featured that day
    assert ids(client.get("/api/day/2025-12-15").json()) == [FEATURED_ID]  # featured; published Dec 1
    page = client.get("/day/2025-12-15")
    assert page.status_code == 200 and "weekend learning dynamics" in page.text


def test_prev_and_next_jump_to_the_nearest_days_with_papers(client: TestClient) -> None:
    body = client.get("/api/day/2025-12-12").json()
    assert body["prev"]["key"] == "2025-12-11" and body["next"]["key"] == "2025-12-15"
    html = client.get("/day/2025-12-12").text
    assert re.search(r'<a rel="prev" href="/day/2025-12-11"', html)
    assert re.search(r'<a rel="next" href="/day/2025-12-15"', html)


def test_an_empty_day_says_so_and_links_the_nearest_days(client: TestClient) -> None:
    r = client.get("/day/2025-12-13")  # a Saturday with nothing
    assert r.status_code == 200
    assert "No papers on this day" in r.text
    assert 'href="/day/2025-12-12"' in r.text and 'href="/day/2025-12-15"' in r.text
    body = client.get("/api/day/2025-12-13").json()
    assert body["total"] == 0 and body["papers"] == []
    assert body["nearest_before"]["key"] == "2025-12-12" and body["nearest_after"]["key"] == "2025-12-15"


def test_week_and_month_pages(client: TestClient) -> None:
    week = client.get("/api/week/2025-W50").json()
    assert (week["start"], week["end"]) == ("2025-12-08", "2025-12-14")
    assert ids(week) == [XSS_ID]
    assert week["next"]["key"] == "2025-W51" and week["prev"]["kind"] == "week"
    month = client.get("/api/month/2025-12").json()
    assert ids(month) == [FEATURED_ID, XSS_ID]  # most upvoted first (70 > 42)
    assert ids(client.get("/api/month/2025-12?sort=newest").json()) == [XSS_ID, FEATURED_ID]
    assert month["prev"]["key"] == "2025-10" and month["next"]["key"] == "2026-03"
    for url in ("/week/2025-W50", "/month/2025-12"):
        page = client.get(url)
        assert page.status_code == 200 and "Evil" in page.text
    assert "Week 50, 2025 (Dec 8 – Dec 14)" in client.get("/week/2025-W50").text


def test_week_and_month_without_key_redirect_to_the_latest(client: TestClient) -> None:
    assert client.get("/week").headers["location"] == "/week/2026-W22"
    assert client.get("/month").headers["location"] == "/month/2026-05"
    assert client.get("/day").headers["location"] == "/day/2026-05-28"


def test_pagination_keeps_the_total(client: TestClient) -> None:
    first = client.get("/api/month/2025-12?page=1").json()
    second = client.get("/api/month/2025-12?page=2").json()
    assert first["total"] == second["total"] == 2 and first["pages"] == 1
    assert second["papers"] == [] and second["page"] == 2
    assert "There are no papers on page 2" in client.get("/month/2025-12?page=2").text


@pytest.mark.parametrize(
    ("url", "message", "api_refusal"),
    [
        # the API's path patterns (in the spec) are exact: these never reach the route
        ("/day/2025-02-30", "not a valid day", "day: String should match pattern"),
        ("/day/1800-01-01", "between 1900 and 2999", "day: String should match pattern"),
        ("/day/0000-00-00", "between 1900 and 2999", "day: String should match pattern"),  # schemathesis' find
        ("/week/2025-W54", "not a valid week", "week: String should match pattern"),
        ("/week/0000-W0", "between 1900 and 2999", "week: String should match pattern"),
        ("/month/2025-13", "not a valid month", "month: String should match pattern"),
        ("/month/0000-00", "between 1900 and 2999", "month: String should match pattern"),
        ("/day/20251211", "use YYYY-MM-DD", "day: String should match pattern"),
        # well formed, but no such week: what a pattern cannot say, refused after parsing (no "detail")
        ("/week/2025-W53", "not a valid week", None),
    ],
)
def test_bad_period_keys_are_a_clear_4xx(client: TestClient, url: str, message: str, api_refusal: str | None
                                         ) -> None:
    page = client.get(url)
    assert page.status_code == 400 and message in page.text and page.headers["content-type"].startswith("text/html")
    api = client.get("/api" + url)
    assert api.status_code == 422 and api.json()["status"] == 422
    if api_refusal is None:
        assert message in api.json()["error"] and "detail" not in api.json()
    else:
        assert api_refusal in api.json()["error"] and api.json()["detail"]


def test_every_real_key_is_served(client: TestClient) -> None:
    """The patterns' other side: leap days, week 53 of a 53-week year, the range's ends are answered."""
    for url in ("/api/day/2024-02-29", "/api/day/2000-02-29", "/api/day/1900-01-01", "/api/day/2999-12-31",
                "/api/week/2026-W53", "/api/week/2025-w5", "/api/month/2999-12"):
        assert client.get(url).status_code == 200, url
    for url in ("/api/day/2100-02-29", "/api/day/1900-02-29", "/api/day/2025-04-31", "/api/week/2025-W00"):
        assert client.get(url).status_code == 422, url


def test_bad_sort_and_page_are_4xx(client: TestClient) -> None:
    assert client.get("/api/day/2025-12-11?sort=random").status_code == 422
    assert client.get("/api/day/2025-12-11?page=0").status_code == 422
    page = client.get("/day/2025-12-11?sort=random")
    assert page.status_code == 400 and "sort" in page.text


def test_card_shows_chip_date_code_badge_authors_orgs_upvotes(client: TestClient) -> None:
    html = client.get("/day/2025-12-11").text
    card = html[html.index("<article class=\"card\""):html.index("</article>")]
    assert '<a class="chip" href="/category/cs.LG" title="Machine Learning">cs.LG</a>' in card
    assert '<time datetime="2025-12-11">Dec 11, 2025</time>' in card  # not the current year: year shown
    assert 'href="https://github.com/example/evil"' in card and ">Code</a>" in card
    # first three authors, then the full list in <details>
    assert card.index("Alice Example") < card.index("<details")
    assert "show all 4" in card and "Dan Fourth" in card[card.index("<details"):]
    assert 'href="/org/example-lab"' in card and "▲ 42" in card and "4 authors" in card
