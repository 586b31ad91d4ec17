"""The judged set (tests/search/judged/) is what ranking is tuned and reported on: it must stay well-formed,
and the shipped ranking must keep its measured lead over plain BM25 on it (bench/relevance.py prints the
figures; docs/search.md has them). SQLite (tantivy and faiss); the PostgreSQL figures are in the docs."""

from __future__ import annotations

import statistics
import sys
from collections import Counter
from pathlib import Path

import pytest

from openpapers.core.settings import resolve_settings
from openpapers.papers.demo import load_demo
from openpapers.papers.store import open_store
from openpapers.search.service import SearchService

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import relevance_kit as rk


def test_the_judged_set_is_well_formed() -> None:
    queries = rk.load_queries()
    judged = rk.load_judgments()
    assert len(queries) >= 120 and len({q.qid for q in queries}) == len(queries)
    kinds = Counter(q.kind for q in queries)
    assert set(kinds) <= set(rk.KINDS) and all(kinds[k] for k in rk.KINDS)
    assert kinds["described"] + kinds["paraphrase"] >= len(queries) / 2
    for kind in rk.KINDS:  # both splits hold every kind
        assert {q.split for q in queries if q.kind == kind} == {"dev", "test"}, kind
    for q in queries:
        assert q.qid in judged and all(0 <= g <= 3 for g in judged[q.qid].values())
        if q.target:
            assert judged[q.qid][q.target] == 3, q.qid


def _mean_ndcg(rank, queries, judged):  # type: ignore[no-untyped-def]
    return statistics.fmean(rk.ndcg_at(rank(q.query), judged[q.qid]) for q in queries)


@pytest.mark.slow
def test_hybrid_keeps_its_lead_over_plain_bm25(tmp_path: Path) -> None:
    store = open_store(resolve_settings(tmp_path))  # SQLite in tmp_path
    load_demo(store)
    service = SearchService(store, tmp_path)
    service.sync()
    queries = [q for q in rk.load_queries() if q.split == "test"]
    judged = rk.load_judgments()
    bm25 = rk.PlainBM25(rk.corpus_texts(service.store))

    def mode(name: str):  # type: ignore[no-untyped-def]
        return lambda text: [h.paper_id for h in service.search(text, mode=name, limit=100).hits]

    for kinds, lead in ((("described",), 0.15), (rk.KEYWORD_STYLE, 0.03)):
        group = [q for q in queries if q.kind in kinds]
        base = _mean_ndcg(lambda t: bm25.rank(t), group, judged)
        assert _mean_ndcg(mode("hybrid"), group, judged) >= base + lead, kinds
        assert _mean_ndcg(mode("keyword"), group, judged) >= base - 0.02, kinds
    store.close()
