"""Author identities (migration 0008): which person each author name on each paper is.

An *author mention* is one name on one paper, keyed by ``(paper_id, name_id)`` where ``name_id`` is the name's
slug (``paper_authors.author_id``): positions shift when a longer author list arrives, the name does not.
``identities`` holds one row per person ever made; a merged-away or split-off id keeps its row with
``redirect_to`` set, so links, follows and feeds to it keep working. ``identity_events`` records every admin
merge/split/move and claim decision (with what is needed to undo it); ``identity_constraints`` are the
corrections the clusterer must keep (a mention pinned to, or kept away from, an identity).
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, String, Table, Text

from openpapers.db.schema import metadata

identities = Table(
    "identities",
    metadata,
    Column("id", String, primary_key=True),  # "<name slug>--<n>": never equal to a bare name slug
    Column("name_id", String, nullable=False, index=True),  # slug of the display name
    Column("name", Text, nullable=False),
    Column("block", String, nullable=False, index=True),  # blocking key (normalised last name + first initial)
    Column("size", Integer, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("near", String),  # "possibly the same person as": the identity it was closest to, kept apart
    Column("redirect_to", String, index=True),  # set when merged away / emptied
    Column("updated_at", String, nullable=False),
)

identity_mentions = Table(
    "identity_mentions",
    metadata,
    Column("paper_id", String, primary_key=True),
    Column("name_id", String, primary_key=True),
    Column("identity_id", String, nullable=False),
    Column("confidence", Float, nullable=False),
    Index("ix_identity_mentions_identity", "identity_id"),
    sqlite_with_rowid=False,
)

identity_constraints = Table(
    "identity_constraints",
    metadata,
    Column("paper_id", String, primary_key=True),
    Column("name_id", String, primary_key=True),
    Column("identity_id", String, primary_key=True),
    Column("kind", String, nullable=False),  # "must" (pinned to it) | "cannot" (kept away from it)
    Column("event_id", Integer),
)

identity_events = Table(
    "identity_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String, nullable=False),  # merge | split | move | claim | claim-approve | claim-reject | undo
    Column("actor", String, nullable=False),  # "cli" or "user:<id>"
    Column("detail", Text, nullable=False),  # JSON: what happened and what undoing it restores
    Column("created_at", String, nullable=False),
    Column("undone_by", Integer),
)

identity_claims = Table(
    "identity_claims",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, nullable=False, index=True),
    Column("identity_id", String, nullable=False, index=True),
    Column("status", String, nullable=False),  # pending | approved | rejected
    Column("created_at", String, nullable=False),
    Column("decided_at", String),
)
