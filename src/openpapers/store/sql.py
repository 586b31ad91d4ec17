"""SQL implementation of the store (SQLAlchemy Core): SQLite by default, any SQLAlchemy URL in principle.

SQLite runs in WAL mode with ``synchronous=NORMAL``: a killed process never corrupts the file and loses at most
the transaction in flight, which the import checkpoint then redoes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, Select, bindparam, create_engine, delete, event, func, insert, or_, select, update
from sqlalchemy.exc import OperationalError

from openpapers.errors import StoreError
from openpapers.merge import merge_records
from openpapers.model import Paper, PaperRecord, normalize_arxiv_id
from openpapers.store import embeddings as emb
from openpapers.store import schema as t
from openpapers.store.base import ApplyResult, AuthorInfo, Facet, OrgInfo, PaperScope, PaperSlice, Store
from openpapers.store.dialect import insert_ignore, select_in
from openpapers.store.writer import apply_batch, chunks

MIGRATIONS = Path(__file__).parent / "migrations"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA page_size=16384")  # only takes effect on a new file: fewer overflow pages for abstracts
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA cache_size=-262144")  # 256 MiB page cache (bounded): index inserts of big imports stay in RAM
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.close()


def alembic_config(connection: Any) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


class SqlStore(Store):
    """The store on a SQLAlchemy engine. Opening it brings the schema up to date (migrations are additive)."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        try:
            self.engine: Engine = create_engine(url, future=True)
        except Exception as exc:  # bad URL or missing driver
            raise StoreError(f"cannot open store {url!r}: {exc}") from exc
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        if migrate:
            self.migrate()

    # -- schema --------------------------------------------------------------------------------------------
    def schema_revision(self) -> str | None:
        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def migrate(self) -> None:
        """Upgrade to the newest schema; refuse a database written by a newer openpapers."""
        try:
            with self.engine.begin() as conn:
                cfg = alembic_config(conn)
                current = MigrationContext.configure(conn).get_current_revision()
                scripts = ScriptDirectory.from_config(cfg)
                if current is not None and not _known_revision(scripts, current):
                    raise StoreError(f"store {self.url} has schema {current}, newer than this openpapers knows")
                if current != scripts.get_current_head():
                    command.upgrade(cfg, "head")
        except OperationalError as exc:
            raise StoreError(f"cannot open store {self.url}: {exc.orig}") from exc

    # -- writing -------------------------------------------------------------------------------------------
    def apply(
        self, records: Sequence[PaperRecord], *, checkpoint: tuple[str, dict[str, Any]] | None = None
    ) -> ApplyResult:
        with self.engine.begin() as conn:
            result = apply_batch(conn, records)
            if checkpoint is not None:
                self._save_checkpoint(conn, *checkpoint)
        return result

    def _save_checkpoint(self, conn: Any, key: str, state: dict[str, Any]) -> None:
        conn.execute(delete(t.checkpoints).where(t.checkpoints.c.key == key))
        conn.execute(insert(t.checkpoints).values(key=key, state=orjson.dumps(state).decode(), updated_at=_now()))

    def get_checkpoint(self, key: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(t.checkpoints.c.state).where(t.checkpoints.c.key == key)).first()
        return orjson.loads(row[0]) if row else None

    def set_checkpoint(self, key: str, state: dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            self._save_checkpoint(conn, key, state)

    def start_import(self, source: str, checkpoint_key: str, detail: dict[str, Any]) -> int:
        with self.engine.begin() as conn:
            res = conn.execute(
                insert(t.imports).values(
                    source=source,
                    checkpoint_key=checkpoint_key,
                    started_at=_now(),
                    records=0,
                    skipped=0,
                    detail=orjson.dumps(detail).decode(),
                )
            )
            return int(res.inserted_primary_key[0])

    def finish_import(self, import_id: int, records: int, skipped: int, detail: dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(t.imports)
                .where(t.imports.c.id == import_id)
                .values(finished_at=_now(), records=records, skipped=skipped, detail=orjson.dumps(detail).decode())
            )

    def imports(self, limit: int = 20) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.imports).order_by(t.imports.c.id.desc()).limit(limit)).mappings().all()
        # str(k): SQLAlchemy keys are a str subclass that orjson refuses as dict keys (`openpapers imports`).
        return [{**{str(k): v for k, v in r.items()}, "detail": orjson.loads(r["detail"]) if r["detail"] else None}
                for r in rows]

    # -- reading -------------------------------------------------------------------------------------------
    def _resolve(self, conn: Any, ref: str) -> str | None:
        ref = ref.strip()
        if conn.execute(select(t.papers.c.id).where(t.papers.c.id == ref)).first():
            return ref
        row = conn.execute(select(t.paper_aliases.c.paper_id).where(t.paper_aliases.c.alias == ref)).first()
        if row:
            return row[0]
        arxiv = normalize_arxiv_id(ref)
        if arxiv:
            row = (
                conn.execute(select(t.papers.c.id).where(t.papers.c.arxiv_id == arxiv)).first()
                or conn.execute(
                    select(t.paper_keys.c.paper_id).where(t.paper_keys.c.kind == "arxiv", t.paper_keys.c.value == arxiv)
                ).first()
            )
            if row:
                return row[0]
        return None

    def get_paper(self, ref: str) -> Paper | None:
        with self.engine.connect() as conn:
            pid = self._resolve(conn, ref)
            if pid is None:
                return None
            rows = conn.execute(_paper_select().where(t.papers.c.id == pid)).all()
        return _decode(rows[0]) if rows else None

    def get_papers(self, ids: Iterable[str]) -> list[Paper]:
        wanted = list(ids)
        found: dict[str, Paper] = {}
        with self.engine.connect() as conn:
            for part in chunks(wanted):
                for row in conn.execute(_paper_select().where(t.papers.c.id.in_(part))):
                    found[row[0]] = _decode(row)
        return [found[i] for i in wanted if i in found]

    def iter_papers(self, *, batch_size: int = 1000, after_seq: int = 0) -> Iterator[Paper]:
        # Keyset pagination on (seq, id): stable while other writers add papers, no long-lived cursor.
        last: tuple[int, str | None] = (after_seq, None)
        p = t.papers.c
        while True:
            after = p.seq > last[0] if last[1] is None else (p.seq > last[0]) | ((p.seq == last[0]) & (p.id > last[1]))
            with self.engine.connect() as conn:
                rows = conn.execute(_paper_select(p.seq).where(after).order_by(p.seq, p.id).limit(batch_size)).all()
            if not rows:
                return
            for row in rows:
                yield _decode(row)
            last = (rows[-1][3], rows[-1][0])

    def current_seq(self) -> int:
        with self.engine.connect() as conn:
            value = conn.execute(select(t.counters.c.value).where(t.counters.c.name == "seq")).scalar()
        return int(value or 0)

    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        wanted = sorted(set(ids))
        found: set[str] = set()
        with self.engine.connect() as conn:
            for part in chunks(wanted, 10_000):
                found.update(r[0] for r in select_in(conn, "SELECT id FROM papers WHERE id IN :values", part))
        return found

    def claims_for(self, paper_id: str) -> list[PaperRecord]:
        with self.engine.connect() as conn:
            pid = self._resolve(conn, paper_id) or paper_id
            rows = conn.execute(select(t.claims.c.data).where(t.claims.c.paper_id == pid).order_by(t.claims.c.id))
            return [PaperRecord.from_json(orjson.loads(r[0])) for r in rows]

    def papers_by_author(self, author_id: str, limit: int = 100) -> list[Paper]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                _paper_select()
                .join(t.paper_authors, t.paper_authors.c.paper_id == t.papers.c.id)
                .where(t.paper_authors.c.author_id == author_id)
                .order_by(t.papers.c.published.desc().nulls_last(), t.papers.c.id)
                .limit(limit)
            ).all()
        return [_decode(r) for r in rows]

    def get_author(self, author_id: str) -> AuthorInfo | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(t.authors.c.id, t.authors.c.name).where(t.authors.c.id == author_id)).first()
            if row is None:
                return None
            count = conn.execute(
                select(func.count()).select_from(t.paper_authors).where(t.paper_authors.c.author_id == author_id)
            ).scalar_one()
        return AuthorInfo(row[0], row[1], int(count))

    def count_papers(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(t.papers)).scalar_one())

    # -- browsing ------------------------------------------------------------------------------------------
    # Statements are built once per scope shape and reused with bound values: building a SQLAlchemy statement
    # costs more than running it on SQLite, and these run on every page view.
    def list_papers(
        self, scope: PaperScope, *, order: str = "newest", limit: int = 50, offset: int = 0
    ) -> PaperSlice:
        shape, params = _scope_params(scope)
        count, page = _listing_sql(shape, order == "upvotes")
        with self.engine.connect() as conn:
            total = conn.execute(count, params).scalar_one()
            rows = conn.execute(page, {**params, "limit": limit, "offset": offset}).all()
        return PaperSlice([_decode(r) for r in rows], int(total))

    def facets(self, scope: PaperScope, kind: str, *, limit: int = 10, window: int = 5000) -> list[Facet]:
        if kind not in ("author", "org", "category"):
            raise ValueError(f"unknown facet kind {kind!r}")
        shape, params = _scope_params(scope)
        stmt = _facet_sql(shape, kind)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt, {**params, "window": window, "limit": limit})
            return [Facet(r[0], r[1], int(r[2])) for r in rows]

    def adjacent_days(self, start: date, end: date) -> tuple[date | None, date | None]:
        with self.engine.connect() as conn:
            row = conn.execute(_ADJACENT_DAYS, {"start": start.isoformat(), "end": end.isoformat()}).one()
        prev = max((d for d in row[:2] if d), default=None)
        nxt = min((d for d in row[2:] if d), default=None)
        return (date.fromisoformat(prev) if prev else None, date.fromisoformat(nxt) if nxt else None)

    def latest_day(self) -> date | None:
        with self.engine.connect() as conn:
            row = conn.execute(_LATEST_DAY).one()
        newest = max((d for d in row if d), default=None)
        return date.fromisoformat(newest) if newest else None

    def get_org(self, org_id: str) -> OrgInfo | None:
        with self.engine.connect() as conn:
            row = conn.execute(_ORG, {"org_id": org_id}).first()
        return OrgInfo(row[0], row[1], int(row[2])) if row else None

    def stats(self) -> dict[str, Any]:
        p = t.papers
        with self.engine.connect() as conn:

            def scalar(stmt: Any) -> Any:
                return conn.execute(stmt).scalar_one()

            return {
                "store": self.url,
                "papers": scalar(select(func.count()).select_from(p)),
                "with_arxiv_id": scalar(select(func.count()).select_from(p).where(p.c.arxiv_id.is_not(None))),
                "with_code": scalar(select(func.count()).select_from(p).where(p.c.has_code.is_(True))),
                "withdrawn": scalar(select(func.count()).select_from(p).where(p.c.withdrawn.is_(True))),
                "authors": scalar(select(func.count()).select_from(t.authors)),
                "orgs": scalar(select(func.count()).select_from(t.orgs)),
                "categories": scalar(select(func.count(func.distinct(t.paper_categories.c.category)))),
                "claims": scalar(select(func.count()).select_from(t.claims)),
                "claims_by_source": {
                    r[0]: r[1]
                    for r in conn.execute(select(t.claims.c.source, func.count()).group_by(t.claims.c.source))
                },
                "published_min": scalar(select(func.min(p.c.published))),
                "published_max": scalar(select(func.max(p.c.published))),
                "merged_aliases": scalar(select(func.count()).select_from(t.paper_aliases)),
            }

    def close(self) -> None:
        self.engine.dispose()

    # -- embeddings (SQL in store/embeddings.py) ---------------------------------------------------------------
    def embedding_state(self, paper_ids: Iterable[str]) -> dict[str, tuple[int, str, str]]:
        return emb.embedding_state(self.engine, paper_ids)

    def put_embeddings(self, rows: Sequence[tuple[str, str, str, bytes]]) -> dict[str, int]:
        return emb.put_embeddings(self.engine, rows)

    def iter_embeddings(
        self, *, after_label: int = 0, batch_size: int = 2000
    ) -> Iterator[tuple[int, str, str, str, bytes]]:
        return emb.iter_embeddings(self.engine, after_label=after_label, batch_size=batch_size)

    def delete_embeddings(self, paper_ids: Iterable[str]) -> list[int]:
        return emb.delete_embeddings(self.engine, paper_ids)

    def prune_embeddings(self) -> list[int]:
        return emb.prune_embeddings(self.engine)

    def embedding_labels(self, **filters: Any) -> list[int]:
        return emb.embedding_labels(self.engine, **filters)


