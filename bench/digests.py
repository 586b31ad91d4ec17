"""Bench: plan, compose and hand to a local SMTP server personalised digests for N users (target: 10k in ≤ 120 s).

    python bench/digests.py --users 10000            # builds bench/out/digests-<users>/ once, then measures

The store is the demo corpus plus a synthetic arXiv-sized day (``--papers`` papers published on the bench day,
and as many on the days before it for libraries and the recommender's window). Every user gets the daily
digest with all three sections, follows 2 authors, 1 category and (every 4th user) a saved search, and has 5
saved papers and 3 upvotes. The SMTP server is aiosmtpd in a child process that counts and drops messages (so
it does not share this process's CPU time slices through the GIL).

Prints the total time against the 120 s target with a per-phase breakdown (period load + trending, digest build
incl. recommendations, compose, outbox writes, send), messages/s, and a same-run baseline: sending as many
pre-built tiny messages through the same SMTP path (one connection, ``sendmail`` per message) with no store.
Each run measures a fresh copy of the outbox (it is emptied first), so runs are repeatable.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import delete, insert, select

from openpapers.core.records import PaperRecord, author_id
from openpapers.core.settings import resolve_settings
from openpapers.db import schema as t
from openpapers.digests.parallel import run_parallel
from openpapers.digests.periods import daily
from openpapers.digests.send import mail_context, plan_period, send_pending
from openpapers.digests.smtp import SmtpSettings, connect
from openpapers.papers.demo import load_demo
from openpapers.papers.store import open_store
from openpapers.search.service import SearchService

HERE = Path(__file__).resolve().parent
DAY = date(2026, 11, 20)
TARGET_S = 120.0
WORDS = ("sparse", "neural", "operator", "diffusion", "bayesian", "graph", "kernel", "stochastic", "quantum",
         "robust", "adaptive", "convex", "spectral", "latent", "causal", "manifold", "transformer", "flow", "solver",
         "equation", "learning", "inference", "geometry", "attention", "policy", "reward", "language", "vision")
CATS = ("cs.LG", "stat.ML", "cs.CV", "cs.CL", "math.OC", "math.NA", "cs.AI", "quant-ph", "physics.comp-ph")
ORGS = ("Example Lab", "Sample University", "Institute of Tests", "Bench Research")

SINK = """
import asyncio, sys, time
from aiosmtpd.controller import Controller
class Sink:
    n = 0
    async def handle_DATA(self, server, session, envelope):
        Sink.n += 1
        return "250 OK"
c = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]))
c.start()
print("ready", flush=True)
sys.stdin.read()
c.stop()
print(Sink.n, flush=True)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build(data: Path, users: int, papers: int, seed: int) -> None:
    """The store: demo corpus, 3 synthetic days of ``papers`` each, ``users`` users with follows and signals."""
    rng = random.Random(seed)
    authors = [f"Bench Author{i}" for i in range(max(200, papers * 2))]
    store = open_store(resolve_settings(data))
    load_demo(store)
    ids: dict[date, list[str]] = {}
    for back in range(3):
        day = DAY - timedelta(days=back)
        batch = []
        for i in range(papers):
            w = rng.sample(WORDS, 6)
            arxiv = f"2611.{(back * papers + i) % 100000:05d}"
            batch.append(PaperRecord(
                source="bench", source_key=f"{day}-{i}", arxiv_id=arxiv,
                title=f"{w[0].title()} {w[1]} {w[2]} for {w[3]} {w[4]} {w[5]}",
                abstract=" ".join(rng.choice(WORDS) for _ in range(150)),
                authors=rng.sample(authors, rng.randint(2, 6)), authors_complete=True,
                categories=rng.sample(CATS, rng.randint(1, 2)), published=day, orgs=[rng.choice(ORGS)]))
            ids.setdefault(day, []).append(arxiv)
        for j in range(0, len(batch), 500):
            store.apply(batch[j:j + 500])
    SearchService(store, data).sync(semantic=False)
    old = [p.id for p in store.get_papers(ids[DAY - timedelta(days=2)] + ids[DAY - timedelta(days=1)])]
    now = "2026-11-19T12:00:00+00:00"
    engine = store.engine
    with engine.begin() as conn:
        conn.execute(insert(t.users), [
            {"id": u, "email": f"bench{u}@example.org", "display_name": f"Bench User {u}", "password_hash": "x",
             "is_admin": False, "created_at": now, "digest_frequency": "daily",
             "digest_sections": "follows,recommendations,trending"} for u in range(1, users + 1)])
        follows, library, votes = [], [], []
        for u in range(1, users + 1):
            for a in rng.sample(authors, 2):
                follows.append({"user_id": u, "kind": "author", "target": author_id(a), "label": a,
                                "created_at": now})
            cat = rng.choice(CATS)
            follows.append({"user_id": u, "kind": "category", "target": cat, "label": cat, "created_at": now})
            if u % 4 == 0:
                q = " ".join(rng.sample(WORDS, 2))
                follows.append({"user_id": u, "kind": "search", "target": f'{{"q":"{q}"}}', "label": q,
                                "created_at": now})
            for pid in rng.sample(old, 5):
                library.append({"user_id": u, "paper_id": pid, "tags": "[]", "note": "", "created_at": now,
                                "updated_at": now})
            for pid in rng.sample(old, 3):
                votes.append({"user_id": u, "paper_id": pid, "created_at": now})
        conn.execute(insert(t.follows), follows)
        conn.execute(insert(t.library), library)
        conn.execute(insert(t.votes), votes)
    store.close()


