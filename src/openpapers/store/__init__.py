"""Storage. Callers use :func:`open_store` and the :class:`Store` interface, never SQL."""

from __future__ import annotations

from openpapers.config import Settings
from openpapers.store.base import ApplyResult, AuthorInfo, Store
from openpapers.store.sql import SqlStore, ensure_parent


def open_store(settings: Settings) -> Store:
    """Open (and create or migrate) the store the settings point at."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    ensure_parent(settings.database_url)
    return SqlStore(settings.database_url)


__all__ = ["ApplyResult", "AuthorInfo", "Store", "open_store"]
