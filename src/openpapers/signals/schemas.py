"""Response shapes of the trending view and the personal feed (``/api/trending``, ``/api/for-you``)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from openpapers.papers.schemas import PaperSummary

Window = Literal["week", "month", "year", "all"]


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
