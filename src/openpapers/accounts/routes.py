"""Account pages: log in/out, password reset by email, settings, API tokens, export, deletion.

HTML forms that work without JavaScript; every POST checks the CSRF token (:func:`auth.csrf_protect`) and
answers a mistake with the same form, the message and a 4xx status. Pages showing a form or anything personal
are ``Cache-Control: private, no-store`` (set by the viewer middleware). The JSON twins are in
:mod:`openpapers.accounts.me_routes`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from openpapers.accounts import auth, export
from openpapers.accounts import mail as account_mail
from openpapers.accounts import repository as db
from openpapers.accounts import service as accounts
from openpapers.accounts.service import AccountError, RateLimited, User
from openpapers.core.url_keys import MAX_ROW_ID
from openpapers.signals import repository as signals
from openpapers.web.context import database, web

router = APIRouter(include_in_schema=False)
CSRF = [Depends(auth.csrf_protect)]
Text = Annotated[str, Form(max_length=2000)]
Secret = Annotated[str, Form(max_length=1024)]
TOKEN = r"^[A-Za-z0-9_-]{20,100}$"


def page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    response = web(request).render(template, status=status, nav="account", **context)
    response.headers["Cache-Control"] = auth.PRIVATE
    return response


def client_ip(request: Request) -> str:
    """The address the rate limits count: the connection's peer, which uvicorn replaces with the forwarded one
    only for the proxies ``OPENPAPERS_FORWARDED_ALLOW_IPS`` names (see ``openpapers serve``)."""
    return request.client.host if request.client else "unknown"


def back_to(request: Request, next_url: str | None, session: accounts.Session, default: str = "/") -> Response:
    response = RedirectResponse(auth.safe_next(next_url, default), status_code=303)
    auth.start_session(request, response, session)
    return response


# -- log in, log out (sign-up: accounts/signup_routes.py) ------------------------------------------------------
@router.get("/login")
def login_form(request: Request, next: Annotated[str, Query(max_length=2000)] = "/") -> Response:
    if auth.current_user(request):
        return RedirectResponse(auth.safe_next(next), status_code=303)
    return page(request, "login.html", title="Log in", next=auth.safe_next(next), error=None, email="")


@router.post("/login", dependencies=CSRF)
def login(request: Request, email: Text, password: Secret, next: Text = "/") -> Response:
    try:
        session = accounts.login(database(request), email, password, ip=client_ip(request))
    except RateLimited as exc:
        response = page(request, "login.html", 429, title="Log in", next=auth.safe_next(next), error=str(exc),
                        email=email)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except AccountError as exc:
        return page(request, "login.html", 400, title="Log in", next=auth.safe_next(next), error=str(exc),
                    email=email)
    return back_to(request, next, session)


@router.post("/logout", dependencies=CSRF)
def logout(request: Request) -> Response:
    response = RedirectResponse("/", status_code=303)
    auth.end_session(request, response)
    return response


# -- password reset ---------------------------------------------------------------------------------------------
RESET_SENT = ("If an account exists for that address, we have sent it a link to set a new password. The link "
              "works once, for an hour. Check your spam folder if nothing arrives in a few minutes.")


@router.get("/reset")
def reset_form(request: Request) -> Response:
    return page(request, "reset_request.html", title="Reset your password", error=None, sent=None, email="")


@router.post("/reset", dependencies=CSRF)
def reset_request(request: Request, background: BackgroundTasks, email: Text) -> Response:
    try:
        started = accounts.start_reset(database(request), email, ip=client_ip(request))
    except RateLimited as exc:
        response = page(request, "reset_request.html", 429, title="Reset your password", error=str(exc),
                        sent=None, email=email)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if started is not None:  # mailed after the response: the answer's timing does not tell the address exists
        user, token = started
        text = account_mail.reset_text(user.display_name, user.email, f"{export.site_url(request)}/reset/{token}")
        background.add_task(account_mail.send_account_mail, web(request).settings, user.email,
                            "Reset your openpapers password", text, what=f"password-reset (user {user.id})")
    return page(request, "reset_request.html", title="Reset your password", error=None, sent=RESET_SENT, email="")


@router.get("/reset/{token}")
def reset_password_form(request: Request, token: Annotated[str, Path(max_length=200)]) -> Response:
    live = accounts.reset_is_live(database(request), token)
    return page(request, "reset_form.html", 200 if live else 400, title="Set a new password", token=token,
                live=live, error=None if live else "This reset link is invalid, expired or already used.")


@router.post("/reset/{token}", dependencies=CSRF)
def reset_password(request: Request, token: Annotated[str, Path(max_length=200)], password: Secret) -> Response:
    bind = database(request)
    try:
        user = accounts.finish_reset(bind, token, password)
    except AccountError as exc:
        live = accounts.reset_is_live(bind, token)
        return page(request, "reset_form.html", 400, title="Set a new password", token=token, live=live,
                    error=str(exc))
    return back_to(request, "/settings?done=reset", accounts.open_session(bind, user))


# -- settings ---------------------------------------------------------------------------------------------------
_DONE = {"saved": "Settings saved.", "password": "Password changed; every other session was logged out.",
         "reset": "New password set: every other session was logged out and every API token revoked.",
         "revoked": "Token revoked."}


def settings_page(request: Request, user: User, status: int = 200, *, error: str | None = None,
                  new_token: str | None = None, done: str | None = None) -> Response:
    bind = database(request)
    return page(request, "settings.html", status, title="Settings", user=user, error=error, new_token=new_token,
                notice=_DONE.get(done or ""), tokens=db.list_api_tokens(bind, user.id),
                counts=signals.counts_for_user(bind, user.id), frequencies=accounts.FREQUENCIES,
                sections=accounts.SECTIONS)


@router.get("/settings")
def settings(request: Request, user: Annotated[User, Depends(auth.require_user)],
             done: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    return settings_page(request, user, done=done)


@router.post("/settings", dependencies=CSRF)
def save_settings(request: Request, user: Annotated[User, Depends(auth.require_user)], display_name: Text,
                  digest_frequency: Annotated[str, Form(max_length=20)] = "off",
                  digest_sections: Annotated[list[str] | None, Form(max_length=10)] = None) -> Response:
    try:
        accounts.update_settings(database(request), user.id, display_name=display_name,
                                 digest_frequency=digest_frequency, digest_sections=digest_sections or [])
    except AccountError as exc:
        return settings_page(request, user, 400, error=str(exc))
    return RedirectResponse("/settings?done=saved", status_code=303)


@router.post("/settings/password", dependencies=CSRF)
def change_password(request: Request, user: Annotated[User, Depends(auth.require_user)], current: Secret,
                    password: Secret) -> Response:
    session = auth.current_session(request)
    try:
        accounts.change_password(database(request), user, current, password,
                                 keep_session=session.id if session else None)
    except AccountError as exc:
        return settings_page(request, user, 400, error=str(exc))
    return RedirectResponse("/settings?done=password", status_code=303)


@router.post("/settings/tokens", dependencies=CSRF)
def create_token(request: Request, user: Annotated[User, Depends(auth.require_user)], name: Text) -> Response:
    try:
        _, token = accounts.create_api_token(database(request), user, name)
    except AccountError as exc:
        return settings_page(request, user, 400, error=str(exc))
    return settings_page(request, user, new_token=token)  # shown this once (no redirect: it is not stored)


@router.post("/settings/tokens/{token_id}/delete", dependencies=CSRF)
def revoke_token(request: Request, user: Annotated[User, Depends(auth.require_user)],
                 token_id: Annotated[int, Path(ge=1, le=MAX_ROW_ID)]) -> Response:
    if not db.delete_api_token(database(request), user.id, token_id):
        return settings_page(request, user, 404, error="No such token.")
    return RedirectResponse("/settings?done=revoked", status_code=303)


@router.get("/settings/export")
def export_file(request: Request, user: Annotated[User, Depends(auth.require_user)],
                format: Annotated[str, Query(pattern="^(json|bibtex)$")] = "json") -> Response:
    return export.export_response(request, user, format)


@router.post("/settings/delete", dependencies=CSRF)
def delete_account(request: Request, user: Annotated[User, Depends(auth.require_user)], password: Secret) -> Response:
    try:
        accounts.delete_account(database(request), user, password)
    except AccountError as exc:
        return settings_page(request, user, 400, error=str(exc))
    auth.forget(request)
    response = page(request, "message.html", title="Account deleted",
                    message="Your account and everything it held (library, votes, follows, tokens) are deleted.")
    auth.clear_session_cookie(request, response)
    return response