def _known_revision(scripts: ScriptDirectory, rev: str) -> bool:
    try:
        return scripts.get_revision(rev) is not None
    except Exception:  # alembic raises several types for an unknown id
        return False


def _paper_select(*extra: Any) -> Select[Any]:
    """id, merged JSON, and the sole claim's JSON for papers that store none (see schema.papers.data)."""
    return select(t.papers.c.id, t.papers.c.data, t.claims.c.data, *extra).outerjoin(
        t.claims, (t.claims.c.paper_id == t.papers.c.id) & t.papers.c.data.is_(None)
    )


# Shape of a scope: (author?, org?, category: None | "code" | "archive", days?). Values travel as parameters.
_Shape = tuple[bool, bool, str | None, bool]


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _scope_params(scope: PaperScope) -> tuple[_Shape, dict[str, Any]]:
    params: dict[str, Any] = {"author_id": scope.author_id, "org_id": scope.org_id, "category": scope.category}
    kind = None
    if scope.category is not None:
        kind = "code" if "." in scope.category else "archive"
        params["category_like"] = _like_prefix(scope.category + ".")
    days = scope.day_from is not None or scope.day_to is not None
    if days:
        params["lo"] = (scope.day_from or date.min).isoformat()
        params["hi"] = (scope.day_to or date.max).isoformat()
    return (scope.author_id is not None, scope.org_id is not None, kind, days), params


