"""Pending sign-ups: an account exists only once its address confirmed it (a link mailed to it).

Until then the address, the argon2 hash of the chosen password, the display name, where to go afterwards and the
SHA-256 of the confirmation token wait here for a day. Keeping them out of ``users`` means an unconfirmed
address can neither log in nor block its real owner from signing up (a new sign-up adds another pending row;
whichever link is used first creates the account and removes every pending row of that address).

Revision ID: 0007_signups
Revises: 0006_outbox_retry
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_signups"
down_revision = "0006_outbox_retry"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signups",
        sa.Column("token_hash", sa.String, primary_key=True),
        sa.Column("email", sa.String, nullable=False, index=True),
        sa.Column("display_name", sa.String, nullable=False),
        sa.Column("password_hash", sa.String, nullable=False),
        sa.Column("next_url", sa.String, nullable=False),
        sa.Column("created_at", sa.String, nullable=False),
        sa.Column("expires_at", sa.String, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("signups")