def baseline(smtp: SmtpSettings, n: int) -> float:
    """Seconds to send ``n`` tiny pre-built messages over one connection (the SMTP path alone)."""
    msgs = [(f"From: b@example.org\r\nTo: r{i}@example.org\r\nSubject: t{i}\r\n"
             f"Message-ID: <b{i}@example.org>\r\n\r\nhello {i}\r\n").encode() for i in range(n)]
    client = connect(smtp)
    started = time.perf_counter()
    for i, m in enumerate(msgs):
        client.sendmail("b@example.org", [f"r{i}@example.org"], m)
    took = time.perf_counter() - started
    client.quit()
    return took


def _cpu() -> float:
    """User + system CPU seconds of this process and its finished children (the --jobs workers)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def resend_baseline(store: object, smtp: SmtpSettings) -> tuple[int, float, int]:
    """The composed digests themselves, sent over one connection with no claim and no commit per message."""
    with store.engine.connect() as conn:
        msgs = [bytes(m) for (m,) in conn.execute(select(t.digest_outbox.c.message)
                                                  .where(t.digest_outbox.c.message.is_not(None)))]
    client = connect(smtp)
    started = time.perf_counter()
    for i, m in enumerate(msgs):
        client.sendmail("b@example.org", [f"r{i}@example.org"], m)
    took = time.perf_counter() - started
    client.quit()
    return len(msgs), took, sum(len(m) for m in msgs) // max(len(msgs), 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, default=10_000)
    ap.add_argument("--papers", type=int, default=800, help="papers published on the bench day (and each of 2 before)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=HERE / "out")
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--jobs", type=int, default=1, help="processes for planning and for sending")
    args = ap.parse_args()
    data = args.out / f"digests-{args.users}-{args.papers}"
    if args.rebuild and data.exists():
        shutil.rmtree(data)
    if not (data / "bench-built").exists():
        t0 = time.perf_counter()
        if data.exists():
            shutil.rmtree(data)
        data.mkdir(parents=True)
        build(data, args.users, args.papers, args.seed)
        (data / "bench-built").write_text("ok")
        print(f"built {data} in {time.perf_counter() - t0:.1f} s")
    print(f"cpus {os.cpu_count()}, load average before {os.getloadavg()}")

    port = free_port()
    sink = subprocess.Popen([sys.executable, "-c", SINK, str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    assert sink.stdout is not None and sink.stdout.readline().strip() == "ready"
    smtp = SmtpSettings(host="127.0.0.1", port=port, mail_from="openpapers <digest@bench.example.org>")
    settings = resolve_settings(data)
    store = open_store(settings)
    try:
        with store.engine.begin() as conn:
            conn.execute(delete(t.digest_outbox))
        period = daily(DAY)
        ctx = mail_context(store, smtp, "https://papers.example.org")
        started = time.perf_counter()
        cpu0 = _cpu()
        if args.jobs == 1:
            plan = plan_period(store, period, ctx, search=SearchService(store, data))
            sent = send_pending(store, smtp)
        else:
            report = run_parallel(settings, smtp, ctx, [period], jobs=args.jobs, lease_s=300.0)
            plan, sent = report.plans[0], report.send
        total = time.perf_counter() - started
        cpu = _cpu() - cpu0
        base = baseline(smtp, max(plan.planned, 1))
        same = resend_baseline(store, smtp)
    finally:
        store.close()
        out, _ = sink.communicate("", timeout=60)
    received = int(out.strip().splitlines()[-1]) - max(plan.planned, 1) - same[0]  # less the baselines' messages
    s = plan.seconds
    if args.jobs > 1:
        print(f"(--jobs {args.jobs}: each phase is the slowest process's time; per-user figures divide it by the "
              f"users of one process)")
    print(f"users {plan.users}: {plan.planned} digests, {plan.empty} with nothing new; server received {received}")
    print(f"TOTAL {total:.1f} s (target ≤ {TARGET_S:.0f} s: {'OK' if total <= TARGET_S else 'MISSED'})")
    print(f"  period papers + trending  {s.get('period', 0):7.1f} s")
    print(f"  build (follows, recs)     {s.get('build', 0):7.1f} s   "
          f"{1000 * s.get('build', 0) * args.jobs / max(plan.users, 1):.2f} ms/user")
    print(f"  compose (Jinja + MIME)    {s.get('compose', 0):7.1f} s   "
          f"{1000 * s.get('compose', 0) * args.jobs / max(plan.planned, 1):.2f} ms/message")
    print(f"  outbox writes             {s.get('write', 0):7.1f} s")
    print(f"  send (SMTP + mark sent)   {sent.seconds:7.1f} s   {sent.sent / sent.seconds:.0f} messages/s")
    print(f"  overall                   {plan.planned / total:.0f} digests/s")
    print(f"CPU time of the digest process(es) {cpu:.1f} s ({1000 * cpu / max(plan.users, 1):.1f} ms/user): on an "
          f"otherwise idle machine the wall time would be about CPU / min(jobs, cores) plus the SMTP server's share")
    print(f"baseline: {plan.planned} tiny pre-built messages over the same SMTP path in {base:.1f} s "
          f"({plan.planned / base:.0f} messages/s); digest send is {sent.seconds / base:.1f}x that")
    print(f"baseline: the same {same[0]} digests (avg {same[2] // 1024} KiB) through the same SMTP path without the "
          f"outbox in {same[1]:.1f} s ({same[0] / same[1]:.0f} messages/s): the outbox's claim + per-message "
          f"commit costs {100 * (sent.seconds / same[1] - 1):.0f}% on top")
    print(f"load average after {os.getloadavg()}")


if __name__ == "__main__":
    main()
