"""The records that flow through openpapers: what a source says about a paper, and the merged paper.

Every source produces :class:`PaperRecord` objects ("claims"): one observation of one paper by one source at
one time. Claims are never edited or thrown away; the canonical :class:`Paper` is *derived* from all the claims
about it by :mod:`openpapers.papers.merge`, so a better source arriving later can change the merged view without any
information being lost, and the provenance of every merged field is known.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from anyascii import anyascii

# arXiv identifiers: new style (0704.0001, 2301.12345) and old style (hep-th/9901001, math.GT/0309136).
_ARXIV_NEW = re.compile(r"^(?:arxiv:)?(\d{4}\.\d{4,5})(v\d+)?$", re.IGNORECASE)
_ARXIV_OLD = re.compile(r"^(?:arxiv:)?([a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7})(v\d+)?$", re.IGNORECASE)
_ARXIV_URL = re.compile(r"arxiv\.org/(?:abs|pdf)/([^\s?#]+?)(?:\.pdf)?(?:[?#].*)?$", re.IGNORECASE)


def normalize_arxiv_id(raw: str | None) -> str | None:
    """Return the version-less arXiv id (``2301.12345``, ``hep-th/9901001``) or None if ``raw`` is not one.

    Accepts ``arXiv:`` prefixes, version suffixes and abs/pdf URLs, because sources spell ids all these ways
    and dedup must see one spelling.
    """
    if not raw:
        return None
    text = raw.strip()
    url = _ARXIV_URL.search(text)
    if url:
        text = url.group(1)
    m = _ARXIV_NEW.match(text)
    if m:
        return m.group(1)
    m = _ARXIV_OLD.match(text)
    if m:
        archive, number = m.group(1).split("/")
        return f"{archive.lower() if '.' not in archive else archive}/{number}"
    return None


def clean_text(text: str | None) -> str | None:
    """Collapse whitespace and strip; None for empty text. Sources wrap and indent freely.

    Most text only has single spaces and newlines, so the cheap replace handles it and the (10x slower)
    full split/join runs only when runs of whitespace remain; this sits on the bulk-import hot path.
    """
    if text is None:
        return None
    out = text.replace("\n", " ").strip()
    if "  " in out or "\t" in out or "\r" in out or "\xa0" in out:
        out = " ".join(out.split())
    return out or None


def fold(text: str) -> str:
    """Case-, accent- and script-insensitive ASCII form used for matching names and titles."""
    return anyascii(unicodedata.normalize("NFKC", text)).lower()


_NON_ALNUM = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=65_536)
def title_key(title: str) -> str:
    """Key that two spellings of one title share (case, accents, punctuation, LaTeX braces and spacing ignored)."""
    return _NON_ALNUM.sub("", fold(title))


def name_key(name: str) -> str:
    """Key for a person or organisation name: folded, punctuation removed, words kept in order."""
    return _NON_ALNUM.sub(" ", fold(name)).strip()


def slugify(text: str) -> str:
    """URL-safe slug, used for stable author and organisation ids."""
    return _NON_ALNUM.sub("-", fold(text)).strip("-") or "x"


@lru_cache(maxsize=200_000)
def author_id(name: str) -> str:
    """Stable author id derived from the normalised name, so every store agrees on it (cached: names repeat)."""
    return slugify(name_key(name))


def org_id(name: str) -> str:
    """Stable organisation id; listing pages already use slugs (``microsoft-research``)."""
    return slugify(name)


def paper_id_for(arxiv_id: str | None, title: str | None) -> str:
    """The id a new paper gets: its arXiv id when known, else ``t`` + a short hash of its title key.

    Ids never change after creation; a paper first seen without an arXiv id keeps its ``t…`` id and is also
    reachable through its arXiv id once one is learned (see the store's key table).
    """
    if arxiv_id:
        return arxiv_id
    digest = hashlib.sha1(title_key(title or "").encode()).hexdigest()[:12]
    return f"t{digest}"


@dataclass(slots=True)
class Version:
    """One arXiv version: ``version`` is 1-based, ``created`` is when it was submitted."""

    version: int
    created: datetime | None = None


@dataclass(slots=True)
class PaperRecord:
    """One claim: what ``source`` said about one paper when it was observed (``observed``).

    Fields a source does not know stay None / empty; merge treats them as "unknown", never as "no".
    ``source_key`` identifies the claim within its source so that re-importing the same input replaces the
    claim instead of duplicating it. ``location`` (file:line) is kept for error messages and provenance.
    """

    source: str
    source_key: str
    observed: date | None = None
    arxiv_id: str | None = None
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    authors_complete: bool = False
    author_count: int | None = None
    abstract: str | None = None
    categories: list[str] = field(default_factory=list)
    published: date | None = None
    updated: date | None = None
    versions: list[Version] = field(default_factory=list)
    withdrawn: bool | None = None
    code_urls: list[str] = field(default_factory=list)
    has_code: bool | None = None
    project_page: str | None = None
    orgs: list[str] = field(default_factory=list)
    upvotes: int | None = None
    doi: str | None = None
    journal_ref: str | None = None
    comments: str | None = None
    license: str | None = None
    featured_on: date | None = None
    keywords: list[str] = field(default_factory=list)
    location: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """JSON-safe dict (dates as ISO strings); inverse of :meth:`from_json`. (orjson.dumps(record) gives the
        same JSON directly and is what the store uses.)"""
        return {k: _jsonable(v) for k, v in _fields_of(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PaperRecord:
        rec = cls(source=data["source"], source_key=data["source_key"])
        for name in _RECORD_FIELDS:
            if name in ("source", "source_key") or name not in data:
                continue
            value = data[name]
            if name in _DATE_FIELDS and value is not None:
                value = date.fromisoformat(value)
            elif name == "versions":
                value = _versions(value)
            setattr(rec, name, value)
        return rec


_RECORD_FIELDS = [f.name for f in dataclasses.fields(PaperRecord)]
_DATE_FIELDS = {"observed", "published", "updated", "featured_on"}


def _versions(raw: list[dict[str, Any]] | None) -> list[Version]:
    return [
        Version(v["version"], datetime.fromisoformat(v["created"]) if v.get("created") else None) for v in raw or []
    ]


def _fields_of(obj: Any) -> list[tuple[str, Any]]:
    return [(f.name, getattr(obj, f.name)) for f in dataclasses.fields(obj)]


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Version):
        return {"version": value.version, "created": value.created.isoformat() if value.created else None}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


@dataclass(slots=True)
class Provenance:
    """Which claim supplied a merged field: the source name, the claim key and when it was observed."""

    source: str
    source_key: str
    observed: date | None


@dataclass(slots=True)
class Paper:
    """The canonical, merged paper. Built by :func:`openpapers.papers.merge.merge_records`, stored by the store."""

    id: str
    arxiv_id: str | None
    title: str
    authors: list[str]
    authors_complete: bool
    author_count: int | None
    abstract: str | None
    categories: list[str]
    published: date | None
    updated: date | None
    versions: list[Version]
    withdrawn: bool
    code_urls: list[str]
    has_code: bool
    project_page: str | None
    orgs: list[str]
    upvotes: int | None
    doi: str | None = None
    journal_ref: str | None = None
    comments: str | None = None
    license: str | None = None
    featured_on: date | None = None
    keywords: list[str] = field(default_factory=list)
    provenance: dict[str, Provenance] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)

    @property
    def author_ids(self) -> list[str]:
        return [author_id(a) for a in self.authors]

    @property
    def org_ids(self) -> list[str]:
        return [org_id(o) for o in self.orgs]

    def to_export(self) -> dict[str, Any]:
        """The documented export shape (``openpapers export --format jsonl``)."""
        return {
            "id": self.id,
            "arxiv_id": self.arxiv_id,
            "title": self.title,
            "authors": list(self.authors),
            "authors_complete": self.authors_complete,
            "author_count": self.author_count,
            "abstract": self.abstract,
            "categories": list(self.categories),
            "published": self.published.isoformat() if self.published else None,
            "updated": self.updated.isoformat() if self.updated else None,
            "versions": [_jsonable(v) for v in self.versions],
            "withdrawn": self.withdrawn,
            "has_code": self.has_code,
            "code_urls": list(self.code_urls),
            "project_page": self.project_page,
            "orgs": list(self.orgs),
            "upvotes": self.upvotes,
            "doi": self.doi,
            "journal_ref": self.journal_ref,
            "comments": self.comments,
            "license": self.license,
            "featured_on": self.featured_on.isoformat() if self.featured_on else None,
            "keywords": list(self.keywords),
            "sources": list(self.sources),
            "provenance": {
                k: {"source": p.source, "key": p.source_key, "observed": _jsonable(p.observed)}
                for k, p in self.provenance.items()
            },
        }

    @classmethod
    def from_export(cls, d: dict[str, Any]) -> Paper:
        """Inverse of :meth:`to_export`; also reads ``orjson.dumps(paper)``, the shape the store keeps."""

        def day(value: str | None) -> date | None:
            return date.fromisoformat(value) if value else None

        return cls(
            id=d["id"],
            arxiv_id=d.get("arxiv_id"),
            title=d["title"],
            authors=list(d.get("authors") or []),
            authors_complete=bool(d.get("authors_complete")),
            author_count=d.get("author_count"),
            abstract=d.get("abstract"),
            categories=list(d.get("categories") or []),
            published=day(d.get("published")),
            updated=day(d.get("updated")),
            versions=_versions(d.get("versions")),
            withdrawn=bool(d.get("withdrawn")),
            code_urls=list(d.get("code_urls") or []),
            has_code=bool(d.get("has_code")),
            project_page=d.get("project_page"),
            orgs=list(d.get("orgs") or []),
            upvotes=d.get("upvotes"),
            doi=d.get("doi"),
            journal_ref=d.get("journal_ref"),
            comments=d.get("comments"),
            license=d.get("license"),
            featured_on=day(d.get("featured_on")),
            keywords=list(d.get("keywords") or []),
            provenance={
                k: Provenance(p["source"], p.get("source_key", p.get("key", "")), day(p.get("observed")))
                for k, p in (d.get("provenance") or {}).items()
            },
            sources=list(d.get("sources") or []),
        )
