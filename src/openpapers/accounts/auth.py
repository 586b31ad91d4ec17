"""Who is asking: the session cookie or API token behind a request, CSRF enforcement, private caching.

* ``current_user(request)``: the :class:`User` of the ``op_session`` cookie or of an ``Authorization: Bearer``
  API token, or None. Resolved once per request (cached on the request's state).
* FastAPI dependencies: ``optional_user`` (None when anonymous; 401 for a bad token), ``require_user`` (HTML:
  303 to ``/login?next=…``; ``/api``: 401 JSON with ``WWW-Authenticate: Bearer``), ``require_admin`` and
  ``csrf_protect`` (every state-changing route has it; see :mod:`openpapers.accounts.csrf` for the model).
* ``csrf_token()`` / ``current_user()`` are Jinja globals too: templates are rendered inside the request, whose
  viewer a context variable carries (set by :class:`ViewerMiddleware`, copied into the thread pool).

The middleware also marks every response to a request with a session cookie or Authorization header, or that
rendered a token, ``Cache-Control: private, no-store`` (no shared cache may keep it), sets the anonymous CSRF
cookie when a form needed one, clears a session cookie that no longer names a live session, and refuses a
state-changing browser request whose Origin is another site.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openpapers.accounts import csrf
from openpapers.accounts import service as accounts
from openpapers.accounts.cookies import SESSION_COOKIE, request_cookies, set_cookie, set_cookie_headers
from openpapers.accounts.repository import get_secret
from openpapers.accounts.service import Session, User
from openpapers.db.database import Database
from openpapers.papers.schemas import ErrorOut
from openpapers.signals import repository as signals
from openpapers.web.context import ERRORS, is_api

PRIVATE = "private, no-store"
# Error bodies of the routes that need a signed-in reader, for the spec.
AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    401: {"model": ErrorOut, "description": "Not logged in, or a bad API token"},
    403: {"model": ErrorOut, "description": "CSRF check failed (cookie sessions) or not allowed"},
}
# One-click unsubscribe (RFC 8058) is POSTed by mail providers' servers with a signed token, never with a cookie.
_ORIGIN_EXEMPT = ("/unsubscribe",)


@dataclass
class Viewer:
    """Per-request auth state, created by the middleware and filled lazily."""

    scope: Scope
    resolved: bool = False
    user: User | None = None
    session: Session | None = None
    via: str | None = None  # "session" | "token"
    bad_token: bool = False
    clear_cookie: bool = False
    private: bool = False
    anon_nonce: str | None = None
    set_cookies: list[tuple[str, str, int | None]] = field(default_factory=list)  # (name, value, max_age)


_viewer: ContextVar[Viewer | None] = ContextVar("openpapers_viewer", default=None)


class LoginRequired(Exception):
    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


def _database(scope: Scope) -> Database:
    database: Database = scope["app"].state.web.store.db
    return database


def _secret(scope: Scope, name: str) -> str:
    cache = scope["app"].state.__dict__.setdefault("_op_secrets", {})
    if name not in cache:
        cache[name] = get_secret(_database(scope), name)
    return cache[name]  # type: ignore[no-any-return]


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _viewer_of(scope: Scope) -> Viewer:
    state = scope.setdefault("state", {})
    viewer = state.get("op_viewer")
    if viewer is None:  # a route called outside the middleware (should not happen): behave anyway
        viewer = state["op_viewer"] = Viewer(scope)
    return viewer  # type: ignore[no-any-return]


def _resolve(v: Viewer) -> Viewer:
    if v.resolved:
        return v
    v.resolved = True
    database = _database(v.scope)
    auth = _headers(v.scope).get("authorization")
    if auth is not None:
        kind, _, token = auth.partition(" ")
        user = accounts.user_for_api_token(database, token.strip()) if kind.lower() == "bearer" else None
        if user is None:
            v.bad_token = True
        v.user, v.via = user, "token" if user else None
        return v
    cookie = request_cookies(v.scope).get(SESSION_COOKIE)
    if cookie:
        session = accounts.session_for(database, cookie)
        if session is None:
            v.clear_cookie = True
        else:
            v.session, v.user, v.via = session, session.user, "session"
    return v


def current_user(request: Request | None = None) -> User | None:
    """The signed-in user of this request (cookie session or API token), or None."""
    if request is not None:
        return _resolve(_viewer_of(request.scope)).user
    v = _viewer.get()
    return _resolve(v).user if v is not None else None


def current_session(request: Request) -> Session | None:
    return _resolve(_viewer_of(request.scope)).session


def csrf_token(request: Request | None = None) -> str:
    """The CSRF token to put in this page's forms: the session's, or an anonymous signed double-submit nonce."""
    v = _viewer_of(request.scope) if request is not None else _viewer.get()
    if v is None:
        raise RuntimeError("csrf_token() needs a request")
    _resolve(v)
    v.private = True
    if v.session is not None:
        return v.session.csrf_token
    if v.anon_nonce is None:
        secret = _secret(v.scope, "csrf")
        nonce = csrf.anonymous_nonce(secret, request_cookies(v.scope).get(csrf.ANON_COOKIE))
        if nonce is None:
            cookie, nonce = csrf.new_anonymous(secret)
            v.set_cookies.append((csrf.ANON_COOKIE, cookie, None))
        v.anon_nonce = nonce
    return v.anon_nonce


def current_path() -> str:
    """Path and query of the request being rendered (forms come back to it after a POST)."""
    v = _viewer.get()
    if v is None:
        return "/"
    query = v.scope.get("query_string", b"").decode("latin-1")
    return safe_next(v.scope.get("path", "/") + (f"?{query}" if query else ""))


def start_session(request: Request, response: Response, session: Session) -> None:
    """Put a just-opened session's cookie on ``response`` and end the session the request came with."""
    old = current_session(request)
    if old is not None and old.id != session.id:
        accounts.logout(_database(request.scope), old.id)
    v = _viewer_of(request.scope)
    v.clear_cookie = False
    set_cookie(response, request.scope, SESSION_COOKIE, session.token or "", max_age=accounts.SESSION_DAYS * 86400)


