"""ArxivOaiSource against a loopback server that answers like arXiv's OAI-PMH endpoint (ListRecords)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from openpapers.core.errors import FetchError, SourceError
from openpapers.sources.arxiv_common import decode_tex_accents
from openpapers.sources.arxiv_oai import ArxivOaiSource, split_author_string
from openpapers.sources.http import PoliteClient
from openpapers.sources.registry import get_source

FIXTURES = Path(__file__).parent / "fixtures" / "arxiv"
OBSERVED = date(2024, 3, 5)
HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">\n'
        "<responseDate>2024-03-05T12:00:00Z</responseDate>\n"
        '<request verb="ListRecords">https://oaipmh.arxiv.org/oai</request>\n')


def oai_record(arxiv_id: str, datestamp: str, prefix: str = "arXiv") -> str:
    """One record in the given metadata format, shaped like arXiv's."""
    if prefix == "arXiv":
        meta = (f'<arXiv xmlns="http://arxiv.org/OAI/arXiv/"><id>{arxiv_id}</id><created>2024-01-01</created>'
                f"<authors><author><keyname>Author</keyname><forenames>A.</forenames></author></authors>"
                f"<title>Paper {arxiv_id}</title><categories>cs.LG</categories>"
                f"<abstract>About {arxiv_id}.</abstract></arXiv>")
    else:
        meta = (f'<arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/"><id>{arxiv_id}</id><submitter>A</submitter>'
                f'<version version="v1"><date>Mon, 1 Jan 2024 10:00:00 GMT</date><size>1kb</size></version>'
                f"<title>Paper {arxiv_id}</title><authors>A. Author and B. Author</authors>"
                f"<categories>cs.LG</categories><abstract>About {arxiv_id}.</abstract></arXivRaw>")
    return (f"<record><header><identifier>oai:arXiv.org:{arxiv_id}</identifier><datestamp>{datestamp}"
            f"</datestamp><setSpec>cs</setSpec></header><metadata>{meta}</metadata></record>\n")


def oai_page(records: list[str], token: str | None, size: int) -> str:
    token_el = (f'<resumptionToken cursor="0" completeListSize="{size}">{token}</resumptionToken>' if token
                else f'<resumptionToken completeListSize="{size}"/>')
    return f"{HEAD}<ListRecords>\n{''.join(records)}{token_el}\n</ListRecords>\n</OAI-PMH>\n"


def oai_error(code: str, text: str = "explanation") -> str:
    return f'{HEAD}<error code="{code}">{text}</error>\n</OAI-PMH>\n'


STAMPS = ["2024-03-01", "2024-03-04", "2024-03-02", "2024-03-06", "2024-03-03"]


def paging_handler(server: Any, n: int = 5, per_page: int = 2, prefix: str = "arXiv") -> Any:
    """Serve ``n`` records ``per_page`` at a time; tokens are "t<offset>"; others get badResumptionToken."""
    records = [oai_record(f"2403.{i:05d}", STAMPS[i % len(STAMPS)], prefix) for i in range(n)]

    def handler(hit: Any) -> Any:
        token = hit.param("resumptionToken")
        if token is None:
            offset = 0
        elif token.startswith("t") and token[1:].isdigit():
            offset = int(token[1:])
        else:
            return server.Reply(200, oai_error("badResumptionToken"))
        nxt = offset + per_page
        return server.Reply(200, oai_page(records[offset:nxt], f"t{nxt}" if nxt < n else None, n))

    return handler


def source(server: Any, client: PoliteClient, **kw: Any) -> ArxivOaiSource:
    return ArxivOaiSource(base_url=server.url + "/oai", client=client, observed=OBSERVED, **kw)


def keys(pages: list[Any]) -> list[str]:
    return [r.source_key for p in pages for r in p.records]


def test_registered_under_its_name() -> None:
    assert get_source("arxiv-oai") is ArxivOaiSource


