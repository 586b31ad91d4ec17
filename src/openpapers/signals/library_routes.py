"""``/library``: a signed-in reader's saved papers with their tags and notes, filterable by tag.

The JSON twin is ``/api/me/library`` (:mod:`openpapers.accounts.me_routes`); both are built by ``library_view``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from openpapers.accounts import auth
from openpapers.accounts.me_routes import library_view
from openpapers.accounts.service import User
from openpapers.web.context import web

router = APIRouter(include_in_schema=False)


@router.get("/library")
def library_page(request: Request, user: Annotated[User, Depends(auth.require_user)],
                 tag: Annotated[str | None, Query(max_length=40)] = None) -> Response:
    view = library_view(request, user, tag or None)
    response = web(request).render("library.html", view=view, tag=tag or None, nav="library",
                                   api_url="/api/me/library")
    response.headers["Cache-Control"] = auth.PRIVATE
    return response
