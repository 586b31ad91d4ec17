"""Bench: SQLite vs PostgreSQL in the same run, and web throughput with 1, 2 and 4 workers on PostgreSQL.

    python bench/search_corpus.py --n 100000 --keyword --vectors random    # once: the SQLite corpus
    python bench/backends.py --n 100000                                    # starts a throwaway PostgreSQL
    python bench/backends.py --n 100000 --pg-url postgresql://me@db/postgres --workers 1 2 4

Measures, for both backends on the same machine and in the same run (so the ratio is what to compare):

* import throughput: ``openpapers import arxiv-snapshot`` of the first ``--import-n`` papers of
  ``bench/out/snapshot-<N>.jsonl`` into an empty store (``--no-index``), papers/s, and the peak RSS of the
  importing process; on PostgreSQL also the memory (PSS) of the server's processes afterwards;
* the copy of the SQLite corpus (``bench/out/corpus-<N>``, built by search_corpus.py) into PostgreSQL with
  ``openpapers db copy`` plus the keyword index and pgvector column there (rows/s; done once, then reused);
* keyword and hybrid search p50/p95 over ``bench/queries.txt`` (``--repeat`` timed passes after one warm-up),
  hybrid *without* the query embedding (vectors precomputed: the model costs the same on both backends), each
  backend in a child process whose RSS is reported, plus PostgreSQL's server memory (PSS of all its processes);
* web throughput (``bench/web_load.py``, its default targets) with each ``--workers`` count against the
  PostgreSQL corpus.

The PostgreSQL server, unless ``--pg-url`` is given, is started by ``.ci/pg-server.sh`` in a temporary directory
with fsync on and ``synchronous_commit=off`` -- the durability of SQLite's WAL with ``synchronous=NORMAL`` --
and ``shared_buffers`` 256 MB (SQLite's page cache here is 256 MiB), and stopped at the end. Load average is
printed at the start and the end: on a shared 2-core machine every figure is a lower bound.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out" / "backends"
sys.path.insert(0, str(HERE))
from pgserver import (  # noqa: E402  (bench/ is not a package)
    Sampler,
    database,
    postmaster,
    pss_mib,
    rename_database,
    start_kept,
    start_throwaway,
    stop_kept,
    stop_throwaway,
)
from search_latency import load_queries, percentile  # noqa: E402

OPENPAPERS = [sys.executable, "-c", "from openpapers.cli import main; main()"]


# -- import ------------------------------------------------------------------------------------------------------
def prefix_file(n: int, k: int) -> Path:
    src = HERE / "out" / f"snapshot-{n}.jsonl"
    if k >= n:
        return src
    dst = OUT / f"snapshot-{n}-first-{k}.jsonl"
    if not dst.exists():
        with src.open("rb") as fin, dst.open("wb") as fout:
            for i, line in enumerate(fin):
                if i >= k:
                    break
                fout.write(line)
    return dst


def run_import(snapshot: Path, data_dir: Path, url: str | None) -> dict[str, Any]:
    env = {**os.environ, "OPENPAPERS_EMBED_ON_IMPORT": "0"}
    env.pop("OPENPAPERS_DATABASE_URL", None)
    if url:
        env["OPENPAPERS_DATABASE_URL"] = url
    started = time.monotonic()
    proc = subprocess.Popen([*OPENPAPERS, "--data-dir", str(data_dir), "import", "arxiv-snapshot", str(snapshot),
                             "--no-index", "-q"], env=env)
    peak = 0
    while proc.poll() is None:
        try:
            peak = max(peak, psutil.Process(proc.pid).memory_info().rss)
        except psutil.NoSuchProcess:
            break
        time.sleep(0.2)
    if proc.wait() != 0:
        raise SystemExit(f"import failed ({url or 'sqlite'})")
    return {"seconds": time.monotonic() - started, "peak_rss_mib": peak / 2**20}


# -- search (child process per backend) ------------------------------------------------------------------------
class CachedEmbedder:
    """The real model's query vectors, computed before timing (so hybrid timings are the retrievers' own)."""

    def __init__(self, vectors: dict[str, Any], model_id: str, dim: int) -> None:
        self.vectors, self.model_id, self.dim = vectors, model_id, dim

    def embed(self, texts: list[str]) -> Any:
        import numpy as np

        return np.stack([self.vectors[t] for t in texts])


def search_child(url: str, data_dir: str, repeat: int) -> dict[str, Any]:
    from openpapers.papers.store import Store
    from openpapers.search.embed import Embedder
    from openpapers.search.query import parse_query
    from openpapers.search.service import SearchService, semantic_view
    from openpapers.search.types import Filters

    store = Store(url)
    service = SearchService(store, data_dir)
    out: dict[str, Any] = {}
    if hasattr(service.keyword, "built"):  # OPENPAPERS_KEYWORD_INDEX=local: build this host's files first
        t0 = time.monotonic()
        out["local_keyword_built"] = service.keyword.sync(store)
        out["local_keyword_build_s"] = time.monotonic() - t0
    queries = load_queries()
    model = Embedder.load()
    texts = {semantic_view(parse_query(q), Filters())[0] for q in queries}
    vectors = {t: model.embed([t])[0] for t in texts if t.strip()}
    service._embedder = CachedEmbedder(vectors, model.model_id, model.dim)
    for mode in ("keyword", "hybrid"):
        samples: list[float] = []
        for rnd in range(repeat + 1):
            for q in queries:
                t0 = time.perf_counter()
                service.search(q, mode=mode, limit=20)
                if rnd:
                    samples.append((time.perf_counter() - t0) * 1000)
        out[mode] = {"p50_ms": percentile(samples, 50), "p95_ms": percentile(samples, 95), "n": len(samples)}
    out["rss_mib"] = psutil.Process().memory_info().rss / 2**20
    store.close()
    return out


def run_search(url: str, data_dir: Path, repeat: int, *, keyword_index: str = "database") -> dict[str, Any]:
    env = {**os.environ, "OPENPAPERS_KEYWORD_INDEX": keyword_index}
    res = subprocess.run([sys.executable, __file__, "--search-child", url, str(data_dir), str(repeat)],
                         check=True, capture_output=True, text=True, env=env)
    return orjson.loads(res.stdout.strip().splitlines()[-1])


# -- corpora ---------------------------------------------------------------------------------------------------
def sqlite_corpus(root: Path, n: int) -> tuple[str, Path, str]:
    """A private copy of search_corpus.py's store (the original may be shared with other benches); its index
    files are read in place (searching never writes them). Also returns the vector index's model label."""
    corpus = root / f"corpus-{n}"
    current = corpus / "index" / "vectors" / "CURRENT"
    if not (corpus / "bench-keyword.json").exists() or not current.exists():
        raise SystemExit(f"build the corpus first: python bench/search_corpus.py --n {n} --root {root} --keyword "
                         "--vectors random")
    model = orjson.loads((current.parent / current.read_text().strip() / "meta.json").read_bytes())["model"]
    copy = OUT / f"sqlite-{n}.db"
    if not copy.exists():
        src = sqlite3.connect(f"file:{corpus / 'openpapers.db'}?mode=ro", uri=True)
        dst = sqlite3.connect(copy)
        src.backup(dst)
        src.close()
        dst.close()
    return f"sqlite:///{copy}", corpus, model


