"""The schema of a PostgreSQL database: :data:`openpapers.db.schema.metadata` plus what only PostgreSQL has.

Migration 0004 gives PostgreSQL its own search structures (the ``search_docs`` table with a weighted tsvector and
the pgvector column of ``embeddings``); their SQL is written by hand in search/backends/pgfts.py and pgvector.py
(the repositories of these structures). They are declared here so that the migrated schema can be checked
against a declaration on each backend (tests/db/test_migrations.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Column, Index, Integer, MetaData, String, Table, Text
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.types import UserDefinedType

from openpapers.db.schema import metadata


class Vector(UserDefinedType[Any]):
    """pgvector's ``vector(dim)`` column type (declared only: the pgvector backend writes it as text)."""

    cache_ok = True

    def __init__(self, dim: int) -> None:
        self.dim = dim

    def get_col_spec(self, **_kw: Any) -> str:
        return f"vector({self.dim})"


EMBEDDING_DIM = 384


def metadata_for(dialect: str) -> MetaData:
    """The whole schema of a database of ``dialect`` ("sqlite" | "postgresql"): :data:`metadata`, plus on
    PostgreSQL the ``search_docs`` table and the ``embeddings.embedding`` pgvector column with their indexes."""
    if dialect != "postgresql":
        return metadata
    pg = MetaData()
    for table in metadata.tables.values():
        table.to_metadata(pg)
    emb = pg.tables["embeddings"]
    emb.append_column(Column("embedding", Vector(EMBEDDING_DIM)))
    Index("ix_embeddings_hnsw", emb.c.embedding, postgresql_using="hnsw",
          postgresql_ops={"embedding": "vector_cosine_ops"})
    docs = Table(
        "search_docs",
        pg,
        Column("paper_id", String, primary_key=True),
        Column("seq", Integer, nullable=False),
        Column("published", String(10)),
        Column("has_code", Boolean, nullable=False),
        Column("categories", ARRAY(Text), nullable=False),
        Column("author_ids", ARRAY(Text), nullable=False),
        Column("org_ids", ARRAY(Text), nullable=False),
        Column("embed_hash", String, nullable=False),
        Column("tsv", TSVECTOR, nullable=False),  # weighted: title A, abstract B, authors C, organisations D
    )
    Index("ix_search_docs_tsv", docs.c.tsv, postgresql_using="gin")
    for name in ("categories", "author_ids", "org_ids"):
        Index(f"ix_search_docs_{name}", docs.c[name], postgresql_using="gin")
    Index("ix_search_docs_published", docs.c.published)
    return pg