def test_resumption_token_paging(server: Any, client: PoliteClient) -> None:
    server.handler = paging_handler(server)
    src = source(server, client, set_spec="cs", from_date=date(2024, 3, 1), until="2024-03-31")
    pages = list(src.pages())
    assert keys(pages) == [f"2403.{i:05d}" for i in range(5)]
    assert [p.state.get("token") for p in pages] == ["t2", "t4", None]
    assert pages[0].state == {"token": "t2", "from": "2024-03-01", "max_datestamp": "2024-03-04"}
    assert pages[-1].state == {"done": True, "next_from": "2024-03-06"}
    first, *later = server.hits
    assert first.path == "/oai"
    expected = {"verb": "ListRecords", "metadataPrefix": "arXiv", "set": "cs", "from": "2024-03-01",
                "until": "2024-03-31"}
    assert {k: v[0] for k, v in first.query.items()} == expected
    for hit in later:  # token requests carry only the verb and the token
        assert set(hit.query) == {"verb", "resumptionToken"}


def test_resume_mid_harvest_from_saved_state(server: Any, client: PoliteClient) -> None:
    server.handler = paging_handler(server)
    run = source(server, client).pages()
    page = next(run)
    run.close()
    rest = list(source(server, client).pages(page.state))
    got = keys([page, *rest])
    assert got == [f"2403.{i:05d}" for i in range(5)] and len(set(got)) == 5
    assert server.hits[1].param("resumptionToken") == "t2"
    # The max datestamp travels through the saved state, so the resumed run still ends at the true maximum.
    assert rest[-1].state == {"done": True, "next_from": "2024-03-06"}


def test_incremental_harvest_from_next_from(server: Any, client: PoliteClient) -> None:
    server.handler = paging_handler(server)
    final = list(source(server, client).pages())[-1].state
    assert final == {"done": True, "next_from": "2024-03-06"}
    assert "from" not in server.hits[0].query  # the very first harvest is a full one
    server.hits.clear()
    list(source(server, client).pages(final))
    assert server.hits[0].param("from") == "2024-03-06"
    server.hits.clear()
    list(source(server, client, from_date="2020-01-01").pages(final))  # an explicit from_date wins
    assert server.hits[0].param("from") == "2020-01-01"


def test_no_records_match_is_an_empty_harvest(server: Any, client: PoliteClient) -> None:
    server.replies(server.Reply(200, (FIXTURES / "oai_no_records.xml").read_bytes()))
    pages = list(source(server, client).pages({"done": True, "next_from": "2099-01-01"}))
    assert len(pages) == 1 and pages[0].records == [] and pages[0].errors == []
    assert pages[0].state == {"done": True, "next_from": "2099-01-01"}  # nothing seen: keep the old from


def test_bad_resumption_token_is_fetch_error(server: Any, client: PoliteClient) -> None:
    server.replies(server.Reply(200, (FIXTURES / "oai_bad_token.xml").read_bytes()))
    with pytest.raises(FetchError, match=r"badResumptionToken: The value .* expired") as info:
        list(source(server, client).pages({"token": "expired", "from": None}))
    assert server.url + "/oai?verb=ListRecords&resumptionToken=expired" in str(info.value)


def test_other_oai_errors_are_fetch_errors(server: Any, client: PoliteClient) -> None:
    server.replies(server.Reply(200, oai_error("cannotDisseminateFormat", "no such format")))
    with pytest.raises(FetchError, match="cannotDisseminateFormat: no such format"):
        list(source(server, client).pages())