def _state(url: str) -> dict[str, Any]:
    """Which steps of the PostgreSQL corpus are done (kept in the corpus database itself, so a killed build
    resumes at the step it was in)."""
    import sqlalchemy as sa

    from openpapers.db.dialect import engine_url

    engine = sa.create_engine(engine_url(url), poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS bench_state (step text PRIMARY KEY, info jsonb)")
        rows = conn.exec_driver_sql("SELECT step, info FROM bench_state").all()
    engine.dispose()
    return dict(rows)


def _mark(url: str, step: str, info: dict[str, Any]) -> None:
    import sqlalchemy as sa

    from openpapers.db.dialect import engine_url

    engine = sa.create_engine(engine_url(url), poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO bench_state VALUES (%s, %s) ON CONFLICT (step) DO UPDATE SET info = "
                             "EXCLUDED.info", (step, orjson.dumps(info).decode()))
    engine.dispose()


def copy_vectors(sqlite_url: str, pg_url: str, model: str) -> int:
    """The SQLite corpus's stored vectors of ``model`` (those in its faiss index) into ``embeddings`` with COPY,
    bytes only: the pgvector column is then filled by the product's own backfill, as after ``db copy``."""
    import psycopg

    from openpapers.db.dialect import engine_url

    src = sqlite3.connect(f"file:{sqlite_url.removeprefix('sqlite:///')}?mode=ro", uri=True)
    rows = src.execute("SELECT paper_id, model, text_hash, vector FROM embeddings WHERE model = ? ORDER BY label",
                       (model,))
    done = 0
    with psycopg.connect(engine_url(pg_url).replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute("DELETE FROM embeddings")
        with conn.cursor().copy("COPY embeddings (paper_id, model, text_hash, vector) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                done += 1
    src.close()
    return done


def pg_corpus(admin_url: str, sqlite_url: str, n: int, model: str, imported: str | None
              ) -> tuple[str, dict[str, Any]]:
    """The same corpus on PostgreSQL: the snapshot imported (or ``imported``, a database the timed import just
    filled with all of it, renamed), the SQLite corpus's vectors copied, the keyword index synced, the pgvector
    column filled and its HNSW index built. Each step is timed once and remembered."""
    from openpapers.papers.store import Store
    from openpapers.search.backends.pgfts import PgKeywordIndex
    from openpapers.search.backends.pgvector import PgVectorIndex

    name = f"bench_corpus_{n}"
    url = database(admin_url, name, fresh=False)
    state = _state(url)
    if "papers" not in state:
        t0 = time.monotonic()
        if imported:
            url = rename_database(admin_url, imported, name)
        else:
            url = database(admin_url, name, fresh=True)
            with tempfile.TemporaryDirectory(dir=OUT) as tmp:
                run_import(HERE / "out" / f"snapshot-{n}.jsonl", Path(tmp), url)
        _state(url)
        _mark(url, "papers", {"seconds": time.monotonic() - t0, "renamed_import": bool(imported)})
    steps: list[tuple[str, Any]] = [
        ("vectors_copied", lambda: copy_vectors(sqlite_url, url, model)),
        ("keyword_indexed", lambda: PgKeywordIndex(store).sync(store)),
        ("vectors_filled", lambda: PgVectorIndex(store).backfill()),
    ]
    store = Store(url)
    for step, run in steps:
        if step not in _state(url):
            t0 = time.monotonic()
            count = run()
            _mark(url, step, {"count": count, "seconds": time.monotonic() - t0})
            print(f"postgresql corpus: {step} {count:,} in {time.monotonic() - t0:.0f} s", flush=True)
    with store.engine.connect() as conn:
        papers = conn.exec_driver_sql("SELECT count(*) FROM papers").scalar_one()
    store.close()
    src = sqlite3.connect(f"file:{sqlite_url.removeprefix('sqlite:///')}?mode=ro", uri=True)
    expected = src.execute("SELECT count(*) FROM papers").fetchone()[0]
    src.close()
    if papers != expected:
        raise SystemExit(f"corpus mismatch: {papers:,} papers on PostgreSQL, {expected:,} on SQLite")
    return url, {**_state(url), "papers": papers}


def analyze(url: str) -> None:
    import sqlalchemy as sa

    from openpapers.db.dialect import engine_url

    engine = sa.create_engine(engine_url(url), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()


# -- web ---------------------------------------------------------------------------------------------------------
def run_web(url: str, workers: int, clients: int, duration: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "web.json"
        env = {**os.environ, "OPENPAPERS_DATABASE_URL": url}
        subprocess.run([sys.executable, str(HERE / "web_load.py"), "--data-dir", tmp, "--workers", str(workers),
                        "--clients", str(clients), "--duration", str(duration), "--warmup", "2",
                        "--json", str(out)], env=env, check=False, capture_output=True, text=True)
        if not out.exists():
            return {"error": "web_load.py wrote no result"}
        return orjson.loads(out.read_bytes())


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--search-child"]:
        print(orjson.dumps(search_child(argv[1], argv[2], int(argv[3]))).decode())
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000, help="corpus size (bench/out/corpus-N and snapshot-N)")
    ap.add_argument("--corpus-root", type=Path, default=HERE / "out",
                    help="where search_corpus.py built corpus-N (with --keyword and --vectors)")
    ap.add_argument("--import-n", type=int, default=50_000, help="papers imported per backend")
    ap.add_argument("--pg-url", help="a PostgreSQL superuser URL (default: start a throwaway server)")
    ap.add_argument("--pg-dir", type=Path, help="keep the started server's cluster in this folder (created on "
                    "first use), so that a later run reuses the PostgreSQL corpus")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workers", type=int, nargs="*", default=[1, 2, 4])
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--web-duration", type=float, default=8.0)
    ap.add_argument("--skip", nargs="*", default=[], choices=["import", "search", "web"])
    ap.add_argument("--pg-local-keyword", action="store_true",
                    help="also time PostgreSQL with OPENPAPERS_KEYWORD_INDEX=local (tantivy files synced from it)")
    ap.add_argument("--json", type=Path, default=OUT / "result.json")
    args = ap.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"n": args.n, "load_start": os.getloadavg(), "cpus": os.cpu_count()}
    print(f"load average at start: {result['load_start']}  cpus: {result['cpus']}", flush=True)
    folder = None
    admin = args.pg_url
    if admin is None and args.pg_dir:
        admin = start_kept(args.pg_dir)
    elif admin is None:
        admin, folder = start_throwaway()
    imported = None
    try:
        pids = postmaster(admin)
        if "import" not in args.skip:
            snap = prefix_file(args.n, args.import_n)
            with tempfile.TemporaryDirectory(dir=OUT) as tmp:
                sq = run_import(snap, Path(tmp) / "sqlite", None)
            pg_url = database(admin, "bench_import", fresh=True)
            sampler = Sampler(pids)
            sampler.start()
            with tempfile.TemporaryDirectory(dir=OUT) as tmp:
                pg = run_import(snap, Path(tmp) / "pg", pg_url)
            sampler.stop.set()
            pg["server_peak_pss_mib"] = sampler.peak
            imported = "bench_import" if args.import_n >= args.n else None
            for r in (sq, pg):
                r["papers_per_s"] = args.import_n / r["seconds"]
            result["import"] = {"papers": args.import_n, "sqlite": sq, "postgresql": pg}
            print(f"import {args.import_n:,}: sqlite {sq['papers_per_s']:.0f}/s (peak RSS {sq['peak_rss_mib']:.0f}"
                  f" MiB); postgresql {pg['papers_per_s']:.0f}/s (client peak {pg['peak_rss_mib']:.0f} MiB, "
                  f"server peak PSS {pg['server_peak_pss_mib']:.0f} MiB)", flush=True)
        sqlite_url, corpus, model = sqlite_corpus(args.corpus_root, args.n)
        pg_url, timings = pg_corpus(admin, sqlite_url, args.n, model, imported)
        analyze(pg_url)
        result["pg_corpus"] = timings
        print(f"postgresql corpus: {timings}", flush=True)
        if "search" not in args.skip:
            sq = run_search(sqlite_url, corpus, args.repeat)
            before = pss_mib(pids)
            pg = run_search(pg_url, OUT / "pg-data", args.repeat)
            pg["server_pss_mib"] = pss_mib(pids)
            pg["server_pss_before_mib"] = before
            result["search"] = {"sqlite": sq, "postgresql": pg}
            if args.pg_local_keyword:
                before = pss_mib(pids)
                local = run_search(pg_url, OUT / f"pg-local-{args.n}", args.repeat, keyword_index="local")
                local["server_pss_mib"] = pss_mib(pids)
                local["server_pss_before_mib"] = before
                result["search"]["postgresql_local_keyword"] = local
                if "local_keyword_build_s" in local:
                    print(f"local keyword files built from PostgreSQL: {local['local_keyword_built']:,} papers in "
                          f"{local['local_keyword_build_s']:.0f} s", flush=True)
            for name, r in result["search"].items():
                extra = f", server PSS {r['server_pss_mib']:.0f} MiB" if "server_pss_mib" in r else ""
                print(f"search {name}: keyword p50 {r['keyword']['p50_ms']:.1f} p95 {r['keyword']['p95_ms']:.1f} ms;"
                      f" hybrid p50 {r['hybrid']['p50_ms']:.1f} p95 {r['hybrid']['p95_ms']:.1f} ms; client RSS "
                      f"{r['rss_mib']:.0f} MiB{extra}", flush=True)
        if "web" not in args.skip:
            result["web"] = {}
            for w in args.workers:
                sampler = Sampler(pids)
                sampler.start()
                web = run_web(pg_url, w, args.clients, args.web_duration)
                sampler.stop.set()
                web["server_peak_pss_mib"] = sampler.peak
                result["web"][str(w)] = web
                rows = {r["target"]: r for r in web.get("rows", [])}
                cells = ", ".join(f"{k} {v['rps']:.0f} req/s p95 {v['p95_ms']:.0f} ms" for k, v in rows.items())
                print(f"web, {w} worker(s): {cells}; app RSS peak {web.get('rss', {}).get('peak_mib', 0):.0f} MiB,"
                      f" postgres peak PSS {sampler.peak:.0f} MiB", flush=True)
    finally:
        if folder:
            stop_throwaway(folder)
        elif args.pg_dir and not args.pg_url:
            stop_kept(args.pg_dir)
    result["load_end"] = os.getloadavg()
    print(f"load average at end: {result['load_end']}")
    args.json.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
