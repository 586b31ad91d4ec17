"""OAI-PMH ``GetRecord`` (one id) and the ``oai_dc`` format, against a loopback server answering in OAI-PMH XML.

The responses are written in the protocol's real shape (fixtures/arxiv/oai_getrecord_*.xml: the envelope, the
header, arXiv's oai_dc with ``Keyname, Forenames`` creators, category names as subjects, ``Comment:``
descriptions, identifiers for the abs page, journal and DOI). The harvest command is run in-process on a real
store, on both backends, with a 503 + Retry-After first so that its wait notice is seen.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from openpapers.cli import app
from openpapers.core.errors import FetchError
from openpapers.core.settings import resolve_settings
from openpapers.core.taxonomy import category_from_name
from openpapers.papers.store import open_store
from openpapers.sources.arxiv_oai import ArxivOaiSource
from openpapers.sources.arxiv_oai_dc import creator_name
from openpapers.sources.http import PoliteClient

FIXTURES = Path(__file__).parent / "fixtures" / "arxiv"
OBSERVED = date(2024, 3, 5)
ID_MISSING = ('<?xml version="1.0" encoding="UTF-8"?>\n<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
              "<responseDate>2024-03-05T12:00:00Z</responseDate>"
              '<request verb="GetRecord">http://oaipmh.arxiv.org/oai</request>'
              '<error code="idDoesNotExist">No matching identifier in arXiv</error></OAI-PMH>')


def source(server: Any, client: PoliteClient, **kw: Any) -> ArxivOaiSource:
    return ArxivOaiSource(base_url=server.url + "/oai", client=client, observed=OBSERVED, **kw)


def test_get_record_asks_for_one_id_and_keeps_paragraphs(server: Any, client: PoliteClient) -> None:
    server.replies(server.Reply(200, (FIXTURES / "oai_getrecord_arxiv.xml").read_bytes()))
    src = source(server, client, identifier="arXiv:2301.12345v2")
    (page,) = list(src.pages())
    (hit,) = server.hits
    assert hit.query == {"verb": ["GetRecord"], "identifier": ["oai:arXiv.org:2301.12345"],
                         "metadataPrefix": ["arXiv"]}
    assert page.state == {"done": True} and not page.errors
    (rec,) = page.records
    assert rec.arxiv_id == "2301.12345" and rec.title == "One Record at a Time"
    assert rec.authors == ["Ada Q. Example", "John Doe"] and rec.authors_complete
    assert rec.abstract == "We fetch one record. It is enough.\n\nA second paragraph follows."
    assert rec.published == date(2023, 1, 29) and rec.updated == date(2023, 1, 31)
    assert src.checkpoint_key.endswith(":id=2301.12345:prefix=arXiv")


def test_get_record_of_an_unknown_id_is_a_fetch_error(server: Any, client: PoliteClient) -> None:
    server.replies(server.Reply(200, ID_MISSING))
    with pytest.raises(FetchError, match="idDoesNotExist: No matching identifier in arXiv"):
        list(source(server, client, identifier="2301.99999").pages())


def test_id_is_checked_and_takes_no_list_options() -> None:
    with pytest.raises(ValueError, match="not an arXiv id"):
        ArxivOaiSource(identifier="not-an-id")
    with pytest.raises(ValueError, match="takes no --set"):
        ArxivOaiSource(identifier="2301.12345", set_spec="cs")
    with pytest.raises(ValueError, match="arXiv, arXivRaw, oai_dc"):
        ArxivOaiSource(metadata_prefix="marc21")


def test_oai_dc_record_fields(server: Any, client: PoliteClient) -> None:
    server.replies(server.Reply(200, (FIXTURES / "oai_getrecord_dc.xml").read_bytes()))
    (page,) = list(source(server, client, identifier="0704.0001", metadata_prefix="oai_dc").pages())
    assert server.hits[0].param("metadataPrefix") == "oai_dc" and not page.errors
    (rec,) = page.records
    assert rec.arxiv_id == rec.source_key == "0704.0001"
    assert rec.title == "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    assert rec.authors == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan"]
    assert rec.authors_complete and rec.author_count == 4
    assert rec.abstract == ("A fully differential calculation in perturbative quantum chromodynamics is presented "
                            "for the production of massive photon pairs at hadron colliders.\n\nGood agreement is "
                            "demonstrated with data from the Fermilab Tevatron.")
    assert rec.comments == "37 pages, 15 figures; published version"
    assert rec.categories == ["hep-ph", "cs.LG"] and rec.extra["dc_subjects"] == ["81V05"]
    assert rec.published == date(2007, 4, 2) and rec.updated == date(2007, 7, 24)
    assert rec.doi == "10.1103/PhysRevD.76.013009" and rec.journal_ref == "Phys.Rev.D76:013009,2007"
    assert rec.license == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"
    assert rec.extra["sets"] == ["physics:hep-ph"] and rec.withdrawn is False


def test_oai_dc_list_records_use_the_same_reader(server: Any, client: PoliteClient) -> None:
    body = (FIXTURES / "oai_getrecord_dc.xml").read_text(encoding="utf-8")
    body = body.replace("<GetRecord>", "<ListRecords>").replace("</GetRecord>", '<resumptionToken completeListSize='
                                                                "\"1\"/></ListRecords>")
    server.replies(server.Reply(200, body))
    (page,) = list(source(server, client, metadata_prefix="oai_dc", set_spec="physics:hep-ph").pages())
    assert [r.arxiv_id for r in page.records] == ["0704.0001"] and page.state["done"]
    assert server.hits[0].param("verb") == "ListRecords"


def test_creator_names_and_subject_names() -> None:
    assert creator_name("Balázs, C.") == "C. Balázs"
    assert creator_name("Doe, John, Jr") == "John Doe Jr"
    assert creator_name("ATLAS Collaboration") == "ATLAS Collaboration"
    assert category_from_name("Statistics - Machine Learning") == "stat.ML"
    assert category_from_name("Quantum Physics") == "quant-ph"
    assert category_from_name("Physics - Fluid Dynamics") == "physics.flu-dyn"
    assert category_from_name("Basket Weaving") is None


@pytest.mark.usefixtures("backend_db")
def test_harvest_id_command_waits_visibly_then_stores_the_record(server: Any, tmp_path: Path) -> None:
    server.replies(server.Reply(503, "busy", headers={"Retry-After": "1"}),
                   server.Reply(200, (FIXTURES / "oai_getrecord_arxiv.xml").read_bytes()))
    result = CliRunner().invoke(app, ["--data-dir", str(tmp_path), "harvest", "arxiv", "--via", "oai", "--id",
                                      "2301.12345", "--base-url", server.url + "/oai", "--interval", "0",
                                      "--no-index"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert [h.param("verb") for h in server.hits] == ["GetRecord", "GetRecord"]
    assert server.gaps()[0] >= 0.95  # Retry-After obeyed ...
    waits = [line for line in result.stderr.splitlines() if line.startswith("waiting:")]
    assert len(waits) == 1, result.stderr  # ... and said, with the time it waits until
    assert f"HTTP 503 from {server.url}/oai" in waits[0] and "Retry-After asks 1 s" in waits[0]
    assert " UTC (retry 1 of 5)" in waits[0] and "until 20" in waits[0]
    with open_store(resolve_settings(tmp_path)) as store:
        paper = store.get_paper("2301.12345")
        assert paper is not None and paper.abstract is not None and "\n\nA second paragraph" in paper.abstract


def test_harvest_id_command_refuses_a_bad_id_in_one_line(server: Any, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["--data-dir", str(tmp_path), "harvest", "arxiv", "--via", "oai", "--id",
                                      "nonsense", "--base-url", server.url + "/oai", "--interval", "0"])
    assert result.exit_code != 0 and not server.hits
    assert "'nonsense' is not an arXiv id" in result.stderr
