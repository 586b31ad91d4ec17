"""Response shapes of collections (the pages' JSON twins and the forms' JSON answers)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from openpapers.papers.schemas import PaperSummary

MAX_NAME, MAX_DESCRIPTION, MAX_NOTE = 100, 2000, 5000


class CollectionOut(BaseModel):
    id: int
    name: str
    description: str
    public: bool = Field(description="Public: anyone with the URL can read and follow it; private: its owner only")
    owner: str = Field(description="The owner's display name")
    size: int = Field(description="Number of papers")
    followers: int
    created_at: str
    updated_at: str
    url: str
    api_url: str
    feed_url: str = Field(description="Atom feed of the collection (public collections only)")
    bibtex_url: str
    mine: bool | None = Field(default=None, description="For a signed-in reader: whether they own it")
    following: bool | None = Field(default=None, description="For a signed-in reader: whether they follow it")


class CollectionItemOut(BaseModel):
    paper_id: str
    note: str
    added_at: str
    paper: PaperSummary | None = Field(description="None when the paper is no longer in the store")


class CollectionPage(BaseModel):
    collection: CollectionOut
    total: int = Field(description="Number of papers (all listed: a collection is one page)")
    items: list[CollectionItemOut]


class CollectionsPage(BaseModel):
    mine: list[CollectionOut] | None = Field(description="The signed-in reader's collections (None: anonymous)")
    public: list[CollectionOut] = Field(description="Public collections, most recently changed first")
    total_public: int
    page: int
    pages: int


class CollectionStateOut(BaseModel):
    """What a form did (answered to ``Accept: application/json``)."""

    collection_id: int
    paper_id: str | None = None
    in_collection: bool | None = None
    following: bool | None = None
    deleted: bool = False