def test_arxiv_format_fields_and_deleted_record(server: Any, client: PoliteClient) -> None:
    server.replies(server.Reply(200, (FIXTURES / "oai_arxiv.xml").read_bytes()))
    (page,) = list(source(server, client, set_spec="cs").pages())
    assert not page.errors
    rec, deleted, old = page.records
    assert rec.source == "arxiv-oai" and rec.source_key == rec.arxiv_id == "2403.00001"
    assert rec.observed == OBSERVED
    assert rec.title == "Tokenizers Considered Mostly Harmless: A Field Guide"
    assert rec.abstract == "We survey tokenizers. Most are mostly harmless."
    assert rec.authors == ["Ada Q. Example", "Björn Testström", "John Doe Jr",
                           "The Placeholder Collaboration"]
    assert rec.authors_complete and rec.author_count == 4
    assert rec.extra["affiliations"] == [["University of Nowhere"], [], [], []]
    assert rec.categories == ["cs.CL", "cs.LG", "stat.ML"]
    assert rec.published == date(2024, 2, 28) and rec.updated == date(2024, 3, 3)
    assert rec.versions == []  # this format does not say how many versions there are
    assert rec.comments == "20 pages, 7 figures" and rec.withdrawn is False
    assert rec.journal_ref == "Proc. Imag. Conf. 2024" and rec.doi == "10.1234/example.0001"
    assert rec.license == "http://creativecommons.org/licenses/by/4.0/"
    assert rec.extra["report_no"] == "NOWHERE-2024-01" and rec.extra["acm_class"] == "I.2.7"
    assert rec.extra["sets"] == ["cs", "stat"] and rec.extra["datestamp"] == "2024-03-04"
    assert rec.location == f"{server.url}/oai?verb=ListRecords&metadataPrefix=arXiv&set=cs:6"

    assert deleted.arxiv_id == "2403.00099" and deleted.withdrawn is True
    assert deleted.title is None and deleted.extra["oai_deleted"] is True

    assert old.arxiv_id == "math/0309136" and old.updated is None and old.withdrawn is True
    assert old.categories == ["math.GT", "math.AG"]
    assert page.state == {"done": True, "next_from": "2024-03-05"}  # deleted records' datestamps count too


def test_arxivraw_format_fields(server: Any, client: PoliteClient) -> None:
    server.replies(server.Reply(200, (FIXTURES / "oai_arxivraw.xml").read_bytes()))
    (page,) = list(source(server, client, metadata_prefix="arXivRaw").pages())
    assert server.hits[0].param("metadataPrefix") == "arXivRaw"
    assert not page.errors
    rec, single = page.records
    assert rec.arxiv_id == "0704.9999"
    assert rec.authors == ["C. Balázs", "A. Example", "J. Müller", "K. Østergaard"]
    assert rec.authors_complete and rec.author_count == 4
    assert rec.extra["authors_raw"].startswith("C. Bal\\'azs, A. Example (Nowhere U., Example Labs)")
    assert [(v.version, v.created) for v in rec.versions] == [
        (1, datetime(2007, 4, 2, 19, 18, 42, tzinfo=UTC)),
        (2, datetime(2007, 7, 24, 20, 10, 27, tzinfo=UTC)),
        (3, datetime(2008, 11, 13, 9, 0, 0, tzinfo=UTC)),
    ]
    assert rec.published == date(2007, 4, 2) and rec.updated == date(2008, 11, 13)
    assert rec.extra["version_sizes"] == {"v1": "37kb", "v2": "38kb", "v3": "40kb"}
    assert rec.extra["submitter"] == "Ada Example" and rec.extra["proxy"] == "ccsd hal-00000001"
    assert rec.categories == ["hep-ph", "hep-ex"] and rec.doi == "10.1234/example.9999"
    assert rec.abstract == "A fully imaginary calculation of cross sections."
    assert single.updated is None and single.published == date(2024, 2, 2)
    assert single.authors == ["Sam Sample", "Ada Example"]
    assert single.authors_complete is False and single.author_count is None  # "et al." : list is partial
    assert page.state == {"done": True, "next_from": "2024-02-03"}  # an empty token ends the list


