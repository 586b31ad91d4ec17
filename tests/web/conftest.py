"""A real SQLite store with the demo corpus plus crafted papers (hostile text, orgs, featured days, odd ids),
its keyword index, and the web app on it. Built once per session: every web test reads, none writes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from webdata import CRAFTED

from openpapers.config import resolve_settings
from openpapers.demo import load_demo
from openpapers.search.service import SearchService
from openpapers.store import open_store
from openpapers.web import create_app


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("web-demo")
    store = open_store(resolve_settings(data))
    try:
        load_demo(store)
        store.apply(CRAFTED)
        SearchService(store, data).sync(semantic=False)  # keyword only: hybrid must fall back gracefully
    finally:
        store.close()
    return data


@pytest.fixture(scope="session")
def app(data_dir: Path) -> FastAPI:
    return create_app(resolve_settings(data_dir))


@pytest.fixture(scope="session")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as c:
        yield c
