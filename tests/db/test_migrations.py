"""A database migrated to head has exactly the schema db/schema.py declares, on SQLite and PostgreSQL.

The code reads and writes through the tables declared in :mod:`openpapers.db.schema` while the database itself is
built by the Alembic migrations; this compares the two with Alembic's autogenerate (``compare_metadata``), so a
migration that forgets a column or index, or a declaration that drifts from the migrations, fails here instead
of on a user's database. Types are compared too; server defaults are not (see :data:`COMPARE_OPTS`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from openpapers.core.settings import resolve_settings
from openpapers.db.migrate import head_revision
from openpapers.db.schema_pg import EMBEDDING_DIM, Vector, metadata_for
from openpapers.papers.store import open_store

# compare_server_default is off: SQLite reports defaults as the literal text of the DDL and PostgreSQL as a
# normalised expression, so the same default compares unequal; defaults are set by the code on every insert.
COMPARE_OPTS: dict[str, Any] = {"compare_type": True, "compare_server_default": False}


# SQLAlchemy cannot reflect pgvector's type (it warns, and reads the column as NullType, whose type Alembic then
# does not compare): the column and its index are still compared, and its type is checked separately below.
@pytest.mark.filterwarnings("ignore:Did not recognize type 'vector':sqlalchemy.exc.SAWarning")
def test_migrated_database_matches_the_declared_schema(tmp_path: Path) -> None:
    with open_store(resolve_settings(tmp_path)) as store:
        assert store.schema_revision() == head_revision()
        with store.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts=COMPARE_OPTS)
            diff = compare_metadata(ctx, metadata_for(store.db.dialect))
            if store.db.is_postgres:
                vector_type = conn.exec_driver_sql(
                    "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                    "WHERE attrelid = 'embeddings'::regclass AND attname = 'embedding'").scalar_one()
                assert vector_type == Vector(EMBEDDING_DIM).get_col_spec()
    assert diff == [], "\n".join(map(repr, diff))
