"""Every test of the web shell runs on SQLite and on PostgreSQL (tests/conftest.py); the shared read-only app is
in tests/helpers/webapp.py."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _on_each_backend(backend_db: str | None) -> None:
    """Requesting ``backend_db`` puts the test in the backend matrix and gives it a database of its own."""
