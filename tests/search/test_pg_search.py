"""What only the PostgreSQL backend has: search structures in the database (migration 0004), shared by workers.

Embedding and keyword syncs from several workers at once must each do every unit of work exactly once (row
locks with SKIP LOCKED, an advisory lock); vector search filters inside the SQL; SQLite gets none of it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from helpers.searchdata import paper
from openpapers.core.settings import resolve_settings
from openpapers.db.dialect import engine_url
from openpapers.db.migrate import alembic_config
from openpapers.papers.store import Store, open_store
from openpapers.search.backends.pgfts import PgKeywordIndex
from openpapers.search.backends.pgvector import PgVectorIndex
from openpapers.search.retrievers import keyword_retriever, vector_retriever
from openpapers.search.types import Filters

DIM = 384


class CountingEmbedder:
    """Deterministic unit vectors; counts every text it embeds (across threads)."""

    dim = DIM
    model_id = "counting"

    def __init__(self) -> None:
        self.texts: list[str] = []
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            self.texts.extend(texts)
        out = [np.random.default_rng(abs(hash(t)) % (1 << 32)).standard_normal(DIM) for t in texts]
        return np.asarray([v / np.linalg.norm(v) for v in out], dtype=np.float32)


@pytest.fixture
def store(tmp_path: Path, backend: Any) -> Iterator[Store]:
    if not backend.is_postgres:
        pytest.skip("PostgreSQL-only structures")
    s = open_store(resolve_settings(tmp_path))
    s.apply([paper(i) for i in range(120)])
    yield s
    s.close()


def test_postgresql_urls_use_psycopg() -> None:
    assert engine_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert engine_url("postgres://u:p@h:5433/db") == "postgresql+psycopg://u:p@h:5433/db"
    assert engine_url("sqlite:///x.db") == "sqlite:///x.db"


@pytest.mark.filterwarnings("ignore:Did not recognize type 'vector'")
def test_migration_0004_is_postgresql_only(tmp_path: Path, backend: Any) -> None:
    s = open_store(resolve_settings(tmp_path))
    try:
        assert s.schema_revision() == ScriptDirectory.from_config(alembic_config(None)).get_current_head()
        insp = inspect(s.engine)
        has_docs = "search_docs" in insp.get_table_names()
        has_vec = "embedding" in {c["name"] for c in insp.get_columns("embeddings")}
        assert has_docs == has_vec == backend.is_postgres
        kinds = (type(keyword_retriever(s, tmp_path)).__name__, type(vector_retriever(s, tmp_path)).__name__)
        assert kinds == (("PgKeywordIndex", "PgVectorIndex") if backend.is_postgres else ("KeywordIndex",
                                                                                           "VectorIndex"))
    finally:
        s.close()


def test_concurrent_syncs_do_each_paper_once(store: Store) -> None:
    keyword = PgKeywordIndex(store)
    counts: list[int] = []
    threads = [threading.Thread(target=lambda: counts.append(keyword.sync(store, batch=25))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(counts) == [0, 0, 120]  # one synced, the others waited and found it done
    embedder = CountingEmbedder()
    vectors = PgVectorIndex(store)
    done: list[int] = []
    threads = [threading.Thread(target=lambda: done.append(vectors.sync(store, embedder))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sum(done) == 120 and len(embedder.texts) == 120  # every paper embedded once, by one worker
    assert vectors.count() == 120 and vectors.pending(store, embedder) == 0
    assert vectors.sync(store, embedder) == 0


def test_vector_search_filters_similar_and_backfill(store: Store) -> None:
    PgKeywordIndex(store).sync(store)
    embedder = CountingEmbedder()
    vectors = PgVectorIndex(store)
    assert vectors.sync(store, embedder, limit=50) == 50  # newest first
    assert vectors.pending(store, embedder) == 70
    vectors.sync(store, embedder)
    query = next(np.frombuffer(r[4], dtype="<f4") for r in store.iter_embeddings() if r[1] == "2401.00007")
    top = vectors.search_within(store, lambda: query, 5, Filters())
    assert top[0][0] == "2401.00007" and top[0][1] == pytest.approx(1.0, abs=1e-4)
    only = vectors.search_within(store, lambda: query, 10, Filters(categories=["math"], has_code=True))
    papers = {p.id: p for p in store.get_papers([pid for pid, _ in only])}
    assert len(only) == 10 and all(p.has_code and "math.NA" in p.categories for p in papers.values())
    nobody = vectors.search_within(store, lambda: query, 10, Filters(authors=["Nobody At All"]))
    assert nobody == []
    similar = vectors.similar("2401.00007", 3)
    assert len(similar) == 3 and "2401.00007" not in {pid for pid, _ in similar}
    # rows copied in from SQLite carry only the bytes: the next sync fills the pgvector column from them
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE embeddings SET embedding = NULL WHERE paper_id = '2401.00007'")
    assert vectors.backfill() == 1
    assert vectors.search_within(store, lambda: query, 1, Filters())[0][0] == "2401.00007"
    # a large fill drops the HNSW index and builds it once at the end
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE embeddings SET embedding = NULL")
    assert vectors.backfill(batch=7, rebuild_above=10) == 120
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT 1 FROM pg_indexes WHERE indexname = 'ix_embeddings_hnsw'").first()
    assert vectors.search_within(store, lambda: query, 1, Filters())[0][0] == "2401.00007"
