"""Submit a paper: a signed-in reader pastes an arXiv id or URL, openpapers asks the arXiv API (a loopback server
answering with the recorded API response) and puts the paper on today's feed as "submitted by" them. Both
backends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lxml import etree

from helpers.accountkit import build_store, client_for, page_token, sign_up, use_cheap_hashing
from helpers.loopback import Hit, LoopbackServer, Reply
from openpapers.core.settings import Settings

pytestmark = pytest.mark.usefixtures("backend_db")
cheap = pytest.fixture(autouse=True, scope="module")(use_cheap_hashing)
RECORDED = Path(__file__).resolve().parents[1] / "sources" / "fixtures" / "arxiv" / "api_query.xml"
ATOM = "{http://www.w3.org/2005/Atom}"


def arxiv_api(hit: Hit) -> Reply:
    """The recorded API answer cut down to the entries of ``id_list``, with the right total (as arXiv does)."""
    root = etree.fromstring(RECORDED.read_bytes())
    wanted = set((hit.param("id_list") or "").split(","))
    kept = 0
    for entry in root.findall(f"{ATOM}entry"):
        entry_id = entry.findtext(f"{ATOM}id") or ""
        if any(entry_id.endswith(f"/abs/{w}") or f"/abs/{w}v" in entry_id for w in wanted if w):
            kept += 1
        else:
            root.remove(entry)
    root.find("{http://a9.com/-/spec/opensearch/1.1/}totalResults").text = str(kept)  # type: ignore[union-attr]
    return Reply(200, etree.tostring(root, xml_declaration=True, encoding="utf-8"))


@pytest.fixture(scope="module")
def arxiv() -> Iterator[LoopbackServer]:
    srv = LoopbackServer()
    srv.handler = arxiv_api
    try:
        yield srv
    finally:
        srv.close()


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, backend: Any, arxiv: LoopbackServer) -> Settings:
    base = build_store(tmp_path_factory.mktemp("submit"), backend)
    web = base.web.model_copy(update={"arxiv_api_url": arxiv.url + "/api/query"})
    return base.model_copy(update={"web": web})


@pytest.fixture()
def reader(settings: Settings, request: pytest.FixtureRequest) -> Iterator[tuple[TestClient, str]]:
    with client_for(settings) as c:
        sign_up(c, f"{request.node.name[:40]}@example.org".replace("[", "-").replace("]", ""), name="Sub Mitter")
        yield c, page_token(c)


def test_submit_by_url_fetches_the_paper_and_puts_it_on_todays_feed(
        reader: tuple[TestClient, str], arxiv: LoopbackServer, settings: Settings) -> None:
    c, token = reader
    assert c.get("/api/paper/2301.07041").status_code == 404  # not in the store yet
    r = c.post("/submit", data={"csrf_token": token, "arxiv": "https://arxiv.org/abs/2301.07041v3"})
    today = date.today().isoformat()
    assert r.status_code == 303 and r.headers["location"] == f"/day/{today}#p-2301-07041"
    assert [h.param("id_list") for h in arxiv.hits] == ["2301.07041"]  # asked once, by the version-less id
    paper = c.get("/api/paper/2301.07041").json()
    assert paper["title"].startswith("Sparse Mixtures of Tiny Experts") and "arxiv-api" in paper["sources"]
    day = c.get(f"/api/day/{today}").json()
    card = next(p for p in day["papers"] if p["id"] == "2301.07041")
    assert card["submitted_by"] == "Sub Mitter" and card["curated"] is False
    assert day["total"] >= 1
    html = c.get(f"/day/{today}").text
    assert 'id="p-2301-07041"' in html and "Submitted by Sub Mitter" in html
    home = c.get("/api/").json()
    assert home["start"] == today  # home: the latest day is today's
    assert "arxiv-api" in home["overview"]["sources"] and home["overview"]["latest_import"] is not None
    assert "the arXiv API" in c.get("/").text[:20000] and "latest harvest" in c.get("/").text
    mine = c.get("/api/submit").json()["submissions"]
    assert [s["paper"]["id"] for s in mine] == ["2301.07041"]
    with client_for(settings) as anon:  # anyone sees it
        assert "Submitted by Sub Mitter" in anon.get(f"/day/{today}").text


def test_submitting_a_known_paper_asks_arxiv_nothing(reader: tuple[TestClient, str], arxiv: LoopbackServer) -> None:
    c, token = reader
    before = len(arxiv.hits)
    r = c.post("/api/me/submissions", json={"arxiv": "arXiv:2512.00002v1"}, headers={"X-CSRF-Token": token})
    assert r.status_code == 201 and r.json()["paper"]["id"] == "2512.00002" and r.json()["new"] is True
    again = c.post("/api/me/submissions", json={"arxiv": "2512.00002"}, headers={"X-CSRF-Token": token})
    assert again.status_code == 200 and again.json()["new"] is False
    assert len(arxiv.hits) == before


def test_bad_and_unknown_ids_are_explained(reader: tuple[TestClient, str]) -> None:
    c, token = reader
    r = c.post("/api/me/submissions", json={"arxiv": "not an id"}, headers={"X-CSRF-Token": token})
    assert r.status_code == 422 and "is not an arXiv id or URL" in r.json()["error"]
    r = c.post("/api/me/submissions", json={"arxiv": "2399.99999"}, headers={"X-CSRF-Token": token})
    assert r.status_code == 404 and "arXiv has no paper 2399.99999" in r.json()["error"]
    page = c.post("/submit", data={"csrf_token": token, "arxiv": "nonsense"})
    assert page.status_code == 422 and "is not an arXiv id" in page.text


def test_submit_needs_an_account(settings: Settings) -> None:
    with client_for(settings) as anon:
        assert anon.get("/submit").status_code == 303
        assert anon.post("/api/me/submissions", json={"arxiv": "2301.07041"}).status_code == 401
