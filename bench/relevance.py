"""Relevance on the demo corpus: nDCG@10 per query kind and recall@100, every mode against plain BM25.

    python bench/relevance.py                          # test split (the figures we report)
    python bench/relevance.py --split dev              # the split tuning looks at
    python bench/relevance.py --database-url postgresql://...   # the PostgreSQL backends on the same corpus

Queries and graded judgments are in tests/search/judged/ (see :mod:`relevance_kit`). Tune on ``dev``, report
``test``: the set was split before any tuning, so test figures are not fitted to.

Variants: ``bm25`` (plain BM25, the baseline), ``bm25+rm3`` (plain BM25 with RM3 feedback: the issue's
reference point for what feedback buys), and the product's modes ``keyword``, ``semantic`` and ``hybrid`` as the
search service ranks them. ``--depth`` results are asked of each (recall is measured at 100).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from relevance_kit import (
    KEYWORD_STYLE,
    KINDS,
    PlainBM25,
    Query,
    corpus_texts,
    load_judgments,
    load_queries,
    ndcg_at,
    recall_at,
)
from relevance_kit import tokens as bm25_tokens

Ranker = Callable[[str], list[str]]
SERVICE_MODES = ("keyword", "semantic", "hybrid")


def rm3(bm25: PlainBM25, query: str, *, docs: int = 5, terms: int = 20, keep: float = 0.6,
        depth: int = 100) -> list[str]:
    """RM3 over plain BM25: a relevance model from the first ``docs`` papers, its ``terms`` heaviest words
    interpolated with the query (weight ``keep`` on the original), both score lists max-normalised."""
    from relevance_kit import query_words

    words = bm25_tokens(query_words(query))
    if not words:
        return []
    base = bm25.bm25.get_scores(words)
    top = sorted(range(len(bm25.ids)), key=lambda i: -base[i])[:docs]
    weights: Counter[str] = Counter()
    top_max = max(base[top[0]], 1e-9)
    for i in top:
        doc = bm25.bm25.doc_freqs[i]
        length = sum(doc.values())
        for w, n in doc.items():
            weights[w] += (n / length) * (base[i] / top_max)
    expansion = [w for w, _ in weights.most_common(terms)]
    total = sum(weights[w] for w in expansion) or 1.0
    expanded = sum((weights[w] / total) * bm25.bm25.get_scores([w]) for w in expansion)
    bmax = max(base.max(), 1e-9)
    emax = max(float(expanded.max()), 1e-9) if len(expansion) else 1.0
    fused = keep * base / bmax + (1 - keep) * expanded / emax
    order = sorted(range(len(bm25.ids)), key=lambda i: (-fused[i], bm25.ids[i]))
    return [bm25.ids[i] for i in order[:depth] if fused[i] > 0]


@contextmanager
def demo_service(data_dir: Path | None, database_url: str | None) -> Iterator[object]:
    """A search service on the demo corpus: ``data_dir`` as it is, or a fresh demo import in a temp dir."""
    from openpapers.core.settings import Settings
    from openpapers.papers.store import open_store
    from openpapers.search.service import SearchService

    with tempfile.TemporaryDirectory() as tmp:
        root = data_dir or Path(tmp)
        env = {"OPENPAPERS_DATA_DIR": str(root)}
        if database_url:
            env["OPENPAPERS_DATABASE_URL"] = database_url
        os.environ.update(env)
        if data_dir is None:
            import subprocess

            subprocess.run([sys.executable, "-c", "from openpapers.cli import main; main()", "import", "demo"],
                           check=True, capture_output=True, env={**os.environ, **env})
        settings = Settings()
        store = open_store(settings)
        try:
            yield SearchService(store, settings.data_dir, settings=settings.search)
        finally:
            store.close()


def variants(service: object, depth: int = 100) -> dict[str, Ranker]:
    """Every ranking we evaluate (and pool for judging), by name."""
    from openpapers.search.service import SearchService

    assert isinstance(service, SearchService)
    bm25 = PlainBM25(corpus_texts(service.store))

    def mode(name: str) -> Ranker:
        def run(q: str) -> list[str]:
            return [h.paper_id for h in service.search(q, mode=name, limit=depth).hits]
        return run

    out: dict[str, Ranker] = {"bm25": lambda q: bm25.rank(q, depth), "bm25+rm3": lambda q: rm3(bm25, q, depth=depth)}
    for name in SERVICE_MODES:
        out[name] = mode(name)
    return out


def grid(service: object, depth: int = 100) -> dict[str, Ranker]:
    """Ranking variants of the keyword and hybrid modes, for tuning on the dev split."""
    from openpapers.search.service import Ranking, SearchService

    assert isinstance(service, SearchService)
    variants_: dict[str, Ranker] = {}

    def with_ranking(ranking: Ranking, name: str) -> Ranker:
        def run(q: str) -> list[str]:
            service.ranking = ranking
            return [h.paper_id for h in service.search(q, mode=name, limit=depth).hits]
        return run

    for keep in (0.5, 0.6, 0.7, 0.8):
        variants_[f"kw keep={keep}"] = with_ranking(Ranking(feedback_keep=keep), "keyword")
    variants_["kw no-fb"] = with_ranking(Ranking(feedback=False), "keyword")
    for w in (0.4, 0.5, 0.6, 0.7, 0.8):
        for keep in (0.7, 1.0):
            variants_[f"hy w={w} k={keep}"] = with_ranking(Ranking(semantic_weight=w, feedback_keep=keep), "hybrid")
    for floor in (0.3, 0.35, 0.45):
        variants_[f"hy floor={floor}"] = with_ranking(Ranking(semantic_floor=floor), "hybrid")
    return variants_


def evaluate(rankers: dict[str, Ranker], queries: list[Query], judged: dict[str, dict[str, int]]
             ) -> dict[str, dict[str, tuple[float, float, int]]]:
    """variant -> kind (and "all", "described", "not described") -> (mean nDCG@10, mean recall@100, queries)."""
    out: dict[str, dict[str, tuple[float, float, int]]] = {}
    for name, rank in rankers.items():
        per: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for q in queries:
            if q.qid not in judged:
                continue
            ranked = rank(q.query)
            pair = (ndcg_at(ranked, judged[q.qid]), recall_at(ranked, judged[q.qid]))
            per[q.kind].append(pair)
            per["all"].append(pair)
            if q.kind in KEYWORD_STYLE:
                per["keyword-style"].append(pair)
        out[name] = {k: (statistics.fmean(p[0] for p in v), statistics.fmean(p[1] for p in v), len(v))
                     for k, v in per.items()}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", choices=("dev", "test", "all"), default="test")
    ap.add_argument("--data-dir", type=Path, help="an existing demo data dir (default: a fresh demo import)")
    ap.add_argument("--database-url", help="run on PostgreSQL (the demo is imported into it)")
    ap.add_argument("--only", nargs="*", help="variants to run (default: all)")
    ap.add_argument("--queries", type=Path, nargs="*")
    ap.add_argument("--judgments", type=Path, nargs="*")
    ap.add_argument("--grid", action="store_true", help="ranking variants of keyword and hybrid (tuning, dev)")
    args = ap.parse_args()
    queries = [q for q in load_queries(args.queries) if args.split == "all" or q.split == args.split]
    judged = load_judgments(args.judgments)
    with demo_service(args.data_dir, args.database_url) as service:
        rankers = variants(service)
        if args.grid:
            rankers = {"bm25": rankers["bm25"], **grid(service)}
        if args.only:
            rankers = {k: v for k, v in rankers.items() if k in args.only}
        table = evaluate(rankers, queries, judged)
    cols = ["all", "keyword-style", *KINDS]
    print(f"split={args.split} queries={len(queries)}  nDCG@10 (recall@100)")
    print("variant".ljust(16) + "".join(c[:11].rjust(15) for c in cols))
    for name, row in table.items():
        cells = [f"{row[c][0]:.3f} ({row[c][1]:.2f})" if c in row else "-" for c in cols]
        print(name.ljust(16) + "".join(c.rjust(15) for c in cells))
    counts = {c: table[next(iter(table))].get(c, (0, 0, 0))[2] for c in cols}
    print("queries".ljust(16) + "".join(str(counts[c]).rjust(15) for c in cols))
    return 0


if __name__ == "__main__":
    sys.exit(main())
