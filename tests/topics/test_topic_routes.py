"""The topic pages and their JSON twins on the embedded demo corpus (SQLite and PostgreSQL): /topics (the SVG map,
filters, density + sampling), /topic/{id} (chart, facets, neighbours, paging), the Atom feed, the topic on cards and
paper pages, and a topic follow reaching For you and the digest."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lxml import etree

from helpers.topicdata import build_settings
from openpapers.accounts import service as accounts
from openpapers.digests.content import PeriodDigests, Recipient
from openpapers.digests.periods import DigestPeriod
from openpapers.signals import candidates
from openpapers.signals.recommend import ALL_TIME, recommend
from openpapers.topics import map_view
from openpapers.topics import repository as repo
from openpapers.web.app import create_app

pytestmark = pytest.mark.usefixtures("backend_db")
_users = iter(range(1000))


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, backend: Any) -> Iterator[TestClient]:
    settings = build_settings(backend, tmp_path_factory.mktemp("topic-routes"), tmp_path_factory.mktemp("embed"))
    candidates.clear_cache()
    with TestClient(create_app(settings), follow_redirects=False) as c:
        yield c
    if backend.is_postgres:
        backend.drop(settings.database_url)


def engine(client: TestClient) -> Any:
    return client.app.state.web.store.engine  # type: ignore[attr-defined]


def pde_topic(client: TestClient) -> dict[str, Any]:
    topics = client.get("/api/topics").json()["topics"]
    return next(t for t in topics if "PDE" in t["label"] or "differential" in t["label"])


def test_api_topics_lists_every_topic_with_the_map(client: TestClient) -> None:
    body = client.get("/api/topics").json()
    topics = body["topics"]
    assert len(topics) >= 6 and sum(t["size"] for t in topics) == body["papers"] == 391
    assert {"id", "label", "size", "share", "terms", "url", "feed_url"} <= set(topics[0])
    assert [t["size"] for t in topics] == sorted((t["size"] for t in topics), reverse=True)
    m = body["map"]
    assert m["total"] == m["shown"] == 391 and not m["sampled"] and m["cells"] == []
    assert {p["topic"] for p in m["points"]} == {t["id"] for t in topics}
    assert set(m["colours"]) == {str(t["id"]) for t in topics}


def test_the_map_is_plain_svg_that_works_without_javascript(client: TestClient) -> None:
    page = client.get("/topics")
    assert page.status_code == 200
    svg = re.search(r"<svg id=\"topic-map\".*?</svg>", page.text, re.S)
    assert svg is not None
    tree = etree.fromstring(svg.group(0).encode())  # well-formed SVG
    ns = {"s": "http://www.w3.org/2000/svg"}
    circles = tree.findall(".//s:a/s:circle", ns)
    assert len(circles) == 391
    links = [a.get("href") for a in tree.findall(".//s:a", ns)]
    assert all(href.startswith(("/paper/", "/topic/")) for href in links)
    hover = [c.find("s:title", ns).text for c in circles]  # the hover title is SVG's own <title>
    assert all(hover) and any("Neural PDE Solver" in h for h in hover)
    labels = [el.text for el in tree.findall(".//s:text", ns)]
    assert pde_topic(client)["label"] in labels
    assert "/static/topicmap.js" in page.text and 'href="/topics"' in page.text


def test_filters_narrow_the_map(client: TestClient) -> None:
    all_ = client.get("/api/topics").json()["map"]["total"]
    recent = client.get("/api/topics?from=2025-01-01").json()
    assert 0 < recent["map"]["total"] < all_ and recent["date_from"] == "2025-01-01"
    assert all(p["id"] for p in recent["map"]["points"])
    archive = client.get("/api/topics?category=cs").json()["map"]["total"]
    code = client.get("/api/topics?category=cs.LG").json()["map"]["total"]
    assert 0 < code < archive < all_  # most demo papers carry no category (listing pages)
    window = client.get("/api/topics?from=2024-01-01&to=2024-12-31").json()["map"]["total"]
    assert 0 < window < all_
    assert client.get("/api/topics?from=someday").status_code == 422  # the twin's spec has the pattern
    assert client.get("/topics?from=someday").status_code == 400  # the page says it in words
    assert client.get("/topics?category=<b>").status_code == 400
    page = client.get("/topics?from=2025-01-01&category=cs")
    assert page.status_code == 200 and 'value="2025-01-01"' in page.text


def test_a_large_map_draws_density_and_a_stable_sample(client: TestClient) -> None:
    rows = repo.topics(engine(client))
    big = map_view.build_map(engine(client), -1, rows, day_from=None, day_to=None, category=None, max_points=50)
    assert big.sampled and big.shown == 50 and big.total == 391
    assert sum(c.count for c in big.cells) == 391
    narrow = map_view.build_map(engine(client), -2, rows, day_from=date(2024, 1, 1), day_to=None, category=None,
                                max_points=10)
    big = map_view.build_map(engine(client), -3, rows, day_from=None, day_to=None, category=None, max_points=10)
    assert narrow.sampled and narrow.total < 391
    # the sample does not reshuffle: a paper drawn on the full map that matches the filter is drawn on it too
    ids, _topic, _xy = repo.map_points(engine(client), day_from=date(2024, 1, 1))
    expected = {p.id for p in big.points} & set(ids)
    assert expected and expected <= {p.id for p in narrow.points}


def test_topic_page_and_twin(client: TestClient) -> None:
    topic = pde_topic(client)
    body = client.get(f"/api/topic/{topic['id']}").json()
    assert body["label"] == topic["label"] and body["size"] == body["total"] == topic["size"]
    assert body["papers"] and all(p["topic"]["id"] == topic["id"] for p in body["papers"])
    assert sum(m["count"] for m in body["months"]) <= body["size"] and body["months"]
    assert body["top_authors"] and body["top_authors"][0]["url"].startswith("/author/")
    assert body["neighbours"] and topic["id"] not in {n["id"] for n in body["neighbours"]}
    sims = [n["similarity"] for n in body["neighbours"]]
    assert sims == sorted(sims, reverse=True)
    if body["pages"] > 1:
        second = client.get(f"/api/topic/{topic['id']}?page=2").json()
        assert second["page"] == 2 and {p["id"] for p in second["papers"]}.isdisjoint(p["id"] for p in body["papers"])
    newest = [p["published"] for p in body["papers"] if p["published"]]
    assert newest == sorted(newest, reverse=True)
    upvoted = client.get(f"/api/topic/{topic['id']}?sort=upvotes").json()
    assert upvoted["sort"] == "upvotes"
    page = client.get(f"/topic/{topic['id']}")
    assert page.status_code == 200 and "Papers per month" in page.text and "Neighbouring topics" in page.text
    assert f'href="/feeds/topic/{topic["id"]}.atom"' in page.text and "<svg" in page.text


def test_unknown_and_bad_topic_ids(client: TestClient) -> None:
    assert client.get("/api/topic/99999").status_code == 404
    assert client.get("/topic/99999").status_code == 404
    assert client.get("/api/topic/0").status_code == 422
    assert client.get("/api/topic/abc").status_code == 422
    assert client.get("/topic/abc").status_code == 400
    assert client.get("/feeds/topic/99999.atom").status_code == 404


def test_topic_feed(client: TestClient) -> None:
    topic = pde_topic(client)
    feed = client.get(f"/feeds/topic/{topic['id']}.atom")
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("application/atom+xml")
    root = etree.fromstring(feed.content)
    entries = root.findall("{http://www.w3.org/2005/Atom}entry")
    assert entries and topic["label"] in root.findtext("{http://www.w3.org/2005/Atom}title")


def test_cards_and_paper_pages_show_the_topic(client: TestClient) -> None:
    paper = client.get("/api/").json()["papers"][0]
    assert paper["topic"]["url"] == f"/topic/{paper['topic']['id']}"
    detail = client.get(f"/api/paper/{paper['id']}").json()
    assert detail["topic"] == paper["topic"]
    html = client.get(f"/paper/{paper['id']}").text
    assert "<dt>Topic</dt>" in html and f'href="/topic/{paper["topic"]["id"]}"' in html


def _login(client: TestClient) -> tuple[int, dict[str, str]]:
    user = accounts.sign_up(engine(client), f"topics{next(_users)}@example.org", "a long test password 1", "Reader")
    _, token = accounts.create_api_token(engine(client), user, "tests")
    return user.id, {"Authorization": f"Bearer {token}"}


def test_a_topic_follow_reaches_for_you_and_the_digest(client: TestClient) -> None:
    topic = pde_topic(client)
    uid, auth = _login(client)
    made = client.post("/api/me/follows", json={"kind": "topic", "target": str(topic["id"])}, headers=auth)
    assert made.status_code == 201
    assert made.json()["label"] == topic["label"] and made.json()["url"] == f"/topic/{topic['id']}"
    assert client.post("/api/me/follows", json={"kind": "topic", "target": "99999"}, headers=auth).status_code == 404
    assert client.post("/api/me/follows", json={"kind": "topic", "target": "x"}, headers=auth).status_code == 404
    reason = f"in your topic: {topic['label']}"
    feed = client.get("/api/for-you?window=all", headers=auth).json()["papers"]
    members = set(repo.papers_in(engine(client), topic["id"]))
    hits = [p for p in feed if reason in p["reasons"]]
    assert hits and all(p["paper"]["id"] in members for p in hits)
    store = client.app.state.web.store  # type: ignore[attr-defined]
    assert any(reason in r.reasons for r in recommend(store, uid, since=ALL_TIME, limit=50))
    period = DigestPeriod("weekly", date(2000, 1, 3), date(2030, 1, 6))
    follows = [{"kind": k, "target": t, "label": label} for k, t, label in
                [(f["kind"], f["target"], f["label"]) for f in client.get("/api/me/follows", headers=auth).json()
                 ["follows"]]]
    digest = PeriodDigests(store, period, recommender=None, trender=None).build(
        Recipient(uid, "t@example.org", "Reader", "weekly", ("follows",)), follows, set())
    items = [i for s in digest.sections if s.key == "follows" for i in s.items]
    assert items and all(reason in i.reasons for i in items) and {i.paper.id for i in items} <= members
    gone = client.delete(f"/api/me/follows?kind=topic&target={topic['id']}", headers=auth)
    assert gone.status_code == 200


def test_search_filters_by_topic(client: TestClient) -> None:
    topic = pde_topic(client)
    members = set(repo.papers_in(engine(client), topic["id"]))
    only = client.get(f"/api/search?q=topic:{topic['id']}&mode=keyword").json()
    assert only["total"] == len(members) and {h["paper"]["id"] for h in only["results"]} <= members
    words = client.get(f"/api/search?q=neural topic:{topic['id']}&mode=keyword").json()
    everywhere = client.get("/api/search?q=neural&mode=keyword").json()
    assert 0 < words["total"] < everywhere["total"]
    assert {h["paper"]["id"] for h in words["results"]} <= members
    hybrid = client.get(f"/api/search?q=solver+topic:{topic['id']}").json()
    assert {h["paper"]["id"] for h in hybrid["results"]} <= members
    bad = client.get("/api/search?q=topic:abc")
    assert bad.status_code == 422 and "topic id" in bad.json()["error"]
    assert client.get(f"/api/search?q=-topic:{topic['id']}").status_code == 422
    assert client.get("/api/search?q=topic:99999&mode=keyword").json()["total"] == 0
