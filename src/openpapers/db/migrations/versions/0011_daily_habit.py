"""The daily habit: follows chosen for the digest, papers submitted by readers.

* ``follows.in_digest``: whether a follow feeds the email digest (the Following page's checkbox; on by default);
* ``submissions``: a reader submitted a paper by its arXiv id on a day; the day's feed shows it "submitted by".

Revision ID: 0011_daily_habit
Revises: 0009_collections
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_daily_habit"
down_revision = "0010_topics"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("follows") as batch:
        batch.add_column(sa.Column("in_digest", sa.Boolean, nullable=False, server_default=sa.true()))
    op.create_table(
        "submissions",
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("paper_id", sa.String, primary_key=True),
        sa.Column("user_id", sa.Integer, nullable=False, index=True),
        sa.Column("created_at", sa.String, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("submissions")
    with op.batch_alter_table("follows") as batch:
        batch.drop_column("in_digest")
