"""The paper store (SQLAlchemy Core): SQLite by default, PostgreSQL (psycopg 3) by URL. Everything above it
(ingest, search, web, CLI) talks to :class:`Store` and never sees SQL.

There is one implementation for both databases: every statement here is the same portable SQL, the few that
differ live in :mod:`openpapers.db.dialect`, and what only PostgreSQL's search needs (full-text and pgvector
columns) is added by migration 0004. Opening the engine and migrating are :mod:`openpapers.db.engine` and
:mod:`openpapers.db.migrate`; browse queries are in :mod:`openpapers.papers.browse`, embedding rows in
:mod:`openpapers.search.embeddings_repository`, the values handed out in :mod:`openpapers.papers.types`.
Writes go through :meth:`Store.apply`, which is atomic per batch together with the caller's resume checkpoint,
so a killed import can neither half-write a batch nor lose its place.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, func, insert, select, update

from openpapers.core.records import Paper, PaperRecord, normalize_arxiv_id
from openpapers.core.settings import Settings
from openpapers.db import checkpoints, clock
from openpapers.db import migrate as migrations
from openpapers.db import schema as t
from openpapers.db.database import Database
from openpapers.db.dialect import select_in, write_lock
from openpapers.db.engine import display_url, ensure_parent, open_engine
from openpapers.papers import browse
from openpapers.papers.browse import decode_paper, paper_select
from openpapers.papers.types import ApplyResult, AuthorInfo, Facet, OrgInfo, Overview, PaperScope, PaperSlice
from openpapers.papers.writer import apply_batch, chunks
from openpapers.search import embeddings_repository as emb


class Store:
    """The store on one database. Opening it brings the schema up to date (migrations are additive).

    ``db`` is the :class:`~openpapers.db.database.Database` the repositories (accounts, signals, digests) are
    given, so every table is reached through one module; ``engine`` is that database's engine, for the search
    backends that keep their own tables in it.
    """

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        self.db = Database(open_engine(url), url)
        if migrate:
            self.migrate()

    @property
    def engine(self) -> Engine:
        return self.db.engine

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema --------------------------------------------------------------------------------------------
    def schema_revision(self) -> str | None:
        return migrations.schema_revision(self.engine)

    def migrate(self) -> None:
        """Upgrade to the newest schema; refuse a database written by a newer openpapers (see db/migrate.py)."""
        migrations.migrate(self.engine, self.url)

    # -- writing -------------------------------------------------------------------------------------------
    def apply(
        self, records: Sequence[PaperRecord], *, checkpoint: tuple[str, dict[str, Any]] | None = None
    ) -> ApplyResult:
        """Store claims, dedup them into papers and re-merge every touched paper, all or nothing.

        When ``checkpoint=(key, state)`` is given it is saved in the same transaction.
        """
        with self.db.tx() as conn:
            write_lock(conn)
            result = apply_batch(conn, records)
            if checkpoint is not None:
                checkpoints.put(conn, *checkpoint)
        return result

    # -- resume state and import log ----------------------------------------------------------------------------
    def get_checkpoint(self, key: str) -> dict[str, Any] | None:
        return checkpoints.get(self.db, key)

    def set_checkpoint(self, key: str, state: dict[str, Any]) -> None:
        checkpoints.put(self.db, key, state)

    def start_import(self, source: str, checkpoint_key: str, detail: dict[str, Any]) -> int:
        with self.engine.begin() as conn:
            res = conn.execute(
                insert(t.imports).values(
                    source=source,
                    checkpoint_key=checkpoint_key,
                    started_at=clock.now(),
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
                .values(finished_at=clock.now(), records=records, skipped=skipped, detail=orjson.dumps(detail).decode())
            )

    def imports(self, limit: int = 20) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.imports).order_by(t.imports.c.id.desc()).limit(limit)).mappings().all()
        # str(k): SQLAlchemy keys are a str subclass that orjson refuses as dict keys (`openpapers imports`).
        return [{**{str(k): v for k, v in r.items()}, "detail": orjson.loads(r["detail"]) if r["detail"] else None}
                for r in rows]

    # -- reading -------------------------------------------------------------------------------------------
    def _resolve(self, conn: Connection, ref: str) -> str | None:
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
        """Find a paper by id, merged-away alias or arXiv id (any spelling, with or without version)."""
        with self.engine.connect() as conn:
            pid = self._resolve(conn, ref)
            if pid is None:
                return None
            rows = conn.execute(paper_select().where(t.papers.c.id == pid)).all()
        return decode_paper(rows[0]) if rows else None

    def get_papers(self, ids: Iterable[str]) -> list[Paper]:
        """Papers for ids, in the given order, missing ones skipped."""
        wanted = list(ids)
        found: dict[str, Paper] = {}
        with self.engine.connect() as conn:
            for part in chunks(wanted):
                for row in conn.execute(paper_select().where(t.papers.c.id.in_(part))):
                    found[row[0]] = decode_paper(row)
        return [found[i] for i in wanted if i in found]

    def iter_papers(self, *, batch_size: int = 1000, after_seq: int = 0) -> Iterator[Paper]:
        """Every paper, in change order (``seq``); ``after_seq`` gives only papers changed since."""
        for row in self.iter_paper_rows(batch_size=batch_size, after_seq=after_seq):
            yield decode_paper(row)

    def iter_paper_rows(self, *, batch_size: int = 1000, after_seq: int = 0) -> Iterator[tuple[Any, ...]]:
        """``iter_papers`` undecoded: (id, merged JSON or None, the sole claim's JSON or None, seq) rows, for
        readers that need a few fields of every paper (the keyword index build) and decode only those."""
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
                yield tuple(row)
            last = (rows[-1][3], rows[-1][0])

    def current_seq(self) -> int:
        """The newest change number handed out (0 for an empty store): the high-water mark an index records
        after syncing, so that its next ``iter_papers(after_seq=...)`` picks up exactly what changed since."""
        with self.engine.connect() as conn:
            value = conn.execute(select(t.counters.c.value).where(t.counters.c.name == "seq")).scalar()
        return int(value or 0)

    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        """Which of ``ids`` are current paper ids (not aliases): lets an index drop papers merged away."""
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
        """Papers in ``scope``: ``order="newest"`` (published date) or ``"upvotes"`` (then newest)."""
        return browse.list_papers(self.engine, scope, order=order, limit=limit, offset=offset)

    def facets(self, scope: PaperScope, kind: str, *, limit: int = 10, window: int = 5000) -> list[Facet]:
        """The most frequent ``kind`` ("author" | "org" | "category") among the newest ``window`` papers of
        ``scope``, most frequent first. The window bounds the cost on a large corpus ("most active lately");
        the scope's own author is left out of an author's co-authors."""
        return browse.facets(self.engine, scope, kind, limit=limit, window=window)

    def adjacent_days(self, start: date, end: date) -> tuple[date | None, date | None]:
        """The latest day before ``start`` and the earliest day after ``end`` with a paper published or featured
        on it (None where there is none): the links an empty day or the prev/next buttons point to."""
        return browse.adjacent_days(self.engine, start, end)

    def latest_day(self) -> date | None:
        """The newest day with a paper published or featured on it (None for an empty store)."""
        return browse.latest_day(self.engine)

    def get_org(self, org_id: str) -> OrgInfo | None:
        return browse.get_org(self.engine, org_id)

    def overview(self) -> Overview:
        """Counts for the home page's introduction (papers, undated papers, sources, latest import)."""
        return browse.overview(self.engine)

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
        self.db.close()

    # -- embeddings (SQL in search/embeddings_repository.py): a row is (label, paper_id, model, text_hash,
    # vector); ``label`` is a stable integer id for the vector index (kept when the paper is re-embedded, never
    # reused), ``vector`` float32 little-endian bytes. ---------------------------------------------------------------
    def embedding_state(self, paper_ids: Iterable[str]) -> dict[str, tuple[int, str, str]]:
        """``{paper_id: (label, model, text_hash)}`` for those of ``paper_ids`` that have a vector."""
        return emb.embedding_state(self.engine, paper_ids)

    def put_embeddings(self, rows: Sequence[tuple[str, str, str, bytes]]) -> dict[str, int]:
        """Store ``(paper_id, model, text_hash, vector)`` rows atomically; returns ``{paper_id: label}``.

        A paper that already has a vector is updated in place (its label stays), others get a new label."""
        return emb.put_embeddings(self.engine, rows)

    def iter_embeddings(
        self, *, after_label: int = 0, batch_size: int = 2000
    ) -> Iterator[tuple[int, str, str, str, bytes]]:
        """Every stored vector with a label above ``after_label``, in label order."""
        return emb.iter_embeddings(self.engine, after_label=after_label, batch_size=batch_size)

    def delete_embeddings(self, paper_ids: Iterable[str]) -> list[int]:
        """Drop the vectors of ``paper_ids``; returns the labels that were removed."""
        return emb.delete_embeddings(self.engine, paper_ids)

    def prune_embeddings(self) -> list[int]:
        """Drop vectors whose paper no longer exists (merged into another); returns their labels."""
        return emb.prune_embeddings(self.engine)

    def embedding_labels(
        self,
        *,
        date_from: date | None = None,
        date_to: date | None = None,
        categories: Sequence[str] = (),
        author_ids: Sequence[str] = (),
        org_ids: Sequence[str] = (),
        has_code: bool | None = None,
    ) -> list[int]:
        """Labels of the vectors whose paper passes every given filter: ``published`` within the (inclusive)
        dates, any of ``categories`` (a full code, or an archive like ``cs`` for all of it), any of the author
        ids, any of the org ids, ``has_code``. Lets the vector index filter inside the search."""
        return emb.embedding_labels(self.engine, date_from=date_from, date_to=date_to, categories=categories,
                                    author_ids=author_ids, org_ids=org_ids, has_code=has_code)


def open_store(settings: Settings) -> Store:
    """Open (and create or migrate) the store the settings point at."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    ensure_parent(settings.database_url)
    return Store(settings.database_url)


