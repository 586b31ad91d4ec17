"""Shared vocabulary of the search layer: filters, parsed queries and hits.

The retrievers (keyword: :mod:`openpapers.search.backends.tantivy`, vectors:
:mod:`openpapers.search.backends.faiss`) and the
service that fuses them (:mod:`openpapers.search.service`) all speak these types, so the web, API and CLI see
one search whatever runs underneath.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(slots=True)
class Filters:
    """Restrictions applied *inside* every retriever (never by truncating a ranked list afterwards).

    ``categories`` match any of a paper's categories (``cs.LG``; an archive prefix like ``cs`` matches all of
    it); ``authors`` are author ids or names (normalised to ids); ``orgs`` are organisation ids or names. Lists
    are OR within a list and AND across lists.
    """

    date_from: date | None = None
    date_to: date | None = None
    categories: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    orgs: list[str] = field(default_factory=list)
    has_code: bool | None = None
    topics: list[int] = field(default_factory=list)  # topic ids (``topic:7`` in a query); any of them
    # Only these papers (None: no such restriction). Set by the search service, never from a URL: the papers of
    # ``topics``, resolved before the retrievers run (they filter by id); and, for the keyword side only, a few
    # semantic neighbours or feedback papers (which of them are keyword matches too; their stored texts).
    paper_ids: frozenset[str] | None = None

    def is_empty(self) -> bool:
        return not (self.date_from or self.date_to or self.categories or self.authors or self.orgs
                    or self.has_code is not None or self.topics or self.paper_ids is not None)


@dataclass(slots=True)
class Hit:
    """One result. ``score`` is comparable only within one result list. ``title_html``/``snippet_html`` are
    HTML-escaped text with matched terms wrapped in ``<mark>``; None when the retriever has no highlights.
    ``ranks`` says where each retriever placed the paper (1-based), which the UI shows as the reason."""

    paper_id: str
    score: float
    title_html: str | None = None
    snippet_html: str | None = None
    ranks: dict[str, int] = field(default_factory=dict)
    explain: dict[str, float | int | None] | None = None  # why it is here: see fusion.Scored.explain


class QueryError(ValueError):
    """A query that cannot be run, with a message meant for the person who typed it."""
