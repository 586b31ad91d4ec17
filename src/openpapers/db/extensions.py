"""The PostgreSQL extensions openpapers needs, and one clear line when one of them cannot be had.

The PostgreSQL schema (migration 0004) needs ``vector`` (pgvector: the embeddings column and its HNSW index)
and ``unaccent`` (the text search configurations). Both are server-side packages the operator installs; a
server without them used to end the first ``openpapers`` command with a RuntimeError traceback from inside
Alembic. :func:`require_extension` turns the two ways this goes wrong into a :class:`StoreError` that says what
to install or who must create the extension:

* the server does not have the extension at all (not in ``pg_available_extensions``): install the package;
* it has it but this role may not create it (pgvector is not a trusted extension: ``CREATE EXTENSION vector``
  needs a superuser once per database): ask a superuser to create it.

Either way the migration's transaction is rolled back, so the database is left as it was.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from openpapers.core.errors import StoreError


@dataclass(frozen=True, slots=True)
class Extension:
    """One extension: its SQL name, the project that provides it and how to install it (``{major}``: the
    server's major version)."""

    sql_name: str
    project: str
    install: str


# Looked up by name at call time, so a test can point an entry at an extension no server has.
EXTENSIONS: dict[str, Extension] = {
    "vector": Extension(
        "vector", "pgvector", "the pgvector package (Debian/Ubuntu: postgresql-{major}-pgvector; or build it: "
        "docs/deploy.md)"),
    "unaccent": Extension("unaccent", "PostgreSQL contrib", "PostgreSQL's contrib modules (postgresql-contrib)"),
}


def require_extension(conn: Connection, name: str) -> None:
    """Make sure extension ``name`` (a key of :data:`EXTENSIONS`) exists in the database, creating it if needed.

    Raises :class:`StoreError` (one line: what is missing and what to install or ask for) when the server lacks
    it or this role may not create it.
    """
    ext = EXTENSIONS[name]
    if conn.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = %s", (ext.sql_name,)).first():
        return
    database = conn.exec_driver_sql("SELECT current_database()").scalar_one()
    if not conn.exec_driver_sql("SELECT 1 FROM pg_available_extensions WHERE name = %s", (ext.sql_name,)).first():
        major = int(conn.exec_driver_sql("SHOW server_version_num").scalar_one()) // 10000
        raise StoreError(
            f"the PostgreSQL server of database {database!r} lacks the {ext.sql_name!r} extension ({ext.project}): "
            f"install {ext.install.format(major=major)} on the database server, then run `openpapers db migrate`"
        )
    try:
        conn.exec_driver_sql(f'CREATE EXTENSION IF NOT EXISTS "{ext.sql_name}"')
    except DBAPIError as exc:
        reason = str(exc.orig).strip()  # psycopg: the message, then its HINT on the next line
        raise StoreError(
            f"cannot create the PostgreSQL extension {ext.sql_name!r} ({ext.project}) in database {database!r}: "
            f"{reason.splitlines()[0] if reason else 'refused'}; a superuser must run "
            f"`CREATE EXTENSION {ext.sql_name};` there once, then run `openpapers db migrate`"
        ) from None
