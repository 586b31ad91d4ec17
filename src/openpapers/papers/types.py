"""The values the store hands out and takes (:class:`openpapers.papers.store.Store`), apart from the store itself.

They live in a module of their own so that the SQL modules behind the store (writer, browse) and the callers'
type hints can use them without importing the store and everything it pulls in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from openpapers.core.records import Paper


@dataclass(slots=True)
class ApplyResult:
    """What one batch did: papers created, papers changed, papers merged into others, claims written."""

    created: int = 0
    updated: int = 0
    merged: int = 0
    claims: int = 0
    paper_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class AuthorInfo:
    id: str
    name: str
    paper_count: int


@dataclass(slots=True)
class OrgInfo:
    id: str
    name: str
    paper_count: int


@dataclass(slots=True)
class PaperScope:
    """Which papers a listing means (all given conditions must hold).

    ``category`` is a full code (``cs.LG``) or an archive (``cs``: every cs.* code). ``day_from``/``day_to``
    (inclusive) match a paper *published* in the range or *featured* (Hugging Face daily) in it, because a daily
    feed shows both. ``has_code`` and ``undated`` narrow the All papers view.
    """

    author_id: str | None = None
    org_id: str | None = None
    category: str | None = None
    day_from: date | None = None
    day_to: date | None = None
    topic_id: int | None = None
    has_code: bool | None = None  # True: with a code link; False: without
    undated: bool = False  # only papers with no publication date (the All papers view reaches them this way)


@dataclass(slots=True)
class PaperSlice:
    """One page of a listing and how many papers the whole listing has."""

    papers: list[Paper]
    total: int


@dataclass(slots=True)
class Facet:
    """A value shared by papers of a scope (an author, an organisation, a category) and on how many it is."""

    id: str
    name: str
    count: int


@dataclass(slots=True)
class Overview:
    """What the store holds, for the home page's introduction: counts, the sources seen, the latest import."""

    papers: int
    undated: int
    sources: list[str]
    latest_import: str | None
