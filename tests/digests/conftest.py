"""A demo-corpus store plus a crafted week of papers, copied fresh for every test (digest tests write), and a
real SMTP server (aiosmtpd on 127.0.0.1) that records what it accepts.

Every test that asks for ``data_dir`` runs on SQLite and on PostgreSQL (see tests/conftest.py): the data set is
built once per session and backend (a data dir with its SQLite file and keyword index, or a database with its
in-database keyword index), and each test gets a private copy (the directory copied; on PostgreSQL also a clone
of the database, exported as ``OPENPAPERS_DATABASE_URL`` so that ``resolve_settings(data_dir)``, the CLI and
child processes all use it, and dropped after the test). Tests that never touch the store stay single-run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers.notifydata import SmtpServer, crafted_papers
from openpapers.core.settings import Settings
from openpapers.papers.demo import load_demo
from openpapers.papers.store import open_store
from openpapers.search.service import SearchService


@pytest.fixture(scope="session")
def template_settings(tmp_path_factory: pytest.TempPathFactory, backend: Any) -> Iterator[Settings]:
    data = tmp_path_factory.mktemp("notify-template")
    settings = backend.settings(data)
    store = open_store(settings)
    try:
        load_demo(store)
        store.apply(crafted_papers())
        SearchService(store, data).sync(semantic=False)  # tantivy files on SQLite, in-database on PostgreSQL
    finally:
        store.close()  # nothing may stay connected to a PostgreSQL template database
    yield settings
    if backend.is_postgres:
        backend.drop(settings.database_url)


@pytest.fixture
def data_settings(
    template_settings: Settings, backend: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    """This test's own copy of the data set, also the default for ``resolve_settings`` (the environment)."""
    settings = backend.copy(template_settings, tmp_path / "data")
    if backend.is_postgres:
        monkeypatch.setenv("OPENPAPERS_DATABASE_URL", settings.database_url)
    else:
        monkeypatch.delenv("OPENPAPERS_DATABASE_URL", raising=False)  # the data dir's own SQLite file
    yield settings
    if backend.is_postgres:
        backend.drop(settings.database_url)
        assert not (settings.data_dir / "openpapers.db").exists(), "a [postgresql] test opened a SQLite store"


@pytest.fixture
def data_dir(data_settings: Settings) -> Path:
    return data_settings.data_dir


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        for k, v in server.env().items():
            monkeypatch.setenv(k, v)
        yield server
