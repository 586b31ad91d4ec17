"""People over HTTP: ``/api/authors?name=`` (every person of a name) and ``/api/author/{id}`` for an identity id,
the same objects ``openpapers authors --name NAME --json`` prints.

Identity ids (``qi-meng--1``) get their own path convertor, so ``/api/author/qi-meng`` (a name slug) still
reaches the name's page in :mod:`openpapers.papers.entity_routes`; a retired id answers with the person it now
redirects to (HTTP 301 to that id's URL).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from starlette.convertors import Convertor, register_url_convertor

from openpapers.authors import profiles
from openpapers.papers.atom import atom
from openpapers.web import pages
from openpapers.web.context import ERRORS, is_api, not_found, unprocessable, web

IDENTITY = r"[a-z0-9][a-z0-9-]{0,199}--[0-9]{1,9}"


class IdentityConvertor(Convertor[str]):
    regex = IDENTITY

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("identity", IdentityConvertor())
router = APIRouter()


class PaperRef(BaseModel):
    id: str
    title: str
    published: str | None = None


class PersonOut(BaseModel):
    """One person: what ``openpapers authors --name NAME --json`` prints per identity."""

    id: str
    name: str
    name_id: str
    url: str
    papers: list[PaperRef]
    paper_count: int
    orgs: list[dict[str, Any]]
    coauthors: list[dict[str, Any]]
    categories: list[dict[str, Any]]
    years: list[int]
    topics: list[str]
    confidence: float
    possibly_same_as: dict[str, str] | None = None


@router.get("/api/authors", response_model=list[PersonOut], tags=["browse"], responses=ERRORS,
            summary="Every person who published under a name (largest first)")
def people_named(request: Request, name: Annotated[str, Query(min_length=1, max_length=300)]) -> list[Any]:
    if not name.strip():
        raise unprocessable("name must not be blank")
    return profiles.by_name(web(request).store, name)


def _person_context(_request: Request, view: PersonOut, _args: dict[str, Any]) -> dict[str, Any]:
    return {"canonical": view.url, "api_url": f"/api{view.url}", "feed_url": f"/feeds/author/{view.id}.atom",
            "feed_title": f"openpapers: {view.name}"}


@pages.page(router, "/author/{iid:identity}", template="person.html", context=_person_context, tags=["browse"],
            summary="One person: papers, co-authors, organisations, categories, years, topics (a merged-away id "
                    "redirects to the person it joined)",
            api_params={"iid": Annotated[str, Path(pattern=f"^{IDENTITY}$", description="Identity id: qi-meng--1")]},
            responses={**ERRORS, 301: {"description": "the id was merged away; Location names its person"}})
def person_page(request: Request, iid: str) -> PersonOut | Response:
    store = web(request).store
    live = profiles.resolve(store, iid)
    if live is None:
        raise not_found(f"Author {iid!r}")
    if live != iid:
        prefix = "/api" if is_api(request.url.path) else ""
        return RedirectResponse(f"{prefix}/author/{live}", status_code=301)
    found = profiles.profile(store, live)
    if found is None:
        raise not_found(f"Author {iid!r}")
    return PersonOut(**found)


FEED_LIMIT = 50


@router.get("/feeds/author/{iid:identity}.atom", response_class=Response, tags=["feeds"],
            responses={**ERRORS, 200: {"content": {"application/atom+xml": {}}}},
            summary="One person's papers, newest first (a merged-away id serves the person it joined)")
def person_feed(request: Request, iid: Annotated[str, Path(pattern=f"^{IDENTITY}$")]) -> Response:
    store = web(request).store
    live = profiles.resolve(store, iid)
    if live is None:
        raise not_found(f"Author {iid!r}")
    row = profiles.profile(store, live, max_papers=FEED_LIMIT)
    if row is None:
        raise not_found(f"Author {iid!r}")
    papers = store.get_papers([p["id"] for p in row["papers"]])
    return atom(request, f"openpapers: {row['name']} ({live})", row["url"], papers)
