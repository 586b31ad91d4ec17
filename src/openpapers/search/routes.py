"""The search page ``/search`` and its JSON twin ``/api/search`` (one :mod:`openpapers.web.pages` page).

The parameters are read by :mod:`openpapers.search.web_query` (shared with the search feed); a bad value is a
400 with a message a person can act on, in the page or as JSON. Semantic and hybrid search need the vector
index: without it (not built, or the embedding model missing) the page falls back to keyword search and says
so, rather than failing.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from openpapers.papers import views
from openpapers.papers.schemas import ErrorOut, ExplainOut, SearchFilters, SearchHitOut, SearchPage
from openpapers.search.types import QueryError
from openpapers.search.web_query import MAX_PAGE, PER_PAGE, ApiParams, Params, SearchParams, run
from openpapers.signals.actions import saved_search
from openpapers.web import pages
from openpapers.web.context import Web, is_api, json, web

router = APIRouter()


def build(w: Web, params: SearchParams) -> SearchPage:
    if params.error:
        raise QueryError(params.error)
    result = run(w, params)
    f = params.filters
    cards = views.summaries(w.store, [result.papers[h.paper_id] for h in result.hits])
    hits = [
        SearchHitOut(paper=card, score=round(h.score, 6), ranks=h.ranks, title_html=h.title_html,
                     snippet_html=h.snippet_html,
                     explain=ExplainOut.model_validate(h.explain) if params.explain and h.explain else None)
        for card, h in zip(cards, result.hits, strict=True)
    ]
    return SearchPage(
        query=params.q, mode=params.mode, used_mode=result.mode,
        filters=SearchFilters(categories=f.categories, authors=f.authors, orgs=f.orgs, date_from=f.date_from,
                              date_to=f.date_to, has_code=f.has_code),
        total=result.total, page=params.page, per_page=PER_PAGE,
        pages=min(MAX_PAGE, views.pages(result.total, PER_PAGE)), took_ms=round(result.took_ms, 2),
        notes=result.notes, suggestion=result.suggestion, corrected=result.corrected, results=hits,
        feed_url="/feeds/search.atom?" + params.query_string(page=None),
    )


def saved_target(params: SearchParams) -> str | None:
    """The stored form of this search as a follow (None when it could not be saved), so the page can say
    whether the reader already follows it."""
    f = params.filters
    spec = {"q": params.q, "category": f.categories, "author": f.authors, "org": f.orgs, "has_code": f.has_code}
    try:
        return saved_search(spec)[0]
    except HTTPException:
        return None


def _context(request: Request, view: SearchPage, args: dict[str, Any]) -> dict[str, Any]:
    params: SearchParams = args["params"]
    return {"params": params, "nav": "search", "error": None, "feed_url": view.feed_url,
            "saved_target": saved_target(params), "feed_link": str(request.base_url).rstrip("/") + view.feed_url,
            "feed_title": f"openpapers search: {params.q}", "api_url": "/api/search?" + params.query_string()}


@pages.page(router, "/search", template="search.html", context=_context, tags=["search"],
            summary="Search papers (the search page as JSON)", api_params={"params": ApiParams})
def search_page(request: Request, params: Params) -> SearchPage | Response:
    """The twin reads typed parameters (:data:`ApiParams`): what breaks their rules is FastAPI's 422 before this
    runs, and what matches them but cannot run (a query of exclusions only, ``from`` after ``to``) is a 422
    with the message. The page reads plain strings and shows any mistake with the form again (400); without
    a query or filter it is the empty search form."""
    w = web(request)
    if is_api(request.url.path):
        try:
            return build(w, params)
        except QueryError as exc:
            return json(ErrorOut(error=str(exc), status=422), status=422)
    context: dict[str, Any] = {"params": params, "nav": "search", "view": None, "error": None}
    if not params.q and params.filters.is_empty() and not params.error:
        return w.render("search.html", **context)
    try:
        return build(w, params)
    except QueryError as exc:
        return w.render("search.html", status=400, **{**context, "error": str(exc)})
