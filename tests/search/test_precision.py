"""Precision and honest counts on the demo corpus: a paper is a result because it matches, ``total`` is the
same on every page, pages partition the results, a query that matches nothing says so, and ``explain`` says
why each result is there. Both backends (see conftest)."""

from __future__ import annotations

import re

import pytest

from openpapers.core.records import fold
from openpapers.search.service import NO_MATCH, SearchService
from openpapers.search.types import Filters

MODES = ("keyword", "semantic", "hybrid")


def every_page(service: SearchService, query: str, mode: str, per: int = 20) -> tuple[list[str], set[int]]:
    """All result ids, page by page, and the totals the pages reported."""
    ids: list[str] = []
    totals: set[int] = set()
    offset = 0
    while offset < 1000:
        result = service.search(query, mode=mode, limit=per, offset=offset)
        totals.add(result.total)
        if not result.hits:
            break
        ids += [h.paper_id for h in result.hits]
        offset += per
    return ids, totals


@pytest.mark.parametrize("mode", MODES)
def test_nonsense_matches_nothing_and_says_so(service: SearchService, mode: str) -> None:
    result = service.search("qwzxv blorptang", mode=mode)
    assert result.total == 0 and not result.hits
    assert NO_MATCH in result.notes


@pytest.mark.parametrize("mode", ["keyword", "hybrid"])
def test_a_field_query_that_matches_nothing_by_keyword_has_no_results(service: SearchService, mode: str) -> None:
    result = service.search("ti:PINN", mode=mode)  # no demo title says PINN: semantic must not pad it
    assert result.total == 0 and not result.hits


@pytest.mark.parametrize("query", ['"neural operator"', "ti:operator", 'abs:"neural operator" learning'])
def test_phrase_and_field_queries_only_return_what_contains_them(service: SearchService, query: str) -> None:
    ids, totals = every_page(service, query, "hybrid")
    assert ids and totals == {len(ids)}
    papers = {p.id: p for p in service.store.get_papers(ids)}
    for pid in ids:
        p = papers[pid]
        text = fold(p.title if query.startswith("ti:") else f"{p.title} {p.abstract or ''}").lower()
        assert re.search(r"neural\W+operator|operator", text), (query, p.title)
    if query.startswith('"'):
        assert all(re.search(r"neural\W+operator", fold(f"{papers[i].title} {papers[i].abstract}").lower())
                   for i in ids)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("query", ["neural operator", "learning solution maps of differential equations"])
def test_pages_partition_the_results_and_agree_on_the_total(service: SearchService, mode: str, query: str) -> None:
    ids, totals = every_page(service, query, mode)
    assert len(totals) == 1, totals  # the same total on every page, the empty one after the last included
    assert len(ids) == len(set(ids)) == totals.pop()  # no repeats, and they add up to the total


def test_hybrid_does_not_pad_a_specific_query(service: SearchService) -> None:
    everything = service.store.count_papers()
    result = service.search("neural operator", mode="hybrid")
    assert 0 < result.total < everything / 3, result.total
    top = service.search('"neural operator"', mode="hybrid", limit=20)
    assert top.total <= result.total


def test_semantic_neighbours_join_only_above_the_floor(service: SearchService) -> None:
    floor = service.ranking.semantic_floor
    ids, _ = every_page(service, "turbulence closure models learned from data", "hybrid")
    assert ids
    for offset in range(0, len(ids), 100):
        for hit in service.search("turbulence closure models learned from data", limit=100, offset=offset).hits:
            assert hit.explain is not None
            if hit.explain["keyword_rank"] is None:  # there only because it is a semantic neighbour
                assert (hit.explain["similarity"] or 0) >= floor
    semantic = service.search("turbulence closure models learned from data", mode="semantic", limit=200)
    related = service.ranking.related_floor
    assert semantic.hits and all((h.explain or {}).get("similarity", 0) >= related  # type: ignore[operator]
                                 for h in semantic.hits)


def test_explain_names_both_sides(service: SearchService) -> None:
    hits = service.search("neural operator for fluid flow", mode="hybrid", limit=20).hits
    both = [h for h in hits if h.explain and h.explain["keyword_rank"] and h.explain["semantic_rank"]]
    assert both, [h.explain for h in hits]
    e = both[0].explain
    assert e is not None and e["keyword_score"] and e["similarity"] and e["fused"] is not None
    fused = [h.explain["fused"] for h in hits if h.explain]
    assert fused == sorted(fused, reverse=True)  # the order is the fused score's


def test_filters_keep_counts_honest(service: SearchService) -> None:
    filters = Filters(has_code=True)
    coded, coded_totals = [], set()
    offset = 0
    while True:
        r = service.search("neural networks", mode="hybrid", filters=filters, limit=20, offset=offset)
        coded_totals.add(r.total)
        if not r.hits:
            break
        coded += [h.paper_id for h in r.hits]
        offset += 20
    assert len(coded_totals) == 1 and len(coded) == len(set(coded)) == coded_totals.pop()
    papers = service.store.get_papers(coded)
    assert coded and all(p.has_code for p in papers)
