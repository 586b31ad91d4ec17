"""The comment forms: ``POST /comments`` (write) and ``POST /comments/{id}`` (``action`` = ``edit`` | ``delete``
| ``hide`` | ``show``). They come back to the paper's discussion (``303`` to ``/paper/{id}#comments``), so they work
without JavaScript; with ``Accept: application/json`` (scripts, API tokens) they answer a
:class:`CommentStateOut`. The thread itself is part of the paper page and its JSON twin (``comments``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from openpapers.accounts import auth
from openpapers.accounts.service import User
from openpapers.discussion import service
from openpapers.discussion.schemas import MAX_BODY, CommentStateOut
from openpapers.papers import views
from openpapers.web.context import wants_json

router = APIRouter(include_in_schema=False)
CSRF = [Depends(auth.csrf_protect)]
Signed = Annotated[User, Depends(auth.require_user)]
Body = Annotated[str | None, Form(max_length=MAX_BODY * 2)]


def _answer(request: Request, payload: CommentStateOut, anchor: str) -> Response:
    if wants_json(request):
        return Response(payload.model_dump_json(exclude_none=True), media_type="application/json",
                        headers={"Cache-Control": auth.PRIVATE})
    return RedirectResponse(f"{views.paper_url(payload.paper_id)}#{anchor}", status_code=303)


@router.post("/comments", dependencies=CSRF)
def write_form(request: Request, user: Signed, paper_id: Annotated[str, Form(min_length=1, max_length=200)],
               body: Body = None) -> Response:
    answer = service.write(request, user, paper_id, body)
    return _answer(request, answer, f"comment-{answer.comment_id}")


@router.post("/comments/{comment_id}", dependencies=CSRF)
def change_form(request: Request, user: Signed, comment_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
                action: Annotated[str, Form(pattern="^(edit|delete|hide|show)$")], body: Body = None) -> Response:
    answer = service.change(request, user, comment_id, action, body)
    return _answer(request, answer, "comments" if answer.deleted else f"comment-{comment_id}")
