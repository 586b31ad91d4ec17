"""What the search service needs of its retrievers and its embedder, as Protocols.

The service (:mod:`openpapers.search.service`) runs on either pair of backends -- tantivy and faiss files on
SQLite, full-text search and pgvector inside PostgreSQL (see :mod:`openpapers.search.retrievers`) -- and must
not ask which one it has. These Protocols name every call it makes, so a backend that misses one is a type
error rather than an ``AttributeError`` in production, and the service needs no ``hasattr`` checks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

from openpapers.papers.store import Store
from openpapers.search.backends.keyword_base import Found, SearchInfo
from openpapers.search.types import Filters, Hit

Progress = Callable[[int], None]


class Embeds(Protocol):
    """What a vector index needs of an embedder (:class:`~openpapers.search.embed.Embedder`, or a stand-in)."""

    @property
    def dim(self) -> int: ...

    @property
    def model_id(self) -> str: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


class QueryEmbeds(Embeds, Protocol):
    """An embedder the service can also embed queries with (the real one caches repeated queries)."""

    def embed_query(self, query: str) -> np.ndarray: ...


class KeywordRetriever(Protocol):
    """Keyword search: :class:`~openpapers.search.backends.tantivy.KeywordIndex` (files),
    :class:`~openpapers.search.backends.pgfts.PgKeywordIndex` (PostgreSQL) and
    :class:`~openpapers.search.retrievers.HostKeywordIndex` (files kept from PostgreSQL)."""

    @property
    def last_seq(self) -> int:
        """The store change number the index is complete up to."""
        ...

    def refresh(self) -> None:
        """See other processes' latest commit now."""

    def count(self) -> int: ...

    def sync(self, store: Store, *, progress: Progress | None = None) -> int:
        """Index what changed since the last sync; returns how many papers were (re)indexed."""
        ...

    def rebuild(self, store: Store, *, progress: Progress | None = None) -> int: ...

    def search(
        self, query: str, filters: Filters | None = None, limit: int = 20, offset: int = 0, *, highlight: bool = True
    ) -> tuple[list[Hit], int]: ...

    def find(self, query: str, filters: Filters | None, limit: int, offset: int, *, texts: bool) -> Found:
        """The raw page, with the hits' title and abstract as indexed when ``texts``."""
        ...

    def search_with_info(
        self, query: str, filters: Filters | None = None, limit: int = 20, offset: int = 0, *, highlight: bool = True
    ) -> tuple[list[Hit], int, SearchInfo]: ...

    def catch_up(self) -> bool:
        """Start syncing a host-local copy if the store moved past it; True if started (False: nothing to do)."""
        ...


class VectorRetriever(Protocol):
    """Semantic search: :class:`~openpapers.search.backends.faiss.VectorIndex` (files) and
    :class:`~openpapers.search.backends.pgvector.PgVectorIndex` (PostgreSQL)."""

    @property
    def model_id(self) -> str | None: ...

    def count(self) -> int: ...

    def generation(self) -> str | int | None:
        """Moves whenever searchable vectors change (keys the web's response cache)."""
        ...

    def refresh(self) -> None: ...

    def sync(self, store: Store, embedder: Embeds, *, limit: int | None = None, newest_first: bool = True,
             progress: Progress | None = None) -> int: ...

    def pending(self, store: Store, embedder: Embeds) -> int: ...

    def search(self, vector: np.ndarray, k: int, *, allowed_labels: Sequence[int] | np.ndarray | None = None
               ) -> list[tuple[str, float]]: ...

    def search_within(self, store: Store, query: Callable[[], np.ndarray], k: int, filters: Filters
                      ) -> list[tuple[str, float]]:
        """The ``k`` nearest papers passing ``filters``; ``query()`` is called only when there is something to
        search (so a filter matching nothing never loads the model)."""
        ...

    def similar(self, paper_id: str, k: int) -> list[tuple[str, float]]: ...

    def labels_for(self, store: Store, filters: Filters) -> Sequence[int] | np.ndarray: ...
