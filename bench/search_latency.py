"""Bench: search latency, ANN recall and memory on the synthetic corpora built by ``search_corpus.py``.

    python bench/search_corpus.py --n 100000 --n 1000000 --keyword --vectors random   # once
    python bench/search_latency.py --sizes 100000 1000000

Prints, per corpus size, the p50/p95 latency of the fixed queries in ``queries.txt`` (``--repeat`` timed
passes after one warm-up pass):

* keyword: :class:`KeywordIndex` directly, and through ``SearchService.search(mode="keyword")``;
* baseline (at ``--baseline-size``, 100k by default): what arxiv-sanity-lite-style search does, a Python loop
  over every paper's lower-cased title+abstract counting query-term hits, then a sort. It runs in the same
  process as the keyword timings of that size, and the keyword figures are reported as ratios against it
  (target: keyword at least 100x faster), because absolute milliseconds depend on the machine and its load;
* hybrid (when the corpus has vectors): p50/p95 with the query embedding included (the real service call) and
  excluded (query vectors precomputed), and the vector kind (random vectors give latency, not relevance);
* ANN recall@10 of the vector index against exact (brute-force) search over ``--recall-queries`` queries;
* resident memory (RSS) of the process after loading that size's indexes and running its queries.

Each size is measured in its own child process so that its RSS is not inflated by another size's indexes.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import math
import pstats
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import orjson
import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import search_corpus as corpus_mod  # noqa: E402  (bench/ is not a package)

QUERIES = HERE / "queries.txt"
PLAIN_CHARS = set('":-')


def load_queries(path: Path = QUERIES) -> list[str]:
    return [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()
            if ln.strip() and not ln.lstrip().startswith("#")]


def is_plain(query: str) -> bool:
    """Plain words only (what the baseline can answer); syntax queries are timed for keyword search only."""
    return not (PLAIN_CHARS & set(query.replace("-", " ").strip()) or " OR " in query or ":" in query
                or query.startswith("-") or " -" in query)


def percentile(samples: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); what latency SLOs are usually stated in."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    k = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))
    return ordered[k]


def time_queries(fn: Callable[[str], Any], queries: Sequence[str], repeat: int, warmup: int = 1) -> list[float]:
    """Milliseconds per call over ``repeat`` passes of all queries, after ``warmup`` untimed passes."""
    for _ in range(warmup):
        for q in queries:
            fn(q)
    samples = []
    clock = time.perf_counter
    for _ in range(repeat):
        for q in queries:
            t = clock()
            fn(q)
            samples.append((clock() - t) * 1000)
    return samples


def stats(samples: Sequence[float]) -> dict[str, float]:
    return {"p50": percentile(samples, 50), "p95": percentile(samples, 95), "n": len(samples),
            "mean": sum(samples) / len(samples) if samples else float("nan")}


def keyword_breakdown(search: Callable[[str], Any], queries: Sequence[str]) -> dict[str, float]:
    """Share of keyword-search time spent in the engine, in fetching stored documents and in highlighting.

    One profiled pass; the profiler's overhead inflates Python code more than the engine, so read the shares
    as a guide to where to optimise, not as exact figures.
    """
    prof = cProfile.Profile()
    prof.enable()
    for q in queries:
        search(q)
    prof.disable()
    table = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    total = engine = fetch = highlight = 0.0
    for (filename, _line, func), (_cc, _nc, _tt, cum, _callers) in table.items():
        if func == "search" and filename.endswith("keyword.py"):
            total += cum
        elif "of 'tantivy.tantivy.Searcher' objects" in func and "'search'" in func:
            engine += cum
        elif "of 'tantivy.tantivy.Searcher' objects" in func and "'doc'" in func:
            fetch += cum
        elif filename.endswith("keyword_highlight.py") and func in ("snippet", "mark"):
            highlight += cum
    if not total:
        return {}
    return {"engine": engine / total, "fetch": fetch / total, "highlight": highlight / total}


def interleaved(base: Callable[[str], Any], other: Callable[[str], Any] | None, queries: Sequence[str],
                base_repeat: int, other_repeat: int) -> tuple[list[float], list[float]]:
    """Time the baseline and keyword search query by query, alternating, so that both see the same machine
    load: on a shared machine, measuring one minutes after the other can move their ratio by 2x."""
    if other is not None:
        for q in queries:  # warm-up
            other(q)
    base_ms: list[float] = []
    other_ms: list[float] = []
    clock = time.perf_counter
    for _ in range(base_repeat):
        for q in queries:
            t = clock()
            base(q)
            base_ms.append((clock() - t) * 1000)
            for _ in range(other_repeat if other is not None else 0):
                t = clock()
                other(q)  # type: ignore[misc]
                other_ms.append((clock() - t) * 1000)
    return base_ms, other_ms


# -- the baseline ------------------------------------------------------------------------------------------------
class ScanBaseline:
    """Search the way arxiv-sanity-lite does: no index, every query loops over every paper in Python.

    All titles+abstracts are held in memory as lower-case strings; a paper's score is the number of times the
    query's words occur in it (``str.count``, so substrings count too), and the papers that score are sorted.
    """

    def __init__(self, papers: Sequence[tuple[str, str]]) -> None:
        self.ids = [pid for pid, _ in papers]
        self.texts = [text.lower() for _, text in papers]

    @classmethod
    def from_store(cls, store: Any) -> ScanBaseline:
        return cls([(p.id, f"{p.title} {p.abstract or ''}") for p in store.iter_papers(batch_size=5000)])

    def search(self, query: str, limit: int = 20) -> list[str]:
        terms = query.lower().split()
        scored = []
        for i, text in enumerate(self.texts):
            score = 0
            for term in terms:
                score += text.count(term)
            if score:
                scored.append((score, i))
        scored.sort(reverse=True)
        return [self.ids[i] for _, i in scored[:limit]]


# -- one size, measured in a child process ----------------------------------------------------------------------
def _rss_mib() -> float:
    return psutil.Process().memory_info().rss / 2**20


def _service(store: Any, data_dir: Path) -> Any | None:
    try:
        from openpapers.search.service import SearchService
    except ImportError:
        return None
    return SearchService(store, data_dir)


def measure(n: int, root: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Every figure for one corpus size, as a JSON-able dict (printed by the parent)."""
    from openpapers.core.settings import resolve_settings
    from openpapers.papers.store import open_store
    from openpapers.search.backends.tantivy import KeywordIndex
    from openpapers.search.types import Filters

    corpus = corpus_mod.load_corpus(n, root)
    queries = load_queries(args.queries)
    plain = [q for q in queries if is_plain(q)]
    out: dict[str, Any] = {"n": n, "papers": corpus.papers, "queries": len(queries), "plain": len(plain),
                           "vectors": corpus.vectors, "rss_start": _rss_mib()}
    store = open_store(resolve_settings(corpus.data_dir))
    filters = Filters()
    limit = args.limit

    if corpus.keyword:
        index = KeywordIndex(corpus_mod.keyword_index_path(corpus.data_dir))
        out["keyword_direct"] = stats(time_queries(lambda q: index.search(q, filters, limit, 0), queries,
                                                   args.repeat))
        out["keyword_direct_plain"] = stats(time_queries(lambda q: index.search(q, filters, limit, 0), plain,
                                                         args.repeat))
        out["keyword_breakdown"] = keyword_breakdown(lambda q: index.search(q, filters, limit, 0), queries)
        service = _service(store, corpus.data_dir)
        if service is not None:
            out["keyword_service"] = stats(time_queries(
                lambda q: service.search(q, mode="keyword", filters=filters, limit=limit), queries, args.repeat))
        out["rss_keyword"] = _rss_mib()

    if not args.no_vectors:
        import search_vectors  # numpy and the vector modules only when vectors are measured

        if corpus.vectors is None:
            corpus.vectors = search_vectors.current_state(corpus.data_dir, corpus.papers)
            out["vectors"] = corpus.vectors
        if corpus.vectors:
            out.update(search_vectors.measure_vectors(store, corpus, queries, args))

    if n == args.baseline_size:  # last, so that its texts do not inflate the serving RSS figures above
        t = time.perf_counter()
        baseline = ScanBaseline.from_store(store)
        out["baseline_load_s"] = time.perf_counter() - t
        kw = KeywordIndex(corpus_mod.keyword_index_path(corpus.data_dir)) if corpus.keyword else None
        base_ms, kw_ms = interleaved(baseline.search, kw and (lambda q: kw.search(q, filters, limit, 0)), plain,
                                     args.baseline_repeat, args.repeat)
        out["baseline"] = stats(base_ms)
        if kw_ms:
            out["keyword_interleaved"] = stats(kw_ms)
        del baseline
        gc.collect()

    out["rss_end"] = _rss_mib()
    store.close()
    return out


