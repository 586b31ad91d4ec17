"""Topic build measures: quality on the embedded demo corpus, and time and memory at scale from stored vectors.

    python bench/topics.py demo                    # purity, silhouette, coverage, shares on the demo corpus
    python bench/topics.py scale --papers 100000   # a store of synthetic papers and vectors, then a rebuild

``demo`` embeds the demo corpus (about a minute on two cores; reused from ``--data-dir`` when given and already
embedded), rebuilds the topics and measures them against tests/topics/demo_topic_labels.json (hand-written themes
of 100 papers). ``scale`` writes ``--papers`` papers with 384-d vectors into a fresh SQLite store (vectors: a
mixture of ``--groups`` directions plus the shared component sentence embeddings have; texts: words drawn from
each group's vocabulary) and times ``openpapers topics rebuild``'s work on it, reading the stored vectors: load,
cluster (every candidate k), layout, labels, write. Peak memory is the process's maximum resident set size; CPU
seconds and the load average say how busy the machine was (on a shared host, wall time alone misleads).
Run it under ``taskset -c 0,1`` for the two-core figure.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "tests" / "topics" / "demo_topic_labels.json"


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu() -> float:
    """CPU seconds of this process (user + system): less sensitive than wall time to a busy shared machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def synthetic(n: int, groups: int, dim: int = 384, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    common = rng.normal(size=dim).astype(np.float32)
    centres = rng.normal(size=(groups, dim)).astype(np.float32)
    sizes = rng.dirichlet(np.full(groups, 3.0)) * n
    truth = np.repeat(np.arange(groups), np.maximum(1, sizes.astype(int)))[:n]
    truth = np.concatenate([truth, rng.integers(0, groups, n - len(truth))])
    x = centres[truth] + rng.normal(scale=1.3, size=(n, dim)).astype(np.float32) + 3.0 * common
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32), truth


def _fill(store: object, x: np.ndarray, truth: np.ndarray, seed: int = 0) -> None:
    """Papers (one claim each, as an arXiv import writes them) and their vectors, written in bulk."""
    from sqlalchemy import select

    from openpapers.core.records import PaperRecord
    from openpapers.db import schema as t

    rng = np.random.default_rng(seed)
    vocab = [f"w{g}x{j}" for g in range(int(truth.max()) + 1) for j in range(30)]
    common = [f"common{j}" for j in range(200)]
    batch: list[PaperRecord] = []
    for i, g in enumerate(truth.tolist()):
        own = rng.choice(30, size=12)
        words = [vocab[g * 30 + j] for j in own] + [common[j] for j in rng.choice(200, size=25)]
        batch.append(PaperRecord(source="bench", source_key=f"s{i}", title=" ".join(words[:8]) + f" {i}",
                                 abstract=" ".join(words), published=None))
        if len(batch) == 5000:
            store.apply(batch)  # type: ignore[attr-defined]
            batch = []
    if batch:
        store.apply(batch)  # type: ignore[attr-defined]
    with store.engine.connect() as conn:  # type: ignore[attr-defined]
        paper_of = dict(conn.execute(select(t.claims.c.source_key, t.claims.c.paper_id)).tuples().all())
    rows = [(paper_of[f"s{i}"], "bench-model", "bench", np.ascontiguousarray(v, dtype="<f4").tobytes())
            for i, v in enumerate(x)]
    for i in range(0, len(rows), 10_000):
        store.put_embeddings(rows[i:i + 10_000])  # type: ignore[attr-defined]


def scale(papers: int, groups: int) -> dict[str, object]:
    from openpapers.core.settings import resolve_settings
    from openpapers.papers.store import open_store
    from openpapers.topics import repository, service

    x, truth = synthetic(papers, groups)
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(resolve_settings(tmp))
        t0 = time.perf_counter()
        _fill(store, x, truth)
        filled = time.perf_counter() - t0
        del x
        before = _rss_mb()
        t1, cpu1 = time.perf_counter(), _cpu()
        report = service.rebuild(store)
        seconds, cpu = time.perf_counter() - t1, _cpu() - cpu1
        assert report is not None
        assign = repository.assignments(store.engine)
        store.close()
    return {"papers": papers, "groups": groups, "fill_seconds": round(filled, 1), "rebuild_seconds": round(seconds, 1),
            "rebuild_cpu_seconds": round(cpu, 1), "load_average": round(os.getloadavg()[0], 1),
            "topics": report.topics, "silhouette": report.silhouette, "tried": report.detail["tried"],
            "largest_share": report.detail["largest_share"], "phases": report.detail["phases"],
            "rss_before_mb": round(before),
            "peak_rss_mb": round(_rss_mb()), "placed": len(assign), "cpus": len(os.sched_getaffinity(0))}


def demo(data_dir: str | None) -> dict[str, object]:
    from openpapers.core.settings import resolve_settings
    from openpapers.papers.demo import load_demo
    from openpapers.papers.store import open_store
    from openpapers.search.service import SearchService
    from openpapers.topics import quality, repository, service

    folder = data_dir or tempfile.mkdtemp(prefix="topics-demo-")
    store = open_store(resolve_settings(folder))
    if store.count_papers() == 0:
        load_demo(store)
    SearchService(store, folder).sync()
    report = service.rebuild(store)
    assert report is not None
    assign = repository.assignments(store.engine)
    rows = repository.topics(store.engine)
    themes = {p["id"]: p["theme"] for p in json.loads(LABELS.read_text())["papers"]}
    q = quality.measure(assign, {r.id: r.label for r in rows}, themes)
    sciml = [assign[p] for p, th in themes.items() if th == "sciml" and p in assign]
    best = max(set(sciml), key=sciml.count) if sciml else None
    store.close()
    return {"papers": report.papers, "topics": report.topics, "silhouette": report.silhouette,
            "tried": report.detail["tried"], "purity": round(q.purity, 3), "judged": q.judged,
            "labelled_topics": q.labelled_topics, "coverage": q.coverage, "largest_share": round(q.largest_share, 3),
            "sciml_in_one_topic": f"{sciml.count(best)}/{len(sciml)}" if best is not None else "0/0",
            "sciml_topic_label": next((r.label for r in rows if r.id == best), None),
            "seconds": round(report.seconds, 1), "labels": [(r.id, r.size, r.label) for r in rows]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    d = sub.add_parser("demo")
    d.add_argument("--data-dir")
    s = sub.add_parser("scale")
    s.add_argument("--papers", type=int, default=100_000)
    s.add_argument("--groups", type=int, default=40)
    args = parser.parse_args(argv)
    out = demo(args.data_dir) if args.what == "demo" else scale(args.papers, args.groups)
    json.dump(out, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
