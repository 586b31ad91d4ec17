"""Author, organisation and category pages and their JSON twins (:mod:`openpapers.web.pages`): papers newest
first, plus who and what recurs.

Ids are validated against the slug pattern before any lookup (:mod:`openpapers.papers.entity_params`, shared
with the feeds; anything else cannot exist: a clear 422 for the JSON route, a friendly 400 page for the HTML one).
Facets (co-authors, active authors, organisations, categories) are counted over the newest 5000 papers of the
page, which keeps a page fast on a corpus of any size.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from openpapers.authors.profiles import by_name
from openpapers.core.records import author_id as author_id_of
from openpapers.core.taxonomy import category_name
from openpapers.papers import org_names, views
from openpapers.papers.entity_params import AuthorId, CategoryCode, OrgId, normalize_category
from openpapers.papers.schemas import AuthorPage, CategoryPage, FacetOut, OrgPage, PaperSummary, PersonBrief
from openpapers.papers.types import PaperScope
from openpapers.web import pages
from openpapers.web.context import SLUG, PageParam, Web, bad_request, is_api, not_found, web

router = APIRouter()
PER_PAGE = 30


def _listing(w: Web, scope: PaperScope, page: int) -> tuple[list[PaperSummary], int]:
    found = w.store.list_papers(scope, order="newest", limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    return views.summaries(w.store, found.papers), found.total


def _facets(w: Web, scope: PaperScope, kind: str, limit: int = 12) -> list[FacetOut]:
    return [views.facet(kind, f) for f in w.store.facets(scope, kind, limit=limit)]


def build_author(w: Web, aid: str, page: int) -> AuthorPage:
    info = w.store.get_author(aid)
    if info is None:
        raise not_found(f"Author {aid!r}")
    scope = PaperScope(author_id=aid)
    papers, total = _listing(w, scope, page)
    people = [PersonBrief(id=p["id"], name=p["name"], url=p["url"], paper_count=p["paper_count"],
                          coauthors=[c["name"] for c in p["coauthors"][:4]], orgs=[o["name"] for o in p["orgs"][:3]],
                          topics=p["topics"][:5], years=p["years"],
                          possibly_same_as=(p["possibly_same_as"] or {}).get("id"))
              for p in by_name(w.store, info.name)]
    return AuthorPage(
        id=info.id, name=info.name, people=people, page=page, per_page=PER_PAGE,
        pages=views.pages(total, PER_PAGE), total=total,
        papers=papers, coauthors=_facets(w, scope, "author", 20), orgs=_facets(w, scope, "org"),
        categories=_facets(w, scope, "category"), feed_url=f"/feeds/author/{aid}.atom",
    )


def build_org(w: Web, oid: str, page: int) -> OrgPage:
    info = w.store.get_org(oid)
    if info is None:
        raise not_found(f"Organisation {oid!r}")
    scope = PaperScope(org_id=oid)
    papers, total = _listing(w, scope, page)
    return OrgPage(
        id=info.id, name=info.name, page=page, per_page=PER_PAGE, pages=views.pages(total, PER_PAGE), total=total,
        papers=papers, top_authors=_facets(w, scope, "author", 20), categories=_facets(w, scope, "category"),
        feed_url=f"/feeds/org/{oid}.atom",
    )


def build_category(w: Web, code: str, page: int) -> CategoryPage:
    scope = PaperScope(category=code)
    papers, total = _listing(w, scope, page)
    if total == 0 and not (category_name(code) or views.is_archive(code)):
        raise not_found(f"Category {code!r}")
    related = [f for f in _facets(w, scope, "category", 13) if f.id != code][:12]
    return CategoryPage(
        code=code, name=category_name(code) or (f"{code} (all subjects)" if views.is_archive(code) else None),
        page=page, per_page=PER_PAGE, pages=views.pages(total, PER_PAGE), total=total, papers=papers,
        top_authors=_facets(w, scope, "author", 20), related_categories=related,
        feed_url=f"/feeds/category/{code}.atom",
    )


def _links(url: str, feed_url: str, title: str) -> dict[str, Any]:
    return {"api_url": views.api(url), "canonical": url, "feed_url": feed_url, "feed_title": f"openpapers: {title}"}


def _author_context(_request: Request, view: AuthorPage, args: dict[str, Any]) -> dict[str, Any]:
    return _links(views.author_url(args["author_id"]), view.feed_url, view.name)


def _org_context(_request: Request, view: OrgPage, args: dict[str, Any]) -> dict[str, Any]:
    return _links(views.org_url(args["org_id"]), view.feed_url, view.name)


def _category_context(_request: Request, view: CategoryPage, _args: dict[str, Any]) -> dict[str, Any]:
    return _links(views.category_url(view.code), view.feed_url, view.name or view.code)


def _by_name(request: Request, given: str, slug: str, url: str) -> Response | None:
    """A page asked for by a name (``/author/Qi%20Meng``) redirects to its slug's URL, as the search filters read
    names; what no slug can come from is the friendly 400 page. The twin checks the slug pattern itself (422)."""
    if re.match(SLUG, given):
        return None
    if not slug or not any(ch.isalnum() for ch in given):
        raise bad_request(f"{given[:80]!r} is not a name or an id (ids look like qi-meng)")
    return Response(status_code=301, headers={"Location": url})


@pages.page(router, "/author/{author_id}", template="author.html", context=_author_context, tags=["browse"],
            summary="An author: papers newest first, co-authors, organisations, categories",
            api_params={"author_id": Annotated[str, AuthorId]})
def author_page(request: Request, author_id: str, page: PageParam = 1) -> AuthorPage | Response:
    slug = author_id_of(author_id)
    return _by_name(request, author_id, slug, views.author_url(slug)) or build_author(web(request), author_id, page)


@pages.page(router, "/org/{org_id}", template="org.html", context=_org_context, tags=["browse"],
            summary="An organisation: papers newest first and its most active authors",
            api_params={"org_id": Annotated[str, OrgId]})
def org_page(request: Request, org_id: str, page: PageParam = 1) -> OrgPage | Response:
    slug = org_names.id_for(org_id, web(request).store.db) if not re.match(SLUG, org_id) else org_id
    return _by_name(request, org_id, slug, views.org_url(slug)) or build_org(web(request), org_id, page)


@pages.page(router, "/category/{code}", template="category.html", context=_category_context, tags=["browse"],
            summary="A category (or a whole archive): papers newest first and its most active authors")
def category_page(request: Request, code: str = CategoryCode, page: PageParam = 1) -> CategoryPage | Response:
    """The page redirects another spelling (``CS.lg``) to the canonical code's URL; the twin answers it."""
    canonical = normalize_category(code)
    if canonical != code and not is_api(request.url.path):
        return Response(status_code=301, headers={"Location": views.category_url(canonical)})
    return build_category(web(request), canonical, page)
