"""Which retrievers a store gets: the seam between the search service and the backends.

SQLite stores search with per-data-dir index files (tantivy for keywords, faiss HNSW for vectors); PostgreSQL
stores search inside the database (full-text search, pgvector), so that any number of stateless workers share
one index and no worker keeps state that another would miss. Both kinds answer the same calls with the same
result types -- :class:`~openpapers.search.protocols.KeywordRetriever` and
:class:`~openpapers.search.protocols.VectorRetriever` -- so :class:`openpapers.search.service.SearchService` never
asks which one it has.

One choice for PostgreSQL: ``OPENPAPERS_KEYWORD_INDEX=local`` (``Settings.search.keyword_index``) keeps the
keyword index as tantivy files under each host's data dir instead (:class:`HostKeywordIndex`). PostgreSQL's
full-text search reads and scores every matching row, so a broad query over a million papers takes seconds;
tantivy answers it in tens of milliseconds. The files are a derived copy, synced from the database by store seq:
workers stay interchangeable, and a new host builds its copy by itself.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from openpapers.core.settings import SearchSettings, load_group
from openpapers.papers.store import Store
from openpapers.search.backends.fingerprint import store_fingerprint
from openpapers.search.backends.keyword_base import Found
from openpapers.search.backends.tantivy import IndexBusyError, KeywordIndex, default_path
from openpapers.search.protocols import KeywordRetriever, Progress, VectorRetriever
from openpapers.search.types import Filters

log = logging.getLogger(__name__)


def in_database(store: Store) -> bool:
    """True when the store's database holds the search indexes itself (PostgreSQL)."""
    return store.db.is_postgres


def keyword_retriever(store: Store, data_dir: str | Path, settings: SearchSettings | None = None) -> KeywordRetriever:
    """``settings``: the search group of the process's Settings (None: read from the environment, PostgreSQL only)."""
    if in_database(store):
        from openpapers.search.backends.pgfts import PgKeywordIndex

        if (settings or load_group(SearchSettings)).keyword_index == "local":
            return HostKeywordIndex(store, default_path(data_dir))
        return PgKeywordIndex(store)
    return KeywordIndex(default_path(data_dir))


class HostKeywordIndex(KeywordIndex):
    """A PostgreSQL store's keyword index as this host's tantivy files, kept current from the database.

    ``search_docs`` is still maintained in the database too (:meth:`sync` does both): pgvector's filters and the
    embedding queue read it. A process that did not make a change learns of it through :meth:`catch_up`, which
    the web's cache calls about once a second: when the store is ahead of the files, one background thread syncs
    them (one writer per host: a process that finds the files busy leaves it to the one writing)."""

    def __init__(self, store: Store, path: str | Path) -> None:
        from openpapers.search.backends.pgfts import PgKeywordIndex

        super().__init__(path)
        self.store = store
        self.database = PgKeywordIndex(store)
        self._catching_up = threading.Lock()
        self._fingerprint: str | None = None  # the database's id never changes: asked once

    def sync(self, store: Store, *, batch: int = 5000, progress: Progress | None = None) -> int:
        self.database.sync(store, progress=progress)
        return super().sync(store, batch=batch, progress=progress)

    def built(self) -> bool:
        """Whether the files hold this database's papers at all (a new host's first build takes minutes)."""
        state = self._read_state()
        if self._fingerprint is None:
            self._fingerprint = store_fingerprint(self.store)
        return bool(state.get("last_seq")) and state.get("store") == self._fingerprint

    def find(self, query: str, filters: Filters | None, limit: int, offset: int, *, texts: bool) -> Found:
        """From the files once they are built; until then from the database, so a new host answers at once."""
        if not self.built():
            return self.database.find(query, filters, limit, offset, texts=texts)
        return super().find(query, filters, limit, offset, texts=texts)

    def catch_up(self) -> bool:
        """Start syncing the files in the background if the database has moved past them; True if started."""
        if self.last_seq >= self.store.current_seq() or not self._catching_up.acquire(blocking=False):
            return False

        def run() -> None:
            try:
                KeywordIndex.sync(self, self.store)
            except IndexBusyError:
                pass  # another process on this host is writing the same files
            except Exception:  # the next call tries again; searches meanwhile use the files as they are
                log.warning("catching up the local keyword index failed", exc_info=True)
            finally:
                self._catching_up.release()

        threading.Thread(target=run, name="keyword-catch-up", daemon=True).start()
        return True


def vector_retriever(store: Store, data_dir: str | Path) -> VectorRetriever:
    if in_database(store):
        from openpapers.search.backends.pgvector import PgVectorIndex

        return PgVectorIndex(store)
    from openpapers.search.backends.faiss import VectorIndex, default_path

    return VectorIndex(default_path(data_dir))
