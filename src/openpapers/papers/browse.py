"""Browse queries of the web pages (listings, facets, day navigation, organisations), kept out of the store module.

Statements are built once per scope *shape* and reused with bound values: building a SQLAlchemy statement
costs more than running it on SQLite, and these run on every page view. Everything here is portable SQL
(SQLAlchemy Core), identical on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import BindParameter, Engine, Select, bindparam, func, or_, select

from openpapers.core.records import Paper, PaperRecord
from openpapers.db import schema as t
from openpapers.papers.merge import merge_records
from openpapers.papers.types import Facet, OrgInfo, Overview, PaperScope, PaperSlice


def paper_select(*extra: Any) -> Select[Any]:
    """id, merged JSON, and the sole claim's JSON for papers that store none (see schema.papers.data)."""
    return select(t.papers.c.id, t.papers.c.data, t.claims.c.data, *extra).outerjoin(
        t.claims, (t.claims.c.paper_id == t.papers.c.id) & t.papers.c.data.is_(None)
    )


def decode_paper(row: Any) -> Paper:
    pid, merged, claim = row[0], row[1], row[2]
    if merged is not None:
        return Paper.from_export(orjson.loads(merged))
    return merge_records([PaperRecord.from_json(orjson.loads(claim))], paper_id=pid)


def list_papers(
    engine: Engine, scope: PaperScope, *, order: str = "newest", limit: int = 50, offset: int = 0
) -> PaperSlice:
    shape, params = _scope_params(scope)
    count, page = _listing_sql(shape, order == "upvotes")
    with engine.connect() as conn:
        total = conn.execute(count, params).scalar_one()
        rows = conn.execute(page, {**params, "limit": limit, "offset": offset}).all()
    return PaperSlice([decode_paper(r) for r in rows], int(total))


def facets(engine: Engine, scope: PaperScope, kind: str, *, limit: int = 10, window: int = 5000) -> list[Facet]:
    if kind not in ("author", "org", "category"):
        raise ValueError(f"unknown facet kind {kind!r}")
    shape, params = _scope_params(scope)
    stmt = _facet_sql(shape, kind)
    with engine.connect() as conn:
        rows = conn.execute(stmt, {**params, "window": window, "limit": limit})
        return [Facet(r[0], r[1], int(r[2])) for r in rows]


def adjacent_days(engine: Engine, start: date, end: date) -> tuple[date | None, date | None]:
    with engine.connect() as conn:
        row = conn.execute(_ADJACENT_DAYS, {"start": start.isoformat(), "end": end.isoformat()}).one()
    prev = max((d for d in row[:2] if d), default=None)
    nxt = min((d for d in row[2:] if d), default=None)
    return (date.fromisoformat(prev) if prev else None, date.fromisoformat(nxt) if nxt else None)


def latest_day(engine: Engine) -> date | None:
    with engine.connect() as conn:
        row = conn.execute(_LATEST_DAY).one()
    newest = max((d for d in row if d), default=None)
    return date.fromisoformat(newest) if newest else None


def get_org(engine: Engine, org_id: str) -> OrgInfo | None:
    with engine.connect() as conn:
        row = conn.execute(_ORG, {"org_id": org_id}).first()
    return OrgInfo(row[0], row[1], int(row[2])) if row else None


def overview(engine: Engine) -> Overview:
    """Counts for the home page: papers, undated papers, the sources imported from and the latest import's end.
    Sources come from the small import log, not from a scan of every claim (unless the log is empty)."""
    p, im = t.papers.c, t.imports.c
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(t.papers)).scalar_one()
        undated = conn.execute(select(func.count()).select_from(t.papers).where(p.published.is_(None))).scalar_one()
        sources = [r[0] for r in conn.execute(select(im.source).distinct().order_by(im.source))]
        if not sources:  # loaded without the import log (the bundled demo): the claims say where papers came from
            sources = [r[0] for r in conn.execute(select(t.claims.c.source).distinct().order_by(t.claims.c.source))]
        latest = conn.execute(select(func.max(im.finished_at))).scalar_one()
    return Overview(int(total), int(undated), sources, latest)


