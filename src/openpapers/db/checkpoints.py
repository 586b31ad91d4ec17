"""The ``checkpoints`` table as a small key-value store of JSON states: import resume points, index sync
points, a server database's own id, and the rows behind :mod:`openpapers.db.locks`.

Every write stamps ``updated_at`` with :func:`openpapers.db.clock.now`, so the column has one format whoever
writes it. Each function takes a :data:`~openpapers.db.database.Bind`: pass a connection to save a state in
the same transaction as the work it describes.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import delete, insert, select

from openpapers.db import clock
from openpapers.db import schema as t
from openpapers.db.database import Bind, tx
from openpapers.db.dialect import insert_ignore

c = t.checkpoints


def get(bind: Bind, key: str) -> dict[str, Any] | None:
    """The state saved under ``key``, or None."""
    with tx(bind) as conn:
        row = conn.execute(select(c.c.state).where(c.c.key == key)).first()
    return orjson.loads(row[0]) if row else None


def put(bind: Bind, key: str, state: dict[str, Any]) -> None:
    """Save ``state`` under ``key``, replacing what was there."""
    with tx(bind) as conn:
        conn.execute(delete(c).where(c.c.key == key))
        conn.execute(insert(c).values(key=key, state=orjson.dumps(state).decode(), updated_at=clock.now()))


def put_if_missing(bind: Bind, key: str, state: dict[str, Any]) -> dict[str, Any]:
    """Save ``state`` under ``key`` unless a state is there already; returns the one that is there after (ours,
    or the one a concurrent writer saved first)."""
    with tx(bind) as conn:
        conn.execute(insert_ignore(conn, c).values(key=key, state=orjson.dumps(state).decode(),
                                                   updated_at=clock.now()))
        return orjson.loads(conn.execute(select(c.c.state).where(c.c.key == key)).scalar_one())
