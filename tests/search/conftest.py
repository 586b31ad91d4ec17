"""Every test here runs on SQLite and on PostgreSQL (see tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from openpapers.papers.demo import load_demo
from openpapers.papers.store import open_store
from openpapers.search.service import SearchService


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, backend: Any) -> Iterator[SearchService]:
    """The search service over the demo corpus, indexed (keyword and vectors), on the backend under test."""
    data = tmp_path_factory.mktemp("search-demo")
    store = open_store(backend.settings(data))
    load_demo(store)
    svc = SearchService(store, data)
    svc.sync()
    yield svc
    store.close()


@pytest.fixture(autouse=True)
def _on_each_backend(backend_db: str | None) -> None:
    """Requesting ``backend_db`` puts the test in the backend matrix and gives it a database of its own."""
