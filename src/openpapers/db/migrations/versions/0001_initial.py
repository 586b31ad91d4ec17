"""Initial schema: claims, merged papers, authors, organisations, categories, keys, checkpoints, imports.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "papers",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("arxiv_id", sa.String, unique=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("title_key", sa.String, nullable=False),
        sa.Column("published", sa.String(10)),
        sa.Column("updated", sa.String(10)),
        sa.Column("primary_category", sa.String),
        sa.Column("authors_complete", sa.Boolean, nullable=False),
        sa.Column("author_count", sa.Integer),
        sa.Column("withdrawn", sa.Boolean, nullable=False),
        sa.Column("has_code", sa.Boolean, nullable=False),
        sa.Column("upvotes", sa.Integer),
        sa.Column("featured_on", sa.String(10)),
        sa.Column("data", sa.LargeBinary),
        sa.Column("seq", sa.Integer, nullable=False),
    )
    for col in ("title_key", "published", "seq"):
        op.create_index(f"ix_papers_{col}", "papers", [col])
    op.create_index(
        "ix_papers_featured_on",
        "papers",
        ["featured_on"],
        sqlite_where=sa.text("featured_on IS NOT NULL"),
        postgresql_where=sa.text("featured_on IS NOT NULL"),
    )
    # Link tables are WITHOUT ROWID on SQLite: one B-tree instead of two per row (bulk-import cost).
    op.create_table(
        "authors",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "paper_authors",
        sa.Column("paper_id", sa.String, primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("author_id", sa.String, nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_paper_authors_author_id", "paper_authors", ["author_id"])
    op.create_table("orgs", sa.Column("id", sa.String, primary_key=True), sa.Column("name", sa.Text, nullable=False))
    op.create_table(
        "paper_orgs",
        sa.Column("paper_id", sa.String, primary_key=True),
        sa.Column("org_id", sa.String, primary_key=True),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_paper_orgs_org", "paper_orgs", ["org_id"])
    op.create_table(
        "paper_categories",
        sa.Column("paper_id", sa.String, primary_key=True),
        sa.Column("category", sa.String, primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_paper_categories_category", "paper_categories", ["category"])
    op.create_table(
        "paper_keys",
        sa.Column("kind", sa.String, primary_key=True),
        sa.Column("value", sa.String, primary_key=True),
        sa.Column("paper_id", sa.String, primary_key=True),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_paper_keys_paper", "paper_keys", ["paper_id"])
    op.create_table(
        "paper_aliases",
        sa.Column("alias", sa.String, primary_key=True),
        sa.Column("paper_id", sa.String, nullable=False),
    )
    op.create_table(
        "claims",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("source_key", sa.String, nullable=False),
        sa.Column("paper_id", sa.String, nullable=False),
        sa.Column("observed", sa.String(10)),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.UniqueConstraint("source", "source_key", name="uq_claims_source_key"),
    )
    op.create_index("ix_claims_paper_id", "claims", ["paper_id"])
    op.create_table(
        "checkpoints",
        sa.Column("key", sa.String, primary_key=True),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("updated_at", sa.String, nullable=False),
    )
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("checkpoint_key", sa.String, nullable=False),
        sa.Column("started_at", sa.String, nullable=False),
        sa.Column("finished_at", sa.String),
        sa.Column("records", sa.Integer, nullable=False),
        sa.Column("skipped", sa.Integer, nullable=False),
        sa.Column("detail", sa.Text),
    )
    op.create_table(
        "counters", sa.Column("name", sa.String, primary_key=True), sa.Column("value", sa.Integer, nullable=False)
    )


def downgrade() -> None:
    for name in (
        "counters",
        "imports",
        "checkpoints",
        "claims",
        "paper_aliases",
        "paper_keys",
        "paper_categories",
        "paper_orgs",
        "orgs",
        "paper_authors",
        "authors",
        "papers",
    ):
        op.drop_table(name)
