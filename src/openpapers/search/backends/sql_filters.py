"""Search filters as SQL conditions on ``search_docs``, for both PostgreSQL retrievers.

Full-text search (:mod:`~openpapers.search.backends.pgfts`) and pgvector
(:mod:`~openpapers.search.backends.pgvector`) apply the same :class:`~openpapers.search.types.Filters` inside
their statements; one compiler keeps them restricting alike. Values are always bound parameters, never text
in the statement.
"""

from __future__ import annotations

from typing import Any

from openpapers.core.records import author_id, org_id
from openpapers.search.backends.tantivy_schema import category_terms
from openpapers.search.types import Filters


class SqlParams:
    """Collects named parameters while a query is compiled (``%(p0)s``, ``%(p1)s`` ...)."""

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}

    def bind(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"%({name})s"

    def tsq(self, config: str, text: str, weights: str) -> str:
        return f"op_weighted(phraseto_tsquery('{config}', {self.bind(text)}), '{weights}')"


def filter_conditions(sql: SqlParams, filters: Filters) -> list[str]:
    """One condition per set filter, on ``search_docs`` columns (unqualified: callers may prefix an alias)."""
    out: list[str] = []
    if filters.date_from:
        out.append(f"published >= {sql.bind(filters.date_from.isoformat())}")
    if filters.date_to:
        out.append(f"published <= {sql.bind(filters.date_to.isoformat())}")
    if filters.categories:
        cats = sorted({t for c in filters.categories for t in category_terms(c)[:1]})
        out.append(f"categories && {sql.bind(cats)}::text[]")
    if filters.authors:
        out.append(f"author_ids && {sql.bind(sorted({author_id(a) for a in filters.authors}))}::text[]")
    if filters.orgs:
        out.append(f"org_ids && {sql.bind(sorted({org_id(o) for o in filters.orgs}))}::text[]")
    if filters.has_code is not None:
        out.append(f"has_code = {sql.bind(bool(filters.has_code))}")
    if filters.paper_ids is not None:
        out.append(f"paper_id = ANY({sql.bind(sorted(filters.paper_ids))}::text[])")
    return out