# -- reporting ---------------------------------------------------------------------------------------------------
def _row(cells: Sequence[Any], widths: Sequence[int]) -> str:
    return "".join(f"{c:<{w}}" if i == 0 else f"{c:>{w}}" for i, (c, w) in enumerate(zip(cells, widths,
                                                                                          strict=True)))


def report(results: Sequence[dict[str, Any]]) -> None:
    """The tables: keyword latency (with the baseline ratio), hybrid latency and recall, memory."""
    base = next((r for r in results if "baseline" in r), None)
    w = (46, 10, 10, 10, 14)
    print("\nKeyword search latency (ms; limit 20; p50/p95 over all timed calls)")
    print(_row(("what", "corpus", "p50", "p95", "x baseline"), w))
    for r in results:
        size = f"{r['papers'] // 1000:,}k"
        rows = [("KeywordIndex.search, all queries", r.get("keyword_direct")),
                ("KeywordIndex.search, plain-word queries", r.get("keyword_direct_plain")),
                ("SearchService mode=keyword, all queries", r.get("keyword_service"))]
        for name, s in rows:
            if not s:
                continue
            ratio = ""
            if base and "plain" in name:
                x = base["baseline"]["p50"] / s["p50"]
                ratio = (f"{x:,.0f}x" if x >= 10 else f"{x:.1f}x") + ("" if r is base else "*")
            print(_row((name, size, f"{s['p50']:.2f}", f"{s['p95']:.2f}", ratio), w))
    if base and any(r is not base and "keyword_direct_plain" in r for r in results):
        print(f"  * against the baseline on the {base['papers']:,}-paper corpus (a scan grows linearly with the "
              "corpus, an index far slower than that)")
    for r in results:
        b = r.get("keyword_breakdown")
        if b:
            print(f"  where KeywordIndex.search time goes at {r['papers'] // 1000:,}k (profiled pass): "
                  f"tantivy search {b['engine']:.0%}, stored-document fetch {b['fetch']:.0%}, "
                  f"highlighting {b['highlight']:.0%}, other {1 - sum(b.values()):.0%}")
    if base:
        s = base["baseline"]
        print(_row((f"baseline: Python scan ({base['plain']} plain queries)", f"{base['papers'] // 1000:,}k",
                    f"{s['p50']:.1f}", f"{s['p95']:.1f}", "1x"), w))
        kw = base.get("keyword_interleaved") or base.get("keyword_direct_plain")
        if kw:
            print(_row(("KeywordIndex.search, same queries, interleaved", f"{base['papers'] // 1000:,}k",
                        f"{kw['p50']:.2f}", f"{kw['p95']:.2f}", f"{s['p50'] / kw['p50']:,.0f}x"), w))
            p50r, p95r = s["p50"] / kw["p50"], s["p95"] / kw["p95"]
            verdict = "meets" if min(p50r, p95r) >= 100 else "MISSES"
            print(f"keyword vs baseline at {base['papers']:,} papers, same run: {p50r:,.1f}x faster at p50, "
                  f"{p95r:,.1f}x at p95 ({verdict} the >= 100x target); baseline load "
                  f"{base['baseline_load_s']:.1f} s")
    vec = [r for r in results if "hybrid_incl" in r or "recall_at_10" in r]
    if vec:
        print("\nHybrid search and ANN recall")
        for r in vec:
            kind = (r.get("vectors") or {}).get("kind", "?")
            loaded = f"{r['vectors_loaded']:,} vectors loaded; " if "vectors_loaded" in r else ""
            note = (r.get("vectors") or {}).get("note", "")
            print(f"corpus {r['papers']:,} papers, vectors: {kind} ({loaded}{note})")
            for key, label in (("hybrid_incl", "hybrid, query embedding included"),
                               ("hybrid_excl", "hybrid, query embedding excluded"),
                               ("embed_query", "query embedding alone (real model)"),
                               ("vector_search", "VectorIndex.search alone (k=20)")):
                s = r.get(key)
                if s:
                    target = "  (target p95 <= 30 ms: " + ("met)" if s["p95"] <= 30 else "MISSED)") \
                        if key.startswith("hybrid") else ""
                    print(f"  {label:<40} p50 {s['p50']:8.2f} ms   p95 {s['p95']:8.2f} ms{target}")
            if r.get("query_embedder"):
                print(f"  query vectors in these calls: {r['query_embedder']}; 'query embedding alone' is the real "
                      "model's (what a served query adds when it is not cached)")
            b = r.get("hybrid_breakdown")
            if b:
                parts = ", ".join(f"{k} {v:.0%}" for k, v in b.items())
                print(f"  where hybrid time goes (profiled pass, embedding excluded): {parts}, "
                      f"other {max(0.0, 1 - sum(b.values())):.0%}")
            if "recall_at_10" in r:
                rc = r["recall_at_10"]
                ok = "met" if rc >= 0.95 else "MISSED"
                print(f"  ANN recall@10 vs exact search: {rc:.4f} over {r['recall_queries']} queries "
                      f"(target >= 0.95: {ok}); ANN p50 {r['ann_ms']['p50']:.2f} ms, exact (numpy, batched) "
                      f"{r['exact_ms_per_query']:.1f} ms a query")
    print("\nResident memory (RSS, MiB) of the process serving each corpus")
    for r in results:
        served = f", after hybrid queries {r['rss_served']:,.0f}" if "rss_served" in r else ""
        print(f"  {r['papers']:>9,} papers: at start {r['rss_start']:,.0f}, after keyword "
              f"{r.get('rss_keyword', float('nan')):,.0f}{served}, at the end {r['rss_end']:,.0f}")


