"""Atom feeds (built with feedgen): the daily feed, any search, an author, an organisation, a category.

Entries link to our paper pages (absolute URLs from the request's base URL, so a feed works behind any host
name). Every string goes through :func:`~openpapers.web.textfmt.xml_text` first: a control character in an
abstract or in a search query must not turn a feed into a server error.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response
from feedgen.feed import FeedGenerator

from openpapers.core.records import Paper
from openpapers.core.taxonomy import category_name
from openpapers.papers import views
from openpapers.papers.entity_params import AuthorId, CategoryCode, OrgId, normalize_category
from openpapers.papers.schemas import ErrorOut
from openpapers.papers.types import PaperScope
from openpapers.search.types import QueryError
from openpapers.search.web_query import ApiParams
from openpapers.search.web_query import run as run_search
from openpapers.web.context import ERRORS, Web, json, not_found, web
from openpapers.web.textfmt import xml_text

router = APIRouter(tags=["feeds"])
ENTRIES = 50
DAILY_WINDOW = timedelta(days=6)  # the daily feed covers the latest week that has papers
ATOM = "application/atom+xml; charset=utf-8"
FEED_RESPONSES: dict[int | str, dict[str, object]] = {**ERRORS, 200: {"content": {"application/atom+xml": {}},
                                                                        "description": "An Atom 1.0 feed"}}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _stamp(day: date | None) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC) if day else _EPOCH


def atom(request: Request, title: str, page_url: str, papers: Iterable[Paper]) -> Response:
    base = str(request.base_url).rstrip("/")
    self_url = base + request.url.path + (f"?{request.url.query}" if request.url.query else "")
    fg = FeedGenerator()
    fg.id(xml_text(self_url))
    fg.title(xml_text(title) or "openpapers")
    fg.link(href=xml_text(self_url), rel="self")
    fg.link(href=xml_text(base + page_url), rel="alternate")
    fg.generator("openpapers")
    newest = _EPOCH
    for paper in papers:
        when = _stamp(paper.featured_on or paper.published)
        newest = max(newest, when)
        url = base + views.paper_url(paper.id)
        fe = fg.add_entry(order="append")
        fe.id(url)
        fe.title(xml_text(paper.title) or paper.id)
        fe.link(href=url, rel="alternate")
        if paper.abstract:
            fe.summary(xml_text(paper.abstract))
        for name in paper.authors:
            if xml_text(name):
                fe.author(name=xml_text(name))
        for code in paper.categories:
            fe.category(term=xml_text(code), label=xml_text(category_name(code) or code))
        fe.published(_stamp(paper.published))
        fe.updated(_stamp(paper.updated or paper.published or paper.featured_on))
    fg.updated(newest)
    return Response(fg.atom_str(pretty=False), media_type=ATOM)


def _scoped(w: Web, scope: PaperScope) -> list[Paper]:
    return w.store.list_papers(scope, order="newest", limit=ENTRIES).papers


@router.get("/feeds/daily.atom", response_class=Response, responses=FEED_RESPONSES,
            summary="Daily papers: the latest week that has papers, newest first")
def daily_feed(request: Request) -> Response:
    w = web(request)
    latest = w.store.latest_day()
    papers = [] if latest is None else _scoped(w, PaperScope(day_from=latest - DAILY_WINDOW, day_to=latest))
    return atom(request, "openpapers: daily papers", "/", papers)


@router.get("/feeds/search.atom", response_class=Response, responses=FEED_RESPONSES,
            summary="Any search as a feed (same parameters as /api/search; best results, newest first)")
def search_feed(request: Request, params: ApiParams) -> Response:
    w = web(request)
    try:
        if params.error:
            raise QueryError(params.error)
        params.page = 1
        result = run_search(w, params, limit=ENTRIES)
    except QueryError as exc:
        return json(ErrorOut(error=str(exc), status=422), status=422)  # matches the spec, cannot run
    papers = sorted((result.papers[h.paper_id] for h in result.hits),
                    key=lambda p: (p.published or date.min, p.id), reverse=True)
    page = "/search?" + params.query_string(page=None)
    return atom(request, f"openpapers search: {params.q or 'filtered papers'}", page, papers)


@router.get("/feeds/author/{author_id}.atom", response_class=Response, responses=FEED_RESPONSES,
            summary="An author's papers, newest first")
def author_feed(request: Request, author_id: str = AuthorId) -> Response:
    w = web(request)
    info = w.store.get_author(author_id)
    if info is None:
        raise not_found(f"Author {author_id!r}")
    papers = _scoped(w, PaperScope(author_id=author_id))
    return atom(request, f"openpapers: {info.name}", views.author_url(author_id), papers)


@router.get("/feeds/org/{org_id}.atom", response_class=Response, responses=FEED_RESPONSES,
            summary="An organisation's papers, newest first")
def org_feed(request: Request, org_id: str = OrgId) -> Response:
    w = web(request)
    info = w.store.get_org(org_id)
    if info is None:
        raise not_found(f"Organisation {org_id!r}")
    return atom(request, f"openpapers: {info.name}", views.org_url(org_id), _scoped(w, PaperScope(org_id=org_id)))


@router.get("/feeds/category/{code}.atom", response_class=Response, responses=FEED_RESPONSES,
            summary="A category's (or archive's) papers, newest first")
def category_feed(request: Request, code: str = CategoryCode) -> Response:
    w = web(request)
    code = normalize_category(code)
    papers = _scoped(w, PaperScope(category=code))
    if not papers and not (category_name(code) or views.is_archive(code)):
        raise not_found(f"Category {code!r}")
    name = category_name(code) or code
    return atom(request, f"openpapers: {code} {name}", views.category_url(code), papers)
