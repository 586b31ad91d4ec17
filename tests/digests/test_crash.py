"""SIGKILL the real ``openpapers digest send`` at random moments (while planning and while sending), re-run it
until it completes, and check what a real SMTP server received: every planned digest arrived, nothing arrived
twice except a message that was in flight at a kill (at most one per kill, same bytes), no user got two
different digests for the period, and a run after completion sends nothing.

Kill moments are random; the seed is printed (``-s``) and on failure, and ``OPENPAPERS_KILL_SEED`` replays one.
The DB is read with plain SQL (tests/helpers/plainsql.py) after every kill, independently of
the code under test. Runs on both backends (tests/digests/conftest.py): the child processes find the test's
PostgreSQL database through ``OPENPAPERS_DATABASE_URL``.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection

from helpers.notifydata import DAY, SmtpServer, make_users
from helpers.plainsql import plain_sql
from openpapers.core.settings import Settings, resolve_settings
from openpapers.papers.store import open_store

OPENPAPERS = Path(sys.executable).parent / "openpapers"
USERS = 200
SEND_KILLS = 4


class Reader:
    """Reads the test's database with plain SQL (tests/helpers/plainsql.py), one read transaction per query, so each
    query sees what was committed before it (an open SQLite read would keep its snapshot)."""

    def __init__(self, url: str, conn: Connection) -> None:
        self.url, self.conn = url, conn

    def __call__(self, sql: str) -> list[tuple]:  # type: ignore[type-arg]
        try:
            return list(self.conn.exec_driver_sql(sql).fetchall())
        finally:
            self.conn.rollback()


@pytest.fixture
def query(data_settings: Settings) -> Iterator[Reader]:
    with plain_sql(data_settings.database_url) as conn:
        yield Reader(data_settings.database_url, conn)


def _wait(cond: Callable[[], bool], proc: subprocess.Popen[bytes], limit: float = 60.0) -> bool:
    """Poll until ``cond`` holds (True) or the process ended (False)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if cond():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.005)
    raise AssertionError("timed out waiting for the digest run")


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_kill_9_mid_run_then_resume_delivers_every_digest_once(data_dir: Path, query: Reader) -> None:
    seed = int(os.environ.get("OPENPAPERS_KILL_SEED") or random.randrange(1 << 30))
    rng = random.Random(seed)
    print(f"\nkill seed {seed} (OPENPAPERS_KILL_SEED={seed} replays it)")
    store = open_store(resolve_settings(data_dir))
    make_users(store.engine, USERS)
    assert store.url == query.url  # the database the child processes open too
    store.close()
    cmd = [str(OPENPAPERS), "--data-dir", str(data_dir), "digest", "send", "--date", DAY.isoformat(),
           "--frequency", "daily", "--plan-batch", "10", "--quiet"]

    def rows() -> int:
        return int(query("SELECT count(*) FROM digest_outbox")[0][0])

    def sent() -> int:
        return int(query("SELECT count(*) FROM digest_outbox WHERE status = 'sent'")[0][0])

    # The server takes a few ms per message, like a real one across a network: the in-flight window is real.
    with SmtpServer(delay=0.004) as server:
        env = {**os.environ, **server.env()}
        received_ids: Callable[[], set[str]] = lambda: {m.message["Message-ID"] for m in server.messages}  # noqa: E731
        ambiguous: list[set[str]] = []  # per kill while sending: delivered but not recorded as sent
        plan_killed_at = None

        # 1. Kill while planning (after some batches were committed, before anything was sent).
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        target = rng.randint(1, USERS - 30)
        if _wait(lambda: rows() >= target, proc):
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            plan_killed_at = rows()
        assert server.messages == [], "nothing may be sent before planning is complete"

        # 2. Kill while sending, at random moments after this run's first sent message.
        done = False
        for _ in range(SEND_KILLS):
            before = sent()
            proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            if not _wait(lambda before=before: sent() > before, proc):
                done = True
                break
            time.sleep(rng.uniform(0.0, 0.25))
            proc.send_signal(signal.SIGKILL)
            if proc.wait() != -signal.SIGKILL:
                done = True  # it finished before the signal landed
                break
            time.sleep(0.3)  # let the server finish a DATA the client had already sent
            in_flight = {r[0] for r in query("SELECT message_id FROM digest_outbox WHERE status = 'sending'")}
            ambiguous.append(in_flight & received_ids())

        # 3. Run to completion, then once more: the last run must send nothing.
        if not done:
            finished = subprocess.run(cmd, env=env, capture_output=True, timeout=120)
            assert finished.returncode == 0, finished.stderr.decode()
        count = len(server.messages)
        again = subprocess.run([*cmd[:-1]], env=env, capture_output=True, timeout=120)
        assert again.returncode == 0, again.stderr.decode()
        assert "sent 0," in again.stderr.decode()
        assert len(server.messages) == count
        messages = server.messages

    status = dict(query("SELECT status, count(*) FROM digest_outbox GROUP BY status"))
    assert status == {"sent": USERS - USERS // 10, "empty": USERS // 10}, status
    planned = {r[0] for r in query("SELECT message_id FROM digest_outbox WHERE status = 'sent'")}
    ids = Counter(m.message["Message-ID"] for m in messages)
    assert set(ids) == planned, "every planned digest was received, and nothing else"
    duplicates = {mid: n for mid, n in ids.items() if n > 1}
    in_flight_at_kills = set().union(*ambiguous) if ambiguous else set()
    print(f"planning killed with {plan_killed_at} rows committed; {len(ambiguous)} kills while sending; "
          f"in flight (delivered, not yet recorded) per kill: {[len(a) for a in ambiguous]}; "
          f"duplicates received: {len(duplicates)} (seed {seed})")
    assert all(len(a) <= 1 for a in ambiguous), f"more than one message in flight at a kill (seed {seed})"
    assert all(n == 2 for n in duplicates.values())
    assert set(duplicates) <= in_flight_at_kills, f"a duplicate that was not in flight at a kill (seed {seed})"
    assert len(duplicates) <= len(ambiguous)
    # A resend is the very same message (same bytes, same Message-ID), and no user got two different digests.
    by_id: dict[str, set[bytes]] = defaultdict(set)
    per_user: dict[str, set[str]] = defaultdict(set)
    for m in messages:
        by_id[m.message["Message-ID"]].add(m.data)
        per_user[m.rcpt_tos[0]].add(m.message["Message-ID"])
    assert all(len(v) == 1 for v in by_id.values())
    assert all(len(v) == 1 for v in per_user.values())
    assert len(per_user) == USERS - USERS // 10
