"""ArxivApiSource against a loopback server that answers like export.arxiv.org/api/query (Atom)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest

from openpapers.core.errors import FetchError, SourceError
from openpapers.core.records import Version
from openpapers.sources.arxiv_api import ArxivApiSource
from openpapers.sources.http import PoliteClient
from openpapers.sources.registry import get_source

FIXTURES = Path(__file__).parent / "fixtures" / "arxiv"
OBSERVED = date(2024, 3, 5)


def atom_entry(arxiv_id: str, version: int = 1, title: str | None = None) -> str:
    """One entry in the shape the arXiv API sends."""
    return f"""
  <entry>
    <id>http://arxiv.org/abs/{arxiv_id}v{version}</id>
    <updated>2024-01-0{min(version, 9)}T10:00:00Z</updated>
    <published>2024-01-01T10:00:00Z</published>
    <title>{escape(title or "Paper " + arxiv_id)}</title>
    <summary>Abstract of {arxiv_id}.</summary>
    <author><name>Author of {arxiv_id}</name></author>
    <link href="http://arxiv.org/abs/{arxiv_id}v{version}" rel="alternate" type="text/html"/>
    <link title="pdf" href="http://arxiv.org/pdf/{arxiv_id}v{version}" rel="related" type="application/pdf"/>
    <arxiv:primary_category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
  </entry>"""


def atom_feed(entries: list[str], total: int, start: int) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"
      xmlns:arxiv="http://arxiv.org/schemas/atom">
  <link href="http://arxiv.org/api/query" rel="self" type="application/atom+xml"/>
  <title type="html">ArXiv Query</title>
  <id>http://arxiv.org/api/test</id>
  <updated>2024-03-05T00:00:00-05:00</updated>
  <opensearch:totalResults>{total}</opensearch:totalResults>
  <opensearch:startIndex>{start}</opensearch:startIndex>
  <opensearch:itemsPerPage>{len(entries)}</opensearch:itemsPerPage>{"".join(entries)}
</feed>
"""


def ids(n: int) -> list[str]:
    return [f"2401.{i:05d}" for i in range(1, n + 1)]


def paging_handler(server: Any, all_ids: list[str]) -> Any:
    """Serve ``all_ids`` the way the API does: a slice per start/max_results, with the total."""

    def handler(hit: Any) -> Any:
        start, count = int(hit.param("start")), int(hit.param("max_results"))
        wanted = all_ids
        if hit.param("id_list"):
            wanted = [i for i in hit.param("id_list").split(",") if i in all_ids]
        chunk = wanted[start:start + count]
        return server.Reply(200, atom_feed([atom_entry(i) for i in chunk], len(wanted), start))

    return handler


def source(server: Any, client: PoliteClient, **kw: Any) -> ArxivApiSource:
    kw.setdefault("search_query", "cat:cs.LG")
    return ArxivApiSource(base_url=server.url + "/api/query", client=client, observed=OBSERVED, **kw)


def test_registered_under_its_name() -> None:
    assert get_source("arxiv-api") is ArxivApiSource


