"""Bench: the digest kill campaign at the size that found the first wave's loss.

    python bench/crash_digests.py --users 300 --kills 20 --jobs 2                 # SQLite
    python bench/crash_digests.py --users 300 --kills 20 --jobs 1 2 --backend both --runs 3

Each run builds a fresh store (the demo corpus plus the crafted digest week of tests/helpers/notifydata.py,
keyword index, ``--users`` users who each follow an author; every 10th follows one with no papers, so gets no
digest), starts an aiosmtpd server on 127.0.0.1 that takes ``--smtp-delay`` per message, and runs
``openpapers digest send --date 2026-11-20 --frequency daily --plan-batch 10 --jobs N``, SIGKILLing its process
group ``--kills`` times (a fifth while planning, the rest while sending, 0–80 ms after a row turns ``sent``),
then a run to completion and one more run (tests/helpers/crashkit.py). It prints, per run: users due, users
served, missing, failed (and failed but delivered), resends (and how many kills), the seed; and exits 1 if any
promise broke (missing or failed digests, more resends than kills, a resend not in flight at a kill, a differing
resend, two digests for one user, or a last run that sent anything).

PostgreSQL: ``--pg-url`` (a superuser URL; a database per run is created there), or a throwaway server started
with .ci/pg-server.sh.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the campaign and its data live in the shared test helpers

import pgserver  # noqa: E402  (bench/pgserver.py, beside this script)
from helpers.crashkit import CampaignResult, fresh_reader, run_campaign  # noqa: E402
from helpers.notifydata import crafted_papers, make_users  # noqa: E402
from openpapers.core.settings import resolve_settings  # noqa: E402
from openpapers.papers.demo import load_demo  # noqa: E402
from openpapers.papers.store import open_store  # noqa: E402
from openpapers.search.service import SearchService  # noqa: E402


def build_store(data_dir: Path, users: int, database_url: str | None) -> None:
    settings = resolve_settings(data_dir, database_url=database_url)
    store = open_store(settings)
    try:
        load_demo(store)
        store.apply(crafted_papers())
        SearchService(store, data_dir).sync(semantic=False)
        make_users(store.engine, users)
    finally:
        store.close()


def one_run(backend: str, pg_admin: str | None, jobs: int, args: argparse.Namespace, seed: int, n: int
            ) -> CampaignResult:
    data_dir = Path(tempfile.mkdtemp(prefix=f"crash-{backend}-", dir=args.out))
    url = None
    env: dict[str, str] = {}
    try:
        if backend == "postgresql":
            assert pg_admin is not None
            url = pgserver.database(pg_admin, f"crash_{n}_{jobs}", fresh=True)
            env["OPENPAPERS_DATABASE_URL"] = url
        build_store(data_dir, args.users, url)
        settings = resolve_settings(data_dir, database_url=url)
        with fresh_reader(settings.database_url) as query:
            return run_campaign(data_dir, query, users=args.users, kills=args.kills, jobs=jobs, seed=seed,
                                smtp_delay=args.smtp_delay, env=env)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--jobs", type=int, nargs="+", default=[2])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--runs", type=int, default=1, help="campaigns per backend and --jobs value")
    parser.add_argument("--seed", type=int, default=None, help="first seed (default: random, printed)")
    parser.add_argument("--smtp-delay", type=float, default=0.005, help="seconds the server takes per message")
    parser.add_argument("--pg-url", default=None, help="superuser URL of a PostgreSQL server to use")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    pg_admin, pg_folder = args.pg_url, None
    if "postgresql" in backends and pg_admin is None:
        pg_admin, pg_folder = pgserver.start_throwaway()
    broken = 0
    n = 0
    try:
        for backend in backends:
            for jobs in args.jobs:
                for _ in range(args.runs):
                    result = one_run(backend, pg_admin, jobs, args, seed + n, n)
                    n += 1
                    problems = result.problems()
                    broken += bool(problems)
                    print(f"{backend} {result.line()}", flush=True)
                    for p in problems:
                        print(f"    BROKEN: {p}", flush=True)
    finally:
        if pg_folder:
            pgserver.stop_throwaway(pg_folder)
    print(f"{n} campaigns, {broken} broke a promise")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
