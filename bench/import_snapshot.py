"""Bench: arXiv snapshot import throughput, where the time goes, and peak memory.

    python bench/import_snapshot.py --n 1000000            # generates bench/out/snapshot-1000000.jsonl once
    python bench/import_snapshot.py --file path/to/arxiv-metadata-oai-snapshot.json
    python bench/import_snapshot.py --n 100000 --bulk [--workers 2]   # also the empty-store bulk path

With ``--bulk`` the same file is imported a second time, into another empty store, by the bulk path
(papers/bulk_load.py), and both are printed against the same baselines.

Prints papers/s for the full import (parse + dedup/merge + store, one transaction per page) and, measured in the
same run on the same file, two baselines: reading + JSON-decoding every line, and parsing every line into
claims without storing. Ratios against those baselines are what to compare across machines. Peak RSS is sampled
after each page; it must stay flat as the file grows (run with --n 100000 and --n 1000000 to see).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson
import psutil

from openpapers.core.settings import resolve_settings
from openpapers.papers import writer as W
from openpapers.papers.bulk_load import bulk_import
from openpapers.papers.ingest import run_import
from openpapers.papers.store import open_store
from openpapers.sources.arxiv_snapshot import ArxivSnapshotSource

HERE = Path(__file__).resolve().parent


class Timers:
    """Wraps writer functions to attribute import time to merge, SQL inserts and the rest."""

    def __init__(self) -> None:
        self.acc: dict[str, float] = {}

    def wrap(self, name: str) -> None:
        fn = getattr(W, name)

        def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.acc[name] = self.acc.get(name, 0.0) + time.perf_counter() - t

        setattr(W, name, timed)


def baseline_decode(path: Path) -> float:
    t = time.perf_counter()
    with path.open("rb") as fh:
        for line in fh:
            orjson.loads(line)
    return time.perf_counter() - t


def baseline_parse(path: Path) -> float:
    t = time.perf_counter()
    for _page in ArxivSnapshotSource(path).pages():
        pass
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000, help="papers to generate (ignored with --file)")
    ap.add_argument("--file", type=Path, help="an existing snapshot file")
    ap.add_argument("--batch-size", type=int, default=5000)
    ap.add_argument("--data-dir", type=Path, help="store location [default: a temp dir]")
    ap.add_argument("--bulk", action="store_true", help="also run the bulk path into a second empty store")
    ap.add_argument("--workers", type=int, help="parsing processes of the bulk path [default: per core, max 4]")
    args = ap.parse_args()

    path = args.file
    if path is None:
        path = HERE / "out" / f"snapshot-{args.n}.jsonl"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [sys.executable, str(HERE / "gen_snapshot.py"), "--out", str(path), "--n", str(args.n)], check=True
            )
    lines = sum(1 for _ in path.open("rb"))
    size_mb = path.stat().st_size / 1e6

    t_decode = baseline_decode(path)
    t_parse = baseline_parse(path)

    timers = Timers()
    for name in ("merge_records", "bulk_insert", "lookup_keys", "existing_claims", "group_records", "_assign_new_ids"):
        timers.wrap(name)
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="openpapers-bench-"))
    proc = psutil.Process()
    peak = [proc.memory_info().rss]

    def on_page(_records: int, _state: dict) -> None:
        peak.append(proc.memory_info().rss)

    store = open_store(resolve_settings(data_dir))
    t = time.perf_counter()
    report = run_import(store, ArxivSnapshotSource(path, page_size=args.batch_size), progress=on_page)
    t_import = time.perf_counter() - t
    store.close()
    db = data_dir / "openpapers.db"
    db_mb = sum(p.stat().st_size for p in data_dir.glob("openpapers.db*")) / 1e6

    t_bulk = bulk_mb = 0.0
    if args.bulk:
        bulk_dir = Path(tempfile.mkdtemp(prefix="openpapers-bench-bulk-"))
        bulk_store = open_store(resolve_settings(bulk_dir))
        t = time.perf_counter()
        bulk_report = bulk_import(bulk_store, ArxivSnapshotSource(path, page_size=args.batch_size),
                                  workers=args.workers)
        t_bulk = time.perf_counter() - t
        bulk_store.close()
        bulk_mb = sum(p.stat().st_size for p in bulk_dir.glob("openpapers.db*")) / 1e6
        assert bulk_report.created == report.created, (bulk_report.created, report.created)
    rate = report.records / t_import
    print(f"file: {path} ({lines:,} lines, {size_mb:,.0f} MB); store: {db} ({db_mb:,.0f} MB)")
    print(f"{'step':<44}{'seconds':>10}{'papers/s':>12}{'x import':>10}")
    rows = [
        ("baseline: read + JSON-decode every line", t_decode),
        ("baseline: parse into claims (no store)", t_parse),
        ("full import (parse + merge + store)", t_import),
    ]
    if args.bulk:
        rows.append((f"bulk path, empty store ({bulk_mb:,.0f} MB)", t_bulk))
    for name, secs in rows:
        print(f"{name:<44}{secs:>10.1f}{lines / secs:>12,.0f}{t_import / secs:>10.2f}")
    if args.bulk:
        print(f"bulk path: {t_import / t_bulk:.2f}x the full import, {t_decode / t_bulk:.1%} of JSON decode "
              f"(full import: {t_decode / t_import:.1%})")
    print("\nwhere the import's time goes (seconds, share):")
    shares = {"parse (source)": t_parse, **timers.acc}
    for name, secs in sorted(shares.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<30}{secs:>8.1f}  {secs / t_import:>6.1%}")
    other = t_import - sum(shares.values())
    print(f"  {'other (row building, commit)':<30}{other:>8.1f}  {other / t_import:>6.1%}")
    print(f"\nimport rate: {rate:,.0f} papers/s")
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    first = peak[1] / 2**20 if len(peak) > 1 else 0.0
    print(f"peak RSS: {max(peak) / 2**20:,.0f} MiB (sampled per page); ru_maxrss {maxrss:,.0f} MiB")
    print(f"RSS after the first page {first:,.0f} MiB, at the end {peak[-1] / 2**20:,.0f} MiB")


if __name__ == "__main__":
    main()
