"""People: accounts, sessions, API tokens, votes, library, dismissals, follows, featured papers, digest outbox.

Revision ID: 0003_people
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_people"
down_revision = "0002"
branch_labels = None
depends_on = None



def _user_paper_table(name: str, *extra: sa.Column) -> None:
    op.create_table(
        name,
        sa.Column("user_id", sa.Integer, primary_key=True),
        sa.Column("paper_id", sa.String, primary_key=True),
        *extra,
        sa.Column("created_at", sa.String, nullable=False),
    )


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String, nullable=False, unique=True),
        sa.Column("display_name", sa.Text, nullable=False),
        sa.Column("password_hash", sa.String, nullable=False),
        sa.Column("is_admin", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.String, nullable=False),
        sa.Column("digest_frequency", sa.String, nullable=False, server_default="off"),
        sa.Column("digest_sections", sa.String, nullable=False, server_default="follows,recommendations,trending"),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("user_id", sa.Integer, nullable=False, index=True),
        sa.Column("csrf_token", sa.String, nullable=False),
        sa.Column("created_at", sa.String, nullable=False),
        sa.Column("expires_at", sa.String, nullable=False, index=True),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer, nullable=False, index=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("token_hash", sa.String, nullable=False, unique=True),
        sa.Column("created_at", sa.String, nullable=False),
        sa.Column("last_used_at", sa.String),
    )
    op.create_table(
        "password_resets",
        sa.Column("token_hash", sa.String, primary_key=True),
        sa.Column("user_id", sa.Integer, nullable=False, index=True),
        sa.Column("created_at", sa.String, nullable=False),
        sa.Column("expires_at", sa.String, nullable=False),
        sa.Column("used_at", sa.String),
    )
    op.create_table(
        "auth_attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String, nullable=False),
        sa.Column("at", sa.String, nullable=False),
        sa.Index("ix_auth_attempts_key_at", "key", "at"),
    )
    _user_paper_table("votes")
    op.create_index("ix_votes_paper", "votes", ["paper_id"])
    op.create_index("ix_votes_created", "votes", ["created_at"])
    _user_paper_table(
        "library",
        sa.Column("tags", sa.Text, nullable=False, server_default="[]"),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("updated_at", sa.String, nullable=False),
    )
    op.create_index("ix_library_paper", "library", ["paper_id"])
    op.create_index("ix_library_created", "library", ["created_at"])
    _user_paper_table("dismissals")
    op.create_table(
        "follows",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer, nullable=False, index=True),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("created_at", sa.String, nullable=False),
        sa.UniqueConstraint("user_id", "kind", "target", name="uq_follows_user_kind_target"),
        sa.Index("ix_follows_kind_target", "kind", "target"),
    )
    op.create_table(
        "featured",
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("paper_id", sa.String, primary_key=True),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("created_at", sa.String, nullable=False),
    )
    op.create_table(
        "digest_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer, nullable=False, index=True),
        sa.Column("period", sa.String, nullable=False),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("message_id", sa.String),
        sa.Column("message", sa.LargeBinary),
        sa.Column("claimed_by", sa.String),
        sa.Column("claimed_at", sa.String),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.String, nullable=False),
        sa.Column("sent_at", sa.String),
        sa.Column("error", sa.Text),
        sa.UniqueConstraint("user_id", "period", name="uq_digest_outbox_user_period"),
        sa.Index("ix_digest_outbox_status", "status"),
    )
    op.create_table(
        "app_secrets",
        sa.Column("name", sa.String, primary_key=True),
        sa.Column("value", sa.String, nullable=False),
    )


def downgrade() -> None:
    for name in ("app_secrets", "digest_outbox", "featured", "follows", "dismissals", "library", "votes",
                 "auth_attempts", "password_resets", "api_tokens", "sessions", "users"):
        op.drop_table(name)
