"""Topics: clusters of the stored embeddings, each paper's topic and place on the 2-D map, and the build log.

``topics`` holds what a new paper needs to be placed without reclustering (the centroid and the topic's two local
axes, float32 little-endian), so an import assigns it at once; ``paper_topics`` one row per paper with its topic
and map position; ``topic_builds`` one row per ``openpapers topics rebuild`` with its measures. Topic ids are
plain integers chosen by the build (kept across rebuilds where membership mostly stays), never reused: the
``counters`` row ``topic_id`` remembers the largest handed out.

Revision ID: 0010_topics
Revises: 0007_signups
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_topics"
down_revision = "0009_collections"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "topics",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("terms", sa.Text, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("x", sa.Float, nullable=False),
        sa.Column("y", sa.Float, nullable=False),
        sa.Column("radius", sa.Float, nullable=False),
        sa.Column("scale", sa.Float, nullable=False),
        sa.Column("centroid", sa.LargeBinary, nullable=False),
        sa.Column("axes", sa.LargeBinary, nullable=False),
        sa.Column("build_id", sa.Integer, nullable=False),
    )
    op.create_table(
        "paper_topics",
        sa.Column("paper_id", sa.String, primary_key=True),
        sa.Column("topic_id", sa.Integer, nullable=False, index=True),
        sa.Column("x", sa.Float, nullable=False),
        sa.Column("y", sa.Float, nullable=False),
        sa.Column("similarity", sa.Float, nullable=False),
        sa.Column("assigned", sa.String, nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "topic_builds",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("built_at", sa.String, nullable=False),
        sa.Column("papers", sa.Integer, nullable=False),
        sa.Column("topics", sa.Integer, nullable=False),
        sa.Column("kept_ids", sa.Integer, nullable=False),
        sa.Column("silhouette", sa.Float),
        sa.Column("seconds", sa.Float, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("topic_builds")
    op.drop_table("paper_topics")
    op.drop_table("topics")
