"""SIGKILL the real ``openpapers import arxiv-snapshot`` at random moments; the store must stay consistent and
a re-run must finish with exactly what a clean, uninterrupted import produces.

This is the promise the page-plus-checkpoint transaction makes; nothing short of killing a real process tests
it. Kill moments are random (the seed is printed on failure; set ``OPENPAPERS_KILL_SEED`` to replay one), and
after every kill the database is inspected with plain SQL, independently of the store's own code.

Runs on SQLite (the data dir's file) and on PostgreSQL (tests/conftest.py): there each import gets a database
of its own through ``OPENPAPERS_DATABASE_URL``, created empty, so that a kill can also land in the first run's
schema creation, as it can on SQLite.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import inspect, make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from helpers.plainsql import plain_sql

N = 40_000
BATCH = 1000
OPENPAPERS = Path(sys.executable).parent / "openpapers"
WORDS = ("sparse", "neural", "operator", "diffusion", "bayesian", "graph", "kernel", "stochastic", "quantum",
         "robust", "adaptive", "convex", "spectral", "latent", "causal", "manifold", "transformer", "flow")
CATS = ("cs.LG", "stat.ML", "cs.CV", "cs.CL", "math.OC", "hep-th", "quant-ph", "cs.AI", "math.PR")
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def rfc2822(rng: random.Random, year: int, month: int) -> str:
    day = rng.randint(1, 28)
    return f"{rng.choice(DAYS)}, {day} {MONTHS[month - 1]} {year} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:" \
           f"{rng.randint(0, 59):02d} GMT"


def snapshot_entry(i: int, rng: random.Random) -> dict[str, Any]:
    """Paper ``i`` in the real snapshot format, with the real quirks (wrapped title, indented abstract)."""
    year, month = 2008 + i % 17, 1 + (i // 17) % 12
    old_style = f"hep-th/{year % 100:02d}{month:02d}{i // 97:03d}"  # 7 digits; unique as only i % 97 == 0 use it
    arxiv_id = old_style if i % 97 == 0 else f"{year % 100:02d}{month:02d}.{i:05d}"
    words = rng.sample(WORDS, 5)
    title = f"{words[0].title()} {words[1]} methods for {words[2]} {words[3]}\n  problems, part {i}"
    people = [[rng.choice(("Zhang", "Smith", "Müller", "Ivanov", "García")) + str(rng.randint(1, 500)),
               rng.choice(("Wei", "Anna", "J. P.", "Li", "Ólafur")), rng.choice(("", "", "", "Jr", "III"))]
              for _ in range(rng.randint(1, 3))]
    n_versions = rng.randint(1, 3)
    versions = [{"version": f"v{v + 1}", "created": rfc2822(rng, year + v, month)} for v in range(n_versions)]
    comments = "This paper has been withdrawn by the author" if i % 101 == 0 else f"{rng.randint(4, 40)} pages"
    return {
        "id": arxiv_id, "submitter": people[0][1] + " " + people[0][0],
        "authors": ", ".join(f"{p[1]} {p[0]}" for p in people), "title": title, "comments": comments,
        "journal-ref": f"J. Synth. Res. {i % 50} ({year})" if i % 5 == 0 else None,
        "doi": f"10.5555/synth.{i}" if i % 4 == 0 else None, "report-no": None,
        "categories": " ".join(rng.sample(CATS, rng.randint(1, 2))),
        "license": "http://creativecommons.org/licenses/by/4.0/" if i % 3 == 0 else None,
        "abstract": "  " + " ".join(rng.choice(WORDS) for _ in range(rng.randint(15, 45))) + ".\n",
        "versions": versions, "update_date": f"{year + n_versions - 1}-{month:02d}-28",
        "authors_parsed": people,
    }


def write_snapshot(path: Path, n: int) -> Path:
    rng = random.Random(1234)  # the data is fixed; only the kill moments are random
    with path.open("wb") as fh:
        for i in range(1, n + 1):
            fh.write(orjson.dumps(snapshot_entry(i, rng)) + b"\n")
    return path


def cli(data_dir: Path, *args: str) -> list[str]:
    return [str(OPENPAPERS), "--data-dir", str(data_dir), *args]


def import_cmd(data_dir: Path, snap: Path) -> list[str]:
    # --no-index: this test is about the store; indexing 40k papers after each run would dominate its time.
    return cli(data_dir, "import", "arxiv-snapshot", str(snap), "--batch-size", str(BATCH), "-q", "--no-index")


def created(url: str) -> bool:
    """Whether the database exists yet: a SQLite file appears when the import first opens it (a PostgreSQL
    database is created, empty, before the first run)."""
    u = make_url(url)
    return u.get_backend_name() != "sqlite" or Path(u.database or "").exists()


def checkpoint_line(url: str) -> int:
    """Lines committed so far according to the checkpoint table (0 before the first commit)."""
    if not created(url):
        return 0
    try:
        with plain_sql(url, readonly=True) as conn:
            row = conn.exec_driver_sql("SELECT state FROM checkpoints").fetchone()
    except (OperationalError, ProgrammingError):  # schema not created yet (SQLite, PostgreSQL)
        return 0
    return int(orjson.loads(row[0])["line"]) if row else 0


def check_consistent(url: str, context: str) -> int:
    """Every invariant a killed import must leave intact; returns the number of papers."""
    if not created(url):
        return 0
    with plain_sql(url) as conn:
        def one(sql: str) -> Any:
            return conn.exec_driver_sql(sql).scalar_one()

        if conn.dialect.name == "sqlite":
            assert one("PRAGMA integrity_check") == "ok", context
        if not inspect(conn).has_table("checkpoints"):
            return 0
        papers, claims = one("SELECT count(*) FROM papers"), one("SELECT count(*) FROM claims")
        assert papers == claims, f"{context}: {papers} papers but {claims} claims"
        assert one("SELECT count(*) FROM papers p WHERE NOT EXISTS "
                   "(SELECT 1 FROM claims c WHERE c.paper_id = p.id)") == 0, f"{context}: paper without a claim"
        assert one("SELECT count(*) FROM claims c WHERE NOT EXISTS "
                   "(SELECT 1 FROM papers p WHERE p.id = c.paper_id)") == 0, f"{context}: claim without its paper"
        assert one("SELECT count(*) FROM (SELECT arxiv_id FROM papers GROUP BY arxiv_id "
                   "HAVING count(*) > 1) AS dup") == 0, f"{context}: duplicate arXiv ids"
        assert one("SELECT count(DISTINCT source_key) FROM claims") == claims, f"{context}: duplicate claims"
        # The merged view's link tables are written in the same transaction: all or nothing.
        assert one("SELECT count(DISTINCT paper_id) FROM paper_authors") == papers, f"{context}: author links"
        assert one("SELECT count(DISTINCT paper_id) FROM paper_categories") == papers, f"{context}: categories"
        # The store sits exactly at the page boundary its checkpoint names.
        rows = conn.exec_driver_sql("SELECT state FROM checkpoints").fetchall()
        line = int(orjson.loads(rows[0][0])["line"]) if rows else 0
        assert line == claims, f"{context}: checkpoint says line {line} but {claims} claims are stored"
        assert line % BATCH == 0 or line == N, f"{context}: checkpoint {line} is not a page boundary"
        return papers


def first_difference(a: list[bytes], b: list[bytes]) -> str:
    for x, y in zip(a, b, strict=False):
        if x != y:
            return f"first differing line:\n  resumed: {x[:600]!r}\n  clean:   {y[:600]!r}"
    return f"{len(a)} lines vs {len(b)} lines"


@pytest.mark.slow
@pytest.mark.usefixtures("no_sqlite_file")
def test_sigkill_at_random_moments_then_resume(tmp_path: Path, database_for: Callable[..., str]) -> None:
    seed = int(os.environ.get("OPENPAPERS_KILL_SEED") or random.SystemRandom().randrange(2**31))
    rng = random.Random(seed)
    ctx = f"(OPENPAPERS_KILL_SEED={seed})"
    base = {k: v for k, v in os.environ.items() if k not in ("OPENPAPERS_DATA_DIR", "OPENPAPERS_DATABASE_URL")}
    snap = write_snapshot(tmp_path / "arxiv-metadata-oai-snapshot.json", N)
    clean_dir, killed_dir = tmp_path / "clean", tmp_path / "killed"
    urls = {d: database_for(d, migrated=False) for d in (clean_dir, killed_dir)}
    envs = {d: {**base, "OPENPAPERS_DATABASE_URL": url} for d, url in urls.items()}
    db = urls[killed_dir]

    # The reference import runs alongside the killed ones (they share nothing but the input file).
    clean = subprocess.Popen(import_cmd(clean_dir, snap), env=envs[clean_dir], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    try:
        done = 0
        kills = 0
        for attempt in range(3):
            proc = subprocess.Popen(import_cmd(killed_dir, snap), env=envs[killed_dir], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE)
            try:
                if attempt == 1:
                    # Anywhere, including start-up and schema creation or the first page in flight.
                    time.sleep(rng.uniform(0.2, 2.0))
                else:
                    # Wait until some more pages are committed, then kill at a random point after that.
                    target = min(done + BATCH * rng.randint(1, 4), N - 5 * BATCH)
                    deadline = time.monotonic() + 60
                    while checkpoint_line(db) < target and proc.poll() is None:
                        assert time.monotonic() < deadline, f"no progress past line {done} {ctx}"
                        time.sleep(0.05)
                    time.sleep(rng.uniform(0.0, 0.4))
            finally:
                finished = proc.poll() is not None
                proc.send_signal(signal.SIGKILL)
                _, stderr = proc.communicate(timeout=30)
            assert not finished or proc.returncode == 0, stderr.decode(errors="replace")
            kills += not finished
            papers = check_consistent(db, f"after kill {attempt + 1} {ctx}")
            assert papers < N, f"the import finished before kill {attempt + 1}, nothing was interrupted {ctx}"
            assert papers >= done, f"kill {attempt + 1} lost committed pages {ctx}"
            done = papers
        assert kills == 3

        resumed_at = checkpoint_line(db)
        final = subprocess.run(import_cmd(killed_dir, snap), env=envs[killed_dir], capture_output=True, timeout=120)
        assert final.returncode == 0, final.stderr.decode(errors="replace")
        if resumed_at:
            assert b"resumed from checkpoint" in final.stderr, final.stderr
        assert b"Traceback" not in final.stderr
        assert check_consistent(db, f"after the final run {ctx}") == N
    except BaseException:
        clean.kill()  # a failure above must not wait for the reference import
        raise
    finally:
        clean_err = clean.communicate(timeout=120)[1]
    assert clean.returncode == 0, clean_err.decode(errors="replace")

    with plain_sql(db) as conn:
        by_source = dict(conn.exec_driver_sql("SELECT source, count(*) FROM claims GROUP BY source").fetchall())
    assert by_source == {"arxiv-snapshot": N}

    exports = [subprocess.Popen(cli(d, "export", "--format", "jsonl", "-o", str(tmp_path / f"{d.name}.jsonl")),
                                env=envs[d], stderr=subprocess.PIPE) for d in (killed_dir, clean_dir)]
    for p in exports:
        p_err = p.communicate(timeout=120)[1]
        assert p.returncode == 0, p_err.decode(errors="replace")
    resumed = sorted((tmp_path / "killed.jsonl").read_bytes().splitlines())
    reference = sorted((tmp_path / "clean.jsonl").read_bytes().splitlines())
    assert len(reference) == N
    assert resumed == reference, first_difference(resumed, reference)
