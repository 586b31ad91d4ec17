"""Merge claims about one paper into the canonical :class:`Paper`, field by field, keeping provenance.

Rules (documented in docs/merge.md, tested in tests/papers/test_merge.py):

* Every field is chosen independently; the winning claim is recorded in ``Paper.provenance``.
* Unknown (None / empty) never beats known.
* Authors: a complete list beats an incomplete one ("et al."); then the longer list; then source trust.
* Scalar text (title, abstract, ...): the most trusted source wins (arXiv > Hugging Face > listing pages);
  ties go to the most recent observation, then to the longer text.
* Upvotes: the most recent observation wins (counts change over time); ties take the larger count.
* Lists that accumulate (code URLs, organisations, keywords): union in first-seen order.
* has_code: True if any source saw code; False only if a source says so and none says True.
* Categories: the most trusted source's list (it knows the primary category), others appended.
* Versions: the longest version history.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from functools import partial
from typing import Any

from openpapers.core.records import Paper, PaperRecord, Provenance, name_key, normalize_arxiv_id, paper_id_for

# Higher is more trusted. Unknown sources rank lowest but above nothing.
SOURCE_TRUST: dict[str, int] = {
    "arxiv-api": 50,
    "arxiv-oai": 50,
    "arxiv-snapshot": 45,
    "hf-daily": 30,
    "listing": 10,
}

_SCALARS = (
    "title",
    "abstract",
    "published",
    "updated",
    "project_page",
    "doi",
    "journal_ref",
    "comments",
    "license",
    "featured_on",
    "arxiv_id",
)
_UNIONS = ("code_urls", "orgs", "keywords")
_MIN_DATE = date.min


def trust(rec: PaperRecord) -> int:
    return SOURCE_TRUST.get(rec.source, 0)


def _recency(rec: PaperRecord) -> date:
    return rec.observed or _MIN_DATE


def _prov(rec: PaperRecord) -> Provenance:
    return Provenance(rec.source, rec.source_key, rec.observed)


def _has_value(name: str, record: PaperRecord) -> bool:
    return getattr(record, name) not in (None, "")


def _best(
    records: Sequence[PaperRecord], present: Callable[[PaperRecord], bool], rank: Callable[[PaperRecord], Any]
) -> PaperRecord | None:
    candidates = [r for r in records if present(r)]
    return max(candidates, key=rank) if candidates else None


def _scalar_rank(name: str) -> Callable[[PaperRecord], Any]:
    def rank(rec: PaperRecord) -> Any:
        value = getattr(rec, name)
        length = len(value) if isinstance(value, str) else 0
        return (trust(rec), _recency(rec), length)

    return rank


def _authors_rank(rec: PaperRecord) -> Any:
    # An appended page owner makes a list longer but is a weaker fact than a shown name.
    return (rec.authors_complete, len(rec.authors), trust(rec), _recency(rec))


def _union(records: Sequence[PaperRecord], name: str, prov: dict[str, Provenance]) -> list[str]:
    ordered = sorted(records, key=lambda r: -trust(r))
    for rec in ordered:
        if dedup_items(getattr(rec, name)):
            prov[name] = _prov(rec)
            break
    return dedup_items([item for rec in ordered for item in getattr(rec, name)])


def merge_records(records: Sequence[PaperRecord], paper_id: str | None = None) -> Paper:
    """Merge all claims about one paper. ``paper_id`` keeps an existing paper's id stable."""
    if not records:
        raise ValueError("merge_records needs at least one record")
    if len(records) == 1:
        return _from_one(records[0], paper_id)
    # Ties between equally ranked claims go to the first one, and unions keep first-seen order: order the claims
    # by when they were observed (then by key) so that storage order never matters.
    records = sorted(records, key=lambda r: (_recency(r), r.source, r.source_key))
    prov: dict[str, Provenance] = {}
    chosen: dict[str, Any] = {}
    for name in _SCALARS:
        best = _best(records, partial(_has_value, name), _scalar_rank(name))
        chosen[name] = getattr(best, name) if best else None
        if best:
            prov[name] = _prov(best)
    arxiv_id = normalize_arxiv_id(chosen["arxiv_id"]) if chosen["arxiv_id"] else None

    authors_rec = _best(records, lambda r: bool(r.authors), _authors_rank)
    authors = list(authors_rec.authors) if authors_rec else []
    complete = bool(authors_rec and authors_rec.authors_complete)
    if authors_rec:
        prov["authors"] = _prov(authors_rec)
    # Authors known from other claims (e.g. an author page's owner) that the chosen list lacks are kept when the
    # chosen list is incomplete: losing a known author is worse than an unknown position.
    if not complete:
        have = {name_key(a) for a in authors}
        for rec in sorted(records, key=_authors_rank, reverse=True):
            for name in rec.authors:
                if name_key(name) not in have:
                    have.add(name_key(name))
                    authors.append(name)

    count_rec = _best(records, lambda r: r.author_count is not None, lambda r: (trust(r), _recency(r)))
    author_count = count_rec.author_count if count_rec else None
    if complete or (author_count is not None and author_count < len(authors)):
        author_count = len(authors)
    if count_rec:
        prov["author_count"] = _prov(count_rec)

    cat_rec = _best(records, lambda r: bool(r.categories), lambda r: (trust(r), _recency(r)))
    categories: list[str] = []
    for rec in ([cat_rec] if cat_rec else []) + [r for r in records if r is not cat_rec]:
        for cat in rec.categories:
            if cat not in categories:
                categories.append(cat)
    if cat_rec:
        prov["categories"] = _prov(cat_rec)

    ver_rec = _best(records, lambda r: bool(r.versions), lambda r: (len(r.versions), trust(r)))
    if ver_rec:
        prov["versions"] = _prov(ver_rec)

    up_rec = _best(records, lambda r: r.upvotes is not None, lambda r: (_recency(r), r.upvotes))
    if up_rec:
        prov["upvotes"] = _prov(up_rec)

    # Same trust and day: a withdrawal (or OAI deletion) is the newer fact.
    wd_rec = _best(records, lambda r: r.withdrawn is not None, lambda r: (trust(r), _recency(r), bool(r.withdrawn)))
    if wd_rec:
        prov["withdrawn"] = _prov(wd_rec)

    code_urls = _union(records, "code_urls", prov)
    orgs = _union(records, "orgs", prov)
    keywords = _union(records, "keywords", prov)
    code_said = [r for r in records if r.has_code is not None]
    has_code = bool(code_urls) or any(r.has_code for r in code_said)

    title = chosen["title"] or "(untitled)"
    return Paper(
        id=paper_id or paper_id_for(arxiv_id, title),
        arxiv_id=arxiv_id,
        title=title,
        authors=authors,
        authors_complete=complete,
        author_count=author_count,
        abstract=chosen["abstract"],
        categories=categories,
        published=chosen["published"],
        updated=chosen["updated"],
        versions=list(ver_rec.versions) if ver_rec else [],
        withdrawn=bool(wd_rec.withdrawn) if wd_rec else False,
        code_urls=code_urls,
        has_code=has_code,
        project_page=chosen["project_page"],
        orgs=orgs,
        upvotes=up_rec.upvotes if up_rec else None,
        doi=chosen["doi"],
        journal_ref=chosen["journal_ref"],
        comments=chosen["comments"],
        license=chosen["license"],
        featured_on=chosen["featured_on"],
        keywords=keywords,
        provenance=prov,
        sources=sorted({r.source for r in records}),
    )


