"""``/following``: everything a signed-in reader follows (authors, organisations, categories, saved searches,
collections), to unfollow, rename, edit a saved search's query and filters, and choose what feeds the digest.

The page is registered with :mod:`openpapers.web.pages` (its twin ``/api/following`` is the same list as
``GET /api/me/follows``). Its forms post to ``/following/{id}`` (``action=rename|digest|edit|remove``) and come
back to the follow's row; ``PATCH /api/me/follows/{id}`` is the API's door to the same
:func:`openpapers.signals.actions.update_follow`, so page and API check a change the same way.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Request
from fastapi.responses import Response

from openpapers.accounts import auth
from openpapers.accounts.me_schemas import OkOut
from openpapers.accounts.service import User
from openpapers.core.url_keys import MAX_ROW_ID
from openpapers.signals import actions
from openpapers.signals.schemas import FollowOut, FollowsOut, FollowUpdateIn
from openpapers.web import pages
from openpapers.web.context import json, wants_json

router = APIRouter()
Me = Annotated[User, Depends(auth.require_user)]
FollowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="follow id")]


@pages.page(router, "/following", template="following.html", context=lambda *_: {"nav": "following"},
            private=True, tags=["me"], responses=auth.AUTH_ERRORS,
            summary="What you follow: authors, organisations, categories, saved searches, collections")
def following(request: Request, user: Me) -> FollowsOut:
    return actions.follows_view(request, user)


@router.patch("/api/me/follows/{follow_id}", response_model=FollowOut, tags=["me"], responses=auth.AUTH_ERRORS,
              summary="Rename a follow, put it in or out of the digest, or change a saved search")
def patch_follow(request: Request, user: Me, follow_id: FollowId, body: FollowUpdateIn) -> Response:
    return auth.private(json(actions.update_follow(request, user, follow_id, body)))


@router.post("/following/{follow_id}", include_in_schema=False, dependencies=[Depends(auth.csrf_protect)])
def follow_form(request: Request, user: Me, follow_id: FollowId,
                action: Annotated[str, Form(pattern="^(rename|digest|edit|remove)$")],
                label: Annotated[str | None, Form(max_length=300)] = None,
                in_digest: Annotated[str | None, Form(max_length=10)] = None,
                q: Annotated[str | None, Form(max_length=1000)] = None,
                category: Annotated[str | None, Form(max_length=200)] = None,
                author: Annotated[str | None, Form(max_length=200)] = None,
                org: Annotated[str | None, Form(max_length=200)] = None,
                has_code: Annotated[str | None, Form(pattern="^(true|false|)$")] = None) -> Response:
    """The page's forms. Filters are one field each, values separated by commas (as the page shows them)."""
    if action == "remove":
        if not actions.unfollow(request, user, follow_id=follow_id):
            raise HTTPException(404, "you do not follow that")
        if wants_json(request):
            return auth.private(json(OkOut(message="unfollowed")))
        return Response(status_code=303, headers={"Location": "/following"})
    if action == "rename":
        change = FollowUpdateIn(label=label or "")
    elif action == "digest":
        change = FollowUpdateIn(in_digest=in_digest == "on")
    else:
        def split(text: str | None) -> list[str]:
            return [v.strip() for v in (text or "").split(",") if v.strip()][:20]

        change = FollowUpdateIn(q=q or "", category=split(category), author=split(author), org=split(org),
                                has_code=None if not has_code else has_code == "true")
    answer = actions.update_follow(request, user, follow_id, change)
    if wants_json(request):
        return auth.private(json(answer))
    return Response(status_code=303, headers={"Location": f"/following#f-{follow_id}"})