def _scope_where(shape: _Shape) -> list[Any]:
    """WHERE conditions on ``papers`` for a scope shape; link tables as IN subqueries, each on its own index."""
    author, org, category, days = shape
    p, pa, po, pc = t.papers.c, t.paper_authors.c, t.paper_orgs.c, t.paper_categories.c
    where: list[Any] = []
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
        lo, hi = bindparam("lo"), bindparam("hi")
        where.append(or_(p.published.between(lo, hi), p.featured_on.between(lo, hi)))
    return where


def _newest(p: Any) -> tuple[Any, ...]:
    return (p.published.desc().nulls_last(), p.id)


@lru_cache(maxsize=64)
def _listing_sql(shape: _Shape, by_upvotes: bool) -> tuple[Select[Any], Select[Any]]:
    p = t.papers.c
    where = _scope_where(shape)
    keys = (p.upvotes.desc().nulls_last(), *_newest(p)) if by_upvotes else _newest(p)
    count = select(func.count()).select_from(t.papers).where(*where)
    page = _paper_select().where(*where).order_by(*keys).limit(bindparam("limit")).offset(bindparam("offset"))
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
    start, end = bindparam("start"), bindparam("end")
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


def _decode(row: Any) -> Paper:
    pid, merged, claim = row[0], row[1], row[2]
    if merged is not None:
        return Paper.from_export(orjson.loads(merged))
    return merge_records([PaperRecord.from_json(orjson.loads(claim))], paper_id=pid)


def ensure_parent(url: str) -> None:
    """Create the directory of a SQLite file so that a fresh data dir just works."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


__all__ = ["SqlStore", "alembic_config", "ensure_parent", "insert_ignore"]
