"""Vector side of the search benches: fill a corpus's vector index, time hybrid search, measure ANN recall.

Used by ``search_corpus.py`` (``build_vectors``) and ``search_latency.py`` (``measure_vectors``); not a script.

Why stand-in embedders: the real model embeds a few hundred papers a second on a 2-core CPU, so a million
model-made vectors would take most of a day. Latency, memory and approximate-search recall depend on the
number and dimension of the vectors far more than on what they mean, so random vectors of the model's
dimension measure them in seconds; the output always names the kind, because their relevance is nil.
Vectors are derived from a hash of the paper's text, so re-syncing an unchanged corpus reproduces them and an
incremental sync never mixes two draws.
"""

from __future__ import annotations

import cProfile
import hashlib
import pstats
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import psutil

import search_corpus as corpus_mod

KINDS = {
    "random": "independent random unit vectors: latency/memory only, no relevance; worst case for ANN recall",
    "clustered": "random unit vectors around 1,000 random topic centres: latency/memory and a fairer ANN "
                 "recall, no relevance",
    "static": "static MiniLM vectors (IDF-weighted mean of the shipped model's per-token vectors, see "
              "search_static.py): real topical structure, fast; fair for ANN recall, not for relevance",
    "model": "made by the real embedding model",
}
CENTRES = 1000
SPREAD = 1.0  # norm of the noise added to a unit centre: same-topic cosines around 0.5, as in real embeddings


class RandomEmbedder:
    """Duck-types :class:`openpapers.search.embed.Embedder` with hash-seeded random unit vectors."""

    def __init__(self, dim: int, kind: str = "random", seed: int = 0) -> None:
        if kind not in ("random", "clustered"):
            raise ValueError(f"unknown random vector kind {kind!r}")
        self.dim = dim
        self.kind = kind
        self.seed = seed
        self.model_id = f"bench-{kind}-{dim}@seed{seed}"
        rng = np.random.default_rng([seed, dim, 7])
        centres = rng.standard_normal((CENTRES, dim)).astype(np.float32)
        self.centres = centres / np.linalg.norm(centres, axis=1, keepdims=True)

    def embed(self, texts: Sequence[str], **_: Any) -> np.ndarray:
        """Gaussian vectors from SHAKE-128 bytes of each text (Box-Muller), normalised: ~5 µs a text, where a
        seeded numpy generator per text costs ~150 µs (a million papers: seconds instead of minutes)."""
        n, dim = len(texts), self.dim
        prefix = f"{self.seed}:".encode()
        raw = b"".join(hashlib.shake_128(prefix + t.encode()).digest(dim * 4 + 4) for t in texts)
        words = np.frombuffer(raw, dtype=np.uint32).reshape(n, dim + 1)
        u = (words[:, :dim].astype(np.float64) + 0.5) / 2.0**32
        half = dim // 2
        radius = np.sqrt(-2.0 * np.log(u[:, :half]))
        angle = 2.0 * np.pi * u[:, half : 2 * half]
        vec = np.empty((n, dim), dtype=np.float64)
        vec[:, :half] = radius * np.cos(angle)
        vec[:, half : 2 * half] = radius * np.sin(angle)
        if dim % 2:
            vec[:, -1] = radius[:, 0] * np.sin(angle[:, 0] + 1.0)
        if self.kind == "clustered":
            vec = self.centres[words[:, dim] % CENTRES] + vec * (SPREAD / np.sqrt(dim))
        vec /= np.linalg.norm(vec, axis=1, keepdims=True)
        return vec.astype(np.float32)

    def embed_query(self, query: str) -> np.ndarray:
        return self.embed([query])[0]


