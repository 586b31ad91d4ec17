"""Named lease locks kept as rows of ``checkpoints`` (key ``lock:<name>``), shared by every worker process.

A lock is ``{"holder": ..., "until": ...}``; taking it is a compare-and-swap on the row's text (UPDATE … WHERE
state = <what was read>), so of two processes racing for it exactly one wins, on SQLite and PostgreSQL alike.
It expires by itself (``until``, a fine-grained :func:`~openpapers.db.clock.stamp`), so a worker killed while
holding it does not block the job forever. The compare-and-swap needs the row's raw text, which is why this
module reads the table itself rather than through :mod:`openpapers.db.checkpoints`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
from sqlalchemy import select, update

from openpapers.db import schema as t
from openpapers.db.clock import now as now_text
from openpapers.db.clock import stamp
from openpapers.db.database import Bind, tx
from openpapers.db.dialect import insert_ignore

c = t.checkpoints
_FREE = orjson.dumps({"holder": None, "until": ""}).decode()


def _key(name: str) -> str:
    return f"lock:{name}"


def acquire(bind: Bind, name: str, holder: str, ttl_s: float) -> bool:
    """Take lock ``name`` for ``ttl_s`` seconds if it is free, expired, or already ours."""
    now = datetime.now(UTC)
    with tx(bind) as conn:
        conn.execute(insert_ignore(conn, c).values(key=_key(name), state=_FREE, updated_at=now_text(now)))
        current = conn.execute(select(c.c.state).where(c.c.key == _key(name))).scalar_one()
        state = orjson.loads(current)
        if state.get("holder") not in (None, holder) and str(state.get("until", "")) > stamp(now):
            return False
        new = orjson.dumps({"holder": holder, "until": stamp(now + timedelta(seconds=ttl_s))}).decode()
        res = conn.execute(update(c).where(c.c.key == _key(name), c.c.state == current)
                           .values(state=new, updated_at=now_text(now)))
        return res.rowcount == 1


def release(bind: Bind, name: str, holder: str) -> bool:
    """Free the lock if ``holder`` still holds it."""
    with tx(bind) as conn:
        current = conn.execute(select(c.c.state).where(c.c.key == _key(name))).scalar_one_or_none()
        if current is None or orjson.loads(current).get("holder") != holder:
            return False
        res = conn.execute(update(c).where(c.c.key == _key(name), c.c.state == current)
                           .values(state=_FREE, updated_at=now_text()))
        return res.rowcount == 1
