"""The daily feed: home (latest day with papers), ``/day/…``, ``/week/…``, ``/month/…`` and their JSON twins
(``/api/``, also at ``/api/latest``; ``/api/day/…``, …), registered as pages (:mod:`openpapers.web.pages`).

A period lists papers *published* in it or *featured* (Hugging Face daily) in it, most upvoted first. Prev/next
jump to the nearest period of the same kind that has papers, so arXiv's empty weekends never strand a reader; an
empty period (typed into the URL) says so and links the nearest days that have papers.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from openpapers.core.url_keys import DAY_KEY, MONTH_KEY, WEEK_KEY
from openpapers.papers import views
from openpapers.papers.feed_periods import MAX_YEAR, MIN_YEAR, FeedPeriodError, Period, parse_period, period_of
from openpapers.papers.schemas import FeedPage, OverviewOut, PaperSummary
from openpapers.papers.types import PaperScope
from openpapers.signals import repository as signals
from openpapers.signals import submissions
from openpapers.web import pages
from openpapers.web.context import PageParam, SortParam, Web, bad_request, is_api, not_found, unprocessable, web

router = APIRouter()
PER_PAGE = 50
THIN = 20  # a latest day with fewer papers than this gets the newest papers of the days before it, up to RECENT
RECENT = 30


def build(w: Web, period: Period, sort: str, page: int) -> FeedPage:
    found = w.store.list_papers(
        PaperScope(day_from=period.start, day_to=period.end), order=sort, limit=PER_PAGE,
        offset=(page - 1) * PER_PAGE,
    )
    before, after = w.store.adjacent_days(period.start, period.end)
    cards, extra = with_curated(w, period, page, views.summaries(w.store, found.papers))
    total = found.total + extra
    return FeedPage(
        period=views.period_ref(period),
        start=period.start,
        end=period.end,
        sort=sort,
        page=page,
        per_page=PER_PAGE,
        pages=views.pages(found.total, PER_PAGE),
        total=total,
        papers=cards,
        prev=views.period_ref(period.containing(before)) if before else None,
        next=views.period_ref(period.containing(after)) if after else None,
        nearest_before=views.period_ref(period_of("day", before)) if before else None,
        nearest_after=views.period_ref(period_of("day", after)) if after else None,
        feed_url="/feeds/daily.atom",
    )


def with_curated(w: Web, period: Period, page: int, cards: list[PaperSummary]) -> tuple[list[PaperSummary], int]:
    """A day's feed starts with the papers an administrator featured on that day (badged ``curated``); they
    are left out of the ranked list below so none shows twice. Also returns how many of them the period's own
    count leaves out (featured papers published on another day), so that ``total`` is what the pages show."""
    if period.kind != "day":
        return cards, 0
    ids = [pid for _, pid in signals.featured_between(w.store.db, period.start.isoformat(), period.end.isoformat())]
    featured = set(ids)  # then the papers readers submitted that day ("submitted by …")
    by = {pid: name for _, pid, name in submissions.between(w.store.db, period.start, period.end)}
    ids += [pid for pid in by if pid not in featured]
    if not ids:
        return cards, 0
    chosen = set(ids)
    rest = [c for c in cards if c.id not in chosen]
    papers = w.store.get_papers(dict.fromkeys(ids))
    outside = sum(1 for p in papers if not any(d is not None and period.start <= d <= period.end
                                                for d in (p.published, p.featured_on)))
    if page != 1:
        return rest, outside
    curated = views.summaries(w.store, papers)
    for card in curated:
        card.submitted_by = by.get(card.id)
        card.curated = card.id in featured
    return curated + rest, outside


def _period(request: Request, kind: str, key: str) -> Period:
    """The page explains a bad key (400); the twin's path pattern already holds, so what it still refuses is a
    well-formed key that names no period (a week 53 in a year of 52): 422, :func:`unprocessable`."""
    try:
        return parse_period(kind, key)
    except FeedPeriodError as exc:
        raise (unprocessable if is_api(request.url.path) else bad_request)(str(exc)) from None


def _latest(w: Web) -> Period:
    latest = w.store.latest_day()
    if latest is None:
        raise not_found("No paper")
    return period_of("day", latest)


_RELATED = {"day": ("week", "month"), "week": ("month",), "month": ()}
DayKey = Annotated[str, Path(description=f"YYYY-MM-DD, a real day of {MIN_YEAR}–{MAX_YEAR}", pattern=DAY_KEY)]
WeekKey = Annotated[str, Path(description=f"YYYY-Www, e.g. 2025-W50 ({MIN_YEAR}–{MAX_YEAR})", pattern=WEEK_KEY)]
MonthKey = Annotated[str, Path(description=f"YYYY-MM ({MIN_YEAR}–{MAX_YEAR})", pattern=MONTH_KEY)]


def _context(request: Request, view: FeedPage, _args: dict[str, Any]) -> dict[str, Any]:
    related = [views.period_ref(period_of(kind, view.start)) for kind in _RELATED[view.period.kind]]
    return {"home": request.url.path == "/", "related": related, "nav": view.period.kind,
            "api_url": view.period.api_url, "canonical": view.period.url, "feed_url": view.feed_url,
            "feed_title": "openpapers: daily papers"}


# Each period page and its JSON twin (/api/day/…); the twin's path patterns are in the spec, the pages explain a
# malformed key in words instead (400).
@pages.page(router, "/", template="period.html", context=_context, tags=["feed"], aliases=("/api/latest",),
            summary="Papers of the latest day that has papers (the home page)")
def home(request: Request, sort: SortParam = "upvotes", page: PageParam = 1) -> FeedPage | Response:
    w = web(request)
    latest = max((d for d in (w.store.latest_day(), submissions.latest_day(w.store.db)) if d), default=None)
    if latest is None:
        if is_api(request.url.path):
            raise not_found("No paper")
        return w.render("empty_store.html", nav="day")
    view = build(w, period_of("day", latest), sort, page)
    about = w.store.overview()
    view.overview = OverviewOut(papers=about.papers, undated=about.undated, sources=about.sources,
                                latest_import=datetime.fromisoformat(about.latest_import)
                                if about.latest_import else None)
    if page == 1 and view.total < THIN:
        view.recent = recent_papers(w, view)
    return view


def recent_papers(w: Web, view: FeedPage) -> list[PaperSummary]:
    """A thin latest day (one paper, say) is a poor first page: the newest papers published before it follow,
    so a newcomer sees 20–50 papers as on Hugging Face's daily page."""
    shown = {c.id for c in view.papers}
    found = w.store.list_papers(PaperScope(day_to=view.start - timedelta(days=1)), order="newest",
                                limit=RECENT + len(shown))
    return views.summaries(w.store, [p for p in found.papers if p.id not in shown][:RECENT])