def run_child(n: int, argv: Sequence[str]) -> dict[str, Any]:
    """Measure one size in a fresh interpreter; its last stdout line is the JSON result."""
    proc = subprocess.run([sys.executable, __file__, "--child", str(n), *argv], capture_output=True, text=True)
    sys.stderr.write(proc.stderr)
    if proc.returncode != 0:
        raise SystemExit(f"measuring the {n:,}-paper corpus failed (exit {proc.returncode}):\n{proc.stdout}")
    lines = proc.stdout.strip().splitlines()
    for line in lines[:-1]:
        print(line)
    return orjson.loads(lines[-1])


def parse_args(argv: Sequence[str] | None) -> tuple[argparse.Namespace, list[str]]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--root", type=Path, default=corpus_mod.OUT, help="where search_corpus.py built them")
    ap.add_argument("--queries", type=Path, default=QUERIES)
    ap.add_argument("--repeat", type=int, default=5, help="timed passes over the queries")
    ap.add_argument("--limit", type=int, default=20)
    ap.add_argument("--baseline-size", type=int, default=100_000, help="corpus size the baseline runs on")
    ap.add_argument("--baseline-repeat", type=int, default=1)
    ap.add_argument("--recall-queries", type=int, default=200)
    ap.add_argument("--no-vectors", action="store_true", help="keyword and baseline only")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    raw = list(sys.argv[1:] if argv is None else argv)
    passthrough = []
    skip = False
    for i, a in enumerate(raw):  # everything but --sizes/--child goes to the children
        if skip:
            if a.startswith("--"):
                skip = False
            else:
                continue
        if a in ("--sizes", "--child"):
            skip = True
            continue
        if a.startswith(("--sizes=", "--child=")):
            continue
        passthrough.append(raw[i])
    return args, passthrough


def main(argv: Sequence[str] | None = None) -> int:
    args, passthrough = parse_args(argv)
    if args.child is not None:
        print(orjson.dumps(measure(args.child, args.root, args)).decode())
        return 0
    cpus = psutil.cpu_count()
    load = psutil.getloadavg()[0]
    print(f"machine: {cpus} CPUs, load average {load:.1f} at start (other work on the machine inflates latency)")
    results = [run_child(n, passthrough) for n in args.sizes]
    report(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
