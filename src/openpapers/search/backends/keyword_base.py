"""What every keyword backend shares: request checks, how a search ran, and the ``search``/highlight wrapper.

tantivy (:mod:`~openpapers.search.backends.tantivy`) and PostgreSQL full-text search
(:mod:`~openpapers.search.backends.pgfts`) must refuse the same requests and answer with the same shapes, so
the checks and the public entry points live here once; a backend implements only :meth:`KeywordSearch.find`
(raw hits) and says where its hits' texts come from. Marking query words is left to
:mod:`openpapers.search.highlight`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field

from openpapers.search import highlight as hl
from openpapers.search.query import ParsedQuery, parse_query
from openpapers.search.types import Filters, Hit, QueryError

# Fewer papers than this match every word: the search relaxes to any word. A constant, not the page size, so
# that every page of one query counts and orders the same matches.
ANY_BELOW = 10
MAX_RESULT_WINDOW = 10_000  # offset + limit beyond this is refused: deep pages cost much and nobody reads them


def checked_request(
    query: str, filters: Filters | None, limit: int, offset: int
) -> tuple[Filters, ParsedQuery]:
    """Validate a keyword search request the same way on every backend: the page window, then the query.

    Raises :class:`QueryError` with a message for the reader (bad paging, a page past
    :data:`MAX_RESULT_WINDOW`, a query of only exclusions and no filters).
    """
    filters = filters or Filters()
    if limit < 1 or offset < 0:
        raise QueryError("limit must be at least 1 and offset at least 0")
    if offset + limit > MAX_RESULT_WINDOW:
        raise QueryError(f"results are available up to number {MAX_RESULT_WINDOW}: narrow the search")
    parsed = parse_query(query or "", allow_empty=not filters.is_empty())
    if not parsed.positive and filters.is_empty():
        raise QueryError("add a word to search for: a query of only -exclusions would match almost everything")
    return filters, parsed


@dataclass(slots=True)
class SearchInfo:
    """How a search ran: ``mode`` is "all" (every word matched), "any" (the fallback) or "newest" (nothing to
    rank by: filters or ``au:``/``cat:``/``org:`` only, listed newest first, ``Hit.score`` = days since 1970)."""

    mode: str
    total: int
    query: ParsedQuery


@dataclass(slots=True)
class Found:
    """A backend's answer before highlighting: the page of hits (no ``*_html`` set), the total, how it ran, and
    ``texts`` (paper id -> title, abstract) for the hits when they were asked for."""

    hits: list[Hit]
    total: int
    info: SearchInfo
    texts: Mapping[str, tuple[str, str | None]] = field(default_factory=dict)


class KeywordSearch(ABC):
    """Base of the keyword backends: public ``search``/``search_with_info`` over the backend's :meth:`find`."""

    @abstractmethod
    def find(self, query: str, filters: Filters | None, limit: int, offset: int, *, texts: bool) -> Found:
        """The raw page for a request (checked with :func:`checked_request`); with ``texts``, also the hits'
        title and abstract as this backend indexed them. Raises only :class:`QueryError`."""

    def search(
        self, query: str, filters: Filters | None = None, limit: int = 20, offset: int = 0, *, highlight: bool = True
    ) -> tuple[list[Hit], int]:
        """The best ``limit`` papers after ``offset`` for ``query`` within ``filters``, and the total count.

        ``query`` uses the syntax of :mod:`openpapers.search.query`. An empty query is allowed when filters
        are given and lists the filtered papers newest first. ``highlight=False`` leaves ``title_html`` and
        ``snippet_html`` None (for deep candidate lists that are fused and cut before display). Raises only
        :class:`QueryError`.
        """
        hits, total, _ = self.search_with_info(query, filters, limit, offset, highlight=highlight)
        return hits, total

    def search_with_info(
        self, query: str, filters: Filters | None = None, limit: int = 20, offset: int = 0, *, highlight: bool = True
    ) -> tuple[list[Hit], int, SearchInfo]:
        """:meth:`search`, also saying how it ran (which mode, the parsed query) for the UI and benchmarks."""
        found = self.find(query, filters, limit, offset, texts=highlight)
        if highlight:
            hl.mark_hits(found.hits, found.info.query, found.texts)
        return found.hits, found.total, found.info

    def catch_up(self) -> bool:
        """Start bringing a host-local copy up to date; True if started. Nothing to catch up by default."""
        return False
