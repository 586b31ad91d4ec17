"""Embeddings: one sentence-embedding vector per paper, keyed by a stable integer label.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # AUTOINCREMENT (not just INTEGER PRIMARY KEY): SQLite would otherwise reuse the largest deleted label,
    # and the vector index would take the new paper for the deleted one.
    op.create_table(
        "embeddings",
        sa.Column("label", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("paper_id", sa.String, nullable=False),
        sa.Column("model", sa.String, nullable=False),
        sa.Column("text_hash", sa.String, nullable=False),
        sa.Column("vector", sa.LargeBinary, nullable=False),
        sa.UniqueConstraint("paper_id", name="uq_embeddings_paper_id"),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("embeddings")
