"""Collections on the web: ``/collections`` (public ones and yours) and ``/collection/{id}``, each with its JSON
twin (``/api/collections``, ``/api/collection/{id}``), the Atom feed ``/feeds/collection/{id}.atom``, the BibTeX
export ``/collection/{id}/bibtex``, and the forms that create, edit, delete, fill and follow collections.

The forms POST and come back (``303``) so everything works without JavaScript; a request sending
``Accept: application/json`` (a script, or a bearer-token client) gets a :class:`CollectionStateOut` instead.
"""

from __future__ import annotations

import io
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from openpapers.accounts import auth
from openpapers.accounts.service import User
from openpapers.collections import service
from openpapers.collections.schemas import (
    MAX_DESCRIPTION,
    MAX_NAME,
    MAX_NOTE,
    CollectionPage,
    CollectionsPage,
    CollectionStateOut,
)
from openpapers.papers.atom import FEED_RESPONSES, atom
from openpapers.papers.export import write_bibtex
from openpapers.web import pages
from openpapers.web.context import ERRORS, PageParam, wants_json

router = APIRouter()
CSRF = [Depends(auth.csrf_protect)]
CollectionId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Collection id")]
Viewer = Annotated[User | None, Depends(auth.optional_user)]
Signed = Annotated[User, Depends(auth.require_user)]
Next = Annotated[str, Form(max_length=2000)]
Flag = Annotated[str | None, Form(pattern="^(on|true|false|1|0|)$")]


def _answer(request: Request, next_url: str | None, fallback: str, payload: CollectionStateOut) -> Response:
    if wants_json(request):
        return Response(payload.model_dump_json(exclude_none=True), media_type="application/json",
                        headers={"Cache-Control": auth.PRIVATE})
    return RedirectResponse(auth.safe_next(next_url, fallback), status_code=303)


def _flag(value: str | None) -> bool:
    return value in ("on", "true", "1")


# -- pages and their JSON twins --------------------------------------------------------------------------------
def _index_context(_request: Request, _view: CollectionsPage, _args: dict[str, Any]) -> dict[str, Any]:
    return {"nav": "collections", "limits": {"name": MAX_NAME, "description": MAX_DESCRIPTION}}


@pages.page(router, "/collections", template="collections.html", context=_index_context, tags=["collections"],
            summary="Public collections, and the signed-in reader's own")
def collections_page(request: Request, user: Viewer, page: PageParam = 1) -> CollectionsPage:
    return service.index_view(request, user, page)


def _context(_request: Request, view: CollectionPage, _args: dict[str, Any]) -> dict[str, Any]:
    c = view.collection
    return {"nav": "collections", "canonical": c.url, "api_url": c.api_url,
            "feed_url": c.feed_url if c.public else None, "feed_title": f"openpapers collection: {c.name}",
            "limits": {"name": MAX_NAME, "description": MAX_DESCRIPTION, "note": MAX_NOTE}}


@pages.page(router, "/collection/{collection_id}", template="collection.html", context=_context,
            tags=["collections"], summary="One collection: its papers with their notes")
def collection_page(request: Request, collection_id: CollectionId, user: Viewer) -> CollectionPage:
    """A private collection is seen by its owner only, whose requests (session or token) are never cached."""
    return service.page_view(request, user, collection_id)


@router.get("/collection/{collection_id}/bibtex", response_class=Response, include_in_schema=False,
            responses={**ERRORS, 200: {"content": {"application/x-bibtex": {}}}},
            summary="A collection's papers as BibTeX")
def collection_bibtex(request: Request, collection_id: CollectionId, user: Viewer) -> Response:
    row = service.visible(request, user, collection_id)
    items, found = service.papers_of(request, collection_id)
    buffer = io.BytesIO()
    write_bibtex([found[r["paper_id"]] for r in items if r["paper_id"] in found], buffer)
    headers = {"Content-Disposition": f'inline; filename="collection-{collection_id}.bib"'}
    if not row["public"]:
        headers["Cache-Control"] = auth.PRIVATE
    return Response(buffer.getvalue(), media_type="application/x-bibtex; charset=utf-8", headers=headers)


@router.get("/feeds/collection/{collection_id}.atom", response_class=Response, responses=FEED_RESPONSES,
            tags=["feeds"], summary="A public collection's papers, most recently added first")
def collection_feed(request: Request, collection_id: CollectionId) -> Response:
    row = service.visible(request, None, collection_id)  # feed readers have no session: public ones only
    items, found = service.papers_of(request, collection_id)
    papers = [found[r["paper_id"]] for r in reversed(items) if r["paper_id"] in found][:50]
    return atom(request, f"openpapers collection: {row['name']}", service.url(collection_id), papers)


# -- forms -----------------------------------------------------------------------------------------------------
@router.post("/collections", dependencies=CSRF, include_in_schema=False)
def create_form(request: Request, user: Signed, name: Annotated[str, Form(max_length=MAX_NAME * 2)],
                description: Annotated[str, Form(max_length=MAX_DESCRIPTION * 2)] = "", public: Flag = None,
                paper_id: Annotated[str | None, Form(max_length=200)] = None, next: Next = "") -> Response:
    """Create a collection (optionally with a first paper: the paper page's "new collection" form)."""
    cid = service.create(request, user, name, description, _flag(public))
    if paper_id:
        service.set_item(request, user, cid, paper_id, True, None)
    payload = CollectionStateOut(collection_id=cid, paper_id=paper_id or None, in_collection=bool(paper_id) or None)
    return _answer(request, next, service.url(cid), payload)


@router.post("/collection/{collection_id}", dependencies=CSRF, include_in_schema=False)
def edit_form(request: Request, user: Signed, collection_id: CollectionId,
              action: Annotated[str, Form(pattern="^(edit|delete)$")] = "edit",
              name: Annotated[str | None, Form(max_length=MAX_NAME * 2)] = None,
              description: Annotated[str | None, Form(max_length=MAX_DESCRIPTION * 2)] = None,
              public: Flag = None, next: Next = "") -> Response:
    if action == "delete":
        return _answer(request, "/collections", "/collections", service.remove(request, user, collection_id))
    service.edit(request, user, collection_id, name, description, None if public is None else _flag(public))
    return _answer(request, next, service.url(collection_id), CollectionStateOut(collection_id=collection_id))


@router.post("/collection/{collection_id}/items", dependencies=CSRF, include_in_schema=False)
def item_form(request: Request, user: Signed, collection_id: CollectionId,
              paper_id: Annotated[str, Form(min_length=1, max_length=200)],
              action: Annotated[str, Form(pattern="^(add|remove)$")] = "add",
              note: Annotated[str | None, Form(max_length=MAX_NOTE * 2)] = None, next: Next = "") -> Response:
    answer = service.set_item(request, user, collection_id, paper_id, action == "add", note)
    return _answer(request, next, service.url(collection_id), answer)


@router.post("/collection/{collection_id}/follow", dependencies=CSRF, include_in_schema=False)
def follow_form(request: Request, user: Signed, collection_id: CollectionId,
                action: Annotated[str, Form(pattern="^(add|remove)$")] = "add", next: Next = "") -> Response:
    answer = service.set_following(request, user, collection_id, action == "add")
    return _answer(request, next, service.url(collection_id), answer)
