"""PostgreSQL search structures; a no-op on SQLite.

On PostgreSQL the keyword and vector indexes live in the database itself (shared by every worker) instead of
tantivy/faiss files under a data dir:

* every text column gets the "C" collation, so that text sorts and compares byte-wise as on SQLite (the
  category range ``>= 'cs.' AND < 'cs/'`` and all ORDER BYs mean the same on both backends);
* text search configurations ``op_en`` (unaccent + English Snowball stemmer, no stopwords: the tantivy
  analyzer's behaviour) and ``op_name`` (unaccent, no stemming: names);
* ``search_docs``: one row per paper with a weighted tsvector (title A, abstract B, authors C, organisations
  D; GIN index) and the filter columns, filled by the PostgreSQL keyword retriever's sync;
* ``embeddings.embedding``: a pgvector column beside the portable bytes, with an HNSW (cosine) index.

Revision ID: 0004_postgres
Revises: 0003_people
Create Date: 2026-11-22
"""

from alembic import op

from openpapers.db.extensions import require_extension

revision = "0004_postgres"
down_revision = "0003_people"
branch_labels = None
depends_on = None

# The shipped embedding model's dimension (data/models/*/model.json). A model of another size needs a migration
# that changes the column, because an HNSW index needs a fixed dimension.
DIM = 384
_TOKENS = "asciiword, word, numword, hword_asciipart, hword_part, hword_numpart"
# A hyphenated word is indexed by its parts only, as tantivy splits it: with the whole word indexed too,
# "second-order" became a phrase of three tokens that a title saying "Second Order" could not match.
_WHOLE_HYPHENATED = "asciihword, hword, numhword"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    columns = bind.exec_driver_sql(
        """SELECT c.table_name, c.column_name, c.data_type, c.character_maximum_length
             FROM information_schema.columns c
             JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
            WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
              AND c.table_name <> 'alembic_version' AND c.data_type IN ('character varying', 'text')
              AND coalesce(c.collation_name, '') <> 'C'
            ORDER BY c.table_name, c.ordinal_position"""
    ).all()
    for table, column, data_type, length in columns:
        kind = "text" if data_type == "text" else (f"varchar({length})" if length else "varchar")
        op.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE {kind} COLLATE "C"')

    # A server without them (or a role that may not create them) is one StoreError line, not a traceback.
    require_extension(bind, "vector")
    require_extension(bind, "unaccent")
    op.execute("CREATE TEXT SEARCH DICTIONARY op_en_stem (TEMPLATE = snowball, Language = english)")
    op.execute("CREATE TEXT SEARCH CONFIGURATION op_en (COPY = pg_catalog.simple)")
    op.execute(f"ALTER TEXT SEARCH CONFIGURATION op_en ALTER MAPPING FOR {_TOKENS} WITH unaccent, op_en_stem")
    op.execute(f"ALTER TEXT SEARCH CONFIGURATION op_en DROP MAPPING FOR {_WHOLE_HYPHENATED}")
    op.execute("CREATE TEXT SEARCH CONFIGURATION op_name (COPY = pg_catalog.simple)")
    op.execute(f"ALTER TEXT SEARCH CONFIGURATION op_name ALTER MAPPING FOR {_TOKENS} WITH unaccent, simple")
    op.execute(f"ALTER TEXT SEARCH CONFIGURATION op_name DROP MAPPING FOR {_WHOLE_HYPHENATED}")
    # A tsquery restricted to weights (fields): PostgreSQL has setweight() for tsvectors only, so the labels
    # are added to each quoted lexeme of the query's text form.
    op.execute(
        r"""CREATE FUNCTION op_weighted(q tsquery, w text) RETURNS tsquery
            LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
            $$ SELECT CASE WHEN numnode(q) = 0 THEN q
                           ELSE regexp_replace(q::text, '(''(?:[^'']|'''')*'')', '\1:' || w, 'g')::tsquery END $$"""
    )
    op.execute(
        """CREATE TABLE search_docs (
               paper_id varchar COLLATE "C" PRIMARY KEY,
               seq integer NOT NULL,
               published varchar(10) COLLATE "C",
               has_code boolean NOT NULL,
               categories text[] COLLATE "C" NOT NULL,
               author_ids text[] COLLATE "C" NOT NULL,
               org_ids text[] COLLATE "C" NOT NULL,
               embed_hash varchar COLLATE "C" NOT NULL,
               tsv tsvector NOT NULL)"""
    )
    op.execute("CREATE INDEX ix_search_docs_tsv ON search_docs USING gin (tsv)")
    for col in ("categories", "author_ids", "org_ids"):
        op.execute(f"CREATE INDEX ix_search_docs_{col} ON search_docs USING gin ({col})")
    op.execute("CREATE INDEX ix_search_docs_published ON search_docs (published)")
    op.execute(f"ALTER TABLE embeddings ADD COLUMN embedding vector({DIM})")
    op.execute("CREATE INDEX ix_embeddings_hnsw ON embeddings USING hnsw (embedding vector_cosine_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_embeddings_hnsw")
    op.execute("ALTER TABLE embeddings DROP COLUMN IF EXISTS embedding")
    op.execute("DROP TABLE IF EXISTS search_docs")
    op.execute("DROP FUNCTION IF EXISTS op_weighted(tsquery, text)")
    op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS op_name")
    op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS op_en")
    op.execute("DROP TEXT SEARCH DICTIONARY IF EXISTS op_en_stem")
