"""Build (once) the synthetic corpora the search benchmarks run on: a store of N papers plus its indexes.

    python bench/search_corpus.py --n 100000 --keyword --vectors random
    python bench/search_corpus.py --n 1000000 --keyword --vectors random
    python bench/search_corpus.py --n 100000 --vectors model --model-limit 20000

Why a separate, cached step: importing 1M papers takes minutes and indexing them more, while a latency run
should take seconds and be repeatable; so each stage writes a marker file and is skipped when its marker says
it is already done for the same inputs. The snapshot comes from ``gen_snapshot.py`` (titles and abstracts
drawn from the seed vocabulary, real lengths) and is shared with ``import_snapshot.py`` under ``bench/out/``.

Vectors: ``random`` fills the vector index with random unit vectors (cheap to make; good for latency and
memory figures, meaningless for relevance, and every report says so), ``clustered`` with random vectors
around random topic centres (closer to real embeddings' structure), ``model`` embeds the newest
``--model-limit`` papers with the real embedder (slow on a CPU), which is what relevance needs. One corpus holds
one kind at a time: asking for another kind replaces the vectors.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from openpapers.core.settings import resolve_settings
from openpapers.papers.ingest import run_import
from openpapers.papers.store import Store, open_store
from openpapers.sources.arxiv_snapshot import ArxivSnapshotSource

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
STORE_MARK = "bench-store.json"
KEYWORD_MARK = "bench-keyword.json"
VECTOR_MARK = "bench-vectors.json"


@dataclass(slots=True)
class Corpus:
    """Where a built corpus lives and what was built into it (read back from the marker files)."""

    n: int
    data_dir: Path
    papers: int
    keyword: dict[str, Any] | None
    vectors: dict[str, Any] | None


def snapshot_path(n: int, root: Path = OUT, seed: int = 0) -> Path:
    """The synthetic snapshot of ``n`` papers, generated on first use (the same file import_snapshot.py uses)."""
    name = f"snapshot-{n}.jsonl" if seed == 0 else f"snapshot-{n}-s{seed}.jsonl"
    path = root / name
    if not path.exists():
        root.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".partial")
        workers = "2" if n >= 50_000 else "1"
        subprocess.run(
            [sys.executable, str(HERE / "gen_snapshot.py"), "--out", str(tmp), "--n", str(n), "--seed", str(seed),
             "--workers", workers],
            check=True,
        )
        tmp.rename(path)  # only a complete file gets the real name, so a killed run regenerates
    return path


def corpus_dir(n: int, root: Path = OUT) -> Path:
    return root / f"corpus-{n}"


def read_mark(path: Path) -> dict[str, Any] | None:
    return orjson.loads(path.read_bytes()) if path.exists() else None


def write_mark(path: Path, data: dict[str, Any]) -> None:
    path.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))


def build_store(n: int, root: Path = OUT, log: Any = print) -> Path:
    """Import the ``n``-paper snapshot into ``corpus-<n>/`` unless a finished import is recorded there.

    An interrupted import resumes from the store's own checkpoint, so killing this step loses at most a page.
    """
    data_dir = corpus_dir(n, root)
    mark = data_dir / STORE_MARK
    if (done := read_mark(mark)) and done.get("n") == n:
        return data_dir
    snap = snapshot_path(n, root)
    data_dir.mkdir(parents=True, exist_ok=True)
    log(f"importing {snap.name} into {data_dir} ...")
    t = time.perf_counter()
    with open_store(resolve_settings(data_dir)) as store:
        report = run_import(store, ArxivSnapshotSource(snap))
        papers = store.count_papers()
    secs = time.perf_counter() - t
    log(f"  {report.records:,} records -> {papers:,} papers in {secs:.0f} s ({report.records / secs:,.0f}/s)")
    write_mark(mark, {"n": n, "papers": papers, "import_seconds": round(secs, 1), "snapshot": snap.name})
    return data_dir


def keyword_index_path(data_dir: Path) -> Path:
    """Where the keyword index of a corpus lives: the place :class:`SearchService` looks for it."""
    from openpapers.search.backends.tantivy import default_path

    return default_path(data_dir)


def build_keyword(store: Store, data_dir: Path, log: Any = print) -> dict[str, Any]:
    """Sync the tantivy keyword index with the store (incremental, so a finished index costs one quick pass)."""
    from openpapers.search.backends.tantivy import KeywordIndex

    mark = data_dir / KEYWORD_MARK
    done = read_mark(mark)
    papers = store.count_papers()
    if done and done.get("papers") == papers:
        return done
    log(f"building the keyword index of {papers:,} papers ...")
    t = time.perf_counter()
    index = KeywordIndex(keyword_index_path(data_dir))
    index.sync(store)
    secs = time.perf_counter() - t
    log(f"  keyword index built in {secs:.0f} s ({papers / secs:,.0f} papers/s)")
    info = {"papers": papers, "build_seconds": round(secs, 1)}
    write_mark(mark, info)
    return info


def load_corpus(n: int, root: Path = OUT) -> Corpus:
    """A built corpus as recorded by its markers; raises if the store was never built."""
    data_dir = corpus_dir(n, root)
    store_mark = read_mark(data_dir / STORE_MARK)
    if not store_mark:
        raise FileNotFoundError(f"no corpus of {n} papers under {root}; run bench/search_corpus.py --n {n}")
    return Corpus(n, data_dir, store_mark["papers"], read_mark(data_dir / KEYWORD_MARK),
                  read_mark(data_dir / VECTOR_MARK))


def build(n: int, *, root: Path = OUT, keyword: bool = False, vectors: str | None = None,
          model_limit: int = 20_000, max_new: int | None = None, log: Any = print) -> Corpus:
    """Every stage asked for, each skipped when already done; returns what the corpus now holds."""
    data_dir = build_store(n, root, log)
    if keyword or vectors:
        with open_store(resolve_settings(data_dir)) as store:
            if keyword:
                build_keyword(store, data_dir, log)
            if vectors:
                from search_vectors import build_vectors  # numpy and the model only when vectors are asked for

                build_vectors(store, data_dir, vectors, model_limit=model_limit, max_new=max_new, log=log)
    return load_corpus(n, root)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, action="append", help="corpus size; repeatable [default: 100000]")
    ap.add_argument("--root", type=Path, default=OUT, help="where snapshots and corpora live [bench/out]")
    ap.add_argument("--keyword", action="store_true", help="also build the keyword index")
    ap.add_argument("--vectors", choices=("random", "clustered", "static", "model"),
                    help="also fill the vector index (see bench/README.md for the kinds)")
    ap.add_argument("--model-limit", type=int, default=20_000, help="papers to embed with --vectors model")
    ap.add_argument("--max-new", type=int, help="embed at most this many papers in this run (0: only rebuild the "
                    "index from vectors already in the store); the fill continues on the next run")
    args = ap.parse_args(argv)
    for n in args.n or [100_000]:
        corpus = build(n, root=args.root, keyword=args.keyword, vectors=args.vectors, model_limit=args.model_limit,
                       max_new=args.max_new)
        print(f"corpus {n:,}: {corpus.data_dir} ({corpus.papers:,} papers); keyword: {corpus.keyword}; "
              f"vectors: {corpus.vectors}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    raise SystemExit(main())
