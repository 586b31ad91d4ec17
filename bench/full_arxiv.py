"""Bench: a whole synthetic arXiv on one box: snapshot import, keyword index, bulk vectors, stage by stage.

    python bench/full_arxiv.py --n 100000 [--baseline] [--workers 2] [--dim 384]

Generates (once) a synthetic snapshot of ``--n`` papers (gen_snapshot.py: the real format and shape), then
runs each stage on a fresh SQLite store and prints its time, papers/s, RSS now and peak, and the data dir's
size on disk:

* import: the empty-store bulk path (papers/bulk_load.py); its baseline, JSON-decoding the same file, is
  measured in the same run, so "x decode" is comparable across machines;
* keyword: the first keyword-index build (``KeywordIndex.sync`` into an empty index);
* vectors: the vector index filled from random unit vectors of ``--dim`` (RandomEmbedder from
  search_vectors.py: the cost of everything but the model), stored and added in batches.

With ``--baseline`` the keyword and vector stages are also run the way they worked before (every paper decoded
into a Paper and upserted; vectors stored and added 128 at a time) in the same run, and the speed-up printed:
on a shared machine only such same-run ratios mean anything.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from openpapers.core.settings import resolve_settings
from openpapers.papers.bulk_load import bulk_import
from openpapers.papers.store import Store, open_store
from openpapers.search.backends import faiss_sync
from openpapers.search.backends import tantivy_schema as ks
from openpapers.search.backends.faiss import VectorIndex
from openpapers.search.backends.tantivy import WRITER_HEAP, KeywordIndex
from openpapers.sources.arxiv_snapshot import ArxivSnapshotSource
from search_vectors import RandomEmbedder  # bench/ is not a package

HERE = Path(__file__).resolve().parent
PROC = psutil.Process()


def disk_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def stage(name: str, n: int, fn: Callable[[], Any], where: Path, rows: list[tuple[Any, ...]]) -> float:
    t = time.perf_counter()
    fn()
    secs = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows.append((name, secs, n / secs, PROC.memory_info().rss / 2**20, peak, disk_mb(where)))
    print(f"  {name}: {secs:.1f} s", flush=True)
    return secs


def old_keyword_build(store: Store, path: Path) -> int:
    """The keyword build as it was: every paper decoded into a Paper, upserted (delete + add) one by one."""
    index = KeywordIndex(path)
    done = 0
    with index._index.writer(heap_size=WRITER_HEAP) as writer:
        for paper in store.iter_papers(batch_size=5000):
            writer.delete_documents_by_term("id", paper.id)
            writer.add_document(ks.paper_document(paper))
            done += 1
        writer.commit()
    return done


def vector_fill(store: Store, path: Path, dim: int, write_chunk: int) -> int:
    saved = faiss_sync.WRITE_CHUNK
    faiss_sync.WRITE_CHUNK = write_chunk
    try:
        return VectorIndex(path).sync(store, RandomEmbedder(dim, "clustered"))
    finally:
        faiss_sync.WRITE_CHUNK = saved


def ann_recall(path: Path, dim: int, queries: int = 200) -> float:
    """recall@10 of the HNSW search (forced) against exact search, for queries drawn like the vectors (the same
    topic centres: another seed would draw other centres, queries far from every paper)."""
    ann, exact = VectorIndex(path, method="ann"), VectorIndex(path, method="exact")
    vectors = RandomEmbedder(dim, "clustered").embed([f"query {i}" for i in range(queries)])
    hits = 0
    for q in vectors:
        hits += len({p for p, _ in ann.search(q, 10)} & {p for p, _ in exact.search(q, 10)})
    return hits / (10 * queries)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--baseline", action="store_true", help="also run the keyword and vector stages the old way")
    ap.add_argument("--workers", type=int, help="parsing processes of the bulk import [default: per core, max 4]")
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--keep", action="store_true", help="keep the data dir")
    args = ap.parse_args()

    snap = HERE / "out" / f"snapshot-{args.n}.jsonl"
    if not snap.exists():
        snap.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, str(HERE / "gen_snapshot.py"), "--out", str(snap), "--n", str(args.n)],
                       check=True)
    data = Path(tempfile.mkdtemp(prefix="openpapers-full-"))
    rows: list[tuple[Any, ...]] = []
    print(f"{args.n:,} papers, data dir {data}", flush=True)

    def decode() -> None:
        with snap.open("rb") as fh:
            for line in fh:
                orjson.loads(line)

    t_decode = stage("baseline: JSON-decode the snapshot", args.n, decode, data, rows)
    store = open_store(resolve_settings(data))
    t_import = stage("import (bulk path, empty store)", args.n,
                     lambda: bulk_import(store, ArxivSnapshotSource(snap), workers=args.workers), data, rows)
    t_kw_old = t_vec_old = 0.0
    if args.baseline:
        t_kw_old = stage("keyword index, before (Paper + upsert)", args.n,
                         lambda: old_keyword_build(store, data / "old" / "keyword"), data, rows)
        shutil.rmtree(data / "old")
    t_kw = stage("keyword index (first sync)", args.n,
                 lambda: KeywordIndex(data / "index" / "keyword").sync(store), data, rows)
    if args.baseline:
        t_vec_old = stage(f"vectors, before (random {args.dim}-d, 128 a batch)", args.n,
                          lambda: vector_fill(store, data / "old" / "vectors", args.dim, faiss_sync.EMBED_CHUNK),
                          data, rows)
        shutil.rmtree(data / "old")
        with store.engine.begin() as conn:  # the next fill starts from an empty embeddings table too
            conn.exec_driver_sql("DELETE FROM embeddings")
    t_vec = stage(f"vectors (random {args.dim}-d, batched)", args.n,
                  lambda: vector_fill(store, data / "index" / "vectors", args.dim, faiss_sync.WRITE_CHUNK),
                  data, rows)
    recall = ann_recall(data / "index" / "vectors", args.dim)
    store.close()

    print(f"\n{'stage':<46}{'s':>8}{'papers/s':>10}{'RSS MiB':>9}{'peak':>7}{'disk MB':>9}")
    for name, secs, rate, rss, peak, disk in rows:
        print(f"{name:<46}{secs:>8.1f}{rate:>10,.0f}{rss:>9,.0f}{peak:>7,.0f}{disk:>9,.0f}")
    print(f"\nimport: {t_decode / t_import:.1%} of JSON decode in the same run")
    if args.baseline:
        print(f"keyword build: {t_kw_old / t_kw:.2f}x before; vector fill: {t_vec_old / t_vec:.2f}x before")
    print(f"ANN recall@10 of the batched build (200 queries, against exact search): {recall:.3f}")
    if not args.keep:
        shutil.rmtree(data)


if __name__ == "__main__":
    main()
