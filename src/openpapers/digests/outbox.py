"""Data access for the digest outbox (``digest_outbox``): the exactly-once ledger of (user, period) digests.

The unique constraint on (user_id, period) is what makes a digest "once per period, ever": planning inserts
with insert-or-ignore, so two planners (or a re-run after a crash) can never create a second row, and the
message is composed once and stored, so any resend sends the very same bytes.

Row life: ``pending`` (composed, waiting) -> ``sending`` (claimed by one sender, with ``claimed_by`` and
``claimed_at``) -> ``sent``; or ``empty`` (nothing new: no email, final); or ``failed`` (the server refused it).
A ``sending`` row whose claim is older than the lease, or whose claimer is known to be dead, may be claimed
again: that is how a killed sender's work is resumed.

**What the counters mean.** ``attempts`` counts real SMTP attempts of this row only: it grows when the row's
message was handed to a server (accepted, refused, or the connection broke during it), never when the row is
merely claimed or taken over from a dead sender; ``takeovers`` counts those takeovers apart. A kill can therefore
never use up a row's attempts.

**Failed means refused.** A row turns ``failed`` only when a server answered it with a refusal, so a failed row
was never delivered. A temporary refusal (4xx) sets ``next_attempt_at`` (backoff): the row is claimable again
once that time has passed, by any later run or the worker's retry job. A permanent refusal (5xx), or the last
allowed temporary one, leaves ``next_attempt_at`` empty: final. A broken connection proves nothing either way
(the message may have arrived), so such a row goes back to ``pending``, never ``failed``, with the same backoff.

Claiming is ``dialect.claim_rows`` (one ``UPDATE … WHERE id IN (SELECT … LIMIT n [FOR UPDATE SKIP LOCKED])
RETURNING``, in a ``BEGIN IMMEDIATE`` transaction on SQLite), so concurrent senders never get the same row and
on PostgreSQL they claim side by side instead of queueing.
Timestamps are UTC ISO-8601 strings of one fixed width, so string comparison is time comparison.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, case, delete, func, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from openpapers.db import schema as t
from openpapers.db.clock import stamp
from openpapers.db.database import Bind, engine_of, tx
from openpapers.db.dialect import claim_rows, immediate, insert_ignore

o = t.digest_outbox

PENDING, SENDING, SENT, EMPTY, FAILED = "pending", "sending", "sent", "empty", "failed"
STATUSES = (PENDING, SENDING, SENT, EMPTY, FAILED)


@dataclass(frozen=True, slots=True)
class Planned:
    """One composed digest to record: ``message`` None (and status ``empty``) when there was nothing new."""

    user_id: int
    period: str
    message_id: str | None
    message: bytes | None


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    user_id: int
    period: str
    message_id: str
    message: bytes
    attempts: int  # real SMTP attempts so far
    takeovers: int  # times the row was taken from a sender that stopped


def planned_users(bind: Bind, period: str, user_ids: Sequence[int] | None = None) -> set[int]:
    """Users that already have a row (whatever its status) for ``period``: planning skips them."""
    stmt = select(o.c.user_id).where(o.c.period == period)
    with tx(bind) as conn:
        if user_ids is None:
            return {int(u) for u in conn.execute(stmt).scalars()}
        found: set[int] = set()
        ids = list(user_ids)
        for i in range(0, len(ids), 500):
            found.update(int(u) for u in conn.execute(stmt.where(o.c.user_id.in_(ids[i:i + 500]))).scalars())
        return found


def record_planned(bind: Bind, rows: Iterable[Planned]) -> int:
    """Insert planned digests, ignoring (user, period) pairs that already have a row. Returns rows inserted."""
    now = stamp()
    values = [
        {
            "user_id": r.user_id,
            "period": r.period,
            "status": PENDING if r.message is not None else EMPTY,
            "message_id": r.message_id,
            "message": r.message,
            "attempts": 0,
            "takeovers": 0,
            "created_at": now,
        }
        for r in rows
    ]
    if not values:
        return 0
    with tx(bind) as conn:
        before = conn.execute(select(func.count()).select_from(o)).scalar_one()
        conn.execute(insert_ignore(conn, o), values)
        after = conn.execute(select(func.count()).select_from(o)).scalar_one()
    return int(after - before)


def _due(now: str) -> ColumnElement[bool]:
    return or_(o.c.next_attempt_at.is_(None), o.c.next_attempt_at <= now)


def _claimable(now: str, cutoff: str, dead: Sequence[str]) -> ColumnElement[bool]:
    waiting = and_(o.c.status == PENDING, _due(now))
    retry = and_(o.c.status == FAILED, o.c.next_attempt_at.is_not(None), o.c.next_attempt_at <= now)
    stale = and_(o.c.status == SENDING, o.c.claimed_at < cutoff)
    conds = [waiting, retry, stale]
    if dead:
        conds.append(and_(o.c.status == SENDING, o.c.claimed_by.in_(list(dead))))
    return or_(*conds)


def claim(
    bind: Bind,
    claimer: str,
    *,
    limit: int = 50,
    lease_s: float = 300.0,
    dead: Sequence[str] = (),
    periods: Sequence[str] | None = None,
    now: datetime | None = None,
) -> list[Claimed]:
    """Atomically take up to ``limit`` sendable rows for ``claimer`` (status ``sending``; ``attempts`` untouched).

    Sendable: ``pending`` (and due, when it waits for a retry), ``failed`` with a retry time that has come, or
    ``sending`` with a claim older than ``lease_s`` seconds or held by one of the ``dead`` claimers (the caller
    established that those processes no longer exist): those count one more takeover. ``periods`` restricts the
    claim to some periods (None: any). Rows come back in id order (plan order).
    """
    at = now or datetime.now(UTC)
    cutoff = stamp(at - timedelta(seconds=lease_s))
    cond = _claimable(stamp(at), cutoff, dead)
    if periods is not None:
        cond = and_(cond, o.c.period.in_(list(periods)))
    # SET expressions read the row as it was before the update: a row taken from ``sending`` is a takeover.
    takeover = case((o.c.status == SENDING, o.c.takeovers + 1), else_=o.c.takeovers)
    values = {"status": SENDING, "claimed_by": claimer, "claimed_at": stamp(at), "takeovers": takeover}
    with immediate(engine_of(bind)) as conn:
        rows = claim_rows(conn, o, cond, values, limit=limit, order_by=[o.c.id])
    return sorted(
        (Claimed(int(r.id), int(r.user_id), r.period, r.message_id, bytes(r.message), int(r.attempts),
                 int(r.takeovers)) for r in rows),
        key=lambda c: c.id,
    )


def _held(row_ids: Sequence[int], claimer: str) -> ColumnElement[bool]:
    return and_(o.c.id.in_(list(row_ids)), o.c.claimed_by == claimer, o.c.status == SENDING)


def mark_sent(bind: Bind, row_id: int, claimer: str) -> bool:
    """Record that the server accepted the message (one more attempt). False if the claim was lost meanwhile
    (lease expired and another sender took the row): the caller must then not assume it alone sent it."""
    with tx(bind) as conn:
        res = conn.execute(
            update(o).where(_held([row_id], claimer))
            .values(status=SENT, sent_at=stamp(), error=None, next_attempt_at=None, attempts=o.c.attempts + 1)
        )
    return res.rowcount == 1


def mark_failed(bind: Bind, row_id: int, claimer: str, error: str, *, retry_at: datetime | None = None,
                attempted: bool = True) -> bool:
    """The server refused the message: ``failed``, retried after ``retry_at`` when given, else for good.
    ``attempted`` False when nothing was handed to a server (e.g. it cannot take the address at all)."""
    with tx(bind) as conn:
        res = conn.execute(
            update(o).where(_held([row_id], claimer))
            .values(status=FAILED, error=error[:2000], next_attempt_at=stamp(retry_at) if retry_at else None,
                    attempts=o.c.attempts + (1 if attempted else 0))
        )
    return res.rowcount == 1


def release(bind: Bind, row_ids: Sequence[int], claimer: str, error: str | None = None, *,
            retry_at: datetime | None = None, attempted: bool = False) -> int:
    """Give claimed rows back (status ``pending``), e.g. the rest of a claim when a run stops early; returns
    rows released. ``attempted`` with ``retry_at``: the connection broke while these were being sent (they may
    have arrived, so they must not turn ``failed``): one more attempt each, and they wait until ``retry_at``."""
    if not row_ids:
        return 0
    with tx(bind) as conn:
        res = conn.execute(
            update(o).where(_held(row_ids, claimer))
            .values(status=PENDING, claimed_by=None, claimed_at=None, error=error[:2000] if error else None,
                    next_attempt_at=stamp(retry_at) if retry_at else None,
                    attempts=o.c.attempts + (1 if attempted else 0))
        )
    return int(res.rowcount)


def make_due(bind: Bind, periods: Sequence[str] | None = None) -> int:
    """Let every row that waits for a retry be tried now (``digest send --retry-now``); returns how many."""
    waiting = and_(o.c.next_attempt_at.is_not(None), o.c.status.in_([PENDING, FAILED]))
    if periods is not None:
        waiting = and_(waiting, o.c.period.in_(list(periods)))
    with tx(bind) as conn:
        return int(conn.execute(update(o).where(waiting).values(next_attempt_at=stamp())).rowcount)


def retries_waiting(bind: Bind, periods: Sequence[str] | None = None) -> int:
    """Rows that a later run will try again (temporarily refused, or their connection broke)."""
    stmt = select(func.count()).select_from(o).where(o.c.next_attempt_at.is_not(None),
                                                      o.c.status.in_([PENDING, FAILED]))
    if periods is not None:
        stmt = stmt.where(o.c.period.in_(list(periods)))
    with tx(bind) as conn:
        return int(conn.execute(stmt).scalar_one())


def renew(bind: Bind, row_ids: Sequence[int], claimer: str) -> set[int]:
    """Extend the lease of rows still held by ``claimer``; returns the ids it still holds."""
    if not row_ids:
        return set()
    with tx(bind) as conn:
        conn.execute(update(o).where(_held(row_ids, claimer)).values(claimed_at=stamp()))
        held = conn.execute(select(o.c.id).where(_held(row_ids, claimer))).scalars()
        return {int(i) for i in held}


def claimers_in_flight(bind: Bind) -> list[str]:
    """Distinct ``claimed_by`` of rows in ``sending``: the sender checks which of them are dead processes."""
    with tx(bind) as conn:
        stmt = select(o.c.claimed_by).where(o.c.status == SENDING, o.c.claimed_by.is_not(None)).distinct()
        return [str(c) for c in conn.execute(stmt).scalars()]


def status_counts(bind: Bind, periods: Sequence[str] | None = None) -> dict[str, int]:
    """Rows per status (every status present, zero when none), optionally for some periods only."""
    stmt = select(o.c.status, func.count()).group_by(o.c.status)
    if periods is not None:
        stmt = stmt.where(o.c.period.in_(list(periods)))
    with tx(bind) as conn:
        found = {str(s): int(n) for s, n in conn.execute(stmt)}
    return {s: found.get(s, 0) for s in STATUSES}


def periods(bind: Bind) -> list[str]:
    """Every period that has rows, in no particular order."""
    with tx(bind) as conn:
        return [str(p) for p in conn.execute(select(o.c.period).distinct()).scalars()]


def get(bind: Bind, user_id: int, period: str) -> dict[str, object] | None:
    """The row of one (user, period), as a dict, or None."""
    with tx(bind) as conn:
        row = conn.execute(select(o).where(o.c.user_id == user_id, o.c.period == period)).mappings().first()
    return dict(row) if row else None


def delete_user(bind: Bind, user_id: int) -> int:
    """Remove a user's outbox rows (account deletion)."""
    with tx(bind) as conn:
        return int(conn.execute(delete(o).where(o.c.user_id == user_id)).rowcount)
