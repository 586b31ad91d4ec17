"""The keyword retriever on both backends: tantivy on SQLite, full-text search on PostgreSQL (search/retrievers.py).

Syntax, ranking, filters, highlights and incremental sync must behave the same on both; tests of tantivy's own
files and writer lock are ``sqlite_only``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import tantivy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openpapers.core.records import PaperRecord
from openpapers.core.settings import resolve_settings
from openpapers.papers.store import Store, open_store
from openpapers.search.backends import tantivy_schema as ks
from openpapers.search.backends.keyword_base import ANY_BELOW
from openpapers.search.backends.tantivy import IndexBusyError, KeywordIndex, default_path
from openpapers.search.highlight import highlight
from openpapers.search.query import parse_query
from openpapers.search.retrievers import keyword_retriever
from openpapers.search.types import Filters, QueryError


def claim(key: str, title: str, abstract: str | None = None, **kw: object) -> PaperRecord:
    base: dict[str, object] = dict(
        source="arxiv-api", source_key=key, arxiv_id=key, observed=date(2026, 1, 1), title=title, abstract=abstract
    )
    base.update(kw)
    return PaperRecord(**base)  # type: ignore[arg-type]


CORPUS = [
    claim("2401.00001", "Neural PDE Solvers with Operator Learning",
          "We train a neural operator that solves partial differential equations faster than classical solvers.",
          authors=["Qi Meng", "Rui Zhang"], categories=["cs.LG", "math.NA"], published=date(2024, 1, 5),
          has_code=True, orgs=["pku"]),
    claim("2401.00002", "A Survey of Diffusion Models",
          "We review diffusion models for images and discuss the choice of ODE solver for fast sampling.",
          authors=["Wei Qi", "Meng Li"], categories=["cs.CV"], published=date(2023, 6, 1), has_code=False,
          orgs=["Microsoft Research"]),
    claim("2401.00003", "Fast Solver for Sparse <Linear> Systems & More",
          "Iterative methods <script>alert('x')</script> for sparse systems; a multigrid solver is proposed. "
          + "Filler sentence about numerical linear algebra. " * 8
          + "Finally the preconditioned solver converges quickly on sparse benchmark systems.",
          authors=["Ana Müller"], categories=["math.NA"], published=date(2022, 3, 1), has_code=True),
    claim("2401.00004", "Heuristics for Graph Coloring", "We study greedy heuristics and their guarantees.",
          authors=["Dan Brown"], categories=["cs.DS"], published=date(2021, 2, 2)),
    claim("2401.00005", "Combinatorial Optimization on Networks",
          "Coloring, coloring again and matching are the examples of this study of combinatorial problems on "
          "large networks, with bounds.", authors=["Eve Black"], categories=["cs.DS"], published=date(2021, 3, 3)),
    PaperRecord(source="listing", source_key="note#1", observed=date(2026, 1, 1),
                title="An Undated Note on Iterative Solvers for Transport", authors=["Zed Undated"]),
]


def open_test_store(path: Path) -> Store:
    return open_store(resolve_settings(path))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, backend: Any) -> Iterator[tuple[Store, KeywordIndex]]:
    """One store + index shared by the read-only tests (building is the slow part)."""
    root = tmp_path_factory.mktemp("kw")
    store = open_store(backend.settings(root))
    store.apply(CORPUS)
    index = keyword_retriever(store, root)
    assert index.sync(store) == len(CORPUS)
    yield store, index
    store.close()


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[tuple[Store, KeywordIndex]]:
    store = open_test_store(tmp_path)
    store.apply(CORPUS)
    index = keyword_retriever(store, tmp_path)
    index.sync(store)
    yield store, index
    store.close()


def ids(index: KeywordIndex, query: str, filters: Filters | None = None, limit: int = 20) -> list[str]:
    hits, total = index.search(query, filters, limit=limit)
    assert total >= len(hits)
    return [h.paper_id for h in hits]


def mode(index: KeywordIndex, query: str, filters: Filters | None = None, limit: int = 20, offset: int = 0) -> str:
    return index.search_with_info(query, filters, limit, offset)[2].mode


def note_id(store: Store) -> str:
    return next(p.id for p in store.iter_papers() if p.title.startswith("An Undated Note"))


# -- syntax ------------------------------------------------------------------------------------------------------
def test_words_all_must_match_and_stemming(built: tuple[Store, KeywordIndex]) -> None:
    _, index = built
    # "solvers" finds "Solver", "solves" and "solver" through the English stemmer
    assert set(ids(index, "solvers")) >= {"2401.00001", "2401.00002", "2401.00003"}
    assert ids(index, "neural solvers", limit=1) == ["2401.00001"]  # the only paper with both words
    assert mode(index, "neural solvers", limit=1) == "any"  # one full match is too few (ANY_BELOW): relaxed,
    assert mode(index, "neural solvers quantumchromodynamics") == "any"  # and it still comes first


def test_phrase_versus_words(built: tuple[Store, KeywordIndex]) -> None:
    _, index = built
    # words: both papers mention "sparse" and "systems"; the phrase "systems sparse" occurs in neither
    assert set(ids(index, "sparse systems")) == {"2401.00003"}
    assert ids(index, '"operator learning"') == ["2401.00001"]
    assert ids(index, '"learning operator"', limit=1) == []


def test_exclusion_of_words_and_phrases(built: tuple[Store, KeywordIndex]) -> None:
    _, index = built
    assert "2401.00002" in ids(index, "solver")
    assert "2401.00002" not in ids(index, "solver -survey")
    assert "2401.00002" not in ids(index, 'solver -"diffusion models"')
    assert "2401.00002" in ids(index, 'solver -"models diffusion"')
    with pytest.raises(QueryError, match="add a word"):
        index.search("-survey")


def test_field_prefixes(built: tuple[Store, KeywordIndex]) -> None:
    store, index = built
    # "solver" is in 00002's abstract only: ti: leaves it out, abs: keeps it
    assert "2401.00002" not in ids(index, "ti:solver")
    assert "2401.00002" in ids(index, "abs:solver")
    assert "2401.00001" not in ids(index, "abs:pde")
    assert ids(index, 'au:"Qi Meng"') == ["2401.00001"]  # never "Wei Qi" + "Meng Li"
    assert set(ids(index, "au:meng")) == {"2401.00001", "2401.00002"}
    assert ids(index, "au:muller") == ["2401.00003"]  # accents folded
    assert ids(index, "cat:cs.LG") == ["2401.00001"]
    assert ids(index, "cat:cs.lg") == ["2401.00001"]
    assert set(ids(index, "cat:math")) == {"2401.00001", "2401.00003"}
    assert ids(index, "org:pku") == ["2401.00001"]
    assert ids(index, 'org:"Microsoft Research"') == ["2401.00002"]
    assert ids(index, "org:microsoft") == ["2401.00002"]
    assert ids(index, "solver cat:cs.CV") == ["2401.00002"]
    assert ids(index, "-cat:cs solver") == ["2401.00003", note_id(store)]


def test_or_between_terms(built: tuple[Store, KeywordIndex]) -> None:
    _, index = built
    assert set(ids(index, "coloring OR diffusion")) == {"2401.00002", "2401.00004", "2401.00005"}
    assert set(ids(index, "ti:coloring OR ti:diffusion")) == {"2401.00002", "2401.00004"}


def test_any_word_fallback_when_all_words_find_too_little(built: tuple[Store, KeywordIndex]) -> None:
    _, index = built
    found = ids(index, "neural solver quantumchromodynamics")  # the last word occurs nowhere
    assert mode(index, "neural solver quantumchromodynamics") == "any"
    assert found[0] == "2401.00001"  # matches two of the three words
    assert len(found) >= 3
    # whether it relaxes depends on how many papers match every word, never on the page asked for: every page
    # counts the same matches and the pages partition them
    assert {mode(index, "neural solver", limit=n) for n in (1, 2, 50)} == {"any"}
    pages = [index.search_with_info("neural solver", limit=2, offset=o) for o in range(0, 10, 2)]
    assert len({total for _, total, _ in pages}) == 1
    seen = [h.paper_id for hits, _, _ in pages for h in hits]
    assert len(seen) == len(set(seen)) == pages[0][1]
    assert ANY_BELOW > 1  # the tiny corpus has one full match: below it
    # one free word (the rest are prefixes) leaves nothing to relax
    assert mode(index, "quantumchromodynamics cat:cs") == "all"


def test_title_matches_are_weighed_by_the_title_boost(built: tuple[Store, KeywordIndex]) -> None:
    _, index = built
    # 00005 says "coloring" twice in its abstract; 00004 has it once in its title. The title field's own BM25
    # (short field, strong match) times TITLE_BOOST (0.5: measured, see tantivy_schema) decides the order.
    if not isinstance(index, KeywordIndex):
        assert sorted(ids(index, "coloring")) == ["2401.00004", "2401.00005"]
        pytest.skip("PostgreSQL weighs fields by ts_rank weights and idf, not by a boost on BM25 (pgfts.WEIGHTS)")
    title_only = {h.paper_id: h.score for h in index.search("ti:coloring")[0]}["2401.00004"]
    abstract_only = {h.paper_id: h.score for h in index.search("abs:coloring")[0]}["2401.00005"]
    hits = index.search("coloring")[0]
    expected = ["2401.00004", "2401.00005"] if ks.TITLE_BOOST * title_only > abstract_only else \
        ["2401.00005", "2401.00004"]
    assert [h.paper_id for h in hits] == expected
    scores = {h.paper_id: h.score for h in hits}
    assert scores["2401.00004"] == pytest.approx(ks.TITLE_BOOST * title_only, rel=1e-4)
    assert scores["2401.00005"] == pytest.approx(abstract_only, rel=1e-4)


def test_authors_are_searchable_without_prefix(built: tuple[Store, KeywordIndex]) -> None:
    _, index = built
    assert ids(index, "Müller") == ["2401.00003"]
    assert ids(index, "muller sparse") == ["2401.00003"]


# -- filters -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(date_from=date(2023, 1, 1)), {"2401.00001", "2401.00002"}),
        (Filters(date_to=date(2023, 1, 1)), {"2401.00003"}),
        (Filters(date_from=date(2022, 3, 1), date_to=date(2022, 3, 1)), {"2401.00003"}),
        (Filters(categories=["math"]), {"2401.00001", "2401.00003"}),
        (Filters(categories=["CS.lg"]), {"2401.00001"}),
        (Filters(categories=["cs.CV", "math.NA"]), {"2401.00001", "2401.00002", "2401.00003"}),
        (Filters(authors=["Qi Meng"]), {"2401.00001"}),
        (Filters(authors=["qi-meng"]), {"2401.00001"}),
        (Filters(authors=["meng-li", "ana-muller"]), {"2401.00002", "2401.00003"}),
        (Filters(orgs=["pku"]), {"2401.00001"}),
        (Filters(orgs=["Microsoft Research"]), {"2401.00002"}),
        (Filters(has_code=True), {"2401.00001", "2401.00003"}),
        (Filters(has_code=False), {"2401.00002", "NOTE"}),
        (Filters(categories=["math"], has_code=True, date_from=date(2023, 1, 1)), {"2401.00001"}),
        (Filters(categories=["cs"], authors=["Ana Müller"]), set()),
        (Filters(categories=["no-such"]), set()),
    ],
)
def test_filters(built: tuple[Store, KeywordIndex], filters: Filters, expected: set[str]) -> None:
    store, index = built
    expected = {note_id(store) if e == "NOTE" else e for e in expected}
    assert set(ids(index, "solver", filters)) == expected


def test_filters_apply_inside_the_ranking(built: tuple[Store, KeywordIndex]) -> None:
    _, index = built
    # the best unfiltered hit (00001 by tantivy's BM25; 00003, which says "solver" four times, by PostgreSQL's
    # ts_rank_cd) is not in cs.CV: with limit 1 the filter must still yield the best *filtered* paper
    assert ids(index, "solver", limit=1)[0] in ("2401.00001", "2401.00003")
    assert ids(index, "solver", Filters(categories=["cs.CV"]), limit=1) == ["2401.00002"]
    # filters do not change scores
    plain = {h.paper_id: h.score for h in index.search("solver")[0]}
    for hit in index.search("solver", Filters(categories=["math"]))[0]:
        assert hit.score == pytest.approx(plain[hit.paper_id])


def test_filter_only_search_lists_newest_first(built: tuple[Store, KeywordIndex]) -> None:
    store, index = built
    assert ids(index, "", Filters(has_code=True)) == ["2401.00001", "2401.00003"]
    every = ids(index, "", Filters(date_to=date(2030, 1, 1)))
    assert every == ["2401.00001", "2401.00002", "2401.00003", "2401.00005", "2401.00004"]
    assert ids(index, "-survey", Filters(categories=["cs"])) == ["2401.00001", "2401.00005", "2401.00004"]
    assert ids(index, "", Filters(has_code=False))[-1] == note_id(store)  # undated papers last
    # field-only queries are listed by date too
    assert ids(index, "cat:cs") == ["2401.00001", "2401.00002", "2401.00005", "2401.00004"]
    assert mode(index, "cat:cs") == mode(index, "", Filters(has_code=True)) == "newest"
    with pytest.raises(QueryError, match="type something"):
        index.search("   ")


def test_paging_and_bad_paging(built: tuple[Store, KeywordIndex]) -> None:
    _, index = built
    first, total = index.search("solver", limit=2)
    second, total2 = index.search("solver", limit=2, offset=2)
    assert total == total2 == 4 and len(first) == len(second) == 2
    assert not {h.paper_id for h in first} & {h.paper_id for h in second}
    for bad in ({"limit": 0}, {"offset": -1}, {"offset": 10_000}):
        with pytest.raises(QueryError):
            index.search("solver", **bad)  # type: ignore[arg-type]


# -- highlights --------------------------------------------------------------------------------------------------
def test_highlights_mark_stems_and_escape_html(built: tuple[Store, KeywordIndex]) -> None:
    _, index = built
    hit = next(h for h in index.search("solvers sparse")[0] if h.paper_id == "2401.00003")
    assert hit.title_html == "Fast <mark>Solver</mark> for <mark>Sparse</mark> &lt;Linear&gt; Systems &amp; More"
    snippet = hit.snippet_html or ""
    assert "<mark>solver</mark>" in snippet and "<mark>sparse</mark>" in snippet
    assert "<script>" not in snippet and "&lt;script&gt;" in snippet
    assert len(snippet.replace("<mark>", "").replace("</mark>", "")) < 260
    plain = index.search("solvers sparse", highlight=False)[0]
    assert plain and all(h.title_html is None and h.snippet_html is None for h in plain)
    # the only tags in any highlight are our marks
    for h in index.search("solver")[0]:
        for html_text in (h.title_html or "", h.snippet_html or ""):
            stripped = html_text.replace("<mark>", "").replace("</mark>", "")
            assert "<" not in stripped and ">" not in stripped


def test_snippet_centres_on_the_best_cluster(built: tuple[Store, KeywordIndex]) -> None:
    _, index = built
    hit = next(h for h in index.search("preconditioned benchmark")[0] if h.paper_id == "2401.00003")
    assert hit.snippet_html is not None and hit.snippet_html.startswith("…")
    assert "<mark>preconditioned</mark>" in hit.snippet_html and "<mark>benchmark</mark>" in hit.snippet_html
    # no match in the abstract: its opening, cut at a space
    hit = index.search("ti:fast")[0][0]
    assert hit.snippet_html is not None and hit.snippet_html.startswith("Iterative methods")
    assert hit.snippet_html.endswith("…") and "<mark>" not in hit.snippet_html


# -- hostile input -----------------------------------------------------------------------------------------------
_HOSTILE = st.sampled_from(
    list('ab solver "-:()[]{}^~*\\+!|&/.\'ti:au:cat:org:abs:OR AND NOT\x00\x1f\u200b\ud800é深😀')
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.text(max_size=200), st.text(_HOSTILE, max_size=80)))
def test_hostile_queries_give_results_or_query_error(built: tuple[Store, KeywordIndex], text: str) -> None:
    _, index = built
    try:
        hits, total = index.search(text, limit=5)
    except QueryError as exc:
        assert str(exc)
        return
    assert total >= len(hits)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("solver " * 2000, "solver"),  # a word repeated 2000 times is that word
        ('"' + "x" * 10_000, "none"),  # an unclosed phrase of one huge unknown word
        ("深度学习 مرحبا 😀", "none"),  # scripts and emoji no paper has
        ("title:[a TO b]^2 AND (x OR y)~3 *", "none"),  # Lucene syntax is not ours: words no paper holds
        ("\x00solver\x00", "solver"),  # control characters separate words
        ("a" * 500 + " solver", "solver"),  # an over-long word matches nothing; the other word still ranks
        ("cat: au: -", "error"),  # prefixes and an exclusion with nothing after them
        ("solver" + "\u0301" * 50, "solver"),  # combining marks fold away
    ],
)
def test_hostile_examples(built: tuple[Store, KeywordIndex], text: str, expected: str) -> None:
    """Each hostile query either fails with a :class:`QueryError` that says why, or returns a consistent result
    list: papers of the store, each once, highlights escaped, and exactly the papers it should match."""
    store, index = built
    if expected == "error":
        with pytest.raises(QueryError) as failed:
            index.search(text)
        assert str(failed.value)
        return
    hits, total = index.search(text, limit=10)
    found = [h.paper_id for h in hits]
    assert total == len(found) and len(set(found)) == len(found)
    assert {p.id for p in store.get_papers(found)} == set(found)
    for h in hits:
        assert h.title_html and "<script>" not in h.title_html and "<script>" not in (h.snippet_html or "")
    assert set(found) == (set(ids(index, "solver")) if expected == "solver" else set())
    if expected == "solver":
        assert found


# -- incremental sync --------------------------------------------------------------------------------------------
def test_sync_picks_up_new_and_changed_papers(fresh: tuple[Store, KeywordIndex]) -> None:
    store, index = fresh
    assert index.sync(store) == 0  # nothing changed
    store.apply([claim("2402.00001", "Quantum Annealing Schedules", "Schedules for annealers.")])
    assert ids(index, "annealing") == []
    assert index.sync(store) == 1
    assert ids(index, "annealing") == ["2402.00001"]
    # a changed title: the old words stop matching, the new ones match, no duplicate document
    store.apply([claim("2402.00001", "Tensor Network Contraction Orders", "Schedules for annealers.")])
    assert index.sync(store) == 1
    assert ids(index, "ti:annealing") == []
    assert ids(index, "contraction") == ["2402.00001"]
    assert index.count() == store.count_papers() == len(CORPUS) + 1
    assert index.last_seq == store.current_seq()


def test_merged_away_paper_disappears(fresh: tuple[Store, KeywordIndex]) -> None:
    store, index = fresh
    title = "Adaptive Mesh Refinement with Reinforcement Learning Agents"
    listing = store.apply([PaperRecord(source="listing", source_key="amr#1", title=title, authors=["A B"])])
    arxiv = store.apply([claim("2403.00007", "AMR-RL preprint placeholder title here", "Mesh agents.")])
    index.sync(store)
    both = {listing.paper_ids[0], arxiv.paper_ids[0]}
    assert set(ids(index, "mesh")) == both
    # a claim carrying the arXiv id and the listing's title proves they are one paper: the store merges them
    result = store.apply([PaperRecord(source="hf", source_key="x", arxiv_id="2403.00007", title=title)])
    assert result.merged == 1 and store.count_papers() == len(CORPUS) + 1
    index.sync(store)
    survivor = store.get_paper("2403.00007")
    assert survivor is not None
    assert ids(index, "mesh") == [survivor.id]
    assert index.count() == store.count_papers()


@pytest.mark.sqlite_only  # tantivy files
def test_second_reader_sees_commits_and_writer_is_exclusive(fresh: tuple[Store, KeywordIndex], tmp_path: Path) -> None:
    store, index = fresh
    other = KeywordIndex(default_path(tmp_path))  # e.g. the web server's
    assert sorted(ids(other, "coloring")) == ["2401.00004", "2401.00005"]
    store.apply([claim("2404.00001", "Coloring Sparse Hypergraphs", "Hypergraph coloring.")])
    index.sync(store)
    other.refresh()
    assert "2404.00001" in ids(other, "coloring")
    # while someone else holds the writer, a sync says so instead of waiting or corrupting anything
    raw = tantivy.Index.open(str(default_path(tmp_path)))
    writer = raw.writer(heap_size=15_000_000, num_threads=1)
    store.apply([claim("2404.00002", "Held Writer Paper", "x")])
    with pytest.raises(IndexBusyError):
        index.sync(store)
    writer.rollback()
    del writer
    assert index.sync(store) == 1  # the state was not advanced by the refused sync
    assert ids(index, "held writer") == ["2404.00002"]


@pytest.mark.sqlite_only  # tantivy files
def test_rebuild_and_schema_change(fresh: tuple[Store, KeywordIndex], tmp_path: Path) -> None:
    store, index = fresh
    before = ids(index, "solver")
    assert index.rebuild(store) == len(CORPUS)
    assert ids(index, "solver") == before and index.count() == len(CORPUS)
    # an index written by another schema version is started afresh and refilled by the next sync
    state = json.loads(index.state_path.read_text())
    index.state_path.write_text(json.dumps({**state, "schema": ks.SCHEMA_VERSION + 99}))
    reopened = KeywordIndex(default_path(tmp_path))
    assert reopened.count() == 0 and reopened.last_seq == 0
    seen: list[int] = []
    assert reopened.sync(store, batch=2, progress=seen.append) == len(CORPUS)
    assert seen == [2, 4, 6] and ids(reopened, "solver") == before


@pytest.mark.sqlite_only  # tantivy files
def test_sync_against_another_store_rebuilds(fresh: tuple[Store, KeywordIndex], tmp_path: Path) -> None:
    _, index = fresh
    other = open_test_store(tmp_path / "other")
    other.apply([claim("2405.00001", "Only Paper Here", "Alone.")])
    assert index.sync(other) == 1
    assert index.count() == 1 and ids(index, "only") == ["2405.00001"]
    other.close()


# -- the demo corpus ---------------------------------------------------------------------------------------------
def test_highlight_function_for_other_retrievers() -> None:
    query = parse_query("études solvers -theory au:x")
    title, snippet = highlight(query, "Études of <Solvers>", "A THEORY of solvers & études.")
    assert title == "<mark>Études</mark> of &lt;<mark>Solvers</mark>&gt;"
    assert snippet == "A THEORY of <mark>solvers</mark> &amp; <mark>études</mark>."  # excluded words are not marked
    assert highlight(parse_query("x"), "T", None) == ("T", None)
