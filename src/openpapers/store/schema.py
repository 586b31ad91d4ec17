"""Table definitions (SQLAlchemy Core), shared by every SQL backend.

The schema is created and evolved only by the Alembic migrations in ``store/migrations``; these objects are
what the code queries with. Claims are the source of truth; ``papers`` and its link tables are the merged
view, rebuilt from claims whenever a claim about a paper arrives.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

papers = Table(
    "papers",
    metadata,
    Column("id", String, primary_key=True),
    Column("arxiv_id", String, unique=True),
    Column("title", Text, nullable=False),
    Column("title_key", String, nullable=False, index=True),
    Column("published", String(10), index=True),  # ISO date: sorts and compares as text on every backend
    Column("updated", String(10)),
    Column("primary_category", String),
    Column("authors_complete", Boolean, nullable=False),
    Column("author_count", Integer),
    Column("withdrawn", Boolean, nullable=False),
    Column("has_code", Boolean, nullable=False),
    Column("upvotes", Integer),
    Column("featured_on", String(10)),
    # The merged Paper as JSON, or NULL when the paper has exactly one claim: then the paper *is* that claim
    # (merge of one record), and storing the text twice would double a bulk import's I/O.
    Column("data", LargeBinary),
    Column("seq", Integer, nullable=False, index=True),  # bumped on every change: incremental indexing cursor
)

# Only HF-featured papers have featured_on: a partial index costs bulk arXiv imports nothing.
Index(
    "ix_papers_featured_on",
    papers.c.featured_on,
    sqlite_where=papers.c.featured_on.is_not(None),
    postgresql_where=papers.c.featured_on.is_not(None),
)

authors = Table(
    "authors",
    metadata,
    Column("id", String, primary_key=True),
    Column("name", Text, nullable=False),
    sqlite_with_rowid=False,
)

paper_authors = Table(
    "paper_authors",
    metadata,
    Column("paper_id", String, primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("author_id", String, nullable=False, index=True),
    sqlite_with_rowid=False,
)

orgs = Table(
    "orgs",
    metadata,
    Column("id", String, primary_key=True),
    Column("name", Text, nullable=False),
)

paper_orgs = Table(
    "paper_orgs",
    metadata,
    Column("paper_id", String, primary_key=True),
    Column("org_id", String, primary_key=True),
    Index("ix_paper_orgs_org", "org_id"),
    sqlite_with_rowid=False,
)

paper_categories = Table(
    "paper_categories",
    metadata,
    Column("paper_id", String, primary_key=True),
    Column("category", String, primary_key=True),
    Column("position", Integer, nullable=False),
    Index("ix_paper_categories_category", "category"),
    sqlite_with_rowid=False,
)

paper_keys = Table(
    "paper_keys",
    metadata,
    # Alternate dedup keys ("arxiv" | "title") from claims that differ from the paper's own arxiv_id/title_key,
    # which the papers table already indexes; keeping only alternates here halves bulk-import index work.
    Column("kind", String, primary_key=True),
    Column("value", String, primary_key=True),
    Column("paper_id", String, primary_key=True),
    Index("ix_paper_keys_paper", "paper_id"),
    sqlite_with_rowid=False,
)

paper_aliases = Table(
    "paper_aliases",
    metadata,
    Column("alias", String, primary_key=True),  # an id that was merged away
    Column("paper_id", String, nullable=False),
)

claims = Table(
    "claims",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String, nullable=False),
    Column("source_key", String, nullable=False),
    Column("paper_id", String, nullable=False, index=True),
    Column("observed", String(10)),
    Column("data", LargeBinary, nullable=False),  # PaperRecord.to_json
    UniqueConstraint("source", "source_key", name="uq_claims_source_key"),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("key", String, primary_key=True),
    Column("state", Text, nullable=False),
    Column("updated_at", String, nullable=False),
)

imports = Table(
    "imports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String, nullable=False),
    Column("checkpoint_key", String, nullable=False),
    Column("started_at", String, nullable=False),
    Column("finished_at", String),
    Column("records", Integer, nullable=False, default=0),
    Column("skipped", Integer, nullable=False, default=0),
    Column("detail", Text),  # JSON: skipped entries (file/line/field/message), page owner, options
)

counters = Table(
    "counters",
    metadata,
    Column("name", String, primary_key=True),
    Column("value", Integer, nullable=False),
)

# One sentence-embedding vector per paper (search/vectors.py). ``label`` is the vector's id in the ANN index:
# AUTOINCREMENT so a deleted paper's label is never handed to another paper, and a re-embedded paper keeps
# its label (the row is updated in place). ``model`` + ``text_hash`` say when the vector is stale.
embeddings = Table(
    "embeddings",
    metadata,
    Column("label", Integer, primary_key=True, autoincrement=True),
    Column("paper_id", String, nullable=False),
    Column("model", String, nullable=False),
    Column("text_hash", String, nullable=False),
    Column("vector", LargeBinary, nullable=False),  # float32 little-endian, the model's dimension
    UniqueConstraint("paper_id", name="uq_embeddings_paper_id"),
    sqlite_autoincrement=True,
)
