"""Corrections over HTTP: admins merge, split and undo; a signed-in reader claims an identity; an approved
claimant splits papers that are not theirs out of it. JSON under ``/api`` (token or CSRF-checked session, like
``/api/me``) and the person page's forms (303 back to the page).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from openpapers.accounts import auth
from openpapers.accounts.service import User
from openpapers.authors import admin, claims
from openpapers.authors import repository as repo
from openpapers.authors.routes import IDENTITY
from openpapers.web.context import json, web

api = APIRouter(prefix="/api", responses=auth.AUTH_ERRORS, dependencies=[Depends(auth.csrf_protect)],
                tags=["people"])
forms = APIRouter(include_in_schema=False, dependencies=[Depends(auth.csrf_protect)])
Me = Annotated[User, Depends(auth.require_user)]
Admin = Annotated[User, Depends(auth.require_admin)]
Iid = Annotated[str, Path(pattern=f"^{IDENTITY}$", description="Identity id, e.g. qi-meng--1")]


class MergeIn(BaseModel):
    other: str = Field(pattern=f"^{IDENTITY}$", description="The identity to merge with this one")


class SplitIn(BaseModel):
    papers: list[str] = Field(min_length=1, max_length=1000, description="Paper ids to move to a new identity")


class EventOut(BaseModel):
    event: int
    detail: dict[str, Any]


class IdentityEventOut(BaseModel):
    id: int
    kind: str = Field(description="merge | split | undo | claim | claim-approve | claim-reject")
    actor: str
    detail: dict[str, Any]
    created_at: str
    undone_by: int | None


class EventsOut(BaseModel):
    events: list[IdentityEventOut]


class ClaimOut(BaseModel):
    id: int
    user_id: int
    identity_id: str
    status: str = Field(description="pending | approved | rejected")
    created_at: str
    decided_at: str | None


class ClaimsOut(BaseModel):
    claims: list[ClaimOut]


def _run(call: Any, *args: Any) -> dict[str, Any]:
    try:
        return dict(call(*args))
    except admin.IdentityError as exc:
        status = 404 if str(exc).startswith("no ") else 409
        raise HTTPException(status, str(exc)) from exc


def _may_split(request: Request, user: User, iid: str) -> None:
    if not user.is_admin and claims.claimant(web(request).store, iid) != user.id:
        raise HTTPException(403, "only administrators and the person who claimed this identity can split it")


def _event(out: dict[str, Any]) -> EventOut:
    return EventOut(event=int(out["event"]), detail=out)


# -- JSON -------------------------------------------------------------------------------------------------------
@api.post("/author/{iid}/merge", response_model=EventOut, summary="Admins: merge two identities (the larger "
          "keeps its id, the other redirects); recorded, undoable")
def merge(request: Request, user: Admin, iid: Iid, body: MergeIn) -> Response:
    out = _run(admin.merge, web(request).store, iid, body.other, f"user:{user.id}")
    return auth.private(json(_event(out)))


@api.post("/author/{iid}/split", response_model=EventOut, summary="Admins or the identity's approved claimant: "
          "move papers into a new identity; recorded, undoable")
def split(request: Request, user: Me, iid: Iid, body: SplitIn) -> Response:
    _may_split(request, user, iid)
    out = _run(admin.split, web(request).store, iid, body.papers, f"user:{user.id}")
    return auth.private(json(_event(out)))


@api.post("/identity-events/{event_id}/undo", response_model=EventOut, summary="Admins: undo a merge or split")
def undo(request: Request, user: Admin, event_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> Response:
    out = _run(admin.undo, web(request).store, event_id, f"user:{user.id}")
    return auth.private(json(_event(out)))


@api.get("/identity-events", response_model=EventsOut, summary="Admins: the record of corrections")
def events(request: Request, _user: Admin, limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> Response:
    rows = repo.events(web(request).store.db, limit=limit)
    return auth.private(json(EventsOut(events=[IdentityEventOut(**r) for r in rows])))


@api.post("/author/{iid}/claim", response_model=ClaimOut, summary="Claim an identity as yours: approved at once "
          "when your email domain names one of its organisations, else pending until an admin decides")
def claim(request: Request, user: Me, iid: Iid) -> Response:
    return auth.private(json(ClaimOut(**_run(claims.claim, web(request).store, user.id, user.email, iid))))


@api.get("/claims", response_model=ClaimsOut, summary="Admins: claims waiting for a decision")
def pending_claims(request: Request, _user: Admin) -> Response:
    return auth.private(json(ClaimsOut(claims=[ClaimOut(**r) for r in claims.pending(web(request).store)])))


@api.post("/claims/{claim_id}/{decision}", response_model=ClaimOut, summary="Admins: approve or reject a claim")
def decide(request: Request, user: Admin, claim_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
           decision: Annotated[str, Path(pattern="^(approve|reject)$")]) -> Response:
    row = _run(claims.decide, web(request).store, claim_id, decision == "approve", user.id)
    return auth.private(json(ClaimOut(**row)))


# -- forms on the person page -----------------------------------------------------------------------------------
def _back(iid: str) -> Response:
    return RedirectResponse(f"/author/{iid}", status_code=303)


@forms.post("/author/{iid:identity}/merge")
def merge_form(request: Request, user: Admin, iid: str,
               other: Annotated[str, Form(pattern=f"^{IDENTITY}$")]) -> Response:
    out = _run(admin.merge, web(request).store, iid, other, f"user:{user.id}")
    return _back(out["kept"])


@forms.post("/author/{iid:identity}/split")
def split_form(request: Request, user: Me, iid: str,
               papers: Annotated[list[str], Form(min_length=1, max_length=1000)]) -> Response:
    _may_split(request, user, iid)
    _run(admin.split, web(request).store, iid, papers, f"user:{user.id}")
    return _back(iid)


@forms.post("/author/{iid:identity}/claim")
def claim_form(request: Request, user: Me, iid: str) -> Response:
    row = _run(claims.claim, web(request).store, user.id, user.email, iid)
    return _back(row["identity_id"])
