"""SQL for the ``embeddings`` table, kept out of the store so the store's core stays small.

:class:`openpapers.papers.store.Store` exposes these through its embedding methods; the vector index
(search/backends/faiss.py) is their only caller. Vectors are written by the index and read back only to rebuild
it, so the table is plain rows keyed by paper, with the integer ``label`` the ANN index knows them by.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, delete, exists, or_, select, update

from openpapers.core.taxonomy import CATEGORIES
from openpapers.db import schema as t
from openpapers.db.dialect import bulk_insert, select_in
from openpapers.papers.writer import chunks

_CASED = {code.lower(): code for code in CATEGORIES}
_STATE_SQL = "SELECT paper_id, label, model, text_hash FROM embeddings WHERE paper_id IN :values"


def _state(conn: Connection, ids: Sequence[str]) -> dict[str, tuple[int, str, str]]:
    out: dict[str, tuple[int, str, str]] = {}
    for part in chunks(ids, 10_000):
        for pid, label, model, digest in select_in(conn, _STATE_SQL, part):
            out[pid] = (int(label), model, digest)
    return out


def embedding_state(engine: Engine, paper_ids: Iterable[str]) -> dict[str, tuple[int, str, str]]:
    ids = list(dict.fromkeys(paper_ids))
    with engine.connect() as conn:
        return _state(conn, ids)


def put_embeddings(engine: Engine, rows: Sequence[tuple[str, str, str, bytes]]) -> dict[str, int]:
    """UPDATE rows of papers that have a label (so it stays), INSERT the rest, in one transaction."""
    latest = {row[0]: row for row in rows}  # a paper twice in one batch: the last vector wins
    if not latest:
        return {}
    e = t.embeddings.c
    with engine.begin() as conn:
        known = _state(conn, list(latest))
        changed = [
            {"b_pid": pid, "b_model": model, "b_hash": digest, "b_vec": vec}
            for pid, model, digest, vec in latest.values()
            if pid in known
        ]
        if changed:
            conn.execute(
                update(t.embeddings)
                .where(e.paper_id == bindparam("b_pid"))
                .values(model=bindparam("b_model"), text_hash=bindparam("b_hash"), vector=bindparam("b_vec")),
                changed,
            )
        fresh = [row for pid, row in latest.items() if pid not in known]
        bulk_insert(conn, t.embeddings, ["paper_id", "model", "text_hash", "vector"], fresh)
        labels = {pid: state[0] for pid, state in known.items()}
        if fresh:
            labels.update((pid, state[0]) for pid, state in _state(conn, [r[0] for r in fresh]).items())
    return labels


def iter_embeddings(
    engine: Engine, *, after_label: int = 0, batch_size: int = 2000
) -> Iterator[tuple[int, str, str, str, bytes]]:
    # Keyset pagination: no cursor held open across the caller's (possibly slow) work between batches.
    e = t.embeddings.c
    last = after_label
    while True:
        with engine.connect() as conn:
            rows = conn.execute(
                select(e.label, e.paper_id, e.model, e.text_hash, e.vector)
                .where(e.label > last)
                .order_by(e.label)
                .limit(batch_size)
            ).all()
        if not rows:
            return
        for row in rows:
            yield int(row[0]), row[1], row[2], row[3], bytes(row[4])
        last = int(rows[-1][0])


def delete_embeddings(engine: Engine, paper_ids: Iterable[str]) -> list[int]:
    ids = list(dict.fromkeys(paper_ids))
    e = t.embeddings.c
    with engine.begin() as conn:
        labels = [state[0] for state in _state(conn, ids).values()]
        for part in chunks(ids):
            conn.execute(delete(t.embeddings).where(e.paper_id.in_(part)))
    return sorted(labels)


def prune_embeddings(engine: Engine) -> list[int]:
    e, p = t.embeddings.c, t.papers.c
    with engine.begin() as conn:
        labels = [int(r[0]) for r in conn.execute(select(e.label).where(~exists().where(p.id == e.paper_id)))]
        for part in chunks(labels):
            conn.execute(delete(t.embeddings).where(e.label.in_(part)))
    return labels


def _category_match(code: str) -> Any:
    """A full code matches itself (any letter case); an archive (``cs``, ``astro-ph``) every code in it."""
    code = code.strip()
    spelled = {code, _CASED.get(code.lower(), code)}
    archive = code.lower()
    c = t.paper_categories.c.category
    # A range instead of LIKE 'cs.%': SQLite's LIKE is case-insensitive and cannot use the index.
    return or_(c.in_(sorted(spelled)), and_(c >= archive + ".", c < archive + "/"))


def embedding_labels(
    engine: Engine,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    categories: Sequence[str] = (),
    author_ids: Sequence[str] = (),
    org_ids: Sequence[str] = (),
    has_code: bool | None = None,
) -> list[int]:
    """Labels of vectors whose paper passes the filters: one query, link tables as IN subqueries."""
    e, p = t.embeddings.c, t.papers.c
    where: list[Any] = []
    if date_from is not None:
        where.append(p.published >= date_from.isoformat())
    if date_to is not None:
        where.append(p.published <= date_to.isoformat())
    if has_code is not None:
        where.append(p.has_code.is_(bool(has_code)))
    if categories:
        pc = t.paper_categories.c
        where.append(p.id.in_(select(pc.paper_id).where(or_(*(_category_match(c) for c in categories)))))
    if author_ids:
        pa = t.paper_authors.c
        where.append(p.id.in_(select(pa.paper_id).where(pa.author_id.in_(sorted(set(author_ids))))))
    if org_ids:
        po = t.paper_orgs.c
        where.append(p.id.in_(select(po.paper_id).where(po.org_id.in_(sorted(set(org_ids))))))
    stmt = select(e.label).select_from(t.embeddings.join(t.papers, p.id == e.paper_id)).where(*where)
    with engine.connect() as conn:
        return [int(r[0]) for r in conn.execute(stmt)]
