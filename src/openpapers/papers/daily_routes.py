"""The daily feed: home (latest day with papers), ``/day/…``, ``/week/…``, ``/month/…`` and their JSON twins.

A period lists papers *published* in it or *featured* (Hugging Face daily) in it, most upvoted first. Prev/next
jump to the nearest period of the same kind that has papers, so arXiv's empty weekends never strand a reader; an
empty period (typed into the URL) says so and links the nearest days that have papers.
"""

from __future__ import annotations

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from openpapers.papers import views
from openpapers.papers.feed_periods import Period, PeriodError, parse_period, period_of
from openpapers.papers.schemas import FeedPage, PaperSummary
from openpapers.papers.types import PaperScope
from openpapers.signals import repository as signals
from openpapers.web.context import ERRORS, PageParam, SortParam, Web, bad_request, json, not_found, web

router = APIRouter()
PER_PAGE = 50


def build(w: Web, period: Period, sort: str, page: int) -> FeedPage:
    found = w.store.list_papers(
        PaperScope(day_from=period.start, day_to=period.end), order=sort, limit=PER_PAGE,
        offset=(page - 1) * PER_PAGE,
    )
    before, after = w.store.adjacent_days(period.start, period.end)
    return FeedPage(
        period=views.period_ref(period),
        start=period.start,
        end=period.end,
        sort=sort,
        page=page,
        per_page=PER_PAGE,
        pages=views.pages(found.total, PER_PAGE),
        total=found.total,
        papers=with_curated(w, period, page, views.summaries(w.store, found.papers)),
        prev=views.period_ref(period.containing(before)) if before else None,
        next=views.period_ref(period.containing(after)) if after else None,
        nearest_before=views.period_ref(period_of("day", before)) if before else None,
        nearest_after=views.period_ref(period_of("day", after)) if after else None,
        feed_url="/feeds/daily.atom",
    )


def with_curated(w: Web, period: Period, page: int, cards: list[PaperSummary]) -> list[PaperSummary]:
    """A day's feed starts with the papers an administrator featured on that day (badged ``curated``); they
    are left out of the ranked list below so none shows twice."""
    engine = getattr(w.store, "engine", None)
    if period.kind != "day" or engine is None:
        return cards
    ids = [pid for _, pid in signals.featured_between(engine, period.start.isoformat(), period.end.isoformat())]
    if not ids:
        return cards
    chosen = set(ids)
    rest = [c for c in cards if c.id not in chosen]
    if page != 1:
        return rest
    curated = views.summaries(w.store, w.store.get_papers(dict.fromkeys(ids)))
    for card in curated:
        card.curated = True
    return curated + rest


def _period(kind: str, key: str) -> Period:
    try:
        return parse_period(kind, key)
    except PeriodError as exc:
        raise bad_request(str(exc)) from None


def _latest(w: Web) -> Period:
    latest = w.store.latest_day()
    if latest is None:
        raise not_found("No paper")
    return period_of("day", latest)


_RELATED = {"day": ("week", "month"), "week": ("month",), "month": ()}


def _page(w: Web, view: FeedPage, *, home: bool = False) -> Response:
    related = [views.period_ref(period_of(kind, view.start)) for kind in _RELATED[view.period.kind]]
    return w.render(
        "period.html", view=view, home=home, related=related, nav=view.period.kind, api_url=view.period.api_url,
        canonical=view.period.url, feed_url=view.feed_url, feed_title="openpapers: daily papers",
    )


@router.get("/", include_in_schema=False)
def home(request: Request, sort: SortParam = "upvotes", page: PageParam = 1) -> Response:
    w = web(request)
    latest = w.store.latest_day()
    if latest is None:
        return w.render("empty_store.html", nav="day")
    return _page(w, build(w, period_of("day", latest), sort, page), home=True)


@router.get("/day/{day}", include_in_schema=False)
def day_page(request: Request, day: str, sort: SortParam = "upvotes", page: PageParam = 1) -> Response:
    w = web(request)
    return _page(w, build(w, _period("day", day), sort, page))


@router.get("/week/{week}", include_in_schema=False)
def week_page(request: Request, week: str, sort: SortParam = "upvotes", page: PageParam = 1) -> Response:
    w = web(request)
    return _page(w, build(w, _period("week", week), sort, page))


@router.get("/month/{month}", include_in_schema=False)
def month_page(request: Request, month: str, sort: SortParam = "upvotes", page: PageParam = 1) -> Response:
    w = web(request)
    return _page(w, build(w, _period("month", month), sort, page))


@router.get("/week", include_in_schema=False)
@router.get("/month", include_in_schema=False)
@router.get("/day", include_in_schema=False)
def current_period(request: Request) -> Response:
    """``/week`` and ``/month``: the period that holds the latest day with papers."""
    w = web(request)
    kind = request.url.path.strip("/")
    period = period_of(kind, _latest(w).start)
    return Response(status_code=307, headers={"Location": period.path})


# -- JSON twins -------------------------------------------------------------------------------------------------
@router.get("/api/latest", response_model=FeedPage, responses=ERRORS, tags=["feed"],
            summary="Papers of the latest day that has papers (the home page)")
def api_latest(request: Request, sort: SortParam = "upvotes", page: PageParam = 1) -> Response:
    w = web(request)
    return json(build(w, _latest(w), sort, page))


@router.get("/api/day/{day}", response_model=FeedPage, responses=ERRORS, tags=["feed"],
            summary="Papers of one day")
def api_day(request: Request, day: str = Path(description="YYYY-MM-DD", pattern=r"^\d{4}-\d{2}-\d{2}$"),
            sort: SortParam = "upvotes", page: PageParam = 1) -> Response:
    return json(build(web(request), _period("day", day), sort, page))


@router.get("/api/week/{week}", response_model=FeedPage, responses=ERRORS, tags=["feed"],
            summary="Papers of one ISO week")
def api_week(request: Request, week: str = Path(description="YYYY-Www, e.g. 2025-W50", pattern=r"^\d{4}-[Ww]\d{1,2}$"),
             sort: SortParam = "upvotes", page: PageParam = 1) -> Response:
    return json(build(web(request), _period("week", week), sort, page))


@router.get("/api/month/{month}", response_model=FeedPage, responses=ERRORS, tags=["feed"],
            summary="Papers of one month")
def api_month(request: Request, month: str = Path(description="YYYY-MM", pattern=r"^\d{4}-\d{2}$"),
              sort: SortParam = "upvotes", page: PageParam = 1) -> Response:
    return json(build(web(request), _period("month", month), sort, page))