def _from_one(rec: PaperRecord, paper_id: str | None) -> Paper:
    """The merge of a single claim, built directly: the common case of a bulk import, ~10x cheaper.

    Must agree with the general path (tests/papers/test_merge.py checks both on the same records).
    """
    p = _prov(rec)
    prov = {name: p for name in _SINGLE_FIELDS if getattr(rec, name) not in (None, "", [])}
    arxiv_id = normalize_arxiv_id(rec.arxiv_id) if rec.arxiv_id else None
    title = rec.title or "(untitled)"
    count = rec.author_count
    if (rec.authors_complete and rec.authors) or (count is not None and count < len(rec.authors)):
        count = len(rec.authors)
    return Paper(
        id=paper_id or paper_id_for(arxiv_id, title),
        arxiv_id=arxiv_id,
        title=title,
        authors=list(rec.authors),
        authors_complete=bool(rec.authors and rec.authors_complete),
        author_count=count,
        abstract=rec.abstract,
        categories=list(dict.fromkeys(rec.categories)),
        published=rec.published,
        updated=rec.updated,
        versions=list(rec.versions),
        withdrawn=bool(rec.withdrawn),
        code_urls=dedup_items(rec.code_urls),
        has_code=bool(rec.code_urls) or bool(rec.has_code),
        project_page=rec.project_page or None,
        orgs=dedup_items(rec.orgs),
        upvotes=rec.upvotes,
        doi=rec.doi or None,
        journal_ref=rec.journal_ref or None,
        comments=rec.comments or None,
        license=rec.license or None,
        featured_on=rec.featured_on,
        keywords=dedup_items(rec.keywords),
        provenance=prov,
        sources=[rec.source],
    )


_SINGLE_FIELDS = (*_SCALARS, "authors", "author_count", "categories", "versions", "upvotes", "withdrawn", *_UNIONS)


def dedup_items(items: list[str]) -> list[str]:
    """Items stripped, without repeats (case and a trailing slash ignored), in first-seen order."""
    out: list[str] = []
    seen: set[str] = set()
    for item in items:
        key = item.strip().rstrip("/").lower()
        if key and key not in seen:
            seen.add(key)
            out.append(item.strip())
    return out
