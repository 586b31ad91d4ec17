"""Suite-wide settings, and the switch that runs the store, search and web tests on both backends.

Imports index what they import; embedding costs ~0.1–0.3 s per paper on two cores, so CLI tests that import the
demo corpus many times would spend minutes embedding the same papers. Tests therefore default to keyword-only
indexing on import (``OPENPAPERS_EMBED_ON_IMPORT=0``); tests/search and test_cli's own import-indexing test cover
the embedding path explicitly.

Two backends: every test under tests/store, tests/search and tests/web runs twice, ``[sqlite]`` and
``[postgresql]`` (the ``backend`` parameter; those folders' conftest.py request ``backend_db`` for every test),
and so does every store test of tests/digests and tests/signals/test_recommend.py (their data sets are built once
per backend and copied per test: :meth:`Backend.copy`) and of the top-level modules test_cli.py, test_ingest.py
and test_kill_resume.py (CLI subprocesses inherit the test's ``OPENPAPERS_DATABASE_URL``; ``no_sqlite_file``
fails a [postgresql] test that still wrote a SQLite file).
The PostgreSQL variant needs a server: ``OPENPAPERS_TEST_PG_URL``
(a superuser URL, e.g. ``postgresql://openpapers@127.0.0.1:5433/postgres``; ``.ci/run`` starts one). Each test
then gets a database of its own, created from a template that is migrated once per session (a file copy:
milliseconds), exported as ``OPENPAPERS_DATABASE_URL`` for the test and dropped after it. Fixtures that build
shared data at module or session scope ask ``backend.settings(path)`` for a database of their own instead.
Without the variable the PostgreSQL variants are skipped (locally) -- or fail, when ``CI`` is set, so that CI
can never pass by testing SQLite alone. Tests that are about SQLite itself are marked ``sqlite_only``.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from openpapers.core.settings import Settings

os.environ.setdefault("OPENPAPERS_EMBED_ON_IMPORT", "0")

# The shared read-only web app (web_settings, app, client, serve_env): used by the route tests of every feature.
pytest_plugins = ["helpers.webapp"]

PG_URL = os.environ.get("OPENPAPERS_TEST_PG_URL", "").strip()
BACKENDS = ("sqlite", "postgresql")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: about SQLite itself (files, WAL): not run on PostgreSQL")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" not in metafunc.fixturenames:
        return
    names = ["sqlite"] if metafunc.definition.get_closest_marker("sqlite_only") else list(BACKENDS)
    # Session scope: pytest then runs all [sqlite] tests before all [postgresql] ones, and session fixtures
    # (the web app's demo store) are built once per backend.
    metafunc.parametrize("backend", names, indirect=True, scope="session")


class Backend:
    """One backend of the test matrix: hands out fresh databases (PostgreSQL) or nothing (SQLite files)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._counter = itertools.count()
        self._template: str | None = None
        self._admin: object | None = None

    @property
    def is_postgres(self) -> bool:
        return self.name == "postgresql"

    def _admin_engine(self) -> object:
        if self._admin is None:
            from sqlalchemy import create_engine

            from openpapers.db.dialect import engine_url

            self._admin = create_engine(engine_url(PG_URL), isolation_level="AUTOCOMMIT", poolclass=_null_pool())
        return self._admin

    def _url(self, name: str) -> str:
        from sqlalchemy import make_url

        return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)

    def _sql(self, statement: str) -> None:
        with self._admin_engine().connect() as conn:  # type: ignore[attr-defined]
            conn.exec_driver_sql(statement)

    def new_database(self, *, migrated: bool = True) -> str:
        """A fresh PostgreSQL database (URL), migrated -- or, with ``migrated=False``, as empty as one a user
        creates (the first store opened on it creates the schema); dropped again by :meth:`drop`."""
        if not migrated:
            name = self._new_name()
            self._sql(f"CREATE DATABASE {name}")
            return self._url(name)
        if self._template is None:
            from openpapers.papers.store import Store

            self._template = f"op_test_tpl_{os.getpid()}"
            self._sql(f"DROP DATABASE IF EXISTS {self._template} WITH (FORCE)")
            self._sql(f"CREATE DATABASE {self._template}")
            store = Store(self._url(self._template))  # runs every migration once
            store.close()
        return self.clone_database(self._url(self._template))

    def clone_database(self, template_url: str) -> str:
        """A new PostgreSQL database (URL) copied from the database at ``template_url`` on the same server (which
        nothing may be connected to: close its stores first); dropped again by :meth:`drop`."""
        from sqlalchemy import make_url

        name = self._new_name()
        self._sql(f"CREATE DATABASE {name} TEMPLATE {make_url(template_url).database}")
        return self._url(name)

    def _new_name(self) -> str:
        return f"op_test_{os.getpid()}_{next(self._counter)}"

    def copy(self, settings: Settings, data_dir: Path) -> Settings:
        """A private copy of a data set built once (``settings``: its data dir and database) for one test: the
        data dir's files (the SQLite file and index files) copied to ``data_dir``, and on PostgreSQL a clone of
        its database. Drop the clone with ``drop(copy.database_url)``."""
        from openpapers.core.settings import resolve_settings

        shutil.copytree(settings.data_dir, data_dir, dirs_exist_ok=True)
        if self.is_postgres:
            return resolve_settings(data_dir, database_url=self.clone_database(settings.database_url))
        return resolve_settings(data_dir, database_url=self.database_url(data_dir))

    def drop(self, url: str) -> None:
        from sqlalchemy import make_url

        self._sql(f"DROP DATABASE IF EXISTS {make_url(url).database} WITH (FORCE)")

    def database_url(self, data_dir: Path, *, migrated: bool = True) -> str:
        """The database of a data set of its own at ``data_dir``: that dir's SQLite file, or a new PostgreSQL
        database (see :meth:`new_database`; drop it with :meth:`drop`)."""
        if self.is_postgres:
            return self.new_database(migrated=migrated)
        return f"sqlite:///{Path(data_dir).resolve()}/openpapers.db"

    def settings(self, data_dir: Path) -> object:
        """Settings for a data dir on this backend (a new database of its own on PostgreSQL)."""
        from openpapers.core.settings import resolve_settings

        return resolve_settings(data_dir, database_url=self.database_url(data_dir))

    def close(self) -> None:
        if self._template is not None:
            self._sql(f"DROP DATABASE IF EXISTS {self._template} WITH (FORCE)")
        if self._admin is not None:
            self._admin.dispose()  # type: ignore[attr-defined]


