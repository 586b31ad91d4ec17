"""Data access for collections and their papers (SQLAlchemy Core over the store's database).

Items keep the paper id given when the paper was added; readers map merged-away ids through ``paper_aliases``
like the library does, so a collection never needs rewriting when papers merge.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, insert, select, update

from openpapers.db import schema as t
from openpapers.db import schema_social as ts
from openpapers.db.clock import now as now_iso
from openpapers.db.database import Bind, tx
from openpapers.db.dialect import insert_ignore

_c, _i, _alias = ts.collections, ts.collection_items, t.paper_aliases
_current = func.coalesce(_alias.c.paper_id, _i.c.paper_id)


def create(bind: Bind, user_id: int, name: str, description: str, public: bool) -> int:
    now = now_iso()
    with tx(bind) as conn:
        result = conn.execute(insert(_c).values(user_id=user_id, name=name, description=description,
                                                public=public, created_at=now, updated_at=now))
        return int(result.inserted_primary_key[0])


def update_collection(bind: Bind, collection_id: int, **values: Any) -> None:
    with tx(bind) as conn:
        conn.execute(update(_c).where(_c.c.id == collection_id).values(updated_at=now_iso(), **values))


def delete_collection(bind: Bind, collection_id: int) -> None:
    with tx(bind) as conn:
        conn.execute(delete(_i).where(_i.c.collection_id == collection_id))
        conn.execute(delete(t.follows).where(t.follows.c.kind == "collection",
                                             t.follows.c.target == str(collection_id)))
        conn.execute(delete(_c).where(_c.c.id == collection_id))


def _with_counts() -> Any:
    count = select(func.count()).select_from(_i).where(_i.c.collection_id == _c.c.id).scalar_subquery()
    followers = (select(func.count()).select_from(t.follows)
                 .where(t.follows.c.kind == "collection",
                        t.follows.c.target == func.cast(_c.c.id, t.follows.c.target.type)).scalar_subquery())
    owner = select(t.users.c.display_name).where(t.users.c.id == _c.c.user_id).scalar_subquery()
    return select(_c, count.label("size"), followers.label("followers"), owner.label("owner_name"))


def get(bind: Bind, collection_id: int) -> dict[str, Any] | None:
    with tx(bind) as conn:
        row = conn.execute(_with_counts().where(_c.c.id == collection_id)).mappings().first()
    return dict(row) if row else None


def list_collections(bind: Bind, *, user_id: int | None = None, public: bool | None = None,
                     limit: int = 200, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Collections of one owner and/or only public ones, most recently changed first, and their total."""
    where = []
    if user_id is not None:
        where.append(_c.c.user_id == user_id)
    if public is not None:
        where.append(_c.c.public.is_(public))
    stmt = _with_counts().where(*where).order_by(_c.c.updated_at.desc(), _c.c.id.desc())
    with tx(bind) as conn:
        rows = [dict(r) for r in conn.execute(stmt.limit(limit).offset(offset)).mappings()]
        total = conn.execute(select(func.count()).select_from(_c).where(*where)).scalar_one()
    return rows, int(total)


def items(bind: Bind, collection_id: int) -> list[dict[str, Any]]:
    """``{paper_id (current), note, added_at}`` of a collection, in the order they were added (newest last)."""
    stmt = (select(_current.label("paper_id"), _i.c.note, _i.c.added_at)
            .select_from(_i.outerjoin(_alias, _alias.c.alias == _i.c.paper_id))
            .where(_i.c.collection_id == collection_id).order_by(_i.c.added_at, _i.c.paper_id))
    with tx(bind) as conn:
        return [dict(r) for r in conn.execute(stmt).mappings()]


def _stored_key(conn: Any, collection_id: int, paper_id: str) -> str | None:
    aliases = select(_alias.c.alias).where(_alias.c.paper_id == paper_id)
    stmt = select(_i.c.paper_id).where(_i.c.collection_id == collection_id,
                                       (_i.c.paper_id == paper_id) | _i.c.paper_id.in_(aliases))
    return conn.execute(stmt).scalar()


def put_item(bind: Bind, collection_id: int, owner_id: int, paper_id: str, note: str | None) -> bool:
    """Add a paper (or change its note when given); True when the paper is new in the collection."""
    now = now_iso()
    with tx(bind) as conn:
        stored = _stored_key(conn, collection_id, paper_id)
        if stored is None:
            conn.execute(insert_ignore(conn, _i).values(collection_id=collection_id, paper_id=paper_id,
                                                        user_id=owner_id, note=note or "", added_at=now))
        elif note is not None:
            conn.execute(update(_i).where(_i.c.collection_id == collection_id, _i.c.paper_id == stored)
                         .values(note=note))
        conn.execute(update(_c).where(_c.c.id == collection_id).values(updated_at=now))
        return stored is None


def remove_item(bind: Bind, collection_id: int, paper_id: str) -> bool:
    with tx(bind) as conn:
        stored = _stored_key(conn, collection_id, paper_id)
        if stored is None:
            return False
        conn.execute(delete(_i).where(_i.c.collection_id == collection_id, _i.c.paper_id == stored))
        conn.execute(update(_c).where(_c.c.id == collection_id).values(updated_at=now_iso()))
        return True


def containing(bind: Bind, user_id: int, paper_id: str) -> set[int]:
    """Which of a user's collections hold ``paper_id`` (the paper page's "add to collection" form)."""
    aliases = select(_alias.c.alias).where(_alias.c.paper_id == paper_id)
    stmt = select(_i.c.collection_id).where(_i.c.user_id == user_id,
                                            (_i.c.paper_id == paper_id) | _i.c.paper_id.in_(aliases))
    with tx(bind) as conn:
        return {int(r[0]) for r in conn.execute(stmt)}