def end_session(request: Request, response: Response) -> None:
    session = current_session(request)
    if session is not None:
        accounts.logout(_database(request.scope), session.id)
    clear_session_cookie(request, response)


def clear_session_cookie(request: Request, response: Response) -> None:
    """Tell the browser to drop its session cookie (logout, a deleted account)."""
    set_cookie(response, request.scope, SESSION_COOKIE, "", max_age=0)


def private(response: Response) -> Response:
    """Mark a personal answer ``Cache-Control: private, no-store`` (no shared cache may keep it)."""
    response.headers["Cache-Control"] = PRIVATE
    return response


def forget(request: Request) -> None:
    """This request no longer has a user (the account was just deleted): render the rest as anonymous."""
    v = _resolve(_viewer_of(request.scope))
    v.user = v.session = v.via = None


def is_following(kind: str, target: str) -> bool:
    """For templates: does the signed-in reader follow this author/org/category?"""
    user = current_user()
    v = _viewer.get()
    return bool(user and v and signals.is_following(_database(v.scope), user.id, kind, target))


def library_item(paper_id: str) -> dict[str, Any] | None:
    """For templates: the signed-in reader's library entry (tags, note) for a paper, or None."""
    user = current_user()
    v = _viewer.get()
    return signals.library_item(_database(v.scope), user.id, paper_id) if user and v else None


# -- dependencies -----------------------------------------------------------------------------------------------
def optional_user(request: Request) -> User | None:
    v = _resolve(_viewer_of(request.scope))
    if v.bad_token:
        raise HTTPException(401, "invalid API token", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    return v.user


def require_user(request: Request, user: Annotated[User | None, Depends(optional_user)]) -> User:
    if user is None:
        if is_api(request.url.path):
            raise HTTPException(401, "log in or send an API token (Authorization: Bearer …)",
                                headers={"WWW-Authenticate": "Bearer"})
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target if request.method == "GET" else request.url.path)
    return user