def build_vectors(store: Any, data_dir: Path, kind: str, *, model_limit: int = 20_000, log: Any = print,
                  dim: int | None = None, max_new: int | None = None) -> dict[str, Any] | None:
    """Sync the corpus's vector index with vectors of ``kind``; skipped when the marker says it is done.

    ``max_new`` caps the papers embedded by this call (0: only bring the index up to date with the vectors
    already in the store, e.g. after an index format change, without making more). When the index ends up
    holding fewer vectors than asked for, no marker is written and None is returned: the corpus is partial
    (see :func:`current_state`), and the next call continues the fill.
    """
    from openpapers.search.backends.faiss import VectorIndex, default_path

    if kind not in KINDS:
        raise ValueError(f"--vectors must be one of {', '.join(KINDS)}")
    mark = data_dir / corpus_mod.VECTOR_MARK
    papers = store.count_papers()
    limit = model_limit if kind == "model" else None
    done = corpus_mod.read_mark(mark)
    if (done and done.get("kind") == kind and done.get("papers") == papers and done.get("limit") == limit
            and VectorIndex(default_path(data_dir)).model_id == done.get("model_id")):
        return done
    mark.unlink(missing_ok=True)  # until this sync ends, the index is whatever current_state() finds
    if kind == "model":
        from openpapers.search.embed import Embedder

        embedder: Any = Embedder.load()
    elif kind == "static":
        from search_static import StaticEmbedder, fill_store

        embedder = StaticEmbedder.for_store(store, log)
        if max_new != 0:
            log("writing static vectors into the store (resumable) ...")
            fill_store(store, embedder, log=log)
    else:
        embedder = RandomEmbedder(dim or _model_dim(), kind)
    log(f"filling the vector index with {kind} vectors ({KINDS[kind]}) for "
        f"{min(papers, limit or papers):,} papers ...")
    t = time.perf_counter()
    index = VectorIndex(default_path(data_dir))
    step = max(10_000, papers // 20)
    last = [0.0]

    def progress(done: int) -> None:
        if done // step > last[0]:
            last[0] = done // step
            log(f"  {done:,} embedded ({time.perf_counter() - t:.0f} s)")

    cap = limit if max_new is None else (max_new if limit is None else min(limit, max_new))
    embedded = index.sync(store, embedder, limit=cap, progress=progress)
    secs = time.perf_counter() - t
    count = index.count()
    log(f"  {embedded:,} papers embedded in {secs:.0f} s; the index holds {count:,} vectors")
    if count < min(papers, limit or papers):
        log(f"  PARTIAL: {count:,} of {min(papers, limit or papers):,} papers have vectors; run again to continue")
        return None
    info = {"kind": kind, "note": KINDS[kind], "papers": papers, "limit": limit, "vectors": count,
            "dim": embedder.dim, "model_id": embedder.model_id, "build_seconds": round(secs, 1)}
    corpus_mod.write_mark(mark, info)
    return info


def current_state(data_dir: Path, papers: int) -> dict[str, Any] | None:
    """What the vector index holds when no finished build is recorded (a fill stopped or still running):
    the last saved generation, so a long 1M fill can be measured part way, and the output says so."""
    from openpapers.search.backends.faiss import VectorIndex, default_path

    path = default_path(data_dir)
    if not path.exists():
        return None
    index = VectorIndex(path)
    model = index.model_id
    if model is None:
        return None
    kind = next((k for k in ("random", "clustered", "static") if model.startswith(f"bench-{k}-")), "model")
    count = index.count()
    return {"kind": kind, "vectors": count, "papers": papers, "model_id": model, "partial": True,
            "note": f"{KINDS[kind]}; PARTIAL: {count:,} of {papers:,} papers have vectors (the fill was "
                    "stopped or is still running)"}


def _model_dim() -> int:
    """The shipped model's dimension, read without loading the model (random vectors must match it)."""
    import orjson

    from openpapers.search.embed import DEFAULT, MODELS_DIR

    try:
        return int(orjson.loads((MODELS_DIR / DEFAULT / "model.json").read_bytes())["dim"])
    except FileNotFoundError:
        return 384  # all-MiniLM-L6-v2


# -- measuring -----------------------------------------------------------------------------------------------
class _Recorder:
    """Wraps the real embedder, remembering each text's vector so a second pass can skip the model."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.dim = real.dim
        self.model_id = real.model_id
        self.seen: dict[str, np.ndarray] = {}

    def embed(self, texts: Sequence[str], **kw: Any) -> np.ndarray:
        out = self.real.embed(list(texts), **kw)
        for text, vec in zip(texts, out, strict=True):
            self.seen[text] = vec
        return out

    def embed_query(self, query: str) -> np.ndarray:
        # The real embed_query caches recent queries; timing "embedding included" must not hit that cache.
        return self.embed([query])[0]


class _Replay:
    """Serves recorded vectors: hybrid latency with the query embedding excluded."""

    def __init__(self, rec: _Recorder) -> None:
        self.rec = rec
        self.dim = rec.dim
        self.model_id = rec.model_id

    def embed(self, texts: Sequence[str], **kw: Any) -> np.ndarray:
        try:
            return np.stack([self.rec.seen[t] for t in texts])
        except KeyError:
            return self.rec.embed(texts, **kw)

    def embed_query(self, query: str) -> np.ndarray:
        return self.embed([query])[0]


def measure_vectors(store: Any, corpus: Any, queries: Sequence[str], args: Any) -> dict[str, Any]:
    """Hybrid latency (embedding included and excluded), vector search alone, ANN recall@10 vs exact."""
    from openpapers.search.embed import Embedder
    from openpapers.search.service import SearchService
    from openpapers.search.types import Filters
    from search_latency import stats, time_queries

    out: dict[str, Any] = {}
    service = SearchService(store, corpus.data_dir)
    filters = Filters()
    loaded = service.vectors.count()
    if not loaded:  # the service would quietly run keyword-only hybrid searches: refuse to time those
        raise SystemExit(f"the vector index of {corpus.data_dir} cannot be loaded (built by another version?): "
                         "run bench/search_corpus.py --vectors ... again")
    out["vectors_loaded"] = loaded
    kind = (corpus.vectors or {}).get("kind", "random")
    model = Embedder.load()
    if kind == "static":  # query vectors must live in the index's space: the same static function
        from search_static import StaticEmbedder

        rec = _Recorder(StaticEmbedder.for_store(store, log=lambda *_: None))
    else:
        rec = _Recorder(model)
    service._embedder = rec  # the bench swaps the embedder to time with and without the model call

    def hybrid(q: str) -> Any:
        return service.search(q, mode="hybrid", filters=filters, limit=args.limit)

    out["hybrid_incl"] = stats(time_queries(hybrid, queries, args.repeat))
    texts = list(rec.seen)
    # The real model's query embedding, whatever the index's kind: what a served query pays on top.
    out["embed_query"] = stats(time_queries(lambda t: model.embed([t]), texts, args.repeat))
    out["query_embedder"] = "static (the index's kind)" if kind == "static" else "the real model"
    service._embedder = _Replay(rec)
    out["hybrid_excl"] = stats(time_queries(hybrid, queries, args.repeat))
    out["hybrid_breakdown"] = hybrid_breakdown(hybrid, queries)
    vindex = service.vectors
    vecs = [rec.seen[t] for t in texts]
    samples: list[float] = []
    for _ in range(args.repeat):
        for v in vecs:
            t0 = time.perf_counter()
            vindex.search(v, 20)
            samples.append((time.perf_counter() - t0) * 1000)
    out["vector_search"] = stats(samples)
    out["rss_served"] = psutil.Process().memory_info().rss / 2**20  # before recall copies the vectors
    out.update(ann_recall(vindex, corpus, rec, args.recall_queries))
    return out


def hybrid_breakdown(search: Any, queries: Sequence[str]) -> dict[str, float]:
    """Share of hybrid-search time in each part (one profiled pass, embedding excluded): where to optimise."""
    prof = cProfile.Profile()
    prof.enable()
    t0 = time.perf_counter()
    for q in queries:
        search(q)
    total = time.perf_counter() - t0
    prof.disable()
    parts = {"keyword retriever (depth 100)": ("keyword.py", "search"), "vector search": ("vectors.py", "search"),
             "loading hit papers": ("sql.py", "get_papers"), "highlighting": ("service.py", "_highlight")}
    table = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    out = {}
    for name, (file, func) in parts.items():
        out[name] = sum(v[3] for (f, _l, fn), v in table.items() if f.endswith(file) and fn == func) / total
    return out


def vindex_store(corpus: Any) -> Any:
    from openpapers.core.settings import resolve_settings
    from openpapers.papers.store import open_store

    return open_store(resolve_settings(corpus.data_dir))


def ann_recall(vindex: Any, corpus: Any, rec: _Recorder, count: int, k: int = 10) -> dict[str, Any]:
    """Recall@k of ``vindex.search`` against brute-force inner product over the index's own vectors.

    Query vectors come from the corpus's distribution: for random kinds fresh draws of the same kind (queries
    far from every stored vector would make any index look perfect or hopeless), for static vectors the bench
    queries and random stored papers' titles through the same static function, for model vectors the real
    embeddings of the bench queries plus perturbed stored vectors (near-duplicate queries).
    """
    from openpapers.search.backends.faiss import VectorIndex
    from search_latency import stats

    vindex = VectorIndex(vindex.path, exact_threshold=0)  # always the graph, even on a small corpus
    ids, matrix = vindex.live_vectors()
    kind = (corpus.vectors or {}).get("kind", "random")
    if kind == "static":  # the bench queries, then titles of random stored papers, through the static function
        store = vindex_store(corpus)
        rng = np.random.default_rng(3)
        picks = rng.choice(len(ids), size=max(0, count - len(rec.seen)), replace=False).tolist()
        titles = [p.title for p in store.get_papers([ids[i] for i in picks])]
        store.close()
        qv = rec.real.embed([*list(rec.seen)[:count], *titles]).astype(np.float32)
    elif kind == "model":
        texts = list(rec.seen)[:count]
        vecs = [rec.seen[t] for t in texts]
        rng = np.random.default_rng(3)
        while len(vecs) < count:  # perturbed stored vectors stand in for more queries
            v = matrix[int(rng.integers(len(matrix)))] + rng.standard_normal(matrix.shape[1]).astype(np.float32) * 0.03
            vecs.append(v / np.linalg.norm(v))
        qv = np.stack(vecs).astype(np.float32)
    else:
        qv = RandomEmbedder(matrix.shape[1], kind, seed=1).embed([f"recall query {i}" for i in range(count)])
    truth: list[set[str]] = []
    t0 = time.perf_counter()
    for start in range(0, len(qv), 50):  # 50 queries per pass over the matrix keeps the score block small
        scores = matrix @ qv[start : start + 50].T
        top = np.argpartition(-scores, k, axis=0)[:k]
        truth.extend({ids[i] for i in top[:, j].tolist()} for j in range(top.shape[1]))
    exact_ms = (time.perf_counter() - t0) * 1000 / len(qv)
    del matrix
    hits = 0
    ann_ms = []
    for v, want in zip(qv, truth, strict=True):
        t1 = time.perf_counter()
        found = vindex.search(v, k)
        ann_ms.append((time.perf_counter() - t1) * 1000)
        hits += len(want & {pid for pid, _ in found})
    return {"recall_at_10": hits / (k * len(qv)), "recall_queries": len(qv), "exact_ms_per_query": exact_ms,
            "ann_ms": stats(ann_ms)}
