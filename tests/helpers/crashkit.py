"""The digest kill campaign, shared by tests/digests/test_crash.py (small) and bench/crash_digests.py (the
issue's size): SIGKILL the process group of a real ``openpapers digest send`` at random moments, while planning
and while sending, then run it to completion and once more, and count what a real SMTP server received.

What is counted (all from the server's side and from plain SQL, independently of the code under test):

* users due: outbox rows that hold a message (users whose digest is not empty);
* users served: distinct recipients the server accepted a digest for; missing = due - served;
* failed: rows left ``failed``; failed but delivered: those whose Message-ID the server received anyway;
* resends: extra copies of a Message-ID; each must be byte-identical and must have been in flight (``sending``
  and already received) at one of the kills, at most one per kill;
* two digests: users who received two different Message-IDs for the period (must be 0).

Kills land "0–80 ms after a row turns ``sent``" while sending (the moment a message was just accepted, the
next one in flight), and at a random number of committed rows while planning.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers.notifydata import DAY, SmtpServer
from helpers.plainsql import plain_sql

OPENPAPERS = Path(sys.executable).parent / "openpapers"
Query = Callable[[str], list[Any]]


@dataclass
class CampaignResult:
    users: int
    jobs: int
    seed: int
    plan_kills: int = 0
    send_kills: int = 0
    due: int = 0
    served: int = 0
    failed: int = 0
    failed_delivered: int = 0
    resends: int = 0
    resends_not_in_flight: int = 0
    max_in_flight_at_a_kill: int = 0
    differing_resends: int = 0
    two_digests: int = 0
    last_run_sent: int = -1
    seconds: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)

    @property
    def missing(self) -> int:
        return self.due - self.served

    def problems(self) -> list[str]:
        """Every broken promise, as a sentence; empty when the run kept all of them."""
        out = []
        if self.missing:
            out.append(f"{self.missing} of {self.due} users due a digest got none")
        if self.failed:
            out.append(f"{self.failed} rows failed (the server refused nothing)")
        if self.failed_delivered:
            out.append(f"{self.failed_delivered} failed rows had been delivered")
        if self.resends > self.send_kills + self.plan_kills:
            out.append(f"{self.resends} resends for {self.send_kills + self.plan_kills} kills")
        if self.resends_not_in_flight:
            out.append(f"{self.resends_not_in_flight} resends of messages not in flight at a kill")
        if self.max_in_flight_at_a_kill > 1:
            out.append(f"{self.max_in_flight_at_a_kill} messages in flight at one kill")
        if self.differing_resends:
            out.append(f"{self.differing_resends} resends differ from the first copy")
        if self.two_digests:
            out.append(f"{self.two_digests} users got two different digests")
        if self.last_run_sent != 0:
            out.append(f"the run after completion sent {self.last_run_sent}")
        return out

    def line(self) -> str:
        return (f"jobs {self.jobs}: users due {self.due}, users served {self.served}, missing {self.missing}, "
                f"failed {self.failed} (delivered anyway {self.failed_delivered}), resends {self.resends} "
                f"(kills: {self.plan_kills} planning, {self.send_kills} sending), two digests {self.two_digests}, "
                f"{self.seconds:.0f} s, seed {self.seed}")


@contextmanager
def fresh_reader(url: str) -> Iterator[Query]:
    """Plain SQL on ``url`` (tests/helpers/plainsql.py), one read transaction per query, so each query sees what
    was committed before it (an open SQLite read would keep its snapshot)."""
    with plain_sql(url) as conn:
        def run(sql: str) -> list[Any]:
            try:
                return list(conn.exec_driver_sql(sql).fetchall())
            finally:
                conn.rollback()
        yield run


def _wait(cond: Callable[[], bool], proc: subprocess.Popen[bytes], limit: float = 120.0) -> bool:
    """Poll until ``cond`` holds (True) or the process ended (False)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if cond():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.003)
    raise AssertionError("timed out waiting for the digest run")


