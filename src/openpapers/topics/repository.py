"""SQL of the topics feature (SQLAlchemy Core, identical on SQLite and PostgreSQL): the stored vectors it reads,
the topics and assignments it writes, and the queries of its pages. Nothing here decides anything."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import orjson
from sqlalchemy import Connection, Engine, delete, func, insert, select

from openpapers.db import schema as t
from openpapers.db.dialect import bulk_insert

_BATCH = 5000


@dataclass(slots=True)
class TopicRow:
    """A stored topic (centroid and axes decoded)."""

    id: int
    label: str
    terms: list[str]
    size: int
    x: float
    y: float
    radius: float
    scale: float
    centroid: np.ndarray
    axes: np.ndarray


def _f32(blob: bytes) -> np.ndarray:
    return np.frombuffer(bytes(blob), dtype="<f4")


def blob(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype="<f4").tobytes()


def main_model(engine: Engine) -> str | None:
    """The embedding model most vectors come from (a store mid-way through a model change holds two)."""
    e = t.embeddings.c
    with engine.connect() as conn:
        row = conn.execute(select(e.model, func.count()).group_by(e.model).order_by(func.count().desc())).first()
    return row[0] if row else None


def iter_vectors(engine: Engine, model: str, *, only_unassigned: bool = False
                 ) -> Iterator[tuple[list[str], np.ndarray]]:
    """Batches of (paper ids, vectors) of papers that exist and are not withdrawn, by label (keyset pages)."""
    e, p = t.embeddings.c, t.papers.c
    last = 0
    while True:
        stmt = (select(e.label, e.paper_id, e.vector).join(t.papers, p.id == e.paper_id)
                .where(e.label > last, e.model == model, p.withdrawn.is_(False)).order_by(e.label).limit(_BATCH))
        if only_unassigned:
            stmt = stmt.where(~select(t.paper_topics.c.paper_id)
                              .where(t.paper_topics.c.paper_id == e.paper_id).exists())
        with engine.connect() as conn:
            rows = conn.execute(stmt).all()
        if not rows:
            return
        yield [r[1] for r in rows], np.stack([_f32(r[2]) for r in rows])
        last = int(rows[-1][0])


def assignments(engine: Engine) -> dict[str, int]:
    pt = t.paper_topics.c
    with engine.connect() as conn:
        return {r[0]: int(r[1]) for r in conn.execute(select(pt.paper_id, pt.topic_id))}


def last_build(engine: Engine) -> dict[str, Any] | None:
    b = t.topic_builds.c
    with engine.connect() as conn:
        row = conn.execute(select(t.topic_builds).order_by(b.id.desc()).limit(1)).mappings().first()
    if row is None:
        return None
    out = dict(row)
    out["detail"] = orjson.loads(out["detail"])
    return out


def save_build(engine: Engine, build: dict[str, Any], topics: Sequence[dict[str, Any]],
               papers: Sequence[tuple[str, int, float, float, float, str]]) -> int:
    """Replace every topic and assignment with a build's, in one transaction (readers see old or new)."""
    with engine.begin() as conn:
        build_id = int(conn.execute(insert(t.topic_builds).values(**{**build, "detail": orjson.dumps(
            build["detail"]).decode()})).inserted_primary_key[0])
        conn.execute(delete(t.paper_topics))
        conn.execute(delete(t.topics))
        if topics:
            conn.execute(insert(t.topics), [{**row, "build_id": build_id} for row in topics])
        bulk_insert(conn, t.paper_topics, ["paper_id", "topic_id", "x", "y", "similarity", "assigned"], papers)
    return build_id


def add_assignments(engine: Engine, papers: Sequence[tuple[str, int, float, float, float, str]]) -> None:
    """Assign papers that have none yet (those assigned meanwhile are left as they are)."""
    with engine.begin() as conn:
        bulk_insert(conn, t.paper_topics, ["paper_id", "topic_id", "x", "y", "similarity", "assigned"], papers,
                    ignore=True)
        _refresh_sizes(conn)


def _refresh_sizes(conn: Connection) -> None:
    pt = t.paper_topics.c
    counts = dict(conn.execute(select(pt.topic_id, func.count()).group_by(pt.topic_id)).tuples().all())
    for tid, n in counts.items():
        conn.execute(t.topics.update().where(t.topics.c.id == tid).values(size=int(n)))


