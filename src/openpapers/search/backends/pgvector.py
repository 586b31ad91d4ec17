"""Semantic retrieval on pgvector: the faiss retriever's twin for a PostgreSQL store.

Why in the database: app workers share nothing but PostgreSQL, so the vectors and their HNSW index live in
``embeddings.embedding`` (migration 0004; cosine distance) next to the portable float32 bytes, instead of a
per-process index folder. Filters are SQL conditions on ``search_docs`` in the same statement as the nearest-
neighbour search, with pgvector 0.8's iterative index scan (``hnsw.iterative_scan = relaxed_order``) so that
a selective filter still returns k results; the rows are then put back in exact distance order.

Embedding is a queue worked by as many processes as like: each batch claims the papers it embeds with
``FOR UPDATE SKIP LOCKED`` on their ``search_docs`` rows, so two workers never embed the same paper, and a
killed worker's claim ends with its transaction. What is pending is derived, never stored: papers whose
stored vector is missing, from another model, or of another text (``search_docs.embed_hash``, written by the
keyword sync, which must therefore run first -- :meth:`SearchService.sync` does).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from pgvector import Vector
from sqlalchemy import Engine

from openpapers.papers.store import Store
from openpapers.search.backends.faiss_set import EF_SEARCH
from openpapers.search.backends.sql_filters import SqlParams, filter_conditions
from openpapers.search.protocols import Embeds, Progress
from openpapers.search.types import Filters

BATCH = 64  # papers claimed and embedded per transaction
HNSW_INDEX = "ix_embeddings_hnsw"  # created by migration 0004
REBUILD_ABOVE = 20_000  # a fill of more rows than this rebuilds the HNSW index once instead of row by row
DUPLICATE_COSINE = 0.999

_PENDING = """
FROM search_docs d LEFT JOIN embeddings e ON e.paper_id = d.paper_id
WHERE e.paper_id IS NULL OR e.embedding IS NULL OR e.model <> %(model)s OR e.text_hash <> d.embed_hash
"""
_UPSERT = """
INSERT INTO embeddings (paper_id, model, text_hash, vector, embedding) VALUES (%s, %s, %s, %s, %s::vector)
ON CONFLICT (paper_id) DO UPDATE SET model = EXCLUDED.model, text_hash = EXCLUDED.text_hash,
    vector = EXCLUDED.vector, embedding = EXCLUDED.embedding
"""


def vector_literal(vector: np.ndarray) -> str:
    """pgvector's text form (``[0.1,0.2,...]``), written by the ``pgvector`` package, for ``%s::vector``."""
    return Vector(np.asarray(vector, dtype=np.float32).reshape(-1)).to_text()


def parse_vector(text: str) -> np.ndarray:
    """A vector read back as ``embedding::text``, as float32."""
    return Vector.from_text(text).to_numpy()


