"""The REST side of what a signed-in reader does: ``/api/me/votes``, ``/api/me/library/{id}``,
``/api/me/dismissals``, ``/api/me/follows`` and the admins' ``/api/featured``.

The same actions as the HTML forms (:mod:`openpapers.signals.action_routes`), from
:mod:`openpapers.signals.actions`; the library listing itself is the JSON twin of ``/library``
(:mod:`openpapers.signals.library_routes`). Authentication and CSRF as in :mod:`openpapers.accounts.me_routes`;
paper ids in paths accept every spelling the rest of the API does, including old-style ids with a slash.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import Response

from openpapers.accounts import auth
from openpapers.accounts.me_schemas import OkOut
from openpapers.accounts.service import User
from openpapers.core.url_keys import DAY_KEY, MAX_ROW_ID, NOT_BLANK
from openpapers.signals import actions
from openpapers.signals import repository as signals
from openpapers.signals.schemas import (
    DismissalOut,
    FeatureOut,
    FollowIn,
    FollowKind,
    FollowOut,
    FollowsOut,
    LibraryIn,
    LibraryItemOut,
    VoteOut,
)
from openpapers.web.context import database, json, unprocessable

router = APIRouter(prefix="/api", responses=auth.AUTH_ERRORS, dependencies=[Depends(auth.csrf_protect)])
Me = Annotated[User, Depends(auth.require_user)]
Admin = Annotated[User, Depends(auth.require_admin)]
PaperPath = Annotated[str, Path(min_length=1, max_length=200, pattern=NOT_BLANK,
                                description="Paper id (any arXiv spelling)")]
DayPath = Annotated[str, Path(pattern=DAY_KEY, description="YYYY-MM-DD")]


# -- votes ------------------------------------------------------------------------------------------------------
@router.post("/me/votes/{paper_id:path}", response_model=VoteOut, tags=["me"], summary="Upvote a paper (once)")
def vote(request: Request, user: Me, paper_id: PaperPath) -> Response:
    paper = actions.find_paper(request, paper_id)
    return auth.private(json(actions.set_vote(request, user, paper, True)))


@router.delete("/me/votes/{paper_id:path}", response_model=VoteOut, tags=["me"], summary="Remove your upvote")
def unvote(request: Request, user: Me, paper_id: PaperPath) -> Response:
    paper = actions.find_paper(request, paper_id)
    return auth.private(json(actions.set_vote(request, user, paper, False)))


# -- library ----------------------------------------------------------------------------------------------------
@router.get("/me/library/{paper_id:path}", response_model=LibraryItemOut, tags=["me"],
            summary="One saved paper with its tags and note")
def get_library_item(request: Request, user: Me, paper_id: PaperPath) -> Response:
    paper = actions.find_paper(request, paper_id)
    return auth.private(json(actions.library_entry(request, user, paper)))


@router.put("/me/library/{paper_id:path}", response_model=LibraryItemOut, tags=["me"],
            summary="Save a paper, or change its tags/note")
def put_library_item(request: Request, user: Me, paper_id: PaperPath, body: LibraryIn | None = None) -> Response:
    paper = actions.find_paper(request, paper_id)
    body = body or LibraryIn()
    tags = actions.parse_tags(body.tags) if body.tags is not None else None
    actions.save(request, user, paper, tags=tags, note=body.note)
    return auth.private(json(actions.library_entry(request, user, paper)))


@router.delete("/me/library/{paper_id:path}", response_model=OkOut, tags=["me"], summary="Remove a saved paper")
def delete_library_item(request: Request, user: Me, paper_id: PaperPath) -> Response:
    paper = actions.find_paper(request, paper_id)
    if not actions.unsave(request, user, paper):
        raise HTTPException(404, "this paper is not in your library")
    return auth.private(json(OkOut(message="removed from your library")))


# -- dismissals -------------------------------------------------------------------------------------------------
@router.post("/me/dismissals/{paper_id:path}", response_model=DismissalOut, tags=["me"],
             summary='Mark a paper "not interested" (it leaves your personal feed)')
def dismiss(request: Request, user: Me, paper_id: PaperPath) -> Response:
    paper = actions.find_paper(request, paper_id)
    return auth.private(json(actions.set_dismissed(request, user, paper, True)))


@router.delete("/me/dismissals/{paper_id:path}", response_model=DismissalOut, tags=["me"],
               summary='Undo "not interested"')
def undismiss(request: Request, user: Me, paper_id: PaperPath) -> Response:
    paper = actions.find_paper(request, paper_id)
    return auth.private(json(actions.set_dismissed(request, user, paper, False)))


# -- follows ----------------------------------------------------------------------------------------------------
@router.get("/me/follows", response_model=FollowsOut, tags=["me"], summary="What you follow")
def get_follows(request: Request, user: Me) -> Response:
    return auth.private(json(actions.follows_view(request, user)))


@router.post("/me/follows", response_model=FollowOut, status_code=201, tags=["me"],
             summary="Follow an author, organisation, category, topic or search (query + filters)")
def post_follow(request: Request, user: Me, body: FollowIn) -> Response:
    spec = {"q": body.q, "category": body.category, "author": body.author, "org": body.org,
            "has_code": body.has_code}
    followed, added = actions.follow(request, user, body.kind, body.target, spec)
    return auth.private(json(followed, 201 if added else 200))


@router.delete("/me/follows", response_model=OkOut, tags=["me"],
               summary="Unfollow, by follow id or by kind and target")
def delete_follow(request: Request, user: Me,
                  id: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID, description="follow id")] = None,
                  kind: Annotated[FollowKind | None, Query()] = None,
                  target: Annotated[str | None, Query(max_length=2000)] = None) -> Response:
    # "id, or kind and target" is a rule between parameters, which the spec cannot state: 422 with the message
    if id is None and (kind is None or target is None):
        raise unprocessable("give the follow's id, or kind and target")
    if not actions.unfollow(request, user, follow_id=id, kind=kind, target=target):
        raise HTTPException(404, "you do not follow that")
    return auth.private(json(OkOut(message="unfollowed")))


# -- admin: featured papers -------------------------------------------------------------------------------------
@router.post("/featured/{day}/{paper_id:path}", response_model=FeatureOut, tags=["account"],
             summary="Admins: feature a paper at the top of a day's feed")
def feature(request: Request, user: Admin, day: DayPath, paper_id: PaperPath) -> Response:
    paper = actions.find_paper(request, paper_id)
    return auth.private(json(actions.set_featured(request, user, day, paper, True)))


@router.delete("/featured/{day}/{paper_id:path}", response_model=FeatureOut, tags=["account"],
               summary="Admins: stop featuring a paper on a day")
def unfeature(request: Request, user: Admin, day: DayPath, paper_id: PaperPath) -> Response:
    paper = actions.find_paper(request, paper_id)
    return auth.private(json(actions.set_featured(request, user, day, paper, False)))


@router.get("/featured/{day}/{paper_id:path}", response_model=FeatureOut, tags=["feed"],
            summary="Whether a paper is featured by the editors on a day")
def featured_state(request: Request, day: DayPath, paper_id: PaperPath) -> Response:
    paper = actions.find_paper(request, paper_id)
    when = actions.parse_day(day)
    ids = {pid for _, pid in signals.featured_between(database(request), when, when)}
    return json(FeatureOut(paper_id=paper.id, day=when, featured=paper.id in ids))