def test_parses_every_field_of_a_real_shaped_feed(server: Any, client: PoliteClient) -> None:
    server.replies(server.Reply(200, (FIXTURES / "api_query.xml").read_bytes()))
    pages = list(source(server, client, search_query="all:sparse").pages())
    assert len(pages) == 1 and not pages[0].errors
    assert pages[0].state == {"done": True}
    first, second = pages[0].records
    assert first.source == "arxiv-api" and first.source_key == "2301.07041" and first.arxiv_id == "2301.07041"
    assert first.observed == OBSERVED
    assert first.title == "Sparse Mixtures of Tiny Experts: Routing Without Regret"
    assert first.abstract == ("We study routing in sparse mixtures of very small experts. "
                              "We show that a simple load-balancing rule suffices.")
    assert first.authors == ["Ada Q. Example", "Björn Testström"]
    assert first.authors_complete and first.author_count == 2
    assert first.extra["affiliations"] == [["University of Nowhere", "Example Labs"], []]
    assert first.categories == ["cs.LG", "stat.ML", "cs.AI"]  # primary first, no duplicate
    assert first.published == date(2023, 1, 17) and first.updated == date(2023, 6, 12)
    assert first.versions == [Version(1, datetime(2023, 1, 17, 9, 15, tzinfo=UTC)), Version(2, None),
                              Version(3, datetime(2023, 6, 12, 17, 30, 5, tzinfo=UTC))]
    assert first.doi == "10.1234/example.5678"
    assert first.journal_ref == "J. Imag. Res. 7 (2023) 1-12"
    assert first.comments == "12 pages, 4 figures; v3: camera-ready"
    assert first.withdrawn is False
    assert first.extra["pdf_url"] == "http://arxiv.org/pdf/2301.07041v3"
    assert first.extra["abs_url"] == "http://arxiv.org/abs/2301.07041v3"
    assert first.location is not None and first.location.startswith(server.url + "/api/query?")
    assert first.location.endswith(":10")  # the line of the <entry>
    assert second.arxiv_id == "hep-th/9901001" and second.withdrawn is True
    assert [v.version for v in second.versions] == [1, 2]
    # The record survives the JSON round trip the store uses.
    assert type(first).from_json(first.to_json()) == first


def test_pages_through_total_results(server: Any, client: PoliteClient) -> None:
    server.handler = paging_handler(server, ids(7))
    pages = list(source(server, client, page_size=3).pages())
    assert [len(p.records) for p in pages] == [3, 3, 1]
    assert [p.state for p in pages] == [{"start": 3}, {"start": 6}, {"done": True}]
    assert [r.arxiv_id for p in pages for r in p.records] == ids(7)
    assert [(h.param("start"), h.param("max_results")) for h in server.hits] == [("0", "3"), ("3", "3"),
                                                                                   ("6", "3")]
    first = server.hits[0]
    assert first.path == "/api/query" and first.param("search_query") == "cat:cs.LG"
    assert first.param("sortBy") == "submittedDate" and first.param("sortOrder") == "descending"


def test_max_results_caps_the_harvest(server: Any, client: PoliteClient) -> None:
    server.handler = paging_handler(server, ids(10))
    pages = list(source(server, client, page_size=3, max_results=5).pages())
    assert [r.arxiv_id for p in pages for r in p.records] == ids(5)
    assert [h.param("max_results") for h in server.hits] == ["3", "2"]
    assert pages[-1].state == {"done": True}


def test_id_list_query(server: Any, client: PoliteClient) -> None:
    server.handler = paging_handler(server, ids(5))
    src = ArxivApiSource(id_list="2401.00002, 2401.00004", base_url=server.url + "/api/query",
                         client=client, observed=OBSERVED)
    records = [r for p in src.pages() for r in p.records]
    assert [r.arxiv_id for r in records] == ["2401.00002", "2401.00004"]
    assert server.hits[0].param("id_list") == "2401.00002,2401.00004"
    assert "search_query" not in server.hits[0].query
    assert "id_list=2401.00002,2401.00004" in src.checkpoint_key


def test_resumes_from_saved_state_without_duplicates(server: Any, client: PoliteClient) -> None:
    server.handler = paging_handler(server, ids(8))
    first_run = source(server, client, page_size=3).pages()
    page = next(first_run)  # "killed" after the first page was stored
    first_run.close()
    saved = page.state
    assert saved == {"start": 3} and len(server.hits) == 1
    rest = list(source(server, client, page_size=3).pages(saved))
    got = [r.arxiv_id for r in page.records] + [r.arxiv_id for p in rest for r in p.records]
    assert got == ids(8) and len(set(got)) == 8
    assert [h.param("start") for h in server.hits] == ["0", "3", "6"]


