"""Author identities: people behind the author names (see db/schema_identities.py).

Revision ID: 0008_identities
Revises: 0007_signups
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_identities"
down_revision = "0007_signups"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identities",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("name_id", sa.String, nullable=False, index=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("block", sa.String, nullable=False, index=True),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("near", sa.String),
        sa.Column("redirect_to", sa.String, index=True),
        sa.Column("updated_at", sa.String, nullable=False),
    )
    op.create_table(
        "identity_mentions",
        sa.Column("paper_id", sa.String, primary_key=True),
        sa.Column("name_id", sa.String, primary_key=True),
        sa.Column("identity_id", sa.String, nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_identity_mentions_identity", "identity_mentions", ["identity_id"])
    op.create_table(
        "identity_constraints",
        sa.Column("paper_id", sa.String, primary_key=True),
        sa.Column("name_id", sa.String, primary_key=True),
        sa.Column("identity_id", sa.String, primary_key=True),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("event_id", sa.Integer),
    )
    op.create_table(
        "identity_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("actor", sa.String, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("created_at", sa.String, nullable=False),
        sa.Column("undone_by", sa.Integer),
    )
    op.create_table(
        "identity_claims",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer, nullable=False, index=True),
        sa.Column("identity_id", sa.String, nullable=False, index=True),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("created_at", sa.String, nullable=False),
        sa.Column("decided_at", sa.String),
    )


def downgrade() -> None:
    for name in ("identity_claims", "identity_events", "identity_constraints", "identity_mentions", "identities"):
        op.drop_table(name)
