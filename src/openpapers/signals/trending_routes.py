"""``/trending`` and its twin ``/api/trending`` (:mod:`openpapers.web.pages`): papers ranked by the decayed score
of :mod:`openpapers.signals.trending`, each with its reasons. The page is the same for everyone (no per-visitor
data), so shared caches may keep it."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from openpapers.core.url_keys import DAY_KEY
from openpapers.papers import views
from openpapers.signals import trending as tr
from openpapers.signals.schemas import TrendingPage, TrendingPaperOut
from openpapers.web import pages
from openpapers.web.context import Web, bad_request, web

router = APIRouter()
LIMIT = 50
FORMULA = ("score = Σ votes 1.0·2^(−age_h/{h:g}) + Σ saves 1.5·2^(−age_h/{h:g}) "
           "+ log2(1 + source upvotes)·2^(−age_h/{h:g}) over the last {w} days")
DayParam = Annotated[str | None, Query(description="YYYY-MM-DD (default: the latest day with papers or signals)",
                                       max_length=10)]
# The twin's day in the spec: a real day (the page reads any string and explains a bad one)
ApiDayParam = Annotated[str | None, Query(description="YYYY-MM-DD (default: the latest day with papers or signals)",
                                          pattern=DAY_KEY)]
WindowParam = Annotated[int, Query(ge=1, le=30, description="Window in days (default 7)")]


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise bad_request(f"day must be a date like 2025-12-11, not {value!r}") from None


def build(w: Web, day: date | None, window: int) -> TrendingPage:
    day = day or tr.default_day(w.store)
    found = tr.trending(w.store, day=day, window_days=window, limit=LIMIT)
    return TrendingPage(
        day=day, window_days=window, half_life_hours=tr.HALF_LIFE_HOURS,
        formula=FORMULA.format(h=tr.HALF_LIFE_HOURS, w=window),
        papers=[TrendingPaperOut(paper=card, score=t.score, reasons=t.reasons, votes=t.votes, saves=t.saves,
                                 source_upvotes=t.source_upvotes)
                for t, card in zip(found, views.summaries(w.store, [t.paper for t in found]), strict=True)],
    )


def _context(_request: Request, view: TrendingPage, args: dict[str, Any]) -> dict[str, Any]:
    day, window = args["day"], args["window"]
    query = f"?day={view.day.isoformat()}&window={window}" if day else ("" if window == 7 else f"?window={window}")
    return {"nav": "trending", "api_url": "/api/trending" + query, "canonical": "/trending" + query,
            "windows": (1, 3, 7, 30), "window": window, "day_given": bool(day)}


@pages.page(router, "/trending", template="trending.html", context=_context, tags=["people"],
            summary="Trending papers: time-decayed upvotes and library saves, with reasons",
            api_params={"day": ApiDayParam})
def trending_page(request: Request, day: DayParam = None, window: WindowParam = 7) -> TrendingPage:
    return build(web(request), _day(day), window)