class PgVectorIndex:
    """Vector search over ``embeddings.embedding``; the interface of ``VectorIndex`` the service uses."""

    def __init__(self, store: Store, *, ef_search: int = EF_SEARCH) -> None:
        self.store = store
        self.engine: Engine = store.db.engine
        self.ef_search = ef_search

    # -- state -----------------------------------------------------------------------------------------------
    @property
    def model_id(self) -> str | None:
        with self.engine.connect() as conn:
            return conn.exec_driver_sql("SELECT model FROM embeddings LIMIT 1").scalar()

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.exec_driver_sql(
                "SELECT count(*) FROM embeddings WHERE embedding IS NOT NULL").scalar_one())

    def generation(self) -> int | None:
        """The newest stored vector's label (an index look-up): it moves whenever papers are embedded."""
        with self.engine.connect() as conn:
            return conn.exec_driver_sql("SELECT max(label) FROM embeddings").scalar()

    def refresh(self) -> None:
        """Nothing to do: a committed vector is visible to every worker at once."""

    # -- syncing ---------------------------------------------------------------------------------------------
    def sync(self, store: Store, embedder: Embeds, *, limit: int | None = None, newest_first: bool = True,
             progress: Progress | None = None) -> int:
        """Embed pending papers (newest published first, at most ``limit``), drop vectors of papers merged away,
        and fill the pgvector column of rows copied in without it. Returns how many papers were embedded."""
        store.prune_embeddings()
        self.backfill()
        from openpapers.search.embed import paper_text, text_hash

        order = "d.published DESC NULLS LAST, d.paper_id" if newest_first else "d.seq, d.paper_id"
        done = 0
        while limit is None or done < limit:
            size = BATCH if limit is None else min(BATCH, limit - done)
            with self.engine.begin() as conn:
                ids = [r[0] for r in conn.exec_driver_sql(
                    f"SELECT d.paper_id {_PENDING} ORDER BY {order} LIMIT %(n)s FOR UPDATE OF d SKIP LOCKED",
                    {"model": embedder.model_id, "n": size})]
                if not ids:
                    break
                # The claim's row locks are on search_docs only: a row another worker embedded and committed
                # while this statement waited is re-checked by PostgreSQL against its own new version, not
                # against the new embeddings row, so it can come back as pending. A fresh statement (a new
                # snapshot under READ COMMITTED) sees that commit: keep only what is still pending.
                ids = [r[0] for r in conn.exec_driver_sql(
                    f"SELECT paper_id FROM (SELECT d.paper_id {_PENDING}) p WHERE paper_id = ANY(%(ids)s)",
                    {"model": embedder.model_id, "ids": ids})]
                papers = store.get_papers(ids) if ids else []
                if papers:
                    texts = [paper_text(p) for p in papers]
                    vectors = np.asarray(embedder.embed(texts), dtype=np.float32)
                    conn.exec_driver_sql(_UPSERT, [
                        (p.id, embedder.model_id, text_hash(text), vectors[i].astype("<f4").tobytes(),
                         vector_literal(vectors[i]))
                        for i, (p, text) in enumerate(zip(papers, texts, strict=True))])
                if len(papers) < len(ids):  # merged away since the keyword sync: not ours to embed
                    gone = sorted(set(ids) - {p.id for p in papers})
                    conn.exec_driver_sql("DELETE FROM search_docs WHERE paper_id = ANY(%s)", (gone,))
            done += len(papers)
            if progress:
                progress(done)
        return done

    def pending(self, store: Store, embedder: Embeds) -> int:
        """How many papers await embedding."""
        with self.engine.connect() as conn:
            return int(conn.exec_driver_sql(f"SELECT count(*) {_PENDING}", {"model": embedder.model_id})
                       .scalar_one())

    def backfill(self, batch: int = 2000, *, rebuild_above: int = REBUILD_ABOVE) -> int:
        """Rows that came without a pgvector value (``openpapers db copy`` from SQLite) get it from their bytes.

        Inserting into an HNSW graph row by row is slow (~100 rows/s on a busy 2-core machine); when more than
        ``rebuild_above`` rows are missing, the index is dropped, the column filled, and the index built once
        at the end (much faster). The index is re-created whenever it is missing, so a fill killed half-way
        leaves nothing to repair by hand: the next sync finishes it."""
        with self.engine.connect() as conn:
            missing = int(conn.exec_driver_sql("SELECT count(*) FROM embeddings WHERE embedding IS NULL").scalar_one())
        if missing > rebuild_above:
            with self.engine.begin() as conn:
                conn.exec_driver_sql(f"DROP INDEX IF EXISTS {HNSW_INDEX}")
        done = 0
        while True:
            with self.engine.begin() as conn:
                rows = conn.exec_driver_sql(
                    "SELECT label, vector FROM embeddings WHERE embedding IS NULL ORDER BY label LIMIT %s "
                    "FOR UPDATE SKIP LOCKED", (batch,)).all()
                if not rows:
                    break
                conn.exec_driver_sql(
                    "UPDATE embeddings SET embedding = %s::vector WHERE label = %s",
                    [(vector_literal(np.frombuffer(bytes(vec), dtype="<f4")), label) for label, vec in rows])
            done += len(rows)
        with self.engine.begin() as conn:
            conn.exec_driver_sql(
                f"CREATE INDEX IF NOT EXISTS {HNSW_INDEX} ON embeddings USING hnsw (embedding vector_cosine_ops)")
        return done

    # -- searching -------------------------------------------------------------------------------------------
    def _nearest(self, vector: np.ndarray, k: int, where: list[str], sql: SqlParams) -> list[tuple[str, float]]:
        if k <= 0:
            return []
        q = sql.bind(vector_literal(vector))
        join = "JOIN search_docs d ON d.paper_id = e.paper_id" if any("d." in w for w in where) else ""
        cond = " AND ".join(["e.embedding IS NOT NULL", *where])
        with self.engine.begin() as conn:
            conn.exec_driver_sql(f"SET LOCAL hnsw.ef_search = {max(int(self.ef_search), k, 1)}")
            conn.exec_driver_sql("SET LOCAL hnsw.iterative_scan = relaxed_order")
            rows = conn.exec_driver_sql(
                f"""WITH found AS MATERIALIZED (
                        SELECT e.paper_id, e.embedding <=> {q}::vector AS dist FROM embeddings e {join}
                        WHERE {cond} ORDER BY e.embedding <=> {q}::vector LIMIT {sql.bind(k)})
                    SELECT paper_id, 1 - dist FROM found ORDER BY dist, paper_id""", sql.params).all()
        return [(r[0], float(r[1])) for r in rows]

    def search_within(
        self, store: Store, query: Callable[[], np.ndarray], k: int, filters: Filters
    ) -> list[tuple[str, float]]:
        """The ``k`` papers nearest to ``query()`` (cosine, best first) among those passing ``filters``; the
        query is embedded only when there are vectors at all."""
        with self.engine.connect() as conn:
            if not conn.exec_driver_sql("SELECT EXISTS (SELECT 1 FROM embeddings WHERE embedding IS NOT NULL)"
                                        ).scalar():
                return []
        vector = query()
        sql = SqlParams()
        where = [f"d.{cond}" for cond in filter_conditions(sql, filters)]  # names become ids there
        return self._nearest(vector, k, where, sql)

    def search(self, vector: np.ndarray, k: int, *, allowed_labels: Sequence[int] | np.ndarray | None = None
               ) -> list[tuple[str, float]]:
        sql = SqlParams()
        where = [] if allowed_labels is None else [
            f"e.label = ANY({sql.bind([int(x) for x in np.asarray(allowed_labels).tolist()])})"]
        return self._nearest(vector, k, where, sql)

    def similar(self, paper_id: str, k: int) -> list[tuple[str, float]]:
        """Nearest neighbours of a paper, without itself and exact duplicates (same text, cosine >= 0.999)."""
        with self.engine.connect() as conn:
            row = conn.exec_driver_sql(
                "SELECT embedding::text, text_hash FROM embeddings WHERE paper_id = %s AND embedding IS NOT NULL",
                (paper_id,)).first()
            if row is None and not conn.exec_driver_sql(
                    "SELECT EXISTS (SELECT 1 FROM embeddings WHERE embedding IS NOT NULL)").scalar():
                # as VectorIndex without index files: callers fall back to other means (web: title words)
                raise FileNotFoundError("no vectors in the database yet: run `openpapers index` first")
        if row is None or k <= 0:
            return []
        vector = parse_vector(row[0])
        sql = SqlParams()
        where = [f"e.paper_id <> {sql.bind(paper_id)}", f"e.text_hash <> {sql.bind(row[1])}"]
        found = self._nearest(vector, k + 8, where, sql)
        return [(pid, s) for pid, s in found if s < DUPLICATE_COSINE][:k]

    def labels_for(self, store: Store, filters: Filters) -> list[int]:
        """Labels of the embedded papers passing ``filters`` (interface parity with ``VectorIndex``)."""
        sql = SqlParams()
        where = " AND ".join(["e.embedding IS NOT NULL", *(f"d.{c}" for c in filter_conditions(sql, filters))])
        with self.engine.connect() as conn:
            return [int(r[0]) for r in conn.exec_driver_sql(
                f"SELECT e.label FROM embeddings e JOIN search_docs d ON d.paper_id = e.paper_id WHERE {where}",
                sql.params)]


__all__ = ["PgVectorIndex", "parse_vector", "vector_literal"]

