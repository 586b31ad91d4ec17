"""Sign-up pages: the form, "check your inbox", and the confirmation link that creates the account.

``POST /signup`` answers the same page for every valid address (see :mod:`openpapers.accounts.signup` for why
and what is mailed); only input the person can fix (an invalid address, a short password) gets the form back
with a 400, and too many sign-ups from one client a 429 with ``Retry-After``. The mailed link opens
``GET /signup/confirm/{token}``, a page with one button: mail scanners that fetch every link in a message do not
create accounts, only the POST does, which then logs the new account in and goes where the sign-up started.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from openpapers.accounts import auth, export, signup
from openpapers.accounts import mail as account_mail
from openpapers.accounts import service as accounts
from openpapers.accounts.routes import CSRF, Secret, Text, back_to, client_ip, page
from openpapers.accounts.service import AccountError, RateLimited
from openpapers.web.context import database, web

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Path(max_length=200)]
SENT = ("Check your inbox: we have sent a message to {email}. If this address is new here, it holds a link that "
        "creates your account (it works once, for a day); if you already have an account, it tells you how to "
        "log in or reset your password. Check your spam folder if nothing arrives in a few minutes.")


def _form(request: Request, status: int = 200, *, next_url: str = "/", error: str | None = None,
          email: str = "", name: str = "", sent: str | None = None) -> Response:
    return page(request, "signup.html", status, title="Sign up", next=auth.safe_next(next_url), error=error,
                email=email, name=name, sent=sent)


@router.get("/signup")
def signup_form(request: Request, next: Annotated[str, Query(max_length=2000)] = "/") -> Response:
    if auth.current_user(request):
        return RedirectResponse(auth.safe_next(next), status_code=303)
    return _form(request, next_url=next)


@router.post("/signup", dependencies=CSRF)
def signup_request(request: Request, background: BackgroundTasks, email: Text, password: Secret,
                   display_name: Text = "", next: Text = "/") -> Response:
    try:
        outgoing = signup.request_signup(database(request), email, password, display_name,
                                         next_url=auth.safe_next(next), ip=client_ip(request))
    except RateLimited as exc:
        response = _form(request, 429, next_url=next, error=str(exc), email=email, name=display_name)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except AccountError as exc:
        return _form(request, 400, next_url=next, error=str(exc), email=email, name=display_name)
    if outgoing is not None:
        site, settings = export.site_url(request), web(request).settings
        if outgoing.kind == "confirm":
            subject = "Confirm your openpapers account"
            text = account_mail.confirm_text(outgoing.display_name, f"{site}/signup/confirm/{outgoing.token}")
        else:
            subject = "You already have an openpapers account"
            text = account_mail.exists_text(outgoing.display_name, outgoing.email, site)
        background.add_task(account_mail.send_account_mail, settings, outgoing.email, subject, text,
                            what=f"sign-up ({outgoing.kind})")
    shown = accounts.normalize_email(email)  # valid: request_signup checked it
    return _form(request, next_url=next, sent=SENT.format(email=shown))


@router.get("/signup/confirm/{token}")
def confirm_form(request: Request, token: Token) -> Response:
    pending = signup.pending_email(database(request), token)
    return page(request, "signup_confirm.html", 200 if pending else 400, title="Confirm your account",
                token=token, pending=pending, error=None if pending else signup.BAD_LINK)


@router.post("/signup/confirm/{token}", dependencies=CSRF)
def confirm(request: Request, token: Token) -> Response:
    bind = database(request)
    try:
        user, next_url = signup.confirm(bind, token)
    except AccountError as exc:
        return page(request, "signup_confirm.html", 400, title="Confirm your account", token=token, pending=None,
                    error=str(exc))
    return back_to(request, next_url, accounts.open_session(bind, user))
