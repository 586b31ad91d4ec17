"""The JSON shapes of the topic pages (``/api/topics``, ``/api/topic/{id}``), shared by their HTML twins."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from openpapers.papers.schemas import FacetOut, PaperSummary


class TopicOut(BaseModel):
    id: int
    label: str = Field(description="The topic's three most distinctive terms")
    terms: list[str] = Field(description="Up to ten distinctive terms, best first (c-TF-IDF, phrases preferred)")
    size: int = Field(description="Papers in the topic")
    share: float = Field(description="Share of all placed papers")
    url: str
    api_url: str
    feed_url: str
    x: float = Field(description="Centre on the map (map units, see MapOut.view)")
    y: float


class MapPoint(BaseModel):
    id: str
    topic: int
    x: float
    y: float
    title: str
    url: str


class MapCell(BaseModel):
    """A square of the density layer: how many papers fall in it and which topic most of them belong to."""

    x: float
    y: float
    size: float
    count: int
    topic: int


class MapOut(BaseModel):
    view: list[float] = Field(description="SVG viewBox: min x, min y, width, height (map units)")
    total: int = Field(description="Papers matching the filters")
    shown: int = Field(description="Papers drawn as points (a fixed sample when there are more than max_points)")
    max_points: int
    sampled: bool
    points: list[MapPoint]
    cells: list[MapCell] = Field(description="Density layer (only when sampled)")
    colours: dict[str, str] = Field(description="Topic id -> colour")


class TopicsPage(BaseModel):
    topics: list[TopicOut]
    papers: int = Field(description="Papers with a topic")
    built_at: str | None = Field(description="When the topics were last rebuilt (UTC); None: never")
    silhouette: float | None = Field(description="Mean silhouette (cosine) of the last build")
    date_from: date | None
    date_to: date | None
    category: str | None
    map: MapOut


class MonthCount(BaseModel):
    month: str = Field(description="YYYY-MM")
    count: int


class NeighbourOut(BaseModel):
    id: int
    label: str
    size: int
    similarity: float = Field(description="Cosine between the topics' centroids")
    url: str


class TopicPage(TopicOut):
    months: list[MonthCount] = Field(description="Papers per month of publication")
    top_authors: list[FacetOut]
    orgs: list[FacetOut]
    categories: list[FacetOut]
    neighbours: list[NeighbourOut]
    sort: str
    page: int
    per_page: int
    pages: int
    total: int
    papers: list[PaperSummary]