def test_raw_prefix_paging(server: Any, client: PoliteClient) -> None:
    server.handler = paging_handler(server, n=3, prefix="arXivRaw")
    pages = list(source(server, client, metadata_prefix="arXivRaw").pages())
    assert keys(pages) == ["2403.00000", "2403.00001", "2403.00002"]
    assert all(r.authors == ["A. Author", "B. Author"] for p in pages for r in p.records)


def test_503_retry_after_during_harvest(server: Any, client: PoliteClient) -> None:
    ok = server.Reply(200, oai_page([oai_record("2403.00001", "2024-03-01")], None, 1))
    server.replies(server.Reply(503, "flow control", headers={"Retry-After": "1"}), ok)
    pages = list(source(server, client).pages())
    assert keys(pages) == ["2403.00001"]
    assert len(server.hits) == 2 and server.gaps()[0] >= 1.0 - 0.05


def test_broken_xml_is_source_error(server: Any, client: PoliteClient) -> None:
    server.replies(server.Reply(200, oai_page([oai_record("2403.00001", "2024-03-01")], None, 1)[:-40]))
    with pytest.raises(SourceError) as info:
        list(source(server, client).pages())
    assert info.value.file is not None and info.value.file.startswith(server.url + "/oai?verb=ListRecords")
    assert info.value.line is not None and info.value.line >= 5


def test_record_without_metadata_is_a_page_error(server: Any, client: PoliteClient) -> None:
    broken = ("<record><header><identifier>oai:arXiv.org:2403.00002</identifier>"
              "<datestamp>2024-03-01</datestamp></header></record>\n")
    body = oai_page([oai_record("2403.00001", "2024-03-01"), broken], None, 2)
    server.replies(server.Reply(200, body))
    (page,) = list(source(server, client).pages())
    assert keys([page]) == ["2403.00001"]
    (err,) = page.errors
    assert err.field == "metadata" and err.line == 7


def test_checkpoint_key_names_endpoint_set_and_prefix() -> None:
    a = ArxivOaiSource(set_spec="cs")
    assert a.checkpoint_key == "arxiv-oai:https://oaipmh.arxiv.org/oai:set=cs:prefix=arXiv"
    assert ArxivOaiSource(set_spec="cs", from_date="2024-01-01").checkpoint_key == a.checkpoint_key
    assert ArxivOaiSource(set_spec="math").checkpoint_key != a.checkpoint_key
    assert ArxivOaiSource(set_spec="cs", metadata_prefix="arXivRaw").checkpoint_key != a.checkpoint_key
    assert ArxivOaiSource(set_spec="cs", metadata_prefix="oai_dc").checkpoint_key != a.checkpoint_key
    with pytest.raises(ValueError):  # oai_dc is read now (test_oai_getrecord.py); other formats are refused
        ArxivOaiSource(metadata_prefix="marc21")


def test_split_author_string() -> None:
    assert split_author_string("A. One, B. Two and C. Three") == (["A. One", "B. Two", "C. Three"], False)
    assert split_author_string("A. One, B. Two, and C. Three") == (["A. One", "B. Two", "C. Three"], False)
    assert split_author_string("A. One (X, Y and Z), B. Two") == (["A. One", "B. Two"], False)
    assert split_author_string("A. One, et al") == (["A. One"], True)
    assert split_author_string("Ann Anderson") == (["Ann Anderson"], False)


def test_decode_tex_accents() -> None:
    assert decode_tex_accents("Bal\\'azs") == "Balázs"
    assert decode_tex_accents("M\\\"{u}ller") == "Müller"
    assert decode_tex_accents("{\\'E}mile") == "Émile"
    assert decode_tex_accents("\\c{C}elik") == "Çelik"
    assert decode_tex_accents("\\v Sime\\v{c}ka") == "Šimečka"
    assert decode_tex_accents("{\\o}ystein Stra{\\ss}e") == "øystein Straße"
    assert decode_tex_accents("S\\'{\\i}lvia") == "Sílvia"
    assert decode_tex_accents("no accents") == "no accents"
