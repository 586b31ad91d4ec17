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

import hashlib
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

import search_corpus as corpus_mod

KINDS = {
    "random": "independent random unit vectors: latency/memory only, no relevance; worst case for ANN recall",
    "clustered": "random unit vectors around 1,000 random topic centres: latency/memory and a fairer ANN "
                 "recall, no relevance",
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

    def _one(self, text: str) -> np.ndarray:
        digest = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
        rng = np.random.default_rng([self.seed, digest])
        vec = rng.standard_normal(self.dim, dtype=np.float32)
        if self.kind == "clustered":
            vec = self.centres[digest % CENTRES] + vec * (SPREAD / np.sqrt(self.dim))
        return vec / np.linalg.norm(vec)

    def embed(self, texts: Sequence[str], **_: Any) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = self._one(text)
        return out

    def embed_query(self, query: str) -> np.ndarray:
        return self._one(query)


def build_vectors(store: Any, data_dir: Path, kind: str, *, model_limit: int = 20_000, log: Any = print,
                  dim: int | None = None) -> dict[str, Any]:
    """Sync the corpus's vector index with vectors of ``kind``; skipped when the marker says it is done."""
    from openpapers.search.vectors import VectorIndex, default_path

    if kind not in KINDS:
        raise ValueError(f"--vectors must be one of {', '.join(KINDS)}")
    mark = data_dir / corpus_mod.VECTOR_MARK
    papers = store.count_papers()
    limit = model_limit if kind == "model" else None
    done = corpus_mod._read_mark(mark)
    if done and done.get("kind") == kind and done.get("papers") == papers and done.get("limit") == limit:
        return done
    if kind == "model":
        from openpapers.search.embed import Embedder

        embedder: Any = Embedder.load()
    else:
        embedder = RandomEmbedder(dim or _model_dim(), kind)
    log(f"filling the vector index with {kind} vectors ({KINDS[kind]}) for "
        f"{min(papers, limit or papers):,} papers ...")
    t = time.perf_counter()
    index = VectorIndex(default_path(data_dir))
    count = index.sync(store, embedder, limit=limit)
    secs = time.perf_counter() - t
    log(f"  {count:,} vectors in {secs:.0f} s")
    info = {"kind": kind, "note": KINDS[kind], "papers": papers, "limit": limit, "vectors": count,
            "dim": embedder.dim, "model_id": embedder.model_id, "build_seconds": round(secs, 1)}
    corpus_mod._write_mark(mark, info)
    return info


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
    from search_latency import stats, time_queries

    from openpapers.search.embed import Embedder
    from openpapers.search.service import SearchService
    from openpapers.search.types import Filters

    out: dict[str, Any] = {}
    service = SearchService(store, corpus.data_dir)
    filters = Filters()
    rec = _Recorder(Embedder.load())
    service._embedder = rec  # the bench swaps the embedder to time with and without the model call

    def hybrid(q: str) -> Any:
        return service.search(q, mode="hybrid", filters=filters, limit=args.limit)

    out["hybrid_incl"] = stats(time_queries(hybrid, queries, args.repeat))
    texts = list(rec.seen)
    out["embed_query"] = stats(time_queries(lambda t: rec.real.embed([t]), texts, args.repeat))
    service._embedder = _Replay(rec)
    out["hybrid_excl"] = stats(time_queries(hybrid, queries, args.repeat))
    vindex = service.vectors
    vecs = [rec.seen[t] for t in texts]
    samples: list[float] = []
    for _ in range(args.repeat):
        for v in vecs:
            t0 = time.perf_counter()
            vindex.search(v, 20)
            samples.append((time.perf_counter() - t0) * 1000)
    out["vector_search"] = stats(samples)
    out.update(ann_recall(vindex, corpus, rec, args.recall_queries))
    return out


def ann_recall(vindex: Any, corpus: Any, rec: _Recorder, count: int, k: int = 10) -> dict[str, Any]:
    """Recall@k of ``vindex.search`` against brute-force inner product over the index's own vectors.

    Query vectors come from the corpus's distribution: for random kinds fresh draws of the same kind (queries
    far from every stored vector would make any index look perfect or hopeless), for model vectors the real
    embeddings of the bench queries plus paper-title-like texts.
    """
    ids, matrix = index_vectors(vindex)
    kind = (corpus.vectors or {}).get("kind", "random")
    if kind == "model":
        texts = list(rec.seen)
        titles = [f"query {i}: " + t for i, t in enumerate(texts)]
        extra = rec.real.embed(titles[: max(0, count - len(texts))]) if count > len(texts) else None
        qv = np.stack([rec.seen[t] for t in texts] + ([*extra] if extra is not None else []))[:count]
    else:
        gen = RandomEmbedder(matrix.shape[1], kind, seed=1)
        qv = gen.embed([f"recall query {i}" for i in range(count)])
    hits = 0
    exact_ms = []
    for v in qv:
        t0 = time.perf_counter()
        scores = matrix @ v
        top = np.argpartition(-scores, k)[:k]
        exact_ms.append((time.perf_counter() - t0) * 1000)
        truth = {ids[i] for i in top}
        found = {pid for pid, _ in vindex.search(v, k)}
        hits += len(truth & found)
    from search_latency import stats

    return {"recall_at_10": hits / (k * len(qv)), "recall_queries": len(qv), "exact_ms": stats(exact_ms)}


def index_vectors(vindex: Any) -> tuple[list[str], np.ndarray]:
    """Every (paper id, stored vector) of the index, for exact search. Adapted to VectorIndex's storage."""
    raise NotImplementedError("VectorIndex storage access not wired yet")
