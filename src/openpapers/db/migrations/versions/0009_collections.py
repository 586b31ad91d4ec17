"""Collections, discussion, editable organisation names, disabled accounts.

* ``collections`` and ``collection_items``: a reader's named, public or private lists of papers, a note per paper;
* ``comments``: Markdown comments on papers (moderators hide them: ``hidden_at``/``hidden_by``);
* ``org_names``: display names of organisations set by administrators, over the bundled table;
* ``users.disabled_at``: an administrator disabled the account (no login; sessions and tokens refused).

Revision ID: 0009_collections
Revises: 0007_signups
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_collections"
down_revision = "0008_identities"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("disabled_at", sa.String))
    op.create_table(
        "collections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer, nullable=False, index=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("public", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.String, nullable=False),
        sa.Column("updated_at", sa.String, nullable=False),
    )
    op.create_table(
        "collection_items",
        sa.Column("collection_id", sa.Integer, primary_key=True),
        sa.Column("paper_id", sa.String, primary_key=True),
        sa.Column("user_id", sa.Integer, nullable=False, index=True),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("added_at", sa.String, nullable=False),
    )
    op.create_index("ix_collection_items_paper", "collection_items", ["paper_id"])
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("paper_id", sa.String, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False, index=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.String, nullable=False),
        sa.Column("updated_at", sa.String),
        sa.Column("hidden_at", sa.String),
        sa.Column("hidden_by", sa.Integer),
    )
    op.create_index("ix_comments_paper_created", "comments", ["paper_id", "created_at"])
    op.create_index("ix_comments_created", "comments", ["created_at"])
    op.create_table(
        "org_names",
        sa.Column("org_id", sa.String, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("updated_by", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.String, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("org_names")
    op.drop_index("ix_comments_created", "comments")
    op.drop_index("ix_comments_paper_created", "comments")
    op.drop_table("comments")
    op.drop_index("ix_collection_items_paper", "collection_items")
    op.drop_table("collection_items")
    op.drop_table("collections")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("disabled_at")
