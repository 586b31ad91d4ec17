"""The newcomer's pages: home says what the site holds and fills a thin latest day with earlier papers, /papers
lists everything (undated papers reachable, filters), cards show the abstract's first lines in <details>, and
/paper/{arXiv id} resolves for a paper first known without one. Both backends (tests/conftest.py)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from helpers.webdata import XSS_ID
from openpapers.core.records import PaperRecord
from openpapers.papers.store import open_store
from openpapers.web.app import create_app

pytestmark = pytest.mark.usefixtures("backend_db")


def test_home_says_what_openpapers_holds_and_adds_recent_papers(client: TestClient) -> None:
    data = client.get("/api/").json()
    about = data["overview"]
    assert about["papers"] > 300 and 0 < about["undated"] < about["papers"]
    assert about["sources"]  # the demo's "listing" at least
    assert data["total"] < 20 and 20 <= data["total"] + len(data["recent"]) <= 50  # a thin latest day
    assert {p["id"] for p in data["recent"]}.isdisjoint(p["id"] for p in data["papers"])
    days = [p["published"] for p in data["recent"]]
    assert days == sorted(days, reverse=True) and all(d < data["start"] for d in days)
    html = client.get("/").text
    intro = html[html.index('class="intro"'):html.index("</section>")]
    assert "collects research papers" in intro and f'{about["papers"]:,} papers</a>' in intro
    assert 'href="/papers?undated=true"' in intro
    assert "Latest papers of the days before" in html and html.count("<article") == data["total"] + 30


def test_all_papers_newest_first_with_undated_last_and_reachable(client: TestClient) -> None:
    first = client.get("/api/papers").json()
    assert first["total"] > 300 and first["per_page"] == 50 and len(first["papers"]) == 50
    dated = [p["published"] for p in first["papers"]]
    assert None not in dated and dated == sorted(dated, reverse=True)
    last = client.get(f"/api/papers?page={first['pages']}").json()
    assert last["papers"][-1]["published"] is None  # undated ones come last
    undated = client.get("/api/papers?undated=true").json()
    assert undated["total"] == first["undated_total"] > 0
    assert all(p["published"] is None for p in undated["papers"])
    html = client.get("/papers").text
    assert "<h1>All papers" in html and 'aria-current="page">All papers' in html
    assert f'{first["undated_total"]:,} without a date' in html
    assert client.get("/papers?undated=true&page=2").status_code == 200


def test_all_papers_filters_by_category_org_and_code(client: TestClient) -> None:
    lg = client.get("/api/papers?category=cs.LG").json()
    assert lg["total"] > 0 and all(any(c["code"] == "cs.LG" for c in p["categories"]) for p in lg["papers"])
    assert client.get("/api/papers?category=CS.lg").json()["category"] == "cs.LG"
    code = client.get("/api/papers?has_code=true").json()
    assert code["total"] > 0 and all(p["has_code"] for p in code["papers"])
    without = client.get("/api/papers?has_code=false").json()
    assert code["total"] + without["total"] == client.get("/api/papers").json()["total"]
    org = client.get("/api/papers", params={"org": "Example Lab"}).json()  # a name, read as the search reads it
    assert org["org"] == "example-lab" and {p["id"] for p in org["papers"]} >= {XSS_ID}
    page = client.get("/papers?category=&org=&has_code=&undated=")  # the form's empty fields are no filter
    assert page.status_code == 200 and page.text.count("<article") == 50
    assert client.get("/papers?category=bad!").status_code == 400
    assert client.get("/api/papers?category=bad!").status_code == 422
    assert client.get("/api/papers?has_code=maybe").status_code == 422


def test_cards_show_the_abstracts_first_lines_expandable_without_script(client: TestClient) -> None:
    html = client.get("/papers").text
    cards = re.findall(r'<article class="card" id="p-[^"]+">.*?</article>', html, re.S)
    assert len(cards) == 50
    long_one = next(c for c in cards if '<details class="abstract">' in c)
    lead = re.search(r'<summary><span class="lead">(.*?)…</span> <span class="more">more</span>'
                     r'<span class="less">less</span></summary><p>(.*?)</p></details>', long_one, re.S)
    assert lead and 150 < len(lead.group(1)) < 400  # the first lines, then the whole abstract when opened
    assert lead.group(2).startswith(lead.group(1)) and len(lead.group(2)) > len(lead.group(1)) + 40


def test_abstract_on_a_card_stays_escaped(client: TestClient) -> None:
    html = client.get("/day/2025-12-11").text
    card = html[html.index(f'id="p-{XSS_ID.replace(".", "-")}"'):]
    card = card[:card.index("</article>")]
    assert "<script>" not in card and "&lt;script&gt;" in card and '<span class="math">$L^2$</span>' in card


def test_author_and_org_pages_asked_for_by_name_redirect_to_the_slug(client: TestClient) -> None:
    r = client.get("/author/Qi%20Meng")
    assert r.status_code == 301 and r.headers["location"] == "/author/qi-meng"
    assert client.get("/org/Example%20Lab").headers["location"] == "/org/example-lab"
    assert client.get("/author/%20%21").status_code == 400
    assert client.get("/api/author/Qi%20Meng").status_code == 422  # the twin's pattern stays in the spec


def test_paper_page_by_arxiv_id_of_a_paper_first_known_without_one(tmp_path: Path, backend: Any) -> None:
    settings = backend.settings(tmp_path)
    title = "Operator learning for elliptic problems, a listing entry"
    store = open_store(settings)
    try:
        store.apply([PaperRecord(source="listing", source_key="entry-1", title=title, authors=["Ann Lister"],
                                 published=None)])
        listed = store.get_paper(title and next(iter(store.iter_papers())).id)
        assert listed is not None and listed.arxiv_id is None
        store.apply([PaperRecord(source="arxiv-api", source_key="2302.05104", arxiv_id="2302.05104", title=title,
                                 authors=["Ann Lister"], published=date(2023, 2, 10))])
    finally:
        store.close()
    with TestClient(create_app(settings), follow_redirects=False) as c:
        r = c.get("/paper/2302.05104")
        assert r.status_code in (200, 301)
        final = c.get("/paper/2302.05104", follow_redirects=True)
        assert final.status_code == 200 and title in final.text
        assert c.get("/api/paper/arXiv:2302.05104v2").json()["arxiv_id"] == "2302.05104"
