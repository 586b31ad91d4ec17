"""The paper page: metadata, escaped text, maths as text, links, BibTeX, similar papers, id spellings."""

from __future__ import annotations

import bibtexparser
import pytest
from fastapi.testclient import TestClient

from helpers.webdata import OLD_STYLE_ID, XSS_ID

# Every test here runs on SQLite and on PostgreSQL (see tests/conftest.py).
pytestmark = pytest.mark.usefixtures("backend_db")


def test_paper_page_shows_everything_escaped(client: TestClient) -> None:
    r = client.get(f"/paper/{XSS_ID}")
    assert r.status_code == 200
    html = r.text
    assert "<script>window.__pwned" not in html and "<img src=x" not in html and "<b>bold" not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;Evil &lt;b&gt;bold&lt;/b&gt;" in html
    assert "Bob &lt;i&gt;Tag&lt;/i&gt;" in html
    # maths stays text, in a styled span; its own text escaped too
    assert '<span class="math">$L^2$</span>' in html
    assert '<span class="math">\\(x&lt;y\\)</span> &amp; more.' in html
    # links: arXiv abs and PDF pages, https code only; javascript: URLs never become links
    assert f'href="https://arxiv.org/abs/{XSS_ID}"' in html and f'href="https://arxiv.org/pdf/{XSS_ID}"' in html
    assert 'href="https://github.com/example/evil"' in html
    assert "javascript:" not in html
    assert 'href="/org/example-lab"' in html and 'href="/author/alice-example"' in html
    assert "Featured" in html and 'href="/day/2025-12-12"' in html
    assert "@misc{" in html and f"eprint = {{{XSS_ID}}}" in html
    assert '<h2 id="similar-h">Similar papers</h2>' in html


def test_paper_json_twin(client: TestClient) -> None:
    body = client.get(f"/api/paper/{XSS_ID}").json()
    assert body["id"] == XSS_ID and body["title"].startswith("<script>")  # JSON carries the raw text
    assert body["code_url"] == "https://github.com/example/evil"
    assert body["links"]["code"] == ["https://github.com/example/evil"]
    assert body["project_page"] is None and body["links"]["project_page"] is None
    assert body["links"]["arxiv_pdf"] == f"https://arxiv.org/pdf/{XSS_ID}"
    assert [a["id"] for a in body["authors"]] == ["alice-example", "bob-i-tag-i", "carol-third", "dan-fourth"]
    assert body["author_count"] == 4 and body["upvotes"] == 42 and body["featured_on"] == "2025-12-12"
    entries = bibtexparser.parse_string(body["bibtex"]).entries
    assert len(entries) == 1 and entries[0]["eprint"] == XSS_ID
    # no vector index in the test data: similar papers come from title words, and the note says so
    assert body["similar_note"] and "title words" in body["similar_note"]
    assert XSS_ID not in [s["id"] for s in body["similar"]]
    assert body["similar"], "title words 'operator learning' match demo papers"


def test_bibtex_download(client: TestClient) -> None:
    r = client.get(f"/bibtex/{XSS_ID}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-bibtex")
    assert bibtexparser.parse_string(r.text).entries[0].key.startswith("example2025")


def test_other_spellings_redirect_to_the_canonical_page(client: TestClient) -> None:
    r = client.get(f"/paper/arXiv:{XSS_ID}v3")
    assert r.status_code == 301 and r.headers["location"] == f"/paper/{XSS_ID}"
    assert client.get(f"/api/paper/arXiv:{XSS_ID}v3").json()["id"] == XSS_ID


def test_old_style_ids_with_a_slash(client: TestClient) -> None:
    assert client.get(f"/paper/{OLD_STYLE_ID}").status_code == 200
    assert client.get(f"/api/paper/{OLD_STYLE_ID}").json()["categories"][0]["code"] == "hep-th"
    assert client.get(f"/bibtex/{OLD_STYLE_ID}").status_code == 200


def test_demo_paper_without_authors_or_dates(client: TestClient) -> None:
    body = client.get("/api/paper/t00ad5b205d3c").json()
    assert body["authors"] == [] and body["published"] is None and body["author_count"] is None
    html = client.get("/paper/t00ad5b205d3c").text
    assert "Authors not known" in html and "A Deep Conjugate Direction Method" in html


def test_unknown_paper_is_404_in_both_forms(client: TestClient) -> None:
    page = client.get("/paper/9999.99999")
    assert page.status_code == 404 and "Not found" in page.text and "<form" in page.text
    api = client.get("/api/paper/9999.99999")
    assert api.status_code == 404 and api.json() == {"error": "Paper '9999.99999' was not found", "status": 404}
    assert client.get("/paper/").status_code == 404
