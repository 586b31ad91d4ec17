"""The search service on the demo corpus: every mode, filters inside both retrievers, fusion, similar papers,
and the judged queries (recall@10 per mode) that the fusion weights were tuned on."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openpapers.core.records import PaperRecord
from openpapers.search.query import parse_query
from openpapers.search.service import SearchService, semantic_view
from openpapers.search.types import Filters, QueryError


def titles(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [result.papers[h.paper_id].title for h in result.hits]


@pytest.mark.parametrize("mode", ["keyword", "semantic", "hybrid"])
def test_pde_query_finds_pde_papers_first(service: SearchService, mode: str) -> None:
    result = service.search("neural PDE solver", mode=mode, limit=5)
    assert result.mode == mode
    top = [result.papers[h.paper_id] for h in result.hits[:3]]
    assert all(re.search(r"PDE|[Pp]artial [Dd]ifferential|Navier", f"{p.title} {p.abstract}") for p in top), top


def test_hybrid_reports_each_retrievers_rank(service: SearchService) -> None:
    result = service.search("speech emotion recognition", limit=5)
    assert "Speech Emotion Recognition" in titles(result)[0]
    assert set(result.hits[0].ranks) == {"keyword", "semantic"}
    assert result.hits[0].title_html and "<mark>" in result.hits[0].title_html


def test_semantic_finds_paraphrases_keyword_cannot(service: SearchService) -> None:
    kw = service.search("fluid flow simulation with deep nets", mode="keyword", limit=10)
    sem = service.search("fluid flow simulation with deep nets", mode="semantic", limit=10)
    assert any("Navier-Stokes" in t or "Fluid" in t for t in titles(sem)[:5])
    assert titles(sem) != titles(kw)


def test_filters_apply_inside_both_retrievers(service: SearchService) -> None:
    filters = Filters(date_from=date(2023, 1, 1), date_to=date(2023, 12, 31))
    for mode in ("keyword", "semantic", "hybrid"):
        result = service.search("neural operator", mode=mode, filters=filters, limit=10)
        assert result.hits, mode
        for hit in result.hits:
            published = result.papers[hit.paper_id].published
            assert published is not None and date(2023, 1, 1) <= published <= date(2023, 12, 31), mode
    # A filter that leaves few papers still fills the page from those papers, not from a truncated list.
    code = service.search("learning neural networks", mode="semantic", filters=Filters(has_code=True), limit=5)
    assert code.hits and all(code.papers[h.paper_id].has_code for h in code.hits)


def test_author_prefix_becomes_a_semantic_filter(service: SearchService) -> None:
    text, filters, excluded = semantic_view(parse_query('au:"Qi Meng" neural operator -survey'), Filters())
    assert text == "neural operator" and filters.authors == ["Qi Meng"] and excluded == ["survey"]
    result = service.search('au:"Qi Meng" neural operator', mode="semantic", limit=10)
    assert result.hits and all("Qi Meng" in result.papers[h.paper_id].authors for h in result.hits)


def test_excluded_words_drop_semantic_candidates(service: SearchService) -> None:
    result = service.search("neural PDE solver -Monte", mode="hybrid", limit=10)
    assert not any("Monte" in t for t in titles(result))


def test_paging_is_consistent(service: SearchService) -> None:
    first = service.search("learning", limit=5)
    second = service.search("learning", limit=5, offset=5)
    assert not {h.paper_id for h in first.hits} & {h.paper_id for h in second.hits}


def test_similar_excludes_itself(service: SearchService) -> None:
    hit = service.search("Monte Carlo Neural PDE Solver", mode="keyword", limit=1).hits[0]
    paper, similar, papers = service.similar(hit.paper_id, limit=5)
    assert paper.id == hit.paper_id
    assert similar and paper.id not in {h.paper_id for h in similar}
    assert any("PDE" in papers[h.paper_id].title or "Navier" in papers[h.paper_id].title for h in similar[:3])


def test_new_papers_are_found_after_sync_without_rebuild(service: SearchService) -> None:
    rec = PaperRecord("listing", "test#zebra", observed=date(2026, 1, 1),
                      title="Zebrafish Stripe Pattern Formation with Reaction Diffusion Networks",
                      abstract="We model zebrafish skin stripes with learned reaction-diffusion systems.")
    service.store.apply([rec])
    assert not service.search("zebrafish stripes", mode="keyword").hits
    done = service.sync()
    assert done["keyword"] == 1 and done["embedded"] == 1
    for mode in ("keyword", "semantic", "hybrid"):
        assert "Zebrafish" in titles(service.search("zebrafish stripes", mode=mode, limit=3))[0]
    assert service.sync()["embedded"] == 0  # nothing changed: nothing re-embedded


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300))
def test_any_query_gives_results_or_a_clear_error(service: SearchService, text: str) -> None:
    for mode in ("keyword", "hybrid"):
        try:
            service.search(text, mode=mode, limit=5)
        except QueryError as exc:
            assert str(exc)


@pytest.mark.parametrize("text", ['"unbalanced', "-", "ti:", "((((", "a" * 10_000, "\x00\x01 neural", "偏微分方程",
                                  "cat:cs.LG OR", "NOT", "*?~^", "'; DROP TABLE papers; --"])
def test_hostile_queries(service: SearchService, text: str) -> None:
    for mode in ("keyword", "semantic", "hybrid"):
        try:
            service.search(text, mode=mode, limit=5)
        except QueryError as exc:
            assert str(exc)


def test_warm_up_opens_the_indexes_and_loads_the_model(service: SearchService) -> None:
    fresh = SearchService(service.store, service.data_dir)
    assert fresh._embedder is None
    assert fresh.warm_up() == {"keyword": True, "embedder": True}
    assert fresh._embedder is not None and fresh._keyword is not None
    assert fresh.search("operator learning", mode="hybrid").mode == "hybrid"