def test_done_state_starts_a_fresh_run(server: Any, client: PoliteClient) -> None:
    server.handler = paging_handler(server, ids(2))
    pages = list(source(server, client).pages({"done": True}))
    assert [r.arxiv_id for p in pages for r in p.records] == ids(2)
    assert server.hits[0].param("start") == "0"


def test_empty_page_ends_the_harvest(server: Any, client: PoliteClient) -> None:
    # totalResults claims more than the API actually returns (it happens); an empty page must end the run.
    server.replies(server.Reply(200, atom_feed([atom_entry("2401.00001")], 50, 0)),
                   server.Reply(200, atom_feed([], 50, 1)))
    pages = list(source(server, client, page_size=1).pages())
    assert [len(p.records) for p in pages] == [1, 0]
    assert pages[-1].state == {"done": True} and len(server.hits) == 2


def test_spacing_between_page_requests(server: Any) -> None:
    server.handler = paging_handler(server, ids(4))
    with PoliteClient(min_interval=0.2, timeout=5.0) as slow:
        list(source(server, slow, page_size=1).pages())
    assert len(server.hits) == 4
    assert all(gap >= 0.2 - 0.05 for gap in server.gaps()), server.gaps()


def test_error_entry_becomes_fetch_error(server: Any, client: PoliteClient) -> None:
    server.replies(server.Reply(200, (FIXTURES / "api_error.xml").read_bytes()))
    with pytest.raises(FetchError, match=r"rejected the request .*incorrect id format for 1234\.1234567"):
        list(source(server, client, search_query=None, id_list=["1234.1234567"]).pages())


def test_error_feed_with_http_400_becomes_fetch_error(server: Any, client: PoliteClient) -> None:
    server.replies(server.Reply(400, (FIXTURES / "api_error.xml").read_bytes()))
    with pytest.raises(FetchError, match="incorrect id format"):
        list(source(server, client).pages())
    assert len(server.hits) == 1  # a 400 is an answer, not a hiccup: no retries


def test_broken_xml_is_source_error_with_url_and_line(server: Any, client: PoliteClient) -> None:
    body = atom_feed([atom_entry("2401.00001")], 1, 0).replace("</title>", "</titel>", 2)
    server.replies(server.Reply(200, body))
    with pytest.raises(SourceError) as info:
        list(source(server, client).pages())
    err = info.value
    assert err.file is not None and err.file.startswith(server.url + "/api/query?")
    assert err.line == 5  # the first mismatched tag (the feed's own <title>)
    assert "not well-formed" in err.message


def test_not_a_feed_is_source_error(server: Any, client: PoliteClient) -> None:
    server.replies(server.Reply(200, "<html><body>maintenance</body></html>"))
    with pytest.raises(SourceError, match="expected an Atom <feed>, got <html>"):
        list(source(server, client).pages())


def test_bad_entry_is_reported_and_the_rest_kept(server: Any, client: PoliteClient) -> None:
    bad = atom_entry("2401.00002").replace("http://arxiv.org/abs/2401.00002v1</id>", "urn:nothing</id>")
    body = atom_feed([atom_entry("2401.00001"), bad, atom_entry("2401.00003")], 3, 0)
    server.replies(server.Reply(200, body))
    (page,) = list(source(server, client).pages())
    assert [r.arxiv_id for r in page.records] == ["2401.00001", "2401.00003"]
    (err,) = page.errors
    assert err.field == "id" and "urn:nothing" in err.message
    assert err.line == body.splitlines().index("  <entry>", body.splitlines().index("  <entry>") + 1) + 1


def test_checkpoint_key_names_the_query() -> None:
    a = ArxivApiSource(search_query="cat:cs.LG")
    b = ArxivApiSource(search_query="cat:cs.CL")
    assert a.checkpoint_key != b.checkpoint_key
    assert "https://export.arxiv.org/api/query" in a.checkpoint_key
    with pytest.raises(ValueError):
        ArxivApiSource()
