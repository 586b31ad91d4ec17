"""``/library``: a signed-in reader's saved papers with their tags and notes, filterable by tag.

Registered as a page (:mod:`openpapers.web.pages`): its JSON twin is ``/api/library``, also at the older
``/api/me/library`` next to the rest of the library API (:mod:`openpapers.signals.me_routes`). Both are one
reader's view: ``Cache-Control: private, no-store``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from openpapers.accounts import auth
from openpapers.accounts.service import User
from openpapers.signals import actions
from openpapers.signals.schemas import LibraryOut
from openpapers.web import pages

router = APIRouter()


def _context(_request: Request, _view: LibraryOut, args: dict[str, Any]) -> dict[str, Any]:
    return {"tag": args["tag"] or None, "nav": "library"}


@pages.page(router, "/library", template="library.html", context=_context, private=True, tags=["me"],
            responses=auth.AUTH_ERRORS, aliases=("/api/me/library",), summary="Your saved papers, newest first")
def library(request: Request, user: Annotated[User, Depends(auth.require_user)],
            tag: Annotated[str | None, Query(max_length=40, description="only papers with this tag")] = None
            ) -> LibraryOut:
    return actions.library_view(request, user, tag or None)
