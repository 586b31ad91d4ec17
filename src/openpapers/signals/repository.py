"""Data access for what people do with papers: votes, library, dismissals, follows and admin-featured papers.

Plain functions over the store's ``Database`` or a ``Connection`` (see :func:`openpapers.db.database.tx`),
SQLAlchemy Core only. Rows keep the paper id given when the action happened; when that paper is later merged into
another, readers here map it through ``paper_aliases`` (``_current``), so a vote on a merged-away id still counts
for the surviving paper and never needs rewriting.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Table, delete, func, or_, select, update
from sqlalchemy.sql import Select

from openpapers.db import schema as t
from openpapers.db.clock import now as now_iso
from openpapers.db.database import Bind, tx
from openpapers.db.dialect import insert_ignore

FOLLOW_KINDS = ("author", "org", "category", "search", "collection", "topic")
_alias = t.paper_aliases


def _current(table: Table) -> ColumnElement[Any]:
    """The surviving id of ``table.paper_id`` (itself unless it was merged away)."""
    return func.coalesce(_alias.c.paper_id, table.c.paper_id)


def _with_alias(table: Table, *cols: Any) -> Select[Any]:
    return select(*cols).select_from(table.outerjoin(_alias, _alias.c.alias == table.c.paper_id))


def _for_ids(table: Table, ids: list[str]) -> ColumnElement[bool]:
    return or_(table.c.paper_id.in_(ids), _alias.c.paper_id.in_(ids))


# -- votes ------------------------------------------------------------------------------------------------------
def add_vote(bind: Bind, user_id: int, paper_id: str) -> bool:
    """One vote per user per paper: True when this call added it, False when it was already there."""
    with tx(bind) as conn:
        stmt = insert_ignore(conn, t.votes).values(user_id=user_id, paper_id=paper_id, created_at=now_iso())
        return conn.execute(stmt).rowcount == 1


def remove_vote(bind: Bind, user_id: int, paper_id: str) -> bool:
    return _remove(bind, t.votes, user_id, paper_id)


def vote_counts(bind: Bind, paper_ids: Iterable[str]) -> dict[str, int]:
    """Local votes per paper (the cards add them to the sources' upvotes); papers without votes are absent."""
    ids = list(dict.fromkeys(paper_ids))
    if not ids:
        return {}
    cur = _current(t.votes)
    stmt = _with_alias(t.votes, cur, func.count()).where(_for_ids(t.votes, ids)).group_by(cur)
    with tx(bind) as conn:
        return {pid: int(n) for pid, n in conn.execute(stmt)}


def viewer_state(bind: Bind, user_id: int, paper_ids: Iterable[str]) -> dict[str, set[str]]:
    """For one user, which of ``paper_ids`` they voted, saved or dismissed: ``{id: {"voted", "saved", …}}``."""
    ids = list(dict.fromkeys(paper_ids))
    out: dict[str, set[str]] = {}
    if not ids:
        return out
    with tx(bind) as conn:
        for flag, table in (("voted", t.votes), ("saved", t.library), ("dismissed", t.dismissals)):
            stmt = _with_alias(table, _current(table)).where(table.c.user_id == user_id, _for_ids(table, ids))
            for (pid,) in conn.execute(stmt):
                out.setdefault(pid, set()).add(flag)
    return out


def user_papers(bind: Bind, table_name: str, user_id: int) -> list[tuple[str, str]]:
    """(current paper id, created_at) of a user's votes or dismissals (``"votes"`` | ``"dismissals"``), newest first."""
    table = {"votes": t.votes, "dismissals": t.dismissals}[table_name]
    stmt = _with_alias(table, _current(table), table.c.created_at).where(table.c.user_id == user_id)
    with tx(bind) as conn:
        return [(r[0], r[1]) for r in conn.execute(stmt.order_by(table.c.created_at.desc(), table.c.paper_id))]


# -- library ----------------------------------------------------------------------------------------------------
def save_to_library(bind: Bind, user_id: int, paper_id: str, *, tags: list[str] | None = None,
                    note: str | None = None) -> bool:
    """Save a paper (or update its tags/note when given). True when the paper was newly saved."""
    now = now_iso()
    with tx(bind) as conn:
        stored = _library_key(conn, user_id, paper_id) or paper_id
        added = conn.execute(insert_ignore(conn, t.library).values(
            user_id=user_id, paper_id=stored, tags=orjson.dumps(tags or []).decode(), note=note or "",
            created_at=now, updated_at=now)).rowcount == 1
        if not added and (tags is not None or note is not None):
            values: dict[str, Any] = {"updated_at": now}
            if tags is not None:
                values["tags"] = orjson.dumps(tags).decode()
            if note is not None:
                values["note"] = note
            conn.execute(update(t.library).where(t.library.c.user_id == user_id, t.library.c.paper_id == stored)
                         .values(**values))
        return added


def _library_key(conn: Any, user_id: int, paper_id: str) -> str | None:
    """The stored paper_id of a user's library row for ``paper_id`` (it may be a merged-away alias)."""
    stmt = _with_alias(t.library, t.library.c.paper_id).where(t.library.c.user_id == user_id,
                                                              _for_ids(t.library, [paper_id]))
    return conn.execute(stmt).scalar()


def remove_from_library(bind: Bind, user_id: int, paper_id: str) -> bool:
    return _remove(bind, t.library, user_id, paper_id)


def library_item(bind: Bind, user_id: int, paper_id: str) -> dict[str, Any] | None:
    items = list_library(bind, user_id, paper_ids=[paper_id])
    return items[0] if items else None


def list_library(bind: Bind, user_id: int, *, tag: str | None = None,
                 paper_ids: list[str] | None = None) -> list[dict[str, Any]]:
    """A user's saved papers, newest first: ``{paper_id, tags, note, created_at, updated_at}``."""
    lib = t.library
    stmt = _with_alias(lib, _current(lib).label("paper_id"), lib.c.tags, lib.c.note, lib.c.created_at,
                       lib.c.updated_at).where(lib.c.user_id == user_id)
    if paper_ids is not None:
        stmt = stmt.where(_for_ids(lib, paper_ids))
    with tx(bind) as conn:
        rows = [dict(r) for r in conn.execute(stmt.order_by(lib.c.created_at.desc(), lib.c.paper_id)).mappings()]
    for row in rows:
        row["tags"] = orjson.loads(row["tags"] or "[]")
    if tag is not None:
        rows = [r for r in rows if tag in r["tags"]]
    return rows


# -- dismissals ("not interested") ------------------------------------------------------------------------------
def dismiss(bind: Bind, user_id: int, paper_id: str) -> bool:
    with tx(bind) as conn:
        stmt = insert_ignore(conn, t.dismissals).values(user_id=user_id, paper_id=paper_id, created_at=now_iso())
        return conn.execute(stmt).rowcount == 1


def undismiss(bind: Bind, user_id: int, paper_id: str) -> bool:
    return _remove(bind, t.dismissals, user_id, paper_id)


def _remove(bind: Bind, table: Table, user_id: int, paper_id: str) -> bool:
    """Delete a user's row for a paper, whether it was stored under this id or one merged into it."""
    with tx(bind) as conn:
        aliases = select(_alias.c.alias).where(_alias.c.paper_id == paper_id)
        stmt = delete(table).where(table.c.user_id == user_id,
                                   or_(table.c.paper_id == paper_id, table.c.paper_id.in_(aliases)))
        return conn.execute(stmt).rowcount > 0


# -- follows ----------------------------------------------------------------------------------------------------
def add_follow(bind: Bind, user_id: int, kind: str, target: str, label: str) -> tuple[int, bool]:
    """Follow ``target`` (author id, org id, category code, or a saved search's canonical JSON).

    Returns the follow's id and whether it is new (following twice is not an error, just a no-op).
    """
    if kind not in FOLLOW_KINDS:
        raise ValueError(f"unknown follow kind {kind!r}")
    f = t.follows
    with tx(bind) as conn:
        added = conn.execute(insert_ignore(conn, f).values(user_id=user_id, kind=kind, target=target, label=label,
                                                           created_at=now_iso())).rowcount == 1
        fid = conn.execute(select(f.c.id).where(f.c.user_id == user_id, f.c.kind == kind, f.c.target == target))
        return int(fid.scalar_one()), added


def remove_follow(bind: Bind, user_id: int, *, follow_id: int | None = None, kind: str | None = None,
                  target: str | None = None) -> bool:
    f = t.follows
    stmt = delete(f).where(f.c.user_id == user_id)
    if follow_id is not None:
        stmt = stmt.where(f.c.id == follow_id)
    elif kind is not None and target is not None:
        stmt = stmt.where(f.c.kind == kind, f.c.target == target)
    else:
        raise ValueError("remove_follow needs follow_id or kind and target")
    with tx(bind) as conn:
        return conn.execute(stmt).rowcount > 0


def list_follows(bind: Bind, user_id: int, kind: str | None = None) -> list[dict[str, Any]]:
    """A user's follows, oldest first: ``{id, kind, target, label, created_at, in_digest}``."""
    f = t.follows
    stmt = select(f.c.id, f.c.kind, f.c.target, f.c.label, f.c.created_at, f.c.in_digest).where(
        f.c.user_id == user_id)
    if kind is not None:
        stmt = stmt.where(f.c.kind == kind)
    with tx(bind) as conn:
        return [dict(r) for r in conn.execute(stmt.order_by(f.c.id)).mappings()]


def update_follow(bind: Bind, user_id: int, follow_id: int, *, label: str | None = None,
                  in_digest: bool | None = None, target: str | None = None) -> bool:
    """Rename a follow, put it in or out of the digest, or (a saved search) change what it searches for. False
    when the user has no such follow. A changed search that equals another follow of theirs is refused by the
    unique constraint: the caller checks that first."""
    f = t.follows
    values: dict[str, Any] = {}
    if label is not None:
        values["label"] = label
    if in_digest is not None:
        values["in_digest"] = in_digest
    if target is not None:
        values["target"] = target
    with tx(bind) as conn:
        exists = conn.execute(select(f.c.id).where(f.c.id == follow_id, f.c.user_id == user_id)).first()
        if exists and values:
            conn.execute(update(f).where(f.c.id == follow_id).values(**values))
        return exists is not None


def is_following(bind: Bind, user_id: int, kind: str, target: str) -> bool:
    f = t.follows
    with tx(bind) as conn:
        return conn.execute(select(f.c.id).where(f.c.user_id == user_id, f.c.kind == kind,
                                                 f.c.target == target)).first() is not None


# -- featured (admin curation of a day's feed) ------------------------------------------------------------------
def feature(bind: Bind, day: str, paper_id: str, user_id: int) -> bool:
    with tx(bind) as conn:
        stmt = insert_ignore(conn, t.featured).values(day=day, paper_id=paper_id, user_id=user_id,
                                                      created_at=now_iso())
        return conn.execute(stmt).rowcount == 1


def unfeature(bind: Bind, day: str, paper_id: str) -> bool:
    with tx(bind) as conn:
        aliases = select(_alias.c.alias).where(_alias.c.paper_id == paper_id)
        stmt = delete(t.featured).where(t.featured.c.day == day,
                                        or_(t.featured.c.paper_id == paper_id, t.featured.c.paper_id.in_(aliases)))
        return conn.execute(stmt).rowcount > 0


def featured_between(bind: Bind, start: str, end: str) -> list[tuple[str, str]]:
    """(day, current paper id) of admin-featured papers with ``start <= day <= end``, in featuring order."""
    fe = t.featured
    stmt = _with_alias(fe, fe.c.day, _current(fe)).where(fe.c.day >= start, fe.c.day <= end)
    with tx(bind) as conn:
        return [(r[0], r[1]) for r in conn.execute(stmt.order_by(fe.c.day, fe.c.created_at, fe.c.paper_id))]


def featured_of(bind: Bind, paper_id: str) -> list[tuple[str, str]]:
    """(day, current paper id) of every day an administrator featured ``paper_id`` on."""
    fe = t.featured
    stmt = _with_alias(fe, fe.c.day, _current(fe)).where(_for_ids(fe, [paper_id]))
    with tx(bind) as conn:
        return [(r[0], r[1]) for r in conn.execute(stmt.order_by(fe.c.day))]


def counts_for_user(bind: Bind, user_id: int) -> Mapping[str, int]:
    """How many votes, saved papers, dismissals and follows a user has (the settings page shows them)."""
    out: dict[str, int] = {}
    with tx(bind) as conn:
        for name, table in (("votes", t.votes), ("library", t.library), ("dismissals", t.dismissals),
                            ("follows", t.follows)):
            out[name] = int(conn.execute(select(func.count()).select_from(table)
                                         .where(table.c.user_id == user_id)).scalar_one())
    return out
