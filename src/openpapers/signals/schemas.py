"""Request and response shapes of what readers do and what it feeds: votes, library, dismissals, follows,
featured papers (the form actions' JSON answers and ``/api/me/…``), the trending view and the personal feed
(``/api/trending``, ``/api/for-you``)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from openpapers.papers.schemas import PaperSummary

Window = Literal["week", "month", "year", "all"]
MAX_TAGS = 20  # per library item (the spec says so, and :func:`openpapers.signals.actions.parse_tags` keeps to it)
FollowKind = Literal["author", "org", "category", "search", "collection", "topic"]


class RankedPaper(BaseModel):
    paper: PaperSummary
    score: float = Field(description="Comparable only within one list")
    reasons: list[str] = Field(description="Why the paper is here, for people (e.g. 'because you follow Qi Meng')")


class TrendingPaperOut(RankedPaper):
    votes: int = Field(description="Local upvotes within the window")
    saves: int = Field(description="Local library saves within the window")
    source_upvotes: int = Field(description="Hugging Face upvotes, counted when published/featured in the window")


class TrendingPage(BaseModel):
    day: date = Field(description="The score is computed as of the end of this day (UTC)")
    window_days: int
    half_life_hours: float
    formula: str
    papers: list[TrendingPaperOut]


class ForYouPage(BaseModel):
    window: Window = Field(description="How far back new papers are taken from")
    since: date | None = Field(description="Papers published or featured on/after this day; None: all papers")
    papers: list[RankedPaper]
    has_signals: bool = Field(description="False until the user saves, upvotes or follows something")


class VoteOut(BaseModel):
    paper_id: str
    voted: bool
    upvotes: int | None = Field(description="Sources' upvotes plus this site's votes")


class LibraryIn(BaseModel):
    """Fields left out keep their value (a new item starts with no tags and an empty note)."""

    tags: list[str] | None = Field(default=None, max_length=MAX_TAGS, description=f"at most {MAX_TAGS} tags")
    note: str | None = Field(default=None, max_length=10_000)


class LibraryItemOut(BaseModel):
    paper_id: str
    tags: list[str]
    note: str
    saved_at: str
    updated_at: str
    paper: PaperSummary | None = Field(description="None when the paper is no longer in the store")


class LibraryOut(BaseModel):
    total: int
    tags: list[str] = Field(description="Every tag used in the library, sorted")
    items: list[LibraryItemOut]


class SavedOut(BaseModel):
    """The library form's JSON answer."""

    paper_id: str
    saved: bool


class DismissalOut(BaseModel):
    paper_id: str
    dismissed: bool


class FollowIn(BaseModel):
    kind: FollowKind
    target: str | None = Field(default=None, max_length=200,
                               description="author id, org id, category code or topic id (not for kind=search)")
    q: str | None = Field(default=None, max_length=1000, description="kind=search: the query")
    category: list[str] = Field(default_factory=list, max_length=20, description="kind=search: filters")
    author: list[str] = Field(default_factory=list, max_length=20)
    org: list[str] = Field(default_factory=list, max_length=20)
    has_code: bool | None = None


class SavedSearchOut(BaseModel):
    """What a saved search searches for (the Following page's edit form)."""

    q: str = ""
    category: list[str] = []
    author: list[str] = []
    org: list[str] = []
    has_code: bool | None = None


class FollowUpdateIn(BaseModel):
    """A change to a follow: fields left out are kept. ``q`` and the filters apply to a saved search only and
    replace what it searches for (checked as the search page checks a search)."""

    label: str | None = Field(default=None, min_length=1, max_length=300, description="The name shown for it")
    in_digest: bool | None = Field(default=None, description="Whether it feeds your email digest")
    q: str | None = Field(default=None, max_length=1000)
    category: list[str] | None = Field(default=None, max_length=20)
    author: list[str] | None = Field(default=None, max_length=20)
    org: list[str] | None = Field(default=None, max_length=20)
    has_code: bool | None = None


class FollowOut(BaseModel):
    id: int
    kind: FollowKind
    target: str
    label: str
    url: str = Field(description="The page of what is followed")
    created_at: str
    in_digest: bool = Field(default=True, description="Whether it feeds your email digest")
    search: SavedSearchOut | None = Field(default=None, description="kind=search: what it searches for")


class FollowStateOut(BaseModel):
    """The follow form's JSON answer (``label`` is left out when an unfollow did not look the target up)."""

    kind: str
    target: str
    label: str | None = None
    following: bool


class FollowsOut(BaseModel):
    follows: list[FollowOut]


class FeatureOut(BaseModel):
    paper_id: str
    day: str
    featured: bool


class FeaturedDayOut(BaseModel):
    day: str
    day_url: str = Field(description="The day's feed, where these papers come first")
    total: int
    papers: list[PaperSummary] = Field(description="In the order they were featured")


class SubmitIn(BaseModel):
    arxiv: str = Field(min_length=1, max_length=300, description="An arXiv id or abs/pdf URL (2301.12345, "
                                                                "arXiv:2301.12345v2, https://arxiv.org/abs/…)")


class SubmissionOut(BaseModel):
    day: str = Field(description="The day whose feed shows it")
    day_url: str
    paper: PaperSummary
    new: bool = Field(default=False, description="True when this submission put it on that day's feed")


class SubmitPage(BaseModel):
    """The Submit a paper page: your submissions, newest first."""

    submissions: list[SubmissionOut]