# Shape of a scope: (author?, org?, category: None | "code" | "archive", days?, topic?, has_code: None | bool,
# undated?). Values travel as parameters.
_Shape = tuple[bool, bool, str | None, bool, bool, bool | None, bool]


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _scope_params(scope: PaperScope) -> tuple[_Shape, dict[str, Any]]:
    params: dict[str, Any] = {"author_id": scope.author_id, "org_id": scope.org_id, "category": scope.category,
                              "topic_id": scope.topic_id}
    kind = None
    if scope.category is not None:
        kind = "code" if "." in scope.category else "archive"
        params["category_like"] = _like_prefix(scope.category + ".")
    days = scope.day_from is not None or scope.day_to is not None
    if days:
        params["lo"] = (scope.day_from or date.min).isoformat()
        params["hi"] = (scope.day_to or date.max).isoformat()
    return (scope.author_id is not None, scope.org_id is not None, kind, days, scope.topic_id is not None,
            scope.has_code, scope.undated), params


def _scope_where(shape: _Shape) -> list[Any]:
    """WHERE conditions on ``papers`` for a scope shape; link tables as IN subqueries, each on its own index."""
    author, org, category, days, topic, has_code, undated = shape
    p, pa, po, pc, pt = t.papers.c, t.paper_authors.c, t.paper_orgs.c, t.paper_categories.c, t.paper_topics.c
    where: list[Any] = []
    if topic:
        where.append(p.id.in_(select(pt.paper_id).where(pt.topic_id == bindparam("topic_id"))))
    if author:
        where.append(p.id.in_(select(pa.paper_id).where(pa.author_id == bindparam("author_id"))))
    if org:
        where.append(p.id.in_(select(po.paper_id).where(po.org_id == bindparam("org_id"))))
    if category:
        match = pc.category == bindparam("category")
        if category == "archive":  # cs: cs itself and every cs.* code
            match = or_(match, pc.category.like(bindparam("category_like"), escape="\\"))
        where.append(p.id.in_(select(pc.paper_id).where(match)))
    if days:
        lo: BindParameter[Any] = bindparam("lo")
        hi: BindParameter[Any] = bindparam("hi")
        where.append(or_(p.published.between(lo, hi), p.featured_on.between(lo, hi)))
    if has_code is not None:
        where.append(p.has_code.is_(has_code))
    if undated:
        where.append(p.published.is_(None))
    return where


def _newest(p: Any) -> tuple[Any, ...]:
    return (p.published.desc().nulls_last(), p.id)


@lru_cache(maxsize=64)
def _listing_sql(shape: _Shape, by_upvotes: bool) -> tuple[Select[Any], Select[Any]]:
    p = t.papers.c
    where = _scope_where(shape)
    keys = (p.upvotes.desc().nulls_last(), *_newest(p)) if by_upvotes else _newest(p)
    count = select(func.count()).select_from(t.papers).where(*where)
    page = paper_select().where(*where).order_by(*keys).limit(bindparam("limit")).offset(bindparam("offset"))
    return count, page


@lru_cache(maxsize=64)
def _facet_sql(shape: _Shape, kind: str) -> Select[Any]:
    p = t.papers.c
    recent = select(p.id).where(*_scope_where(shape)).order_by(*_newest(p)).limit(bindparam("window"))
    if kind == "author":
        link, names, key = t.paper_authors, t.authors, t.paper_authors.c.author_id
    elif kind == "org":
        link, names, key = t.paper_orgs, t.orgs, t.paper_orgs.c.org_id
    else:
        link, names, key = t.paper_categories, None, t.paper_categories.c.category
    count = func.count(func.distinct(link.c.paper_id)).label("n")
    name = names.c.name if names is not None else key
    stmt = select(key, name, count).where(link.c.paper_id.in_(recent.scalar_subquery()))
    if names is not None:
        stmt = stmt.join(names, names.c.id == key)
    if kind == "author" and shape[0]:
        stmt = stmt.where(key != bindparam("author_id"))  # an author is not their own co-author
    return stmt.group_by(key, name).order_by(count.desc(), name).limit(bindparam("limit"))


def _days_sql() -> tuple[Select[Any], Select[Any]]:
    p = t.papers.c
    start: BindParameter[Any] = bindparam("start")
    end: BindParameter[Any] = bindparam("end")
    adjacent = select(*(
        select(agg(c)).where(cmp(c)).scalar_subquery()
        for agg, cmp in ((func.max, lambda c: c < start), (func.min, lambda c: c > end))
        for c in (p.published, p.featured_on)
    ))
    latest = select(*(select(func.max(c)).scalar_subquery() for c in (p.published, p.featured_on)))
    return adjacent, latest


_ADJACENT_DAYS, _LATEST_DAY = _days_sql()
_ORG = select(
    t.orgs.c.id, t.orgs.c.name,
    select(func.count()).select_from(t.paper_orgs).where(t.paper_orgs.c.org_id == t.orgs.c.id).scalar_subquery(),
).where(t.orgs.c.id == bindparam("org_id"))
