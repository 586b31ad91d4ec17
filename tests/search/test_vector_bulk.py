"""A large add to the vector set (a backfill) builds the graph with BULK_EF_CONSTRUCTION and must still find
what exact search finds; the set's own construction setting is back afterwards for incremental adds."""

from __future__ import annotations

import numpy as np

from openpapers.search.backends.faiss_set import BULK_ADD, EF_CONSTRUCTION, VectorSet


def test_bulk_add_keeps_recall_and_restores_construction_setting() -> None:
    rng = np.random.default_rng(7)
    n, dim = BULK_ADD + 500, 32
    centres = rng.standard_normal((50, dim))
    vectors = (centres[rng.integers(0, 50, n)] + 0.5 * rng.standard_normal((n, dim))).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    vset = VectorSet(dim)
    vset.add(np.arange(n), [f"p{i}" for i in range(n)], np.zeros(n, dtype=np.uint64), vectors)
    assert vset.index.hnsw.efConstruction == EF_CONSTRUCTION
    queries = vectors[rng.choice(n, 50, replace=False)] + 0.05 * rng.standard_normal((50, dim)).astype(np.float32)
    found = 0
    for q in queries.astype(np.float32):
        ann, _ = vset.search(q, 10, None, method="ann")
        exact, _ = vset.search(q, 10, None, method="exact")
        found += len(set(ann.tolist()) & set(exact.tolist()))
    assert found / 500 >= 0.95