def topics(engine: Engine) -> list[TopicRow]:
    with engine.connect() as conn:
        rows = conn.execute(select(t.topics).order_by(t.topics.c.size.desc(), t.topics.c.id)).mappings().all()
    out = []
    for r in rows:
        centroid = _f32(r["centroid"])
        out.append(TopicRow(int(r["id"]), r["label"], list(orjson.loads(r["terms"])), int(r["size"]), r["x"], r["y"],
                            r["radius"], r["scale"], centroid, _f32(r["axes"]).reshape(2, len(centroid))))
    return out


def topic_of(engine: Engine, paper_ids: Iterable[str]) -> dict[str, tuple[int, str]]:
    """Each given paper's topic (id, label); papers without one are left out."""
    ids = list(dict.fromkeys(paper_ids))
    pt, tp = t.paper_topics.c, t.topics.c
    out: dict[str, tuple[int, str]] = {}
    with engine.connect() as conn:
        for i in range(0, len(ids), 500):
            stmt = (select(pt.paper_id, tp.id, tp.label).join(t.topics, tp.id == pt.topic_id)
                    .where(pt.paper_id.in_(ids[i:i + 500])))
            out.update((r[0], (int(r[1]), r[2])) for r in conn.execute(stmt))
    return out


def papers_in(engine: Engine, topic_id: int) -> list[str]:
    pt = t.paper_topics.c
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(select(pt.paper_id).where(pt.topic_id == topic_id))]


def months(engine: Engine, topic_id: int) -> list[tuple[str, int]]:
    """Papers of a topic per month of publication (``YYYY-MM``), oldest first; undated papers left out."""
    p, pt = t.papers.c, t.paper_topics.c
    month = func.substr(p.published, 1, 7)
    stmt = (select(month, func.count()).select_from(t.paper_topics).join(t.papers, p.id == pt.paper_id)
            .where(pt.topic_id == topic_id, p.published.is_not(None)).group_by(month).order_by(month))
    with engine.connect() as conn:
        return [(r[0], int(r[1])) for r in conn.execute(stmt)]


def map_points(engine: Engine, *, day_from: date | None = None, day_to: date | None = None,
               category: str | None = None) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Every placed paper matching the filters: ids, topic ids, positions (n x 2). A category is a full code or
    an archive (``cs`` means every cs.* code)."""
    p, pt, pc = t.papers.c, t.paper_topics.c, t.paper_categories.c
    stmt = select(pt.paper_id, pt.topic_id, pt.x, pt.y).join(t.papers, p.id == pt.paper_id)
    if day_from is not None:
        stmt = stmt.where(p.published >= day_from.isoformat())
    if day_to is not None:
        stmt = stmt.where(p.published <= day_to.isoformat())
    if category:
        match = (pc.category == category) if "." in category else (
            (pc.category == category) | pc.category.startswith(category + ".", autoescape=True))
        stmt = stmt.where(pt.paper_id.in_(select(pc.paper_id).where(match)))
    with engine.connect() as conn:
        rows = conn.execute(stmt.order_by(pt.paper_id)).all()
    ids = [r[0] for r in rows]
    topic = np.array([r[1] for r in rows], dtype=np.int64)
    xy = np.array([(r[2], r[3]) for r in rows], dtype=np.float64).reshape(-1, 2)
    return ids, topic, xy


def titles(engine: Engine, paper_ids: Sequence[str]) -> dict[str, tuple[str, str | None]]:
    """Title and publication day of papers, for map tooltips."""
    p = t.papers.c
    out: dict[str, tuple[str, str | None]] = {}
    with engine.connect() as conn:
        for i in range(0, len(paper_ids), 500):
            stmt = select(p.id, p.title, p.published).where(p.id.in_(list(paper_ids[i:i + 500])))
            out.update((r[0], (r[1], r[2])) for r in conn.execute(stmt))
    return out


def topic_label(engine: Engine, topic_id: int) -> str | None:
    with engine.connect() as conn:
        return conn.execute(select(t.topics.c.label).where(t.topics.c.id == topic_id)).scalar_one_or_none()
