"""Small synthetic papers for the search tests: numbered, with predictable titles, dates, categories and code."""

from __future__ import annotations

from datetime import date
from typing import Any

from openpapers.core.records import PaperRecord


def paper(i: int, **kw: Any) -> PaperRecord:
    """Paper number ``i`` (arXiv id 2401.000i), any field overridden by ``kw``."""
    base: dict[str, Any] = dict(source="arxiv-api", source_key=f"2401.{i:05d}", arxiv_id=f"2401.{i:05d}",
                                observed=date(2026, 1, 1), title=f"Paper number {i} about topic {i % 7}",
                                abstract=f"Abstract {i}.", published=date(2024, 1, 1 + i % 28),
                                categories=["cs.LG" if i % 2 else "math.NA"], authors=[f"Author {i % 5}"],
                                has_code=i % 3 == 0)
    base.update(kw)
    return PaperRecord(**base)
