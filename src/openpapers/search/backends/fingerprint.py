"""Which database a set of index files was built from.

Both file-based indexes (tantivy keywords, faiss vectors) record the store they were built from and rebuild
when it changes, so the fingerprint lives here, apart from either of them, and both ask the same question the
same way.
"""

from __future__ import annotations

import hashlib
import uuid

from openpapers.db import checkpoints
from openpapers.papers.store import Store

STORE_ID_KEY = "search:store-id"  # a server database's own id (a derived-state row: `db copy` leaves it behind)


def url_fingerprint(store: Store) -> str:
    """The store's URL, hashed: URLs may carry passwords and the state files are plain text."""
    return hashlib.sha256(store.url.encode()).hexdigest()[:16]


def store_fingerprint(store: Store) -> str:
    """Which database index files were built from. An SQLite file is its URL (path); a server database has an id
    of its own, kept in it, so the same database reached by another URL (host name, port, a rotated password)
    is recognised and its files are not rebuilt for nothing. A hash either way: URLs may carry passwords and
    the state file is plain text."""
    if not store.db.is_postgres:
        return url_fingerprint(store)
    # Created once in the database's life; the first process to ask creates it (ours, or the one that won).
    state = checkpoints.get(store.db, STORE_ID_KEY) or checkpoints.put_if_missing(
        store.db, STORE_ID_KEY, {"id": uuid.uuid4().hex})
    return hashlib.sha256(state["id"].encode()).hexdigest()[:16]
