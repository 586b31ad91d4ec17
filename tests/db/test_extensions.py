"""A PostgreSQL server without pgvector (or a role that may not create it) is one StoreError line, not a traceback.

Both ways are made for real on the test server: a role without superuser rights owning a database made from
``template0`` (pgvector is not a trusted extension, so ``CREATE EXTENSION vector`` is refused to it), and an
entry of ``EXTENSIONS`` pointed at an extension name no server has. Either way the migration's transaction is
rolled back: the database stays empty, and a superuser creating the extension afterwards lets the same
command succeed. On SQLite there are no extensions: these tests are about PostgreSQL only.
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url
from sqlalchemy.pool import NullPool

from openpapers.core.errors import StoreError
from openpapers.core.settings import resolve_settings
from openpapers.db import extensions
from openpapers.db.dialect import engine_url
from openpapers.db.migrate import head_revision
from openpapers.papers.store import open_store

PG_URL = os.environ.get("OPENPAPERS_TEST_PG_URL", "").strip()
OPENPAPERS = Path(sys.executable).parent / "openpapers"


@pytest.fixture
def admin(backend_db: str | None) -> Iterator[Engine]:
    if backend_db is None:
        pytest.skip("about PostgreSQL extensions")
    engine = create_engine(engine_url(PG_URL), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    yield engine
    engine.dispose()


@pytest.fixture
def bare_database(admin: Engine) -> Iterator[tuple[str, str]]:
    """(URL as a plain role, database name): a database without extensions, owned by a role that is no superuser."""
    name = f"op_noext_{os.getpid()}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.exec_driver_sql(f"DROP ROLE IF EXISTS {name}")
        conn.exec_driver_sql(f"CREATE ROLE {name} LOGIN NOSUPERUSER")
        conn.exec_driver_sql(f"CREATE DATABASE {name} OWNER {name} TEMPLATE template0")
    url = make_url(PG_URL).set(username=name, password=None, database=name).render_as_string(hide_password=False)
    yield url, name
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.exec_driver_sql(f"DROP ROLE IF EXISTS {name}")


def tables(url: str) -> list[str]:
    engine = create_engine(engine_url(url), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return [r[0] for r in conn.exec_driver_sql(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")]
    finally:
        engine.dispose()


def test_role_that_may_not_create_pgvector_gets_one_line(bare_database: tuple[str, str], tmp_path: Path) -> None:
    url, name = bare_database
    with pytest.raises(StoreError) as caught:
        open_store(resolve_settings(tmp_path, database_url=url))
    message = str(caught.value)
    assert "\n" not in message
    assert "'vector' (pgvector)" in message and "permission denied" in message
    assert "a superuser must run `CREATE EXTENSION vector;`" in message
    assert tables(url) == []  # rolled back: not half a schema
    # the command a user runs: one line on stderr, no traceback, a non-zero exit
    env = {**os.environ, "OPENPAPERS_DATABASE_URL": url}
    result = subprocess.run([str(OPENPAPERS), "--data-dir", str(tmp_path), "stats"], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "CREATE EXTENSION vector" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    # what the message says to do works
    superuser = create_engine(engine_url(make_url(PG_URL).set(database=name).render_as_string(hide_password=False)),
                              isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with superuser.connect() as conn:
        conn.exec_driver_sql("CREATE EXTENSION vector")
    superuser.dispose()
    with open_store(resolve_settings(tmp_path, database_url=url)) as store:
        assert store.schema_revision() == head_revision()


def test_server_without_the_extension_names_the_package(bare_database: tuple[str, str], tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    url, _ = bare_database
    missing = dataclasses.replace(extensions.EXTENSIONS["vector"], sql_name="op_no_such_vector")
    monkeypatch.setitem(extensions.EXTENSIONS, "vector", missing)
    with pytest.raises(StoreError) as caught:
        open_store(resolve_settings(tmp_path, database_url=url))
    message = str(caught.value)
    assert "\n" not in message
    assert "lacks the 'op_no_such_vector' extension (pgvector)" in message
    assert re.search(r"install the pgvector package \(Debian/Ubuntu: postgresql-\d+-pgvector", message)
    assert tables(url) == []
