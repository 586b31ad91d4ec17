"""Real-shaped snapshot lines (fixtures/arxiv/snapshot_real.jsonl): names as written, "et al", paragraphs.

The fixture is written from the snapshot's format: the ``authors`` string as submitters type it (TeX accents,
``C.-P.``, ``J.A.``, affiliations in parentheses, ", Jr.", ", and", a wrapped line, "et al") beside arXiv's
``authors_parsed``, which re-spaces initials; abstracts wrapped at 80 columns with indented paragraph starts.
``EXPECTED`` is each line's author list as a reader of the ``authors`` string would write it out. Joining
``authors_parsed`` (the old reading) agreed on 3 of 12 lines; the store must now agree on all of them, keep the
incomplete lists marked through store, export and page, and keep the paragraphs.
"""

from __future__ import annotations

import io
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient

from openpapers.core.settings import resolve_settings
from openpapers.papers.export import write_jsonl
from openpapers.papers.ingest import run_import
from openpapers.papers.store import open_store
from openpapers.sources.arxiv_authors import align_names, snapshot_authors, split_written
from openpapers.sources.arxiv_snapshot import ArxivSnapshotSource
from openpapers.web.app import create_app

pytestmark = pytest.mark.usefixtures("backend_db")

FIXTURE = Path(__file__).parent / "fixtures" / "arxiv" / "snapshot_real.jsonl"
EXPECTED = {
    "0704.0001": ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"],
    "0704.0020": ["B. Aubert"],
    "0704.0033": ["Maxim A. Yurkin", "Valeri P. Maltsev", "Alfons G. Hoekstra"],
    "0704.0044": ["Simon J.A. Malham", "Anke Wiese"],
    "0704.0046": ["J. Dimock", "S.G. Rajeev"],
    "0704.0062": ["Tomasz Lucas Kowalski", "Jeffrey P. Shaw, Jr.", "M. -A. Ho"],
    "0704.0075": ["Sergei K. Lando", "Alexander K. Zvonkin"],
    "0704.0092": ["José A. R. Cembranos", "Antonio Dobado", "Antonio L. Maroto"],
    "0704.0102": ["M. Günther", "H.-J. Schmidt", "A. Stöcker"],
    "0704.0135": ["ATLAS Collaboration", "G. Aad", "B. Abbott"],
    "0704.0200": ["Li-Ming Wang", "K.D.M. Harris", "Xiao-Yu Chen"],
    "0704.0300": ["Wei Zhang", "A.B. Smith"],
}
CUT_SHORT = {"0704.0020", "0704.0135"}


def records() -> list:  # type: ignore[type-arg]
    pages = list(ArxivSnapshotSource(FIXTURE).pages())
    assert not [e for p in pages for e in p.errors]
    return [r for p in pages for r in p.records]


def test_every_line_keeps_the_written_spelling() -> None:
    recs = records()
    assert sorted(r.arxiv_id for r in recs) == sorted(EXPECTED)
    agreeing = [r.arxiv_id for r in recs if r.authors == EXPECTED[r.arxiv_id]]
    wrong = {r.arxiv_id: r.authors for r in recs if r.authors != EXPECTED[r.arxiv_id]}
    assert len(agreeing) == len(EXPECTED), f"written spelling kept on {len(agreeing)}/{len(EXPECTED)}: {wrong}"


def test_et_al_marks_the_list_incomplete_and_is_no_author() -> None:
    by_id = {r.arxiv_id: r for r in records()}
    for arxiv_id, rec in by_id.items():
        assert all("et al" not in name.lower() for name in rec.authors)
        assert rec.authors_complete is (arxiv_id not in CUT_SHORT), arxiv_id
        assert rec.author_count == (None if arxiv_id in CUT_SHORT else len(EXPECTED[arxiv_id]))


def test_abstract_paragraphs_are_kept_and_wrapping_joined() -> None:
    by_id = {r.arxiv_id: r for r in records()}
    assert by_id["0704.0033"].abstract == (
        "We performed a rigorous theoretical convergence analysis of the discrete dipole approximation (DDA)."
        "\n\nWe prove that errors in any measured quantity are bounded by a sum of a linear and quadratic term in"
        " the size of a dipole d.\n\nWe prove that the linear term is significantly smaller for cubically shaped"
        " scatterers.")
    assert by_id["0704.0300"].abstract == "One paragraph only, wrapped over two lines."
    # a title wraps with an indented line too, but a title has no paragraphs
    assert by_id["0704.0001"].title.endswith("at Tevatron and LHC energies")


def test_split_follows_authors_parsed_not_every_comma() -> None:
    written = split_written("Jeffrey P. Shaw, Jr. and Ann Lee")
    assert written.names == ["Jeffrey P. Shaw", "Jr.", "Ann Lee"]
    assert align_names(written, ["Jeffrey P. Shaw Jr.", "Ann Lee"]) == ["Jeffrey P. Shaw, Jr.", "Ann Lee"]
    # surname written first: the same letters in another order still match, and the written order is kept
    assert align_names(split_written("Kim Jong-Un"), ["Jong-Un Kim"]) == ["Kim Jong-Un"]
    assert split_written("A. One (1), B. Two (2) ((1) MIT, (2) ETH)").names == ["A. One", "B. Two"]
    assert split_written("A. One, B. Two, et al.").cut_short


def test_renderings_that_disagree_fall_back_to_authors_parsed() -> None:
    # a string that names someone authors_parsed does not: the parsed split is kept, nothing is invented
    got = snapshot_authors("A. One, B. Two", ["A. One", "C. Three"])
    assert got.names == ["A. One", "C. Three"] and not got.cut_short
    assert snapshot_authors(None, ["A. One"]).names == ["A. One"]
    assert snapshot_authors("A. One and B. Two", None).names == ["A. One", "B. Two"]
    assert snapshot_authors("B. Aubert, et al", ["B. Aubert", "et al"]).cut_short


def test_store_export_and_page_carry_names_incompleteness_and_paragraphs(tmp_path: Path) -> None:
    settings = resolve_settings(tmp_path)
    store = open_store(settings)
    try:
        report = run_import(store, ArxivSnapshotSource(FIXTURE))
        assert report.records == len(EXPECTED) and not report.skipped
        out = io.BytesIO()
        write_jsonl(store.iter_papers(), out)
    finally:
        store.close()
    exported = {p["id"]: p for p in map(orjson.loads, out.getvalue().splitlines())}
    assert {k: p["authors"] for k, p in exported.items()} == EXPECTED
    assert {k for k, p in exported.items() if not p["authors_complete"]} == CUT_SHORT
    assert exported["0704.0033"]["abstract"].count("\n\n") == 2
    with TestClient(create_app(settings)) as client:
        page = client.get("/paper/0704.0020").text
        assert "B. Aubert</a>" in page and 'title="The full author list is not known">et al.' in page
        assert client.get("/api/paper/0704.0020").json()["authors_complete"] is False
        page = client.get("/paper/0704.0033").text
        assert page.count('<p class="abstract">') == 3
        assert '<p class="abstract">We prove that the linear term' in page
        assert "Simon J.A. Malham" in client.get("/paper/0704.0044").text
