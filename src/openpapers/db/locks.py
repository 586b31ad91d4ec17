"""Named lease locks kept as rows of ``checkpoints`` (key ``lock:<name>``), shared by every worker process.

A lock is ``{"holder": ..., "until": ...}``; taking it is a compare-and-swap on the row's text (UPDATE … WHERE
state = <what was read>), so of two processes racing for it exactly one wins, on SQLite and PostgreSQL alike.
It expires by itself (``until``), so a worker killed while holding it does not block the job forever.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
from sqlalchemy import Engine, select, update

from openpapers.db import schema as t
from openpapers.db.dialect import insert_ignore
from openpapers.digests.outbox import stamp

c = t.checkpoints
_FREE = orjson.dumps({"holder": None, "until": ""}).decode()


def _key(name: str) -> str:
    return f"lock:{name}"


def acquire(engine: Engine, name: str, holder: str, ttl_s: float) -> bool:
    """Take lock ``name`` for ``ttl_s`` seconds if it is free, expired, or already ours."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(insert_ignore(conn, c).values(key=_key(name), state=_FREE, updated_at=stamp(now)))
        current = conn.execute(select(c.c.state).where(c.c.key == _key(name))).scalar_one()
        state = orjson.loads(current)
        if state.get("holder") not in (None, holder) and str(state.get("until", "")) > stamp(now):
            return False
        new = orjson.dumps({"holder": holder, "until": stamp(now + timedelta(seconds=ttl_s))}).decode()
        res = conn.execute(update(c).where(c.c.key == _key(name), c.c.state == current)
                           .values(state=new, updated_at=stamp(now)))
        return res.rowcount == 1


def release(engine: Engine, name: str, holder: str) -> bool:
    """Free the lock if ``holder`` still holds it."""
    with engine.begin() as conn:
        current = conn.execute(select(c.c.state).where(c.c.key == _key(name))).scalar_one_or_none()
        if current is None or orjson.loads(current).get("holder") != holder:
            return False
        res = conn.execute(update(c).where(c.c.key == _key(name), c.c.state == current)
                           .values(state=_FREE, updated_at=stamp()))
        return res.rowcount == 1
