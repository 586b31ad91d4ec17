"""The rows a merged paper and a claim are stored as: pure functions, shared by the write path and the
bulk loader's parsing process, so both write exactly the same bytes for the same papers.

Building rows is a third of an import's time on the bulk path, and none of it needs the database: the bulk
loader (:mod:`openpapers.papers.bulk_load`) builds them in its parsing process and the writer only adds
the page's ``seq``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from openpapers.core.records import Paper, PaperRecord, org_id, title_key

PAPER_COLUMNS = (
    "id",
    "arxiv_id",
    "title",
    "title_key",
    "published",
    "updated",
    "primary_category",
    "authors_complete",
    "author_count",
    "withdrawn",
    "has_code",
    "upvotes",
    "featured_on",
    "data",
    "seq",
)


def iso(d: Any) -> str | None:
    return d.isoformat() if d else None


def claim_row(rec: PaperRecord, paper_id: str) -> tuple[Any, ...]:
    """``claims`` row (source, source_key, paper_id, observed, data) for one claim of ``paper_id``."""
    return (rec.source, rec.source_key, paper_id, iso(rec.observed), orjson.dumps(rec))


@dataclass(slots=True)
class PaperRows:
    """The rows of ``papers`` (without their trailing ``seq``) and of the link tables for some papers."""

    papers: list[tuple[Any, ...]] = field(default_factory=list)
    authors: dict[str, str] = field(default_factory=dict)
    paper_authors: list[tuple[str, int, str]] = field(default_factory=list)
    orgs: dict[str, str] = field(default_factory=dict)
    paper_orgs: list[tuple[str, str]] = field(default_factory=list)
    paper_categories: list[tuple[str, str, int]] = field(default_factory=list)


def paper_rows(papers: Sequence[Paper], single: set[str]) -> PaperRows:
    """Rows for merged papers; papers in ``single`` have one claim and store no JSON (the claim is the paper).

    An author or organisation named by several papers gets the first paper's spelling (the tables insert or
    ignore, so a stored spelling stays)."""
    out = PaperRows()
    for p in papers:
        out.papers.append(
            (
                p.id,
                p.arxiv_id,
                p.title,
                title_key(p.title),
                iso(p.published),
                iso(p.updated),
                p.categories[0] if p.categories else None,
                p.authors_complete,
                p.author_count,
                p.withdrawn,
                p.has_code,
                p.upvotes,
                iso(p.featured_on),
                None if p.id in single else orjson.dumps(p),
            )
        )
        seen_authors: set[str] = set()
        for pos, (name, aid) in enumerate(zip(p.authors, p.author_ids, strict=True)):
            if aid in seen_authors:
                continue
            seen_authors.add(aid)
            out.authors.setdefault(aid, name)
            out.paper_authors.append((p.id, pos, aid))
        for oid, name in {org_id(o): o for o in p.orgs}.items():
            out.orgs.setdefault(oid, name)
            out.paper_orgs.append((p.id, oid))
        for pos, cat in enumerate(p.categories):
            out.paper_categories.append((p.id, cat, pos))
    return out
