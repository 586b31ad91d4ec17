"""``topic:ID`` in a query: a filter on the topic map's topics (docs/topics.md), not a ranked term.

Topic membership is not in the search indexes (a rebuild would reindex everything), so the service takes the
``topic:`` terms out of the query text, turns them into :attr:`Filters.topics`, and resolves those to paper ids
(:attr:`Filters.paper_ids`) which every retriever filters by. Several ``topic:`` terms mean any of them; excluding
a topic (``-topic:3``) is refused with a message, as is a topic id that is not a number.
"""

from __future__ import annotations

import re
from dataclasses import replace

from sqlalchemy import Engine

from openpapers.search.types import Filters, QueryError
from openpapers.topics.repository import papers_in

_TOPIC = re.compile(r"(?<![^\s(])(-?)topic:(\S*)", re.IGNORECASE)


def extract(query: str, filters: Filters | None) -> tuple[str, Filters | None]:
    """The query without its ``topic:`` terms, and the filters with their ids added."""
    found: list[int] = []

    def take(match: re.Match[str]) -> str:
        negated, value = match.group(1), match.group(2).strip(")")
        if negated:
            raise QueryError("a topic cannot be excluded (-topic:): search within the other topics instead")
        if not value.isdigit() or int(value) > 2**31:
            raise QueryError(f"topic: takes a topic id (a number, as on /topics), not {value!r}")
        found.append(int(value))
        return " "

    if "topic:" not in query.lower():
        return query, filters
    rest = _TOPIC.sub(take, query)
    if not found:
        return query, filters
    base = filters or Filters()
    return " ".join(rest.split()), replace(base, topics=sorted({*base.topics, *found}))


def resolve(engine: Engine, filters: Filters | None) -> Filters | None:
    """Filters with ``paper_ids`` set from ``topics`` (unknown topics contribute no papers)."""
    if filters is None or not filters.topics or filters.paper_ids is not None:
        return filters
    ids: set[str] = set()
    for topic in filters.topics:
        ids.update(papers_in(engine, topic))
    return replace(filters, paper_ids=frozenset(ids))
