"""Spelling suggestions from the corpus's vocabulary, on real stores (both backends): what is corrected, what is
left as typed, when the corrected query's results are shown, and that the dictionary follows the store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers.searchdata import paper
from openpapers.core.settings import Settings
from openpapers.papers.store import open_store
from openpapers.search.service import SearchService
from openpapers.search.spelling import Vocabulary, suggest


@pytest.fixture
def demo(web_settings: Settings) -> Iterator[SearchService]:
    """A search service on the shared demo store (read-only: these tests only search it)."""
    store = open_store(web_settings)
    try:
        yield SearchService(store, web_settings.data_dir)
    finally:
        store.close()


def suggested(service: SearchService, query: str) -> str | None:
    found = service.speller.suggest(query)
    return found.text if found else None


def test_misspelt_words_are_corrected_from_the_corpus(demo: SearchService) -> None:
    assert suggested(demo, "nueral operater") == "neural operator"
    assert suggested(demo, "Nueral DIFUSION") == "Neural DIFFUSION"  # the typed case is kept


def test_correct_words_and_nonsense_get_no_suggestion(demo: SearchService) -> None:
    assert suggested(demo, "neural operator") is None
    assert suggested(demo, "diffusion models for graphs") is None
    assert suggested(demo, "qwzxv blorptang") is None


@pytest.mark.parametrize(("query", "expected"), [
    ("ti:nueral", "ti:neural"),
    ('abs:"nueral operater"', 'abs:"neural operator"'),
    ("nueral -operater", "neural -operater"),  # an exclusion is left as typed
    ('au:"Nueral Smith" operater', 'au:"Nueral Smith" operator'),  # author names are not words to spell
    ("cat:cs.LG operater", "cat:cs.LG operator"),
    ("nueral OR operater", "neural OR operator"),
    ("gpt4 operater", "gpt4 operator"),  # words with digits are not spelt
])
def test_query_syntax_is_kept(demo: SearchService, query: str, expected: str) -> None:
    assert suggested(demo, query) == expected


def test_a_query_that_finds_nothing_shows_the_corrected_results(demo: SearchService) -> None:
    result = demo.search("nueral operater", mode="keyword")
    assert result.corrected and result.suggestion == "neural operator"
    assert result.notes[0] == "showing results for neural operator; no results for nueral operater"
    texts = [f"{p.title} {p.abstract}".lower() for p in (result.papers[h.paper_id] for h in result.hits)]
    assert len(texts) >= 5 and sum("operator" in t for t in texts) > len(texts) / 2
    typed_right = demo.search("neural operator", mode="keyword")
    assert [h.paper_id for h in result.hits] == [h.paper_id for h in typed_right.hits]
    assert result.to_json()["suggestion"] == "neural operator" and result.to_json()["corrected"] is True


def test_hybrid_without_vectors_follows_the_same_rule(demo: SearchService) -> None:
    result = demo.search("ti:nueral", mode="hybrid")
    assert result.corrected and result.suggestion == "ti:neural" and result.total > 0


def test_a_query_with_results_is_only_offered_the_suggestion(demo: SearchService) -> None:
    """"operator" matches on its own (any-word fallback): the results stay, the correction is offered."""
    result = demo.search("nueral operator", mode="keyword")
    assert result.total > 0 and not result.corrected and result.suggestion == "neural operator"
    assert not any("showing results" in n for n in result.notes)


def test_nonsense_finds_nothing_and_says_what_to_do(demo: SearchService) -> None:
    result = demo.search("qwzxv blorptang", mode="keyword")
    assert result.total == 0 and result.suggestion is None and not result.corrected
    assert any("check the spelling" in n for n in result.notes)


def test_a_correct_query_gets_no_suggestion_or_note(demo: SearchService) -> None:
    result = demo.search("neural operator", mode="keyword")
    assert result.total > 0 and result.suggestion is None and result.notes == []


def test_rare_words_are_corrected_only_to_far_more_frequent_ones(web_settings: Settings) -> None:
    store = open_store(web_settings)
    try:
        vocabulary = Vocabulary()
        vocabulary.update(store, store.current_seq())
    finally:
        store.close()
    vocabulary.counts["nueral"] = 1  # as if one abstract had the typo: "neural" is far more frequent
    assert vocabulary.correction("nueral") == "neural"
    vocabulary.counts["nueral"] = 2  # seen twice: a word of the corpus
    assert vocabulary.correction("nueral") is None
    assert suggest(vocabulary, "nueral") is None


def test_the_dictionary_follows_the_store(tmp_path: Path, backend: Any) -> None:
    """Built once, then updated from the papers changed since (not per query); a reset store starts over."""
    store = open_store(backend.settings(tmp_path))
    try:
        store.apply([paper(i, title=f"Hypergraph sparsification number {i}") for i in range(1, 4)])
        service = SearchService(store, tmp_path)
        service.sync(semantic=False)
        assert suggested(service, "hypergraf") == "hypergraph"
        assert suggested(service, "quasicrystal") is None  # nothing close yet
        vocabulary = service.speller.prepare()
        assert service.speller.prepare() is vocabulary and vocabulary.papers == 3  # same version: no rebuild
        store.apply([paper(i, title=f"Quasicrystals and quasicrystal tilings {i}") for i in range(4, 6)])
        service.sync(semantic=False)
        assert suggested(service, "quasicrystl") == "quasicrystal"
        assert service.speller.prepare().papers == 5  # the two new papers were counted, not all five again
        result = service.search("quasicrystl", mode="keyword")
        assert result.corrected and result.total == 2
    finally:
        store.close()


def test_a_partial_correction_is_only_offered(demo: SearchService) -> None:
    """"zebrafish" is no word of the demo corpus and nothing is near it: the query is not a typo of
    "zebrafish neural", so its (empty) results stay and the suggestion is only offered."""
    result = demo.search("zebrafish nueral", mode="keyword")
    assert result.suggestion == "zebrafish neural" and not result.corrected
    assert suggested(demo, "stripes") is None  # two edits from "series": too far for a seven-letter word
