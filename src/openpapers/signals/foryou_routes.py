"""``/for-you`` and its twin ``/api/for-you`` (:mod:`openpapers.web.pages`): the signed-in user's personal feed
(:mod:`openpapers.signals.recommend`).

Login is required (HTML: redirect to /login; API: 401). Every answer is ``Cache-Control: private, no-store``: it
is one person's view. ``window`` says how far back "new" goes: the last week (default), month or year of the
corpus, or all papers (useful on a small or static instance such as the demo).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from openpapers.accounts.auth import require_user
from openpapers.accounts.service import User
from openpapers.papers import views
from openpapers.papers.schemas import ErrorOut
from openpapers.signals import candidates
from openpapers.signals import ranking_queries as ranking
from openpapers.signals import recommend as rec
from openpapers.signals.schemas import ForYouPage, RankedPaper
from openpapers.web import pages
from openpapers.web.context import ERRORS, Web, web

router = APIRouter()
LIMIT = 50
WINDOW_DAYS = {"week": 7, "month": 30, "year": 365}
SignedIn = Annotated[User, Depends(require_user)]
WindowParam = Annotated[str, Query(pattern="^(week|month|year|all)$",
                                   description="week (default), month, year or all: how far back new papers go")]


def since_of(w: Web, window: str) -> date:
    if window == "all":
        return rec.ALL_TIME
    latest = candidates.latest_day(w.store) or date.today()
    return latest - timedelta(days=WINDOW_DAYS[window] - 1)


def build(w: Web, user: User, window: str) -> ForYouPage:
    since = since_of(w, window)
    found = rec.recommend(w.store, user.id, since=since, limit=LIMIT, search=w.search)
    has_signals = bool(found) or not ranking.user_signals(w.store.db, user.id).is_empty()
    return ForYouPage(
        window=window,  # type: ignore[arg-type]
        since=None if since == rec.ALL_TIME else since,
        papers=[RankedPaper(paper=card, score=r.score, reasons=r.reasons)
                for r, card in zip(found, views.summaries(w.store, [r.paper for r in found]), strict=True)],
        has_signals=has_signals,
    )


def _context(_request: Request, _view: ForYouPage, args: dict[str, Any]) -> dict[str, Any]:
    return {"nav": "for-you", "api_url": f"/api/for-you?window={args['window']}",
            "windows": ("week", "month", "year", "all")}


@pages.page(router, "/for-you", template="foryou.html", context=_context, private=True, tags=["people"],
            responses={**ERRORS, 401: {"model": ErrorOut, "description": "Not logged in, or a bad API token"}},
            summary="The signed-in user's personal feed of new papers, each with its reasons")
def for_you_page(request: Request, user: SignedIn, window: WindowParam = "week") -> ForYouPage:
    return build(web(request), user, window)
