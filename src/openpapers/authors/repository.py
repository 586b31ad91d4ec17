"""SQL for author identities (tables in :mod:`openpapers.db.schema_identities`): mentions, identities, redirects,
constraints, events and claims. Plain functions over a :data:`~openpapers.db.database.Bind`, the same on SQLite
and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import orjson
from sqlalchemy import Connection, delete, func, insert, or_, select, update

from openpapers.db import clock
from openpapers.db import schema as t
from openpapers.db import schema_identities as ti
from openpapers.db.database import Bind, tx

_CHUNK = 500


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i:i + _CHUNK]


def name_ids_for_last(conn: Connection, last: str) -> list[str]:
    """Name slugs whose first or last word is ``last``: every name that can fall into a block of that last name
    (in either order)."""
    a = t.authors.c
    rows = conn.execute(select(a.id).where(or_(a.id == last, a.id.like(f"%-{last}"), a.id.like(f"{last}-%"))))
    return [r[0] for r in rows]


def paper_ids_for_names(conn: Connection, name_ids: Sequence[str]) -> list[str]:
    pa = t.paper_authors.c
    out: set[str] = set()
    for part in _chunks(sorted(set(name_ids))):
        out.update(r[0] for r in conn.execute(select(pa.paper_id).where(pa.author_id.in_(part))))
    return sorted(out)


def vectors(conn: Connection, paper_ids: Sequence[str]) -> dict[str, np.ndarray]:
    """Stored embeddings of ``paper_ids`` (those of the newest model only: other models are other spaces)."""
    e = t.embeddings.c
    model = conn.execute(select(e.model).order_by(e.label.desc()).limit(1)).scalar()
    out: dict[str, np.ndarray] = {}
    for part in _chunks(list(paper_ids)):
        for pid, vec in conn.execute(select(e.paper_id, e.vector).where(e.paper_id.in_(part), e.model == model)):
            out[pid] = np.frombuffer(bytes(vec), dtype="<f4")
    return out


def old_assignment(conn: Connection, paper_ids: Sequence[str]) -> dict[tuple[str, str], str]:
    """Current ``(paper_id, name_id) -> identity`` of ``paper_ids``, with merged-away paper ids resolved: a
    mention recorded under a paper id that was later merged into another counts for the surviving paper."""
    m = ti.identity_mentions.c
    out: dict[tuple[str, str], str] = {}
    alias = t.paper_aliases.c
    wanted = sorted(set(paper_ids))
    for part in _chunks(wanted):
        for pid, nid, iid in conn.execute(select(m.paper_id, m.name_id, m.identity_id).where(m.paper_id.in_(part))):
            out[(pid, nid)] = iid
        gone = conn.execute(select(alias.alias, alias.paper_id).where(alias.paper_id.in_(part))).all()
        if gone:
            renamed = {a: p for a, p in gone}
            for pid, nid, iid in conn.execute(
                    select(m.paper_id, m.name_id, m.identity_id).where(m.paper_id.in_(list(renamed)))):
                out.setdefault((renamed[pid], nid), iid)
    return out


def constraints(conn: Connection, paper_ids: Sequence[str]) -> list[tuple[str, str, str, str]]:
    """``(paper_id, name_id, identity_id, kind)`` corrections touching ``paper_ids``."""
    c = ti.identity_constraints.c
    out: list[tuple[str, str, str, str]] = []
    for part in _chunks(sorted(set(paper_ids))):
        out += [tuple(r) for r in conn.execute(  # type: ignore[misc]
            select(c.paper_id, c.name_id, c.identity_id, c.kind).where(c.paper_id.in_(part)))]
    return out


def ids_with_prefix(conn: Connection, name_id: str) -> list[str]:
    i = ti.identities.c
    return [r[0] for r in conn.execute(select(i.id).where(i.id.like(f"{name_id}--%")))]


def existing(conn: Connection, ids: Sequence[str]) -> set[str]:
    i = ti.identities.c
    return {r[0] for part in _chunks(sorted(set(ids))) for r in conn.execute(select(i.id).where(i.id.in_(part)))}


def replace_mentions(conn: Connection, keys: Sequence[tuple[str, str]],
                     rows: Sequence[tuple[str, str, str, float]]) -> None:
    """Drop the mentions ``keys`` (and any stale row of their papers' names) and write ``rows``
    (``paper_id, name_id, identity_id, confidence``)."""
    m = ti.identity_mentions.c
    by_paper: dict[str, list[str]] = {}
    for pid, nid in keys:
        by_paper.setdefault(pid, []).append(nid)
    for pid, nids in by_paper.items():
        conn.execute(delete(ti.identity_mentions).where(m.paper_id == pid, m.name_id.in_(nids)))
    if rows:
        conn.execute(insert(ti.identity_mentions), [
            {"paper_id": p, "name_id": n, "identity_id": i, "confidence": c} for p, n, i, c in rows])


def upsert_identity(conn: Connection, iid: str, *, name_id: str, name: str, block: str, size: int,
                    confidence: float, near: str | None) -> None:
    i = ti.identities.c
    values = {"name_id": name_id, "name": name, "block": block, "size": size, "confidence": confidence,
              "near": near, "redirect_to": None, "updated_at": clock.now()}
    if conn.execute(update(ti.identities).where(i.id == iid).values(**values)).rowcount == 0:
        conn.execute(insert(ti.identities).values(id=iid, **values))


def retire(conn: Connection, iid: str, redirect_to: str | None) -> None:
    """An id no mention belongs to any more: it redirects to where most of its mentions went (chains of
    redirects to it are pointed at the new target too, so a lookup needs one hop)."""
    i = ti.identities.c
    conn.execute(update(ti.identities).where(i.id == iid).values(size=0, redirect_to=redirect_to, near=None,
                                                                 updated_at=clock.now()))
    if redirect_to:
        conn.execute(update(ti.identities).where(i.redirect_to == iid).values(redirect_to=redirect_to))


def block_identities(conn: Connection, block: str) -> list[str]:
    i = ti.identities.c
    return [r[0] for r in conn.execute(select(i.id).where(i.block == block, i.size > 0))]


def identity_rows(bind: Bind, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    i = ti.identities.c
    with tx(bind) as conn:
        return {r["id"]: dict(r) for part in _chunks(sorted(set(ids)))
                for r in conn.execute(select(ti.identities).where(i.id.in_(part))).mappings()}


def identities_named(bind: Bind, name_id: str) -> list[str]:
    """Live identities holding at least one mention of the name ``name_id``, largest first."""
    m, i = ti.identity_mentions.c, ti.identities.c
    with tx(bind) as conn:
        rows = conn.execute(
            select(m.identity_id, func.count()).join(ti.identities, i.id == m.identity_id)
            .where(m.name_id == name_id).group_by(m.identity_id)
            .order_by(func.count().desc(), m.identity_id)).all()
    return [r[0] for r in rows]


def mentions_of(bind: Bind, iid: str) -> list[tuple[str, str, float]]:
    """``(paper_id, name_id, confidence)`` of an identity, newest paper first."""
    m, p = ti.identity_mentions.c, t.papers.c
    with tx(bind) as conn:
        rows = conn.execute(select(m.paper_id, m.name_id, m.confidence).join(t.papers, p.id == m.paper_id)
                            .where(m.identity_id == iid)
                            .order_by(p.published.desc().nulls_last(), p.id)).all()
    return [(r[0], r[1], float(r[2])) for r in rows]


def identity_links(bind: Bind, paper_ids: Sequence[str]) -> list[tuple[str, str]]:
    """``(paper_id, identity id)`` for ``paper_ids``, plus every retired id that redirects to a paper's identity,
    so a follow of a merged-away person keeps matching."""
    m, i = ti.identity_mentions.c, ti.identities.c
    out: list[tuple[str, str]] = []
    with tx(bind) as conn:
        for part in _chunks(list(paper_ids)):
            out += [(r[0], r[1]) for r in conn.execute(select(m.paper_id, m.identity_id).where(m.paper_id.in_(part)))]
        live = sorted({iid for _, iid in out})
        aliases: dict[str, list[str]] = {}
        for part in _chunks(live):
            for old, new in conn.execute(select(i.id, i.redirect_to).where(i.redirect_to.in_(part))):
                aliases.setdefault(new, []).append(old)
    return out + [(pid, old) for pid, iid in out for old in aliases.get(iid, ())]


def identities_of_papers(bind: Bind, paper_ids: Sequence[str]) -> dict[tuple[str, str], str]:
    m = ti.identity_mentions.c
    with tx(bind) as conn:
        return {(r[0], r[1]): r[2] for part in _chunks(sorted(set(paper_ids)))
                for r in conn.execute(select(m.paper_id, m.name_id, m.identity_id).where(m.paper_id.in_(part)))}


def add_event(conn: Connection, kind: str, actor: str, detail: dict[str, Any]) -> int:
    e = ti.identity_events
    return int(conn.execute(insert(e).values(kind=kind, actor=actor, detail=orjson.dumps(detail).decode(),
                                             created_at=clock.now())).inserted_primary_key[0])


def events(bind: Bind, limit: int = 50) -> list[dict[str, Any]]:
    e = ti.identity_events.c
    with tx(bind) as conn:
        rows = conn.execute(select(ti.identity_events).order_by(e.id.desc()).limit(limit)).mappings()
        return [{**dict(r), "detail": orjson.loads(r["detail"])} for r in rows]


def set_constraint(conn: Connection, paper_id: str, name_id: str, iid: str, kind: str, event_id: int) -> None:
    c = ti.identity_constraints.c
    conn.execute(delete(ti.identity_constraints).where(c.paper_id == paper_id, c.name_id == name_id))
    conn.execute(insert(ti.identity_constraints).values(paper_id=paper_id, name_id=name_id, identity_id=iid,
                                                        kind=kind, event_id=event_id))


def drop_constraints(conn: Connection, event_id: int) -> None:
    conn.execute(delete(ti.identity_constraints).where(ti.identity_constraints.c.event_id == event_id))


def mark_undone(conn: Connection, event_id: int, by: int) -> None:
    conn.execute(update(ti.identity_events).where(ti.identity_events.c.id == event_id).values(undone_by=by))


def prune(conn: Connection) -> int:
    """Drop mentions of papers that no longer exist (merged into another: their survivor has its own)."""
    m = ti.identity_mentions.c
    gone = select(t.papers.c.id).where(t.papers.c.id == m.paper_id).exists()
    return int(conn.execute(delete(ti.identity_mentions).where(~gone)).rowcount or 0)
