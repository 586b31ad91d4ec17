"""Which retrievers a store gets: the seam between the search service and the backends.

SQLite stores search with per-data-dir index files (tantivy for keywords, faiss HNSW for vectors); PostgreSQL
stores search inside the database (full-text search, pgvector), so that any number of stateless workers share
one index and no worker keeps state that another would miss. Both kinds answer the same calls with the same
result types, so :class:`openpapers.search.service.SearchService` never asks which one it has.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpapers.store.base import Store


def in_database(store: Store) -> bool:
    """True when the store's database holds the search indexes itself (PostgreSQL)."""
    engine = getattr(store, "engine", None)
    return engine is not None and engine.dialect.name == "postgresql"


def keyword_retriever(store: Store, data_dir: str | Path) -> Any:
    if in_database(store):
        from openpapers.search.pg_keyword import PgKeywordIndex

        return PgKeywordIndex(store)
    from openpapers.search.keyword import KeywordIndex, default_path

    return KeywordIndex(default_path(data_dir))


def vector_retriever(store: Store, data_dir: str | Path) -> Any:
    if in_database(store):
        from openpapers.search.pg_vectors import PgVectorIndex

        return PgVectorIndex(store)
    from openpapers.search.vectors import VectorIndex, default_path

    return VectorIndex(default_path(data_dir))
