"""Digest outbox: count real SMTP attempts only, and retry temporary failures with backoff.

``attempts`` used to be raised by every claim (for the whole claimed batch) and again by every takeover from a
dead sender, so rows that were never handed to a server reached the attempt limit and ended ``failed`` after a
few crashes. From this revision ``attempts`` counts real SMTP attempts of the row alone; takeovers are counted
apart (``takeovers``), and ``next_attempt_at`` holds when a temporarily refused row may be tried again.

Rows still waiting (``pending``/``sending``) cannot tell claims from attempts, so their counts start again at 0.

Revision ID: 0006_outbox_retry
Revises: 0005_search_docs_inline
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_outbox_retry"
down_revision = "0005_search_docs_inline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("digest_outbox") as batch:
        batch.add_column(sa.Column("next_attempt_at", sa.String, nullable=True))
        batch.add_column(sa.Column("takeovers", sa.Integer, nullable=False, server_default="0"))
    op.execute("UPDATE digest_outbox SET attempts = 0 WHERE status IN ('pending', 'sending')")


def downgrade() -> None:
    with op.batch_alter_table("digest_outbox") as batch:
        batch.drop_column("takeovers")
        batch.drop_column("next_attempt_at")
