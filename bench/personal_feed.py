"""Bench: personal-feed (``/for-you``) latency per user, against the anonymous daily feed in the same run.

    python bench/personal_feed.py                                   # demo corpus (embedded once, cached)
    python bench/personal_feed.py --corpus bench/out/corpus-100000 --users 1000 --windows week year all

Creates ``--users`` users with random signals (a library of 3-30 papers drawn around a few random "interest"
papers, 0-20 upvotes, 0-5 dismissals, 0-5 followed authors, 0-2 followed categories, sometimes a saved search)
in a *copy* of the corpus's store (the source is never written), then times ``recommend()`` once per user and
window after one untimed warm-up call per window (the per-process candidate window is built there; its build
time is printed separately). Baseline: the anonymous daily feed query (``list_papers`` of the latest day, most
upvoted first, 50 papers), timed as many times in the same process. Prints p50/p95/p99/max, the ratio of the
p95s, ``trending()`` latency, the CPU count and the load average.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from openpapers.core.settings import resolve_settings
from openpapers.db import schema
from openpapers.papers.store import open_store
from openpapers.papers.types import PaperScope
from openpapers.signals import candidates
from openpapers.signals.recommend import ALL_TIME, recommend
from openpapers.signals.trending import trending

HERE = Path(__file__).resolve().parent
WINDOW_DAYS = {"week": 7, "month": 30, "year": 365}


def demo_dir() -> Path:
    """bench/out/personal-demo: the demo corpus with every paper embedded (built once, ~1-2 minutes)."""
    from openpapers.papers.demo import load_demo
    from openpapers.search.service import SearchService

    data = HERE / "out" / "personal-demo"
    marker = data / "bench-embedded.txt"
    if not marker.exists():
        data.mkdir(parents=True, exist_ok=True)
        store = open_store(resolve_settings(data))
        load_demo(store)
        print("embedding the demo corpus once …", flush=True)
        print(SearchService(store, data).sync(), flush=True)
        store.close()
        marker.write_text("done\n")
    return data


def copy_store(src: Path, dst: Path) -> None:
    """A consistent copy of the SQLite file (backup API: another process may be writing the source)."""
    dst.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{src / 'openpapers.db'}?mode=ro", uri=True)
    target = sqlite3.connect(dst / "openpapers.db")
    with target:
        source.backup(target)
    source.close()
    target.close()


def percentiles(values: list[float]) -> tuple[float, float, float, float]:
    ordered = sorted(values)
    q = statistics.quantiles(ordered, n=100, method="inclusive") if len(ordered) > 1 else ordered * 99
    return q[49], q[94], q[98], ordered[-1]


def make_users(store, n: int, rng: random.Random) -> list[int]:  # type: ignore[no-untyped-def]
    engine = store.engine
    p, pa, pc = schema.papers.c, schema.paper_authors.c, schema.paper_categories.c
    with engine.connect() as conn:
        ids = [r[0] for r in conn.execute(select(p.id).order_by(p.published.desc().nulls_last()).limit(50_000))]
        authors = [r[0] for r in conn.execute(select(pa.author_id).where(pa.paper_id.in_(
            rng.sample(ids, min(2000, len(ids))))))]
        cats = sorted({r[0] for r in conn.execute(select(pc.category).limit(5000))})
    now = datetime.now(UTC)
    users, lib, votes, dis, fol = [], [], [], [], []
    with engine.begin() as conn:
        for i in range(n):
            at = (now - timedelta(hours=rng.random() * 24 * 30)).isoformat(timespec="seconds")
            uid = conn.execute(insert(schema.users).values(
                email=f"bench{i}-{rng.random()}@example.test", display_name=f"Bench {i}", password_hash="x",
                is_admin=False, created_at=at, digest_frequency="off", digest_sections="")).inserted_primary_key[0]
            users.append(uid)
            centre = rng.randrange(len(ids))
            near = ids[max(0, centre - 200): centre + 200]  # "interests": papers close in time (and often topic)
            picks = rng.sample(near, min(len(near), rng.randint(3, 30)))
            lib += [{"user_id": uid, "paper_id": pid, "tags": "[]", "note": "", "created_at": at, "updated_at": at}
                    for pid in picks]
            votes += [{"user_id": uid, "paper_id": pid, "created_at": at}
                      for pid in rng.sample(ids, rng.randint(0, 20)) if pid not in picks]
            dis += [{"user_id": uid, "paper_id": pid, "created_at": at} for pid in rng.sample(ids, rng.randint(0, 5))]
            for a in set(rng.sample(authors, min(len(authors), rng.randint(0, 5)))):
                fol.append({"user_id": uid, "kind": "author", "target": a, "label": a, "created_at": at})
            for c in set(rng.sample(cats, min(len(cats), rng.randint(0, 2)))):
                fol.append({"user_id": uid, "kind": "category", "target": c, "label": c, "created_at": at})
            if rng.random() < 0.2:
                fol.append({"user_id": uid, "kind": "search", "target": '{"q":"neural operator"}',
                            "label": "neural operator", "created_at": at})
        for table, rows in ((schema.library, lib), (schema.votes, votes), (schema.dismissals, dis),
                            (schema.follows, fol)):
            seen: set[tuple[object, ...]] = set()
            unique = []
            for r in rows:
                key = (r["user_id"], r.get("paper_id") or (r.get("kind"), r.get("target")))
                if key not in seen:
                    seen.add(key)
                    unique.append(r)
            if unique:
                conn.execute(insert(table), unique)
    return users


def since_for(store, window: str) -> date:  # type: ignore[no-untyped-def]
    if window == "all":
        return ALL_TIME
    latest = store.latest_day() or date.today()
    return latest - timedelta(days=WINDOW_DAYS[window] - 1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, help="a data dir (default: the embedded demo corpus)")
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--windows", nargs="+", default=["week", "all"], choices=["week", "month", "year", "all"])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    source = args.corpus or demo_dir()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="personal-feed-") as tmp:
        work = Path(tmp) / "data"
        copy_store(source, work)
        store = open_store(resolve_settings(work))
        started = time.perf_counter()
        users = make_users(store, args.users, rng)
        print(f"corpus {source} ({store.count_papers()} papers), {len(users)} users created in "
              f"{time.perf_counter() - started:.1f} s; cpus {os.cpu_count()}", flush=True)
        latest = store.latest_day()
        scope = PaperScope(day_from=latest, day_to=latest)
        rows = []
        for window in args.windows:
            since = since_for(store, window)
            candidates.clear_cache()
            t0 = time.perf_counter()
            recommend(store, users[0], since=since, limit=50)
            build_ms = (time.perf_counter() - t0) * 1000
            size = len(candidates.window(store, None if since == ALL_TIME else since))
            feed, base, empty = [], [], 0
            for uid in users:
                t0 = time.perf_counter()
                found = recommend(store, uid, since=since, limit=50)
                feed.append((time.perf_counter() - t0) * 1000)
                empty += not found
                t0 = time.perf_counter()
                store.list_papers(scope, order="upvotes", limit=50)
                base.append((time.perf_counter() - t0) * 1000)
            rows.append((window, size, build_ms, percentiles(feed), percentiles(base), empty))
        t_trend = []
        for _ in range(20):
            t0 = time.perf_counter()
            trending(store, limit=50, now=datetime.now(UTC))  # a clock given: computed, not the 60 s cache
            t_trend.append((time.perf_counter() - t0) * 1000)
        store.close()
    print(f"\nload average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    print("| window | candidates | cold build ms | feed p50 | p95 | p99 | max | daily feed p50 | p95 | p95 ratio "
          "| empty feeds |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for window, size, build_ms, f, b, empty in rows:
        print(f"| {window} | {size} | {build_ms:.0f} | {f[0]:.1f} | {f[1]:.1f} | {f[2]:.1f} | {f[3]:.1f} | "
              f"{b[0]:.2f} | {b[1]:.2f} | {f[1] / b[1]:.1f}x | {empty} |")
    tp = percentiles(t_trend)
    print(f"\ntrending (50 papers, default day, uncached): p50 {tp[0]:.1f} ms, p95 {tp[1]:.1f} ms")


if __name__ == "__main__":
    sys.exit(main())
