"""``/papers``: every paper, newest first, and its JSON twin ``/api/papers`` (a :mod:`openpapers.web.pages` page).

Most of a corpus built from saved listing pages has no publication date, so it is in no daily, weekly or monthly
feed; this is where a newcomer browses all of it. Undated papers come after the dated ones (and alone with
``undated=true``, which the page links, so they are reachable without paging to the end). Filters narrow the list
by category (a code or a whole archive), organisation (an id or a name, read like the search filters) and code.
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from openpapers.papers import org_names, views
from openpapers.papers.entity_params import normalize_category
from openpapers.papers.schemas import AllPapersPage
from openpapers.papers.types import PaperScope
from openpapers.web import pages
from openpapers.web.context import CATEGORY, PageParam, Web, bad_request, is_api, unprocessable, web

router = APIRouter()
PER_PAGE = 50

CategoryFilter = Annotated[str | None, Query(max_length=41, description="arXiv category (cs.LG) or archive (cs)")]
# The twin states the pattern in the spec (so a request the spec allows is answered); the page explains it.
CategoryApi = Annotated[str | None, Query(max_length=41, pattern="^$|" + CATEGORY,
                                          description="arXiv category (cs.LG) or archive (cs)")]
OrgFilter = Annotated[str | None, Query(max_length=200, description="Organisation id or name")]
CodeFilter = Annotated[bool | None, Query(description="true: only papers with code; false: only without")]
UndatedFilter = Annotated[bool, Query(description="true: only the papers without a publication date")]
# The page's form sends every field, "" for "any": the page reads these as words, the twin typed (in the spec).
CodeWord = Annotated[str | None, Query(pattern="^(true|false|)$")]
UndatedWord = Annotated[str | None, Query(pattern="^(true|false|)$")]


def build(w: Web, category: str | None, org: str | None, has_code: bool | None, undated: bool,
          page: int) -> AllPapersPage:
    scope = PaperScope(category=category, org_id=org, has_code=has_code, undated=undated)
    found = w.store.list_papers(scope, order="newest", limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    return AllPapersPage(
        category=category, org=org, has_code=has_code, undated=undated, page=page, per_page=PER_PAGE,
        pages=views.pages(found.total, PER_PAGE), total=found.total,
        undated_total=w.store.overview().undated, papers=views.summaries(w.store, found.papers),
    )


def _filters(request: Request, category: str | None, org: str | None) -> tuple[str | None, str | None]:
    """Blank fields (an HTML form sends every field) are no filter; a malformed category is refused (400 page,
    422 JSON) and a name of an organisation becomes its id, as the search filters read them."""
    category = (category or "").strip() or None
    if category is not None:
        if not re.match(CATEGORY, category):
            raise (unprocessable if is_api(request.url.path) else bad_request)(
                f"category {category[:40]!r} is not an arXiv code like cs.LG or cs")
        category = normalize_category(category)
    name = (org or "").strip()
    return category, (org_names.id_for(name, web(request).store.db) or None) if name else None


def _context(request: Request, view: AllPapersPage, _args: dict[str, Any]) -> dict[str, Any]:
    kept = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "page" and v])
    return {"nav": "papers", "canonical": "/papers", "base": "/papers" + (f"?{kept}" if kept else "")}


@pages.page(router, "/papers", template="papers.html", context=_context, tags=["browse"],
            summary="All papers, newest first (undated ones last), by category, organisation and code",
            api_params={"category": CategoryApi, "has_code": CodeFilter, "undated": UndatedFilter})
def all_papers(request: Request, category: CategoryFilter = None, org: OrgFilter = None,
               has_code: CodeWord = None, undated: UndatedWord = None, page: PageParam = 1
               ) -> AllPapersPage | Response:
    code, oid = _filters(request, category, org)
    return build(web(request), code, oid, _flag(has_code), bool(_flag(undated)), page)


def _flag(value: bool | str | None) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    return None if value == "" else value == "true"
