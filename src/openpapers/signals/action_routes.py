"""The HTML forms behind the cards' buttons: upvote, save (tags, note), "not interested", follow, and (admins)
feature a paper on a day's feed.

Forms POST to ``/me/…`` with an ``action`` (``add`` | ``remove``) and come back to the page they were on
(``next``), so everything works without JavaScript; ``/static/app.js`` turns the buttons into fetch calls with
the ``X-CSRF-Token`` header (a request sending ``Accept: application/json`` gets the JSON answer, a typed model
of :mod:`openpapers.signals.schemas`, instead of the redirect). The actions themselves are
:mod:`openpapers.signals.actions`, shared with the REST API (:mod:`openpapers.signals.me_routes`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from openpapers.accounts import auth
from openpapers.accounts.service import User
from openpapers.papers import views
from openpapers.signals import actions
from openpapers.signals.schemas import SavedOut
from openpapers.web.context import wants_json

router = APIRouter(include_in_schema=False)
CSRF = [Depends(auth.csrf_protect)]
Action = Annotated[str, Form(pattern="^(add|remove)$")]
PaperRef = Annotated[str, Form(min_length=1, max_length=200)]
Next = Annotated[str, Form(max_length=2000)]


def _answer(request: Request, next_url: str | None, fallback: str, payload: BaseModel) -> Response:
    if wants_json(request):
        return Response(payload.model_dump_json(exclude_unset=True), media_type="application/json",
                        headers={"Cache-Control": auth.PRIVATE})
    return RedirectResponse(auth.safe_next(next_url, fallback), status_code=303)


# -- forms ------------------------------------------------------------------------------------------------------
@router.post("/me/votes", dependencies=CSRF)
def vote_form(request: Request, user: Annotated[User, Depends(auth.require_user)], paper_id: PaperRef,
              action: Action = "add", next: Next = "") -> Response:
    paper = actions.find_paper(request, paper_id)
    answer = actions.set_vote(request, user, paper, action == "add")
    return _answer(request, next, views.paper_url(paper.id), answer)


@router.post("/me/library", dependencies=CSRF)
def library_form(request: Request, user: Annotated[User, Depends(auth.require_user)], paper_id: PaperRef,
                 action: Action = "add", tags: Annotated[str | None, Form(max_length=2000)] = None,
                 note: Annotated[str | None, Form(max_length=10_000)] = None, next: Next = "") -> Response:
    paper = actions.find_paper(request, paper_id)
    if action == "add":
        answer = actions.save(request, user, paper, tags=actions.parse_tags(tags) if tags is not None else None,
                              note=note)
    else:
        actions.unsave(request, user, paper)
        answer = SavedOut(paper_id=paper.id, saved=False)
    return _answer(request, next, views.paper_url(paper.id), answer)


@router.post("/me/dismissals", dependencies=CSRF)
def dismiss_form(request: Request, user: Annotated[User, Depends(auth.require_user)], paper_id: PaperRef,
                 action: Action = "add", next: Next = "") -> Response:
    paper = actions.find_paper(request, paper_id)
    answer = actions.set_dismissed(request, user, paper, action == "add")
    return _answer(request, next, views.paper_url(paper.id), answer)


@router.post("/me/follows", dependencies=CSRF)
def follow_form(request: Request, user: Annotated[User, Depends(auth.require_user)],
                kind: Annotated[str, Form(pattern="^(author|org|category|search|topic)$")], action: Action = "add",
                target: Annotated[str | None, Form(max_length=200)] = None,
                q: Annotated[str | None, Form(max_length=1000)] = None,
                category: Annotated[list[str] | None, Form(max_length=20)] = None,
                author: Annotated[list[str] | None, Form(max_length=20)] = None,
                org: Annotated[list[str] | None, Form(max_length=20)] = None,
                has_code: Annotated[str | None, Form(pattern="^(true|false|)$")] = None,
                next: Next = "") -> Response:
    search = {"q": q, "category": category, "author": author, "org": org,
              "has_code": None if not has_code else has_code == "true"}
    answer = actions.set_following(request, user, kind, target, search, action == "add")
    fallback = actions.follow_url(kind, answer.target) if answer.label is not None else "/settings"
    return _answer(request, next, fallback, answer)


@router.post("/me/featured", dependencies=CSRF)
def feature_form(request: Request, user: Annotated[User, Depends(auth.require_admin)], paper_id: PaperRef,
                 day: Annotated[str, Form(pattern=r"^\d{4}-\d{2}-\d{2}$")], action: Action = "add",
                 next: Next = "") -> Response:
    paper = actions.find_paper(request, paper_id)
    answer = actions.set_featured(request, user, day, paper, action == "add")
    return _answer(request, next, f"/day/{answer.day}", answer)
