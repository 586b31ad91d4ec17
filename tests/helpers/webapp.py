"""The read-only web app every route test shares: a real store with the demo corpus plus crafted papers (hostile
text, orgs, featured days, odd ids), its keyword index, and the app on it. Built once per session and backend
(SQLite, then PostgreSQL: see tests/conftest.py); every test that uses it reads, none writes.

A pytest plugin (``pytest_plugins`` in tests/conftest.py), so that the route tests live beside their feature
(tests/papers, tests/search, tests/signals, ...) and still share one app instead of building one per folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from helpers.webdata import CRAFTED
from openpapers.core.settings import Settings
from openpapers.papers.demo import load_demo
from openpapers.papers.store import open_store
from openpapers.search.service import SearchService
from openpapers.web.app import create_app


@pytest.fixture(scope="session")
def web_settings(tmp_path_factory: pytest.TempPathFactory, backend: Any) -> Settings:
    data = tmp_path_factory.mktemp("web-demo")
    settings = backend.settings(data)
    store = open_store(settings)
    try:
        load_demo(store)
        store.apply(CRAFTED)
        SearchService(store, data).sync(semantic=False)  # keyword only: hybrid must fall back gracefully
    finally:
        store.close()
    return settings


@pytest.fixture(scope="session")
def data_dir(web_settings: Settings) -> Path:
    return web_settings.data_dir


@pytest.fixture(scope="session")
def serve_env(web_settings: Settings) -> dict[str, str]:
    """Environment for an ``openpapers --data-dir <data_dir> ...`` child process: the same database."""
    return {**os.environ, "OPENPAPERS_DATABASE_URL": web_settings.database_url}


@pytest.fixture(scope="session")
def app(web_settings: Settings) -> FastAPI:
    return create_app(web_settings)


@pytest.fixture(scope="session")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as c:
        yield c
