"""``/topics`` (the map), ``/topic/{id}`` (one topic) with their JSON twins (:mod:`openpapers.web.pages`), and
``/feeds/topic/{id}.atom``. The pages are the same for every visitor, so shared caches may keep them."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from openpapers.core.url_keys import DAY_KEY
from openpapers.papers import views
from openpapers.papers.atom import atom
from openpapers.papers.types import PaperScope
from openpapers.topics import map_view
from openpapers.topics import repository as repo
from openpapers.topics.schemas import MonthCount, NeighbourOut, TopicOut, TopicPage, TopicsPage
from openpapers.web import pages
from openpapers.web.context import CATEGORY, ERRORS, PageParam, SortParam, Web, bad_request, not_found, web

router = APIRouter()
PER_PAGE = 30
NEIGHBOURS = 6
FEED_ENTRIES = 50
TopicId = Path(ge=1, le=2**31 - 1, description="A topic id (GET /api/topics lists them)")
DayParam = Annotated[str | None, Query(description="YYYY-MM-DD: papers published on or after / before it",
                                       max_length=10)]
CategoryParam = Annotated[str | None, Query(description="An arXiv category (cs.LG) or archive (cs)", max_length=41)]
# The twin's parameters in the spec: real days and category codes (the page reads any string and explains a bad one)
_API_FROM = Annotated[str | None, Query(alias="from", pattern=DAY_KEY, description="YYYY-MM-DD: published on or after")]
_API_TO = Annotated[str | None, Query(alias="to", pattern=DAY_KEY, description="YYYY-MM-DD: published on or before")]
_API_CATEGORY = Annotated[str | None, Query(pattern=CATEGORY, max_length=41,
                                            description="An arXiv category (cs.LG) or archive (cs)")]


def _day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise bad_request(f"{name} must be a date like 2025-12-11, not {value!r}") from None


def _topic_out(row: repo.TopicRow, total: int) -> TopicOut:
    url = views.topic_url(row.id)
    return TopicOut(id=row.id, label=row.label, terms=row.terms, size=row.size,
                    share=round(row.size / total, 4) if total else 0.0, url=url, api_url=views.api(url),
                    feed_url=f"/feeds/topic/{row.id}.atom", x=round(row.x, 4), y=round(row.y, 4))


def build_topics(w: Web, date_from: date | None, date_to: date | None, category: str | None) -> TopicsPage:
    import re

    if category is not None and not re.match(CATEGORY, category):
        raise bad_request("category must be an arXiv code like cs.LG or an archive like cs")
    rows = repo.topics(w.store.engine)
    build = repo.last_build(w.store.engine)
    total = sum(r.size for r in rows)
    shown = map_view.build_map(w.store.engine, int(build["id"]) if build else 0, rows, day_from=date_from,
                               day_to=date_to, category=category)
    return TopicsPage(topics=[_topic_out(r, total) for r in rows], papers=total,
                      built_at=build["built_at"] if build else None,
                      silhouette=build["silhouette"] if build else None, date_from=date_from, date_to=date_to,
                      category=category, map=shown)


def _neighbours(rows: list[repo.TopicRow], me: repo.TopicRow) -> list[NeighbourOut]:
    others = [r for r in rows if r.id != me.id]
    if not others:
        return []
    sims = np.stack([r.centroid for r in others]) @ me.centroid
    order = np.argsort(-sims, kind="stable")[:NEIGHBOURS]
    return [NeighbourOut(id=others[i].id, label=others[i].label, size=others[i].size,
                         similarity=round(float(sims[i]), 4), url=views.topic_url(others[i].id))
            for i in order.tolist()]


def find_topic(w: Web, topic_id: int) -> tuple[repo.TopicRow, list[repo.TopicRow]]:
    rows = repo.topics(w.store.engine)
    me = next((r for r in rows if r.id == topic_id), None)
    if me is None:
        raise not_found(f"Topic {topic_id}")
    return me, rows


def build_topic(w: Web, topic_id: int, page: int, sort: str) -> TopicPage:
    me, rows = find_topic(w, topic_id)
    scope = PaperScope(topic_id=topic_id)
    found = w.store.list_papers(scope, order=sort, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    facets = {kind: [views.facet(kind, f) for f in w.store.facets(scope, kind, limit=limit)]
              for kind, limit in (("author", 20), ("org", 12), ("category", 12))}
    base = _topic_out(me, sum(r.size for r in rows))
    return TopicPage(**base.model_dump(), months=[MonthCount(month=m, count=n)
                                                  for m, n in repo.months(w.store.engine, topic_id)],
                     top_authors=facets["author"], orgs=facets["org"], categories=facets["category"],
                     neighbours=_neighbours(rows, me), sort=sort, page=page, per_page=PER_PAGE,
                     pages=views.pages(found.total, PER_PAGE), total=found.total,
                     papers=views.summaries(w.store, found.papers))


def _topics_context(_request: Request, view: TopicsPage, _args: dict[str, Any]) -> dict[str, Any]:
    return {"nav": "topics", "canonical": "/topics"}


def _topic_context(_request: Request, view: TopicPage, _args: dict[str, Any]) -> dict[str, Any]:
    return {"nav": "topics", "canonical": view.url, "feed_url": view.feed_url,
            "feed_title": f"openpapers topic: {view.label}", "chart": month_chart(view.months)}


def month_chart(months: list[MonthCount], width: int = 600, height: int = 120) -> dict[str, Any]:
    """Bars of a small SVG chart (papers per month), with the months between filled in as zero."""
    if not months:
        return {"bars": [], "width": width, "height": height, "max": 0, "first": None, "last": None}
    counts = {m.month: m.count for m in months}
    y0, m0 = map(int, months[0].month.split("-"))
    y1, m1 = map(int, months[-1].month.split("-"))
    keys: list[str] = []
    y, m = y0, m0
    while (y, m) <= (y1, m1) and len(keys) < 600:
        keys.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    top = max(counts.values())
    step = width / len(keys)
    bars = [{"x": round(i * step, 2), "w": round(max(step - 1, 0.5), 2), "h": round(height * counts.get(k, 0) / top, 2),
             "month": k, "count": counts.get(k, 0)} for i, k in enumerate(keys)]
    return {"bars": bars, "width": width, "height": height, "max": top, "first": keys[0], "last": keys[-1]}


@pages.page(router, "/topics", template="topics.html", context=_topics_context, tags=["topics"],
            summary="Topics: every topic with its size and label, and the 2-D map of the papers",
            api_params={"date_from": _API_FROM, "date_to": _API_TO, "category": _API_CATEGORY})
def topics_page(request: Request, date_from: Annotated[DayParam, Query(alias="from")] = None,
                date_to: Annotated[DayParam, Query(alias="to")] = None, category: CategoryParam = None) -> TopicsPage:
    return build_topics(web(request), _day(date_from, "from"), _day(date_to, "to"), category or None)


@pages.page(router, "/topic/{topic_id}", template="topic.html", context=_topic_context, tags=["topics"],
            summary="A topic: label, size, papers per month, top authors and organisations, neighbours, papers")
def topic_page(request: Request, topic_id: int = TopicId, page: PageParam = 1, sort: SortParam = "newest"
               ) -> TopicPage:
    return build_topic(web(request), topic_id, page, sort)


@router.get("/feeds/topic/{topic_id}.atom", response_class=Response, tags=["feeds"],
            responses={**ERRORS, 200: {"content": {"application/atom+xml": {}}, "description": "An Atom 1.0 feed"}},
            summary="A topic's papers, newest first")
def topic_feed(request: Request, topic_id: int = TopicId) -> Response:
    w = web(request)
    me, _rows = find_topic(w, topic_id)
    papers = w.store.list_papers(PaperScope(topic_id=topic_id), order="newest", limit=FEED_ENTRIES).papers
    return atom(request, f"openpapers topic: {me.label}", views.topic_url(topic_id), papers)