def _kill(proc: subprocess.Popen[bytes]) -> bool:
    """SIGKILL the run's whole process group (its planning processes too); False if it had already ended."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    return proc.wait() == -signal.SIGKILL


def run_campaign(data_dir: Path, query: Query, *, users: int, kills: int, jobs: int, seed: int,
                 plan_kills: int | None = None, smtp_delay: float = 0.005, env: dict[str, str] | None = None
                 ) -> CampaignResult:
    """One campaign on the store in ``data_dir`` (users already made, nothing planned yet)."""
    rng = random.Random(seed)
    result = CampaignResult(users=users, jobs=jobs, seed=seed)
    to_plan = kills // 5 if plan_kills is None else plan_kills
    cmd = [str(OPENPAPERS), "--data-dir", str(data_dir), "digest", "send", "--date", DAY.isoformat(),
           "--frequency", "daily", "--plan-batch", "10", "--jobs", str(jobs)]
    started = time.monotonic()

    def count(sql: str) -> int:
        return int(query(sql)[0][0])

    def start(server_env: dict[str, str]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(cmd, env={**os.environ, **(env or {}), **server_env}, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, start_new_session=True)

    with SmtpServer(delay=smtp_delay) as server:
        received = lambda: {m.message["Message-ID"] for m in server.messages}  # noqa: E731
        in_flight_at_kills: list[set[str]] = []
        for k in range(kills):
            planning = k < to_plan
            proc = start(server.env())
            if planning:
                target = count("SELECT count(*) FROM digest_outbox") + rng.randint(1, max(users // to_plan, 2))
                moved = _wait(lambda t=target: count("SELECT count(*) FROM digest_outbox") >= t, proc)
            else:
                before = count("SELECT count(*) FROM digest_outbox WHERE status = 'sent'")
                moved = _wait(lambda b=before: count(
                    "SELECT count(*) FROM digest_outbox WHERE status = 'sent'") > b, proc)
                if moved:
                    time.sleep(rng.uniform(0.0, 0.08))
            if not moved or not _kill(proc):
                break  # it finished before the kill: nothing left to interrupt
            result.plan_kills += planning
            result.send_kills += not planning
            time.sleep(0.3)  # let the server finish a DATA the client had already sent
            sending = {r[0] for r in query("SELECT message_id FROM digest_outbox WHERE status = 'sending'")}
            in_flight_at_kills.append(sending & received())
        final = subprocess.run(cmd, env={**os.environ, **(env or {}), **server.env()}, capture_output=True,
                               timeout=600)
        if final.returncode != 0:
            raise AssertionError(f"the completing run failed: {final.stderr.decode()[-2000:]}")
        count_before = len(server.messages)
        again = subprocess.run(cmd, env={**os.environ, **(env or {}), **server.env()}, capture_output=True,
                               timeout=600)
        if again.returncode != 0:
            raise AssertionError(f"the last run failed: {again.stderr.decode()[-2000:]}")
        result.last_run_sent = len(server.messages) - count_before
        messages = list(server.messages)

    result.seconds = time.monotonic() - started
    result.statuses = {str(s): int(n) for s, n in query("SELECT status, count(*) FROM digest_outbox GROUP BY status")}
    due_ids = {r[0]: r[1] for r in query("SELECT message_id, status FROM digest_outbox WHERE message_id IS NOT NULL")}
    result.due = len(due_ids)
    copies = Counter(m.message["Message-ID"] for m in messages)
    result.served = len({m.rcpt_tos[0] for m in messages if m.message["Message-ID"] in due_ids})
    failed = {mid for mid, status in due_ids.items() if status == "failed"}
    result.failed = len(failed)
    result.failed_delivered = len(failed & set(copies))
    result.resends = sum(n - 1 for n in copies.values())
    flown = set().union(*in_flight_at_kills) if in_flight_at_kills else set()
    result.resends_not_in_flight = sum(1 for mid, n in copies.items() if n > 1 and mid not in flown)
    result.max_in_flight_at_a_kill = max((len(s) for s in in_flight_at_kills), default=0)
    bodies: dict[str, set[bytes]] = defaultdict(set)
    per_user: dict[str, set[str]] = defaultdict(set)
    for m in messages:
        bodies[m.message["Message-ID"]].add(m.data)
        per_user[m.rcpt_tos[0]].add(m.message["Message-ID"])
    result.differing_resends = sum(1 for v in bodies.values() if len(v) > 1)
    result.two_digests = sum(1 for v in per_user.values() if len(v) > 1)
    return result
