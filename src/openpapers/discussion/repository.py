"""Data access for comments (SQLAlchemy Core). Comments keep the paper id they were written under; readers map
merged-away ids through ``paper_aliases``, as votes and the library do."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update

from openpapers.db import schema as t
from openpapers.db import schema_social as ts
from openpapers.db.clock import now as now_iso
from openpapers.db.database import Bind, tx

_c, _alias, _u = ts.comments, t.paper_aliases, t.users
_current = func.coalesce(_alias.c.paper_id, _c.c.paper_id)


def _joined(*cols: Any) -> Any:
    return select(*cols).select_from(_c.outerjoin(_alias, _alias.c.alias == _c.c.paper_id))


def _for(ids: list[str]) -> Any:
    return or_(_c.c.paper_id.in_(ids), _alias.c.paper_id.in_(ids))


def add(bind: Bind, paper_id: str, user_id: int, body: str) -> int:
    with tx(bind) as conn:
        result = conn.execute(insert(_c).values(paper_id=paper_id, user_id=user_id, body=body, created_at=now_iso()))
        return int(result.inserted_primary_key[0])


def get(bind: Bind, comment_id: int) -> dict[str, Any] | None:
    with tx(bind) as conn:
        row = conn.execute(select(_c).where(_c.c.id == comment_id)).mappings().first()
    return dict(row) if row else None


def edit(bind: Bind, comment_id: int, body: str) -> None:
    with tx(bind) as conn:
        conn.execute(update(_c).where(_c.c.id == comment_id).values(body=body, updated_at=now_iso()))


def set_hidden(bind: Bind, comment_id: int, moderator_id: int | None) -> None:
    """Hide (``moderator_id`` given) or show again (``None``) a comment."""
    values = {"hidden_at": now_iso(), "hidden_by": moderator_id} if moderator_id else {"hidden_at": None,
                                                                                        "hidden_by": None}
    with tx(bind) as conn:
        conn.execute(update(_c).where(_c.c.id == comment_id).values(**values))


def remove(bind: Bind, comment_id: int) -> bool:
    with tx(bind) as conn:
        return conn.execute(delete(_c).where(_c.c.id == comment_id)).rowcount > 0


def for_paper(bind: Bind, paper_id: str) -> list[dict[str, Any]]:
    """A paper's comments, oldest first, with their authors' display names (hidden ones included)."""
    stmt = (_joined(_c, _u.c.display_name).outerjoin(_u, _u.c.id == _c.c.user_id)
            .where(_for([paper_id])).order_by(_c.c.created_at, _c.c.id))
    with tx(bind) as conn:
        return [dict(r) for r in conn.execute(stmt).mappings()]


def counts(bind: Bind, paper_ids: Iterable[str]) -> dict[str, int]:
    """Visible comments per paper (cards show them); papers without any are absent."""
    ids = list(dict.fromkeys(paper_ids))
    if not ids:
        return {}
    stmt = _joined(_current, func.count()).where(_for(ids), _c.c.hidden_at.is_(None)).group_by(_current)
    with tx(bind) as conn:
        return {pid: int(n) for pid, n in conn.execute(stmt)}


def between(bind: Bind, start: str, end: str) -> list[dict[str, Any]]:
    """Visible comments written with ``start <= created_at < end``: ``{paper_id (current), user_id, body,
    display_name}``, oldest first (the digests' discussion section)."""
    stmt = (_joined(_current.label("paper_id"), _c.c.user_id, _c.c.body, _c.c.created_at, _u.c.display_name)
            .outerjoin(_u, _u.c.id == _c.c.user_id)
            .where(_c.c.created_at >= start, _c.c.created_at < end, _c.c.hidden_at.is_(None))
            .order_by(_c.c.created_at, _c.c.id))
    with tx(bind) as conn:
        return [dict(r) for r in conn.execute(stmt).mappings()]