@pages.page(router, "/day/{day}", template="period.html", context=_context, tags=["feed"],
            summary="Papers of one day", api_params={"day": DayKey})
def day_page(request: Request, day: str, sort: SortParam = "upvotes", page: PageParam = 1) -> FeedPage:
    return build(web(request), _period(request, "day", day), sort, page)


@pages.page(router, "/week/{week}", template="period.html", context=_context, tags=["feed"],
            summary="Papers of one ISO week", api_params={"week": WeekKey})
def week_page(request: Request, week: str, sort: SortParam = "upvotes", page: PageParam = 1) -> FeedPage:
    return build(web(request), _period(request, "week", week), sort, page)


@pages.page(router, "/month/{month}", template="period.html", context=_context, tags=["feed"],
            summary="Papers of one month", api_params={"month": MonthKey})
def month_page(request: Request, month: str, sort: SortParam = "upvotes", page: PageParam = 1) -> FeedPage:
    return build(web(request), _period(request, "month", month), sort, page)


@router.get("/week", include_in_schema=False)
@router.get("/month", include_in_schema=False)
@router.get("/day", include_in_schema=False)
def current_period(request: Request) -> Response:
    """``/week`` and ``/month``: the period that holds the latest day with papers."""
    w = web(request)
    kind = request.url.path.strip("/")
    period = period_of(kind, _latest(w).start)
    return Response(status_code=307, headers={"Location": period.path})
