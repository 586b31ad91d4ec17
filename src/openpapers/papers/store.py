"""SQL implementation of the store (SQLAlchemy Core): SQLite by default, PostgreSQL (psycopg 3) by URL.

SQLite runs in WAL mode with ``synchronous=NORMAL``: a killed process never corrupts the file and loses at most
the transaction in flight, which the import checkpoint then redoes. On PostgreSQL every statement here is the
same portable SQL; the few that differ live in :mod:`openpapers.db.dialect`, and what only PostgreSQL's
search needs (full-text and pgvector columns) is added by migration 0004. Browse queries are in
:mod:`openpapers.papers.browse`, embedding rows in :mod:`openpapers.search.embeddings_repository`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, delete, event, func, insert, make_url, select, update
from sqlalchemy.exc import OperationalError

from openpapers.core.errors import StoreError
from openpapers.core.records import Paper, PaperRecord, normalize_arxiv_id
from openpapers.core.settings import Settings
from openpapers.db import schema as t
from openpapers.db.dialect import engine_url, insert_ignore, is_postgres, select_in, write_lock
from openpapers.papers import browse
from openpapers.papers.browse import decode_paper, paper_select
from openpapers.papers.interface import ApplyResult, AuthorInfo, Facet, OrgInfo, PaperScope, PaperSlice, Store
from openpapers.papers.writer import apply_batch, chunks
from openpapers.search import embeddings_repository as emb

MIGRATIONS = Path(__file__).resolve().parents[1] / "db" / "migrations"
MIGRATE_LOCK_KEY = 0x6F70_6D67  # "opmg": PostgreSQL advisory lock held while one process migrates


def display_url(url: str) -> str:
    """The URL with any password masked: for messages, logs and ``openpapers stats``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL at all: nothing secret to hide in it
        return url


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
            # pre_ping: a worker's pooled connection may have been cut by a PostgreSQL restart or failover.
            # preserve_rowcount: psycopg forgets an INSERT's rowcount when SQLAlchemy closes the cursor, so
            # "did INSERT … ON CONFLICT DO NOTHING insert?" would read -1 (sqlite3 keeps it; keep both alike).
            extra: dict[str, Any] = {"pool_pre_ping": True, "execution_options": {"preserve_rowcount": True}} \
                if engine_url(url).startswith("postgresql") else {}
            self.engine: Engine = create_engine(engine_url(url), future=True, **extra)
        except Exception as exc:  # bad URL or missing driver
            raise StoreError(f"cannot open store {display_url(url)!r}: {exc}") from exc
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        if migrate:
            self.migrate()

    # -- schema --------------------------------------------------------------------------------------------
    def schema_revision(self) -> str | None:
        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def migrate(self) -> None:
        """Upgrade to the newest schema; refuse a database written by a newer openpapers.

        Several workers starting at once against one PostgreSQL database take turns (advisory lock; DDL is
        transactional there), so the second finds the schema current instead of migrating it again."""
        try:
            with self.engine.begin() as conn:
                if is_postgres(conn):
                    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATE_LOCK_KEY})")
                cfg = alembic_config(conn)
                current = MigrationContext.configure(conn).get_current_revision()
                scripts = ScriptDirectory.from_config(cfg)
                if current is not None and not _known_revision(scripts, current):
                    raise StoreError(
                        f"store {display_url(self.url)} has schema {current}, newer than this openpapers knows")
                if current != scripts.get_current_head():
                    command.upgrade(cfg, "head")
        except OperationalError as exc:
            raise StoreError(f"cannot open store {display_url(self.url)}: {exc.orig}") from exc

    # -- writing -------------------------------------------------------------------------------------------
    def apply(
        self, records: Sequence[PaperRecord], *, checkpoint: tuple[str, dict[str, Any]] | None = None
    ) -> ApplyResult:
        with self.engine.begin() as conn:
            write_lock(conn)
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
            rows = conn.execute(paper_select().where(t.papers.c.id == pid)).all()
        return decode_paper(rows[0]) if rows else None

    def get_papers(self, ids: Iterable[str]) -> list[Paper]:
        wanted = list(ids)
        found: dict[str, Paper] = {}
        with self.engine.connect() as conn:
            for part in chunks(wanted):
                for row in conn.execute(paper_select().where(t.papers.c.id.in_(part))):
                    found[row[0]] = decode_paper(row)
        return [found[i] for i in wanted if i in found]

    def iter_papers(self, *, batch_size: int = 1000, after_seq: int = 0) -> Iterator[Paper]:
        # Keyset pagination on (seq, id): stable while other writers add papers, no long-lived cursor.
        last: tuple[int, str | None] = (after_seq, None)
        p = t.papers.c
        while True:
            after = p.seq > last[0] if last[1] is None else (p.seq > last[0]) | ((p.seq == last[0]) & (p.id > last[1]))
            with self.engine.connect() as conn:
                rows = conn.execute(paper_select(p.seq).where(after).order_by(p.seq, p.id).limit(batch_size)).all()
            if not rows:
                return
            for row in rows:
                yield decode_paper(row)
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
                paper_select()
                .join(t.paper_authors, t.paper_authors.c.paper_id == t.papers.c.id)
                .where(t.paper_authors.c.author_id == author_id)
                .order_by(t.papers.c.published.desc().nulls_last(), t.papers.c.id)
                .limit(limit)
            ).all()
        return [decode_paper(r) for r in rows]

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

    # -- browsing (SQL in papers/browse.py) ---------------------------------------------------------------------
    def list_papers(
        self, scope: PaperScope, *, order: str = "newest", limit: int = 50, offset: int = 0
    ) -> PaperSlice:
        return browse.list_papers(self.engine, scope, order=order, limit=limit, offset=offset)

    def facets(self, scope: PaperScope, kind: str, *, limit: int = 10, window: int = 5000) -> list[Facet]:
        return browse.facets(self.engine, scope, kind, limit=limit, window=window)

    def adjacent_days(self, start: date, end: date) -> tuple[date | None, date | None]:
        return browse.adjacent_days(self.engine, start, end)

    def latest_day(self) -> date | None:
        return browse.latest_day(self.engine)

    def get_org(self, org_id: str) -> OrgInfo | None:
        return browse.get_org(self.engine, org_id)

    def stats(self) -> dict[str, Any]:
        p = t.papers
        with self.engine.connect() as conn:

            def scalar(stmt: Any) -> Any:
                return conn.execute(stmt).scalar_one()

            return {
                "store": display_url(self.url),
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

    # -- embeddings (SQL in search/embeddings_repository.py) ---------------------------------------------------------------
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


def ensure_parent(url: str) -> None:
    """Create the directory of a SQLite file so that a fresh data dir just works."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


__all__ = ["SqlStore", "alembic_config", "ensure_parent", "insert_ignore", "open_store"]


def open_store(settings: Settings) -> SqlStore:
    """Open (and create or migrate) the store the settings point at."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    ensure_parent(settings.database_url)
    return SqlStore(settings.database_url)