def _null_pool() -> type:
    from sqlalchemy.pool import NullPool

    return NullPool


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    name = getattr(request, "param", "sqlite")
    if name == "postgresql" and not PG_URL:
        reason = "OPENPAPERS_TEST_PG_URL is not set: PostgreSQL variants need a server (see .ci/run)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI is set but {reason}", pytrace=False)
        pytest.skip(reason)
    b = Backend(name)
    yield b
    b.close()


@pytest.fixture
def backend_db(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> Iterator[str | None]:
    """Point ``OPENPAPERS_DATABASE_URL`` at a fresh database for this test (PostgreSQL), or unset it (SQLite:
    each test's data dir has its own file)."""
    if not backend.is_postgres:
        monkeypatch.delenv("OPENPAPERS_DATABASE_URL", raising=False)
        yield None
        return
    url = backend.new_database()
    monkeypatch.setenv("OPENPAPERS_DATABASE_URL", url)
    yield url
    backend.drop(url)


@pytest.fixture
def database_for(backend: Backend) -> Iterator[Callable[..., str]]:
    """For tests that need several data sets at once (a reference import beside the one under test):
    ``database_for(data_dir, migrated=True)`` is the URL of a database of its own (:meth:`Backend.database_url`);
    the PostgreSQL ones are dropped after the test (close their stores first)."""
    made: list[str] = []

    def new(data_dir: Path, *, migrated: bool = True) -> str:
        url = backend.database_url(data_dir, migrated=migrated)
        if backend.is_postgres:
            made.append(url)
        return url

    yield new
    for url in made:
        backend.drop(url)


@pytest.fixture
def no_sqlite_file(backend: Backend, tmp_path: Path) -> Iterator[None]:
    """On PostgreSQL, fail a test that left a SQLite store under its ``tmp_path``: something (a child process's
    environment, an in-process open) missed ``OPENPAPERS_DATABASE_URL`` and fell back to the data dir's file, so
    part of the test ran on SQLite."""
    yield
    if backend.is_postgres:
        stray = sorted(str(p) for p in tmp_path.rglob("openpapers.db"))
        assert not stray, f"a [postgresql] test opened a SQLite store: {stray}"
