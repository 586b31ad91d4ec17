"""The digest outbox's ledger rules (digests/outbox.py) and lease locks (db/locks.py), on both backends."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import insert

from openpapers.accounts.repository import get_user, unsubscribe_digest
from openpapers.core.settings import resolve_settings
from openpapers.db import locks
from openpapers.db.schema import users
from openpapers.digests import outbox
from openpapers.papers.store import open_store

# Every test here runs on SQLite and on PostgreSQL (see tests/conftest.py).
pytestmark = pytest.mark.usefixtures("backend_db")


def _store(tmp_path: Path):  # type: ignore[no-untyped-def]
    return open_store(resolve_settings(tmp_path))


def _plan(engine, n: int, period: str = "daily:2026-11-20") -> None:  # type: ignore[no-untyped-def]
    rows = [outbox.Planned(u, period, f"<m{u}@x>" if u % 5 else None, f"msg {u}".encode() if u % 5 else None)
            for u in range(1, n + 1)]
    outbox.record_planned(engine, rows)


def test_one_row_per_user_and_period_ever(tmp_path: Path) -> None:
    store = _store(tmp_path)
    engine = store.engine
    _plan(engine, 10)
    _plan(engine, 10)  # a second planner, or a re-run: ignored
    outbox.record_planned(engine, [outbox.Planned(1, "daily:2026-11-20", "<other@x>", b"other")])
    assert outbox.status_counts(engine) == {"pending": 8, "sending": 0, "sent": 0, "empty": 2, "failed": 0}
    assert outbox.planned_users(engine, "daily:2026-11-20") == set(range(1, 11))
    assert outbox.get(engine, 1, "daily:2026-11-20")["message"] == b"msg 1"  # type: ignore[index]
    _plan(engine, 3, "daily:2026-11-21")
    assert outbox.planned_users(engine, "daily:2026-11-21", [1, 2, 3, 4]) == {1, 2, 3}
    store.close()


def test_concurrent_claimers_share_the_rows_without_overlap(tmp_path: Path) -> None:
    store = _store(tmp_path)
    engine = store.engine
    _plan(engine, 200)
    got: dict[str, list[int]] = {}
    errors: list[BaseException] = []

    def sender(name: str) -> None:
        try:
            while rows := outbox.claim(engine, name, limit=7):
                for r in rows:
                    assert outbox.mark_sent(engine, r.id, name)
                    got.setdefault(name, []).append(r.id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=sender, args=(f"s{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    ids = [i for mine in got.values() for i in mine]
    assert len(ids) == len(set(ids)) == 160
    assert outbox.status_counts(engine)["sent"] == 160
    store.close()


def test_abandoned_claims_are_resumed_after_the_lease_or_when_the_claimer_is_dead(tmp_path: Path) -> None:
    store = _store(tmp_path)
    engine = store.engine
    _plan(engine, 4)  # rows for users 1-4 pending
    first = outbox.claim(engine, "dead-one", limit=2)
    assert [(r.attempts, r.takeovers) for r in first] == [(0, 0), (0, 0)]  # a claim is not an attempt
    assert [r.user_id for r in outbox.claim(engine, "b", limit=10)] == [3, 4]  # live claims are left alone
    assert outbox.claim(engine, "c", limit=10) == []
    resumed = outbox.claim(engine, "c", limit=10, dead=["dead-one"])
    assert [(r.user_id, r.attempts, r.takeovers) for r in resumed] == [(1, 0, 1), (2, 0, 1)]
    assert not outbox.mark_sent(engine, first[0].id, "dead-one")  # the old claim is void
    stale = outbox.claim(engine, "d", limit=10, lease_s=-1)  # every claim counts as expired
    assert len(stale) == 4
    assert outbox.renew(engine, [r.id for r in stale], "d") == {r.id for r in stale}
    assert outbox.release(engine, [stale[0].id], "d", "451 later") == 1
    assert outbox.claimers_in_flight(engine) == ["d"]
    assert outbox.mark_failed(engine, stale[1].id, "d", "550 no such user")
    assert outbox.status_counts(engine) == {"pending": 1, "sending": 2, "sent": 0, "empty": 0, "failed": 1}
    store.close()


def test_twenty_takeovers_leave_attempts_at_zero(tmp_path: Path) -> None:
    """The first wave's loss: every claim and takeover added an attempt, so rows never handed to a server hit
    the limit after a few crashes. Twenty dead senders in a row must leave the row as sendable as before."""
    store = _store(tmp_path)
    engine = store.engine
    _plan(engine, 4)
    for i in range(20):
        rows = outbox.claim(engine, f"dead-{i}", limit=10, dead=[f"dead-{i - 1}"])
        assert len(rows) == 4
    assert [(r.attempts, r.takeovers) for r in rows] == [(0, 19)] * 4
    last = outbox.claim(engine, "alive", limit=10, dead=["dead-19"])
    assert all(outbox.mark_sent(engine, r.id, "alive") for r in last)
    row = outbox.get(engine, 1, "daily:2026-11-20")
    assert row is not None and (row["status"], row["attempts"], row["takeovers"]) == ("sent", 1, 20)
    store.close()


def test_a_refused_row_waits_for_its_backoff_then_is_claimed_again(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    store = _store(tmp_path)
    engine = store.engine
    _plan(engine, 2)
    row = outbox.claim(engine, "a", limit=1)[0]
    soon = datetime.now(UTC) + timedelta(minutes=5)
    assert outbox.mark_failed(engine, row.id, "a", "451 later", retry_at=soon)
    other = outbox.claim(engine, "a", limit=10)
    assert [r.user_id for r in other] == [2]  # the refused one waits
    assert outbox.mark_sent(engine, other[0].id, "a")
    later = soon + timedelta(seconds=1)
    again = outbox.claim(engine, "b", limit=10, now=later)
    assert [(r.user_id, r.attempts) for r in again] == [(1, 1)]
    # A row whose connection broke waits in pending for its backoff; a final failure is never claimed again.
    assert outbox.release(engine, [again[0].id], "b", "connection lost", retry_at=later + timedelta(hours=1),
                          attempted=True) == 1
    assert outbox.claim(engine, "c", limit=10, now=later) == []
    broke = outbox.claim(engine, "c", limit=10, now=later + timedelta(hours=2))
    assert [(r.user_id, r.attempts) for r in broke] == [(1, 2)]
    assert outbox.mark_failed(engine, broke[0].id, "c", "550 no")
    assert outbox.claim(engine, "d", limit=10, now=later + timedelta(days=30)) == []
    store.close()


def test_unsubscribe_only_from_the_list_the_user_is_on(tmp_path: Path) -> None:
    store = _store(tmp_path)
    engine = store.engine
    with engine.begin() as conn:  # plain Core: this test is about unsubscribe_digest only
        conn.execute(insert(users).values(id=7, email="a@example.org", display_name="A", password_hash="x",
                                          is_admin=False, created_at="2026-11-22T00:00:00+00:00",
                                          digest_frequency="weekly", digest_sections="follows"))
    uid = 7
    assert not unsubscribe_digest(engine, uid, "daily")
    assert unsubscribe_digest(engine, uid, "weekly")
    assert not unsubscribe_digest(engine, uid, "weekly")  # idempotent
    assert get_user(engine, uid)["digest_frequency"] == "off"  # type: ignore[index]
    store.close()


def test_lease_lock(tmp_path: Path) -> None:
    store = _store(tmp_path)
    engine = store.engine
    assert locks.acquire(engine, "harvest:cs", "a", 60)
    assert not locks.acquire(engine, "harvest:cs", "b", 60)
    assert locks.release(engine, "harvest:cs", "a")
    assert locks.acquire(engine, "harvest:cs", "b", 60)
    store.close()