def require_admin(user: Annotated[User, Depends(require_user)]) -> User:
    if not user.is_admin:
        raise HTTPException(403, "only administrators can do this")
    return user


async def csrf_protect(request: Request) -> None:
    """Refuse a state-changing request that does not carry this viewer's CSRF token (Bearer requests pass)."""
    if request.method in csrf.SAFE_METHODS:
        return
    v = _resolve(_viewer_of(request.scope))
    if v.via == "token" or v.bad_token:
        return  # a token request needs no CSRF token; a bad token is answered 401 by optional_user
    if v.user is None and is_api(request.url.path):
        # Every JSON write needs an account, and an anonymous caller has no CSRF token to get right: say what
        # is missing (credentials), as require_user would, rather than a CSRF failure.
        raise HTTPException(401, "log in or send an API token (Authorization: Bearer …)",
                            headers={"WWW-Authenticate": "Bearer"})
    given = request.headers.get(csrf.HEADER)
    ctype = request.headers.get("content-type", "")
    if given is None and ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(csrf.FORM_FIELD)
        given = value if isinstance(value, str) else None
    if v.session is not None:
        expected: str | None = v.session.csrf_token
    else:
        expected = csrf.anonymous_nonce(_secret(request.scope, "csrf"), request.cookies.get(csrf.ANON_COOKIE))
    if not csrf.tokens_match(expected, given):
        raise HTTPException(403, "The form expired or did not come from this site (CSRF check failed). "
                                 "Reload the page and try again.")


def safe_next(value: str | None, default: str = "/") -> str:
    """Only local paths may be redirect targets after login (no ``//evil.example`` or ``/\\evil``)."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")) or len(value) > 2000:
        return default
    if any(c in value for c in "\r\n\t"):
        return default
    return value


# -- middleware -------------------------------------------------------------------------------------------------
class ViewerMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        viewer = Viewer(scope)
        scope.setdefault("state", {})["op_viewer"] = viewer
        headers = _headers(scope)
        credentialed = SESSION_COOKIE in request_cookies(scope) or "authorization" in headers
        if scope["method"] not in csrf.SAFE_METHODS and "authorization" not in headers \
                and not scope["path"].startswith(_ORIGIN_EXEMPT) and not self._same_origin(scope, headers):
            await _forbidden(scope)(scope, receive, send)
            return

        async def send_wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                if (credentialed or viewer.private) and not scope["path"].startswith("/static/"):
                    out["Cache-Control"] = PRIVATE
                    out.append("Vary", "Cookie, Authorization")
                pending = viewer.set_cookies + ([(SESSION_COOKIE, "", 0)] if viewer.clear_cookie else [])
                for line in set_cookie_headers(scope, pending):
                    out.append("set-cookie", line)
            await send(message)

        token = _viewer.set(viewer)
        try:
            await self.app(scope, receive, send_wrapped)
        finally:
            _viewer.reset(token)

    @staticmethod
    def _same_origin(scope: Scope, headers: dict[str, str]) -> bool:
        host = headers.get("host", "")
        allowed = {f"{scope.get('scheme', 'http')}://{host}".lower()}
        base = csrf.origin_of(scope["app"].state.web.settings.base_url)
        if base:
            allowed.add(base)
        return csrf.same_origin(headers.get("origin"), headers.get("referer"), allowed)


def _forbidden(scope: Scope) -> Response:
    message = "cross-site request refused (its Origin is another site)"
    if is_api(scope["path"]):
        return JSONResponse({"error": message, "status": 403}, status_code=403)
    web = scope["app"].state.web
    return web.render("error.html", status=403, code=403, title="Forbidden", message=message)  # type: ignore[no-any-return]


def install(app: FastAPI) -> None:
    """Add the middleware, the login redirect and the Jinja globals to the app."""
    app.add_middleware(ViewerMiddleware)

    @app.exception_handler(LoginRequired)
    async def login_required(_request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={quote(exc.next_url, safe='/')}", status_code=303)

    app.state.web.env.globals.update(csrf_token=csrf_token, current_user=current_user, current_path=current_path,
                                     is_following=is_following, library_item=library_item)
