"""What readers contribute, beside votes and follows: collections, comments, submitted papers, and the
organisation names administrators set (migrations 0009_collections and 0011_daily_habit).

On the same metadata as :mod:`openpapers.db.schema` (which was long enough): :mod:`openpapers.db` imports this
module, so migrations, copy and schema checks see these tables wherever the database layer is used.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, String, Table, Text

from openpapers.db.schema import metadata

# Collections, discussion and editable organisation names (migration 0009_collections).
# A reader's named list of papers; ``public`` ones are readable by anyone with the URL and followable.
collections = Table(
    "collections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("public", Boolean, nullable=False, default=False),
    Column("created_at", String, nullable=False),
    Column("updated_at", String, nullable=False),
)

# ``user_id`` is the collection's owner (repeated so that account deletion finds the rows by user).
collection_items = Table(
    "collection_items",
    metadata,
    Column("collection_id", Integer, primary_key=True),
    Column("paper_id", String, primary_key=True),
    Column("user_id", Integer, nullable=False, index=True),
    Column("note", Text, nullable=False, default=""),
    Column("added_at", String, nullable=False),
    Index("ix_collection_items_paper", "paper_id"),
)

# Comments on a paper: ``body`` is the Markdown as written (rendered and sanitised on the way out).
comments = Table(
    "comments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("paper_id", String, nullable=False),
    Column("user_id", Integer, nullable=False, index=True),
    Column("body", Text, nullable=False),
    Column("created_at", String, nullable=False),
    Column("updated_at", String),  # set by an edit
    Column("hidden_at", String),  # set by a moderator: the comment shows as hidden
    Column("hidden_by", Integer),
    Index("ix_comments_paper_created", "paper_id", "created_at"),
    Index("ix_comments_created", "created_at"),
)

# Display names of organisations set by administrators (over the bundled table in data/org_names.tsv).
org_names = Table(
    "org_names",
    metadata,
    Column("org_id", String, primary_key=True),
    Column("name", Text, nullable=False),
    Column("updated_by", Integer, nullable=False),  # the administrator (kept when that account goes)
    Column("updated_at", String, nullable=False),
)


# Papers readers submitted by arXiv id (migration 0011): the day's feed shows them "submitted by" the reader.
submissions = Table(
    "submissions",
    metadata,
    Column("day", String(10), primary_key=True),
    Column("paper_id", String, primary_key=True),
    Column("user_id", Integer, nullable=False, index=True),
    Column("created_at", String, nullable=False),
)
