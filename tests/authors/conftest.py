"""Every test here runs on SQLite and on PostgreSQL (see tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _on_each_backend(backend_db: str | None) -> None:
    """Requesting ``backend_db`` puts the test in the backend matrix and gives it a database of its own."""
