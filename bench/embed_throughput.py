"""Embedding throughput: the whole indexing pipeline against the bare model on the same texts.

    python bench/embed_throughput.py            # 200 demo papers, 2 rounds
    python bench/embed_throughput.py --n 391 --rounds 3 --json out.json

*raw model* times only the onnxruntime calls (``Embedder.run_model``) over the already tokenized texts, on the
same worker threads the pipeline uses; *embed()* adds tokenizing, pooling and normalising; *pipeline* is
``VectorIndex.sync`` on a fresh index: reading papers from the store, hashing their text, embedding, writing
vectors to SQLite, adding them to the HNSW graph and saving the index. The target is pipeline >= 85 % of raw.
Rounds alternate raw and pipeline so that load from other processes hits both alike; the table shows the median
per stage.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from openpapers.core.settings import resolve_settings
from openpapers.papers.demo import load_demo
from openpapers.papers.store import open_store
from openpapers.search.backends.faiss import VectorIndex
from openpapers.search.embed import Embedder, paper_text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200, help="papers to embed (newest demo papers; at most 391)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--threads", type=int, default=None, help="model calls in flight (default: cores)")
    ap.add_argument("--json", type=Path, help="also write the numbers here")
    args = ap.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="embed-bench-"))
    store = open_store(resolve_settings(work))
    load_demo(store)
    embedder = Embedder.load(threads=args.threads)
    papers = sorted(store.iter_papers(), key=lambda p: (p.published.toordinal() if p.published else 0, p.id),
                    reverse=True)[: args.n]  # what sync(limit=n) picks: the newest
    texts = [paper_text(p) for p in papers]
    ids = embedder.tokenize(texts)
    tokens = sum(len(i) for i in ids)
    embedder.embed(texts[:4])  # warm-up: first-call allocations

    times: dict[str, list[float]] = {"raw model": [], "embed()": [], "pipeline": []}
    for r in range(args.rounds):
        t = time.perf_counter()
        embedder.map(embedder.run_model, ids)
        times["raw model"].append(time.perf_counter() - t)

        t = time.perf_counter()
        embedder.embed(texts)
        times["embed()"].append(time.perf_counter() - t)

        store.delete_embeddings([p.id for p in papers])
        index = VectorIndex(work / f"vectors-{r}")
        t = time.perf_counter()
        done = index.sync(store, embedder, limit=len(papers))
        times["pipeline"].append(time.perf_counter() - t)
        if done != len(papers):
            print(f"pipeline embedded {done} papers, expected {len(papers)}", file=sys.stderr)
            return 1
    store.close()

    raw = statistics.median(times["raw model"])
    print(f"{len(texts)} papers, {tokens / len(texts):.0f} tokens each on average, {embedder.threads} model "
          f"threads, model {embedder.model_id}, {args.rounds} rounds (median)")
    print(f"{'stage':<12} {'seconds':>8} {'papers/s':>9} {'% of raw':>9}")
    rows = {}
    for stage, secs in times.items():
        s = statistics.median(secs)
        rows[stage] = {"seconds": round(s, 3), "per_s": round(len(texts) / s, 2), "of_raw": round(raw / s, 3)}
        print(f"{stage:<12} {s:>8.2f} {len(texts) / s:>9.2f} {100 * raw / s:>8.1f}%")
    ok = rows["pipeline"]["of_raw"] >= 0.85
    print(f"pipeline/raw = {100 * rows['pipeline']['of_raw']:.1f}% (target >= 85%): {'ok' if ok else 'BELOW TARGET'}")
    if args.json:
        args.json.write_text(json.dumps({"papers": len(texts), "tokens_avg": tokens / len(texts),
                                         "threads": embedder.threads, "model": embedder.model_id,
                                         "rounds": args.rounds, "stages": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
