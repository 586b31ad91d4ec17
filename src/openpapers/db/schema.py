"""Table definitions (SQLAlchemy Core), shared by every SQL backend.

The schema is created and evolved only by the Alembic migrations in ``db/migrations``; these objects are
what the code queries with (tests/db/test_migrations.py checks that a migrated database has exactly them).
What only PostgreSQL has (its search structures, migration 0004) is declared by
:func:`openpapers.db.schema_pg.metadata_for`.
Claims are the source of truth; ``papers`` and its link tables are the merged view, rebuilt from claims whenever
a claim about a paper arrives.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    true,
)

metadata = MetaData()

papers = Table(
    "papers",
    metadata,
    Column("id", String, primary_key=True),
    Column("arxiv_id", String, unique=True),
    Column("title", Text, nullable=False),
    Column("title_key", String, nullable=False, index=True),
    Column("published", String(10), index=True),  # ISO date: sorts and compares as text on every backend
    Column("updated", String(10)),
    Column("primary_category", String),
    Column("authors_complete", Boolean, nullable=False),
    Column("author_count", Integer),
    Column("withdrawn", Boolean, nullable=False),
    Column("has_code", Boolean, nullable=False),
    Column("upvotes", Integer),
    Column("featured_on", String(10)),
    # The merged Paper as JSON, or NULL when the paper has exactly one claim: then the paper *is* that claim
    # (merge of one record), and storing the text twice would double a bulk import's I/O.
    Column("data", LargeBinary),
    Column("seq", Integer, nullable=False, index=True),  # bumped on every change: incremental indexing cursor
)

# Only HF-featured papers have featured_on: a partial index costs bulk arXiv imports nothing.
Index(
    "ix_papers_featured_on",
    papers.c.featured_on,
    sqlite_where=papers.c.featured_on.is_not(None),
    postgresql_where=papers.c.featured_on.is_not(None),
)

authors = Table(
    "authors",
    metadata,
    Column("id", String, primary_key=True),
    Column("name", Text, nullable=False),
    sqlite_with_rowid=False,
)

paper_authors = Table(
    "paper_authors",
    metadata,
    Column("paper_id", String, primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("author_id", String, nullable=False, index=True),
    sqlite_with_rowid=False,
)

orgs = Table(
    "orgs",
    metadata,
    Column("id", String, primary_key=True),
    Column("name", Text, nullable=False),
)

paper_orgs = Table(
    "paper_orgs",
    metadata,
    Column("paper_id", String, primary_key=True),
    Column("org_id", String, primary_key=True),
    Index("ix_paper_orgs_org", "org_id"),
    sqlite_with_rowid=False,
)

paper_categories = Table(
    "paper_categories",
    metadata,
    Column("paper_id", String, primary_key=True),
    Column("category", String, primary_key=True),
    Column("position", Integer, nullable=False),
    Index("ix_paper_categories_category", "category"),
    sqlite_with_rowid=False,
)

paper_keys = Table(
    "paper_keys",
    metadata,
    # Alternate dedup keys ("arxiv" | "title") from claims that differ from the paper's own arxiv_id/title_key,
    # which the papers table already indexes; keeping only alternates here halves bulk-import index work.
    Column("kind", String, primary_key=True),
    Column("value", String, primary_key=True),
    Column("paper_id", String, primary_key=True),
    Index("ix_paper_keys_paper", "paper_id"),
    sqlite_with_rowid=False,
)

paper_aliases = Table(
    "paper_aliases",
    metadata,
    Column("alias", String, primary_key=True),  # an id that was merged away
    Column("paper_id", String, nullable=False),
)

claims = Table(
    "claims",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String, nullable=False),
    Column("source_key", String, nullable=False),
    Column("paper_id", String, nullable=False, index=True),
    Column("observed", String(10)),
    Column("data", LargeBinary, nullable=False),  # PaperRecord.to_json
    UniqueConstraint("source", "source_key", name="uq_claims_source_key"),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("key", String, primary_key=True),
    Column("state", Text, nullable=False),
    Column("updated_at", String, nullable=False),
)

imports = Table(
    "imports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String, nullable=False),
    Column("checkpoint_key", String, nullable=False),
    Column("started_at", String, nullable=False),
    Column("finished_at", String),
    Column("records", Integer, nullable=False, default=0),
    Column("skipped", Integer, nullable=False, default=0),
    Column("detail", Text),  # JSON: skipped entries (file/line/field/message), page owner, options
)

counters = Table(
    "counters",
    metadata,
    Column("name", String, primary_key=True),
    Column("value", Integer, nullable=False),
)

# One sentence-embedding vector per paper (search/backends/faiss.py). ``label`` is the vector's id in the ANN index:
# AUTOINCREMENT so a deleted paper's label is never handed to another paper, and a re-embedded paper keeps
# its label (the row is updated in place). ``model`` + ``text_hash`` say when the vector is stale.
embeddings = Table(
    "embeddings",
    metadata,
    Column("label", Integer, primary_key=True, autoincrement=True),
    Column("paper_id", String, nullable=False),
    Column("model", String, nullable=False),
    Column("text_hash", String, nullable=False),
    Column("vector", LargeBinary, nullable=False),  # float32 little-endian, the model's dimension
    UniqueConstraint("paper_id", name="uq_embeddings_paper_id"),
    sqlite_autoincrement=True,
)

# Topics (migration 0010, openpapers/topics). A topic keeps its centroid and two local axes (float32 little-endian) so
# a new paper is placed without reclustering; ids are kept across rebuilds and never reused.
topics = Table(
    "topics", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("label", Text, nullable=False), Column("terms", Text, nullable=False),  # terms: JSON list, best first
    Column("size", Integer, nullable=False),
    Column("x", Float, nullable=False), Column("y", Float, nullable=False),  # the centre on the map
    Column("radius", Float, nullable=False), Column("scale", Float, nullable=False),
    Column("centroid", LargeBinary, nullable=False), Column("axes", LargeBinary, nullable=False),
    Column("build_id", Integer, nullable=False),
)
paper_topics = Table(
    "paper_topics", metadata,
    Column("paper_id", String, primary_key=True), Column("topic_id", Integer, nullable=False, index=True),
    Column("x", Float, nullable=False), Column("y", Float, nullable=False),
    Column("similarity", Float, nullable=False),  # cosine to the topic's centroid (centered vectors)
    Column("assigned", String, nullable=False),  # "build" | "import"
    sqlite_with_rowid=False,
)
topic_builds = Table(
    "topic_builds", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True), Column("built_at", String, nullable=False),
    Column("papers", Integer, nullable=False), Column("topics", Integer, nullable=False),
    Column("kept_ids", Integer, nullable=False), Column("silhouette", Float),
    Column("seconds", Float, nullable=False), Column("detail", Text, nullable=False),  # JSON: the k tried, ...
)

# ---------------------------------------------------------------------------------------------------------------
# People (accounts, their signals, their digests). Times are ISO-8601 UTC strings like the rest of the schema, so
# they sort and compare as text on every backend. ``paper_id`` columns hold the paper id at the time of the action;
# readers resolve merged-away ids through ``paper_aliases``. Deleting an account deletes every row with its
# ``user_id`` (accounts/service.py lists the tables), so no foreign keys are needed for that and bulk paper merges
# never touch these tables.

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String, nullable=False, unique=True),  # stored lower-cased: one account per mailbox
    Column("display_name", Text, nullable=False),
    Column("password_hash", String, nullable=False),  # argon2id, parameters inside the hash string
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("created_at", String, nullable=False),
    Column("digest_frequency", String, nullable=False, default="off"),  # off | daily | weekly
    Column("digest_sections", String, nullable=False, default="follows,recommendations,trending"),
    Column("disabled_at", String),  # set by an administrator: no login, sessions and tokens refused (0009)
)

# Server-side sessions: the cookie carries a random token, the table its SHA-256, so a stolen database does not
# yield live cookies, logout really ends a session, and any number of workers share them.
sessions = Table(
    "sessions",
    metadata,
    Column("id", String, primary_key=True),  # sha256 hex of the cookie token
    Column("user_id", Integer, nullable=False, index=True),
    Column("csrf_token", String, nullable=False),
    Column("created_at", String, nullable=False),
    Column("expires_at", String, nullable=False, index=True),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("token_hash", String, nullable=False, unique=True),
    Column("created_at", String, nullable=False),
    Column("last_used_at", String),
)

password_resets = Table(
    "password_resets",
    metadata,
    Column("token_hash", String, primary_key=True),
    Column("user_id", Integer, nullable=False, index=True),
    Column("created_at", String, nullable=False),
    Column("expires_at", String, nullable=False),
    Column("used_at", String),
)

# Sign-ups waiting for their address to confirm them (migration 0006): the account is created from the row.
signups = Table(
    "signups",
    metadata,
    Column("token_hash", String, primary_key=True),
    Column("email", String, nullable=False, index=True),
    Column("display_name", String, nullable=False),
    Column("password_hash", String, nullable=False),
    Column("next_url", String, nullable=False),
    Column("created_at", String, nullable=False),
    Column("expires_at", String, nullable=False),
)

# Failed logins (and reset requests), for rate limiting that holds across worker processes.
auth_attempts = Table(
    "auth_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String, nullable=False),  # e.g. "login:<email>", "login-ip:<address>"
    Column("at", String, nullable=False),
    Index("ix_auth_attempts_key_at", "key", "at"),
)

votes = Table(
    "votes",
    metadata,
    Column("user_id", Integer, primary_key=True),
    Column("paper_id", String, primary_key=True),
    Column("created_at", String, nullable=False),
    Index("ix_votes_paper", "paper_id"),
    Index("ix_votes_created", "created_at"),
)

library = Table(
    "library",
    metadata,
    Column("user_id", Integer, primary_key=True),
    Column("paper_id", String, primary_key=True),
    Column("tags", Text, nullable=False, default="[]"),  # JSON list of strings
    Column("note", Text, nullable=False, default=""),
    Column("created_at", String, nullable=False),
    Column("updated_at", String, nullable=False),
    Index("ix_library_paper", "paper_id"),
    Index("ix_library_created", "created_at"),
)

# "Not interested": negative feedback for recommendations; such papers never show in the personal feed again.
dismissals = Table(
    "dismissals",
    metadata,
    Column("user_id", Integer, primary_key=True),
    Column("paper_id", String, primary_key=True),
    Column("created_at", String, nullable=False),
)

follows = Table(
    "follows",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, nullable=False, index=True),
    Column("kind", String, nullable=False),  # author | org | category | search
    # author id, org id, category code; for a saved search the canonical JSON of {"q": ..., filters...}
    Column("target", Text, nullable=False),
    Column("label", Text, nullable=False),  # what to show: the author's name, "diffusion (cs.CV, has code)"
    Column("created_at", String, nullable=False),
    # whether the follow feeds the email digest (the Following page; migration 0011)
    Column("in_digest", Boolean, nullable=False, default=True, server_default=true()),
    UniqueConstraint("user_id", "kind", "target", name="uq_follows_user_kind_target"),
    Index("ix_follows_kind_target", "kind", "target"),
)

# Papers an admin put on a day's feed ("curated by the community").
featured = Table(
    "featured",
    metadata,
    Column("day", String(10), primary_key=True),
    Column("paper_id", String, primary_key=True),
    Column("user_id", Integer, nullable=False),
    Column("created_at", String, nullable=False),
)

# One row per (user, period) digest: the exactly-once ledger. The message is composed once and stored, so a
# resend after a crash sends the very same bytes (same Message-ID).
digest_outbox = Table(
    "digest_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, nullable=False, index=True),
    Column("period", String, nullable=False),  # "daily:2026-11-22" | "weekly:2026-W47"
    Column("status", String, nullable=False),  # pending | sending | sent | empty | failed
    Column("message_id", String),
    Column("message", LargeBinary),  # RFC 5322 bytes, NULL for "empty" (nothing new: no email)
    Column("claimed_by", String),
    Column("claimed_at", String),
    Column("attempts", Integer, nullable=False, default=0),  # real SMTP attempts of this row (not claims)
    Column("created_at", String, nullable=False),
    Column("sent_at", String),
    Column("error", Text),
    Column("next_attempt_at", String),  # a temporarily refused row waits until then (migration 0006)
    Column("takeovers", Integer, nullable=False, default=0, server_default="0"),  # claims from a dead sender
    UniqueConstraint("user_id", "period", name="uq_digest_outbox_user_period"),
    Index("ix_digest_outbox_status", "status"),
)

# Secrets every worker process must share (cookie and unsubscribe-token signing keys), created on first use.
app_secrets = Table(
    "app_secrets",
    metadata,
    Column("name", String, primary_key=True),
    Column("value", String, nullable=False),
)
