"""Author, organisation and category pages and their JSON twins: papers newest first, plus who and what recurs.

Ids are validated against the slug pattern before any lookup (anything else cannot exist: a clear 422 for the
JSON route, a friendly 400 page for the HTML one). Facets (co-authors, active authors, organisations, categories)
are counted over the newest 5000 papers of the page, which keeps a page fast on a corpus of any size.
"""

from __future__ import annotations

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from openpapers.core.taxonomy import canonical_category, category_name
from openpapers.papers import views
from openpapers.papers.schemas import AuthorPage, CategoryPage, FacetOut, OrgPage, PaperSummary
from openpapers.papers.types import PaperScope
from openpapers.web.context import CATEGORY, ERRORS, SLUG, PageParam, Web, json, not_found, web

router = APIRouter()
PER_PAGE = 30
AuthorId = Path(pattern=SLUG, description="Author id (slug of the name, e.g. qi-meng)")
OrgId = Path(pattern=SLUG, description="Organisation id (slug, e.g. microsoft-research)")
CategoryCode = Path(pattern=CATEGORY, description="arXiv category (cs.LG) or archive (cs)")


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
    return AuthorPage(
        id=info.id, name=info.name, page=page, per_page=PER_PAGE, pages=views.pages(total, PER_PAGE), total=total,
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


def normalize_category(code: str) -> str:
    """``CS.lg`` → ``cs.LG`` (arXiv's aliases folded); unknown but well-formed codes are kept as typed."""
    return canonical_category(code) or (code.lower() if views.is_archive(code.lower()) else code)


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


def _render(w: Web, template: str, view: AuthorPage | OrgPage | CategoryPage, url: str, title: str) -> Response:
    return w.render(template, view=view, api_url=views.api(url), canonical=url, feed_url=view.feed_url,
                    feed_title=f"openpapers: {title}")


@router.get("/author/{author_id}", include_in_schema=False)
def author_page(request: Request, author_id: str = AuthorId, page: PageParam = 1) -> Response:
    w = web(request)
    view = build_author(w, author_id, page)
    return _render(w, "author.html", view, views.author_url(author_id), view.name)


@router.get("/org/{org_id}", include_in_schema=False)
def org_page(request: Request, org_id: str = OrgId, page: PageParam = 1) -> Response:
    w = web(request)
    view = build_org(w, org_id, page)
    return _render(w, "org.html", view, views.org_url(org_id), view.name)


@router.get("/category/{code}", include_in_schema=False)
def category_page(request: Request, code: str = CategoryCode, page: PageParam = 1) -> Response:
    w = web(request)
    canonical = normalize_category(code)
    if canonical != code:
        return Response(status_code=301, headers={"Location": views.category_url(canonical)})
    view = build_category(w, code, page)
    return _render(w, "category.html", view, views.category_url(code), view.name or code)


@router.get("/api/author/{author_id}", response_model=AuthorPage, responses=ERRORS, tags=["browse"],
            summary="An author: papers newest first, co-authors, organisations, categories")
def api_author(request: Request, author_id: str = AuthorId, page: PageParam = 1) -> Response:
    return json(build_author(web(request), author_id, page))


@router.get("/api/org/{org_id}", response_model=OrgPage, responses=ERRORS, tags=["browse"],
            summary="An organisation: papers newest first and its most active authors")
def api_org(request: Request, org_id: str = OrgId, page: PageParam = 1) -> Response:
    return json(build_org(web(request), org_id, page))


@router.get("/api/category/{code}", response_model=CategoryPage, responses=ERRORS, tags=["browse"],
            summary="A category (or a whole archive): papers newest first and its most active authors")
def api_category(request: Request, code: str = CategoryCode, page: PageParam = 1) -> Response:
    return json(build_category(web(request), normalize_category(code), page))
