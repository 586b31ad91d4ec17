"""One-click unsubscribe from the digest emails (RFC 8058), without login or CSRF token.

* ``POST /unsubscribe?token=…`` turns the digest off. Mail providers send it when the reader presses their
  "unsubscribe" button, with the body ``List-Unsubscribe=One-Click`` and no cookies, so RFC 8058 forbids asking
  for anything more: the signed token (digests/unsubscribe.py) is the authorisation. It is idempotent.
* ``GET /unsubscribe?token=…`` (the link in the message footer) only shows a confirmation page with a button
  that makes that POST: link scanners and prefetchers follow GET links, and must not unsubscribe anyone.
* A bad, tampered or expired token gets a 400 page that says so.

Both answers are private (``Cache-Control: private, no-store``): they name an account.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from openpapers.accounts.repository import get_user, unsubscribe_digest
from openpapers.digests.unsubscribe import BadToken, read_token, store_secret
from openpapers.web.context import database, web

router = APIRouter()

_LIST_NAMES = {"daily": "daily digest", "weekly": "weekly digest"}


def _page(request: Request, status: int, **context: object) -> HTMLResponse:
    response = web(request).render("unsubscribe.html", status=status, **context)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _read(request: Request, token: str) -> tuple[int, str] | HTMLResponse:
    try:
        sub = read_token(store_secret(database(request)), token)
    except BadToken as exc:
        return _page(request, 400, state="bad", message=str(exc), token="", list_name="", email="")
    return sub.user_id, sub.list


@router.get("/unsubscribe", include_in_schema=False)
def confirm(request: Request, token: str = "") -> HTMLResponse:
    got = _read(request, token)
    if isinstance(got, HTMLResponse):
        return got
    user_id, list_name = got
    user = get_user(database(request), user_id)
    subscribed = user is not None and user["digest_frequency"] == list_name
    return _page(request, 200, state="confirm" if subscribed else "not-subscribed", message="", token=token,
                 list_name=_LIST_NAMES[list_name], email=user["email"] if user else "")


@router.post("/unsubscribe", include_in_schema=False)
def one_click(request: Request, token: str = "") -> HTMLResponse:
    got = _read(request, token)
    if isinstance(got, HTMLResponse):
        return got
    user_id, list_name = got
    unsubscribe_digest(database(request), user_id, list_name)
    user = get_user(database(request), user_id)
    return _page(request, 200, state="done", message="", token="", list_name=_LIST_NAMES[list_name],
                 email=user["email"] if user else "")
